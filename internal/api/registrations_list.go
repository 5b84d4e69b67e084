package api

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

func (s *Server) listRegistrations(w http.ResponseWriter, r *http.Request) {
	fe := registry.FieldErrors{}
	f := registry.RegFilter{Status: registry.RegStatus(r.URL.Query().Get("status")), Limit: limitParam(fe, r.URL.Query().Get("limit"))}
	if err := fe.Err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	rs, err := s.svc.ListRegistrations(r.Context(), user(r), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(rs, viewRegistration))
}
