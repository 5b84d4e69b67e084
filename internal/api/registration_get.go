package api

import "net/http"

func (s *Server) getRegistration(w http.ResponseWriter, r *http.Request) {
	reg, err := s.svc.GetRegistration(r.Context(), user(r), r.PathValue("number"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewRegistration(reg))
}
