package api

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

func (s *Server) listRevocations(w http.ResponseWriter, r *http.Request) {
	rs, err := s.svc.ListRevocations(r.Context(), user(r), registry.RevocationState(r.URL.Query().Get("state")))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(rs, viewRevocation))
}
