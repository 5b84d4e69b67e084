package api

import (
	"net/http"
)

// listAppeals is the supervisors' appeals queue.
func (s *Server) listAppeals(w http.ResponseWriter, r *http.Request) {
	aps, err := s.svc.ListAppeals(r.Context(), user(r), r.URL.Query().Get("state"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(aps, viewAppeal))
}
