package api

import "net/http"

// disableTOTP turns TOTP off, on a current code, for roles that do not
// require it.
func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request) {
	var in totpCodeRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.DisableTOTP(r.Context(), user(r), in.Code); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
