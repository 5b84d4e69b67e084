package api

import "net/http"

func (s *Server) createApplication(w http.ResponseWriter, r *http.Request) {
	var in applicationRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.svc.CreateApplication(r.Context(), user(r), in.input())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/applications/"+a.ID)
	writeJSON(w, http.StatusCreated, viewApplication(a))
}
