package api

import "net/http"

func (s *Server) withdrawApplication(w http.ResponseWriter, r *http.Request) {
	var in struct{}
	if err := s.decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.svc.Withdraw(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewApplication(a))
}
