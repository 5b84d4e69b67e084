package api

import "net/http"

// resendEmailVerification mails the user a new verification link.
func (s *Server) resendEmailVerification(w http.ResponseWriter, r *http.Request) {
	if err := s.decode(w, r, &struct{}{}, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.ResendEmailVerification(r.Context(), user(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "sent"})
}
