package api

import "net/http"

type totpCodeRequest struct {
	Code string `json:"code"`
}

// confirmTOTP turns TOTP on with a first code; a login that could only set
// up TOTP becomes a full session, with the same token.
func (s *Server) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	var in totpCodeRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.svc.ConfirmTOTP(r.Context(), user(r), token(r), in.Code); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
