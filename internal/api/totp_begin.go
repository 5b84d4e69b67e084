package api

import "net/http"

type totpEnrolmentView struct {
	Secret     string `json:"secret"`
	OtpauthURL string `json:"otpauth_url"`
}

// beginTOTP starts TOTP enrolment: the answer holds the secret, once, for
// the user's authenticator app.
func (s *Server) beginTOTP(w http.ResponseWriter, r *http.Request) {
	if err := s.decode(w, r, &struct{}{}, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.svc.BeginTOTP(r.Context(), user(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, totpEnrolmentView{Secret: e.Secret, OtpauthURL: e.URL})
}
