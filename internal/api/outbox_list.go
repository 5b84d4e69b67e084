package api

import "net/http"

// listOutbox lists outbox messages for admins: template, masked recipient,
// state, attempts and last error, never a body.
func (s *Server) listOutbox(w http.ResponseWriter, r *http.Request) {
	list, err := s.svc.ListOutbox(r.Context(), user(r), r.URL.Query().Get("state"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": list})
}
