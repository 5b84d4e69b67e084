package api

import "net/http"

// createInvitations invites users (an import's new holders) to claim
// their accounts, or renews their invitations.
func (s *Server) createInvitations(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UserIDs []string `json:"user_ids"`
	}
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.svc.InviteUsers(r.Context(), user(r), in.UserIDs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"invited": n})
}
