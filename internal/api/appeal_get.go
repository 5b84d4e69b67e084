package api

import (
	"net/http"
)

// getAppeal returns one appeal to staff or the appellant.
func (s *Server) getAppeal(w http.ResponseWriter, r *http.Request) {
	ap, err := s.svc.GetAppeal(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewAppeal(ap))
}
