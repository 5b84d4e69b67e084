package api

import "net/http"

// invitationLink renews a user's invitation and returns its link, shown
// this once, for an admin to hand out.
func (s *Server) invitationLink(w http.ResponseWriter, r *http.Request) {
	if err := s.decode(w, r, &struct{}{}, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	link, err := s.svc.InvitationLink(r.Context(), user(r), r.PathValue("user"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, link)
}
