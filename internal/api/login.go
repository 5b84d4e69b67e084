package api

import (
	"net/http"
	"time"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// TOTP is the authenticator code, for users with TOTP on.
	TOTP string `json:"totp,omitzero"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userView  `json:"user"`
	// TOTPEnrolmentRequired: this login may only set up TOTP (staff
	// whose role needs it and who have none yet).
	TOTPEnrolmentRequired bool `json:"totp_enrolment_required,omitempty"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in loginRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	tok, t, err := s.svc.Login(r.Context(), in.Email, in.Password, in.TOTP, clientIP(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.Authenticate(r.Context(), tok)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, loginResponse{Token: tok, ExpiresAt: t.ExpiresAt.UTC(), User: viewUser(u),
		TOTPEnrolmentRequired: u.EnrolmentOnly})
}
