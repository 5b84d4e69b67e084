package api

import "net/http"

// listInvitations lists the unclaimed invitations for admins: never a token.
func (s *Server) listInvitations(w http.ResponseWriter, r *http.Request) {
	list, err := s.svc.PendingInvitations(r.Context(), user(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": list})
}
