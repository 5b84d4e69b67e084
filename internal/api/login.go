package api

import (
	"net/http"
	"time"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// TOTP is accepted for forward compatibility; second factors arrive
	// with the portal (TOTP enrolment for staff).
	TOTP string `json:"totp"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userView  `json:"user"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in loginRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	tok, t, err := s.svc.Login(r.Context(), in.Email, in.Password, clientIP(r))
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
