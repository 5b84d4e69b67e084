package api

import "net/http"

func (s *Server) updateApplication(w http.ResponseWriter, r *http.Request) {
	var in applicationRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.svc.UpdateApplication(r.Context(), user(r), r.PathValue("id"), in.input())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewApplication(a))
}
