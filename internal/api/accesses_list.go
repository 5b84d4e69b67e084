package api

import "net/http"

// listAccesses is "who viewed my data": every staff read of the
// application and its documents.
func (s *Server) listAccesses(w http.ResponseWriter, r *http.Request) {
	as, err := s.svc.Accesses(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(as, viewAccess))
}
