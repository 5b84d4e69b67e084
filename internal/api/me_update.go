package api

import "net/http"

// updateMe changes the user's own preferences: the language of messages.
func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Lang *string `json:"lang"`
	}
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.Lang != nil {
		if _, err := s.svc.SetLanguage(r.Context(), user(r), *in.Lang); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.me(w, r)
}
