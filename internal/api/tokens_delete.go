package api

import "net/http"

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.DeleteToken(r.Context(), user(r), r.PathValue("id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
