package api

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := s.svc.ListTokens(r.Context(), user(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(ts, func(t *registry.Token) tokenView { return viewToken(t, "") }))
}
