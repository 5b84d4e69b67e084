package api

import "net/http"

func (s *Server) listDocuments(w http.ResponseWriter, r *http.Request) {
	ds, err := s.svc.ListDocuments(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(ds, viewDocument))
}
