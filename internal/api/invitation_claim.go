package api

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

// claimInvitation sets the password of an invited (imported) holder's
// account and logs it in: the answer is a login's.
func (s *Server) claimInvitation(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
		Email    string `json:"email,omitzero"`
	}
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	tok, t, err := s.svc.ClaimInvitation(r.Context(), registry.ClaimInput{Token: in.Token, Password: in.Password, Email: in.Email, ClientIP: clientIP(r)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.Authenticate(r.Context(), tok)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, loginResponse{Token: tok, ExpiresAt: t.ExpiresAt.UTC(), User: viewUser(u)})
}
