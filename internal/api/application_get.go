package api

import "net/http"

func (s *Server) getApplication(w http.ResponseWriter, r *http.Request) {
	a, err := s.svc.GetApplication(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewApplication(a))
}
