package api

import "net/http"

func (s *Server) deleteDocument(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.DeleteDocument(r.Context(), user(r), r.PathValue("id"), r.PathValue("doc")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
