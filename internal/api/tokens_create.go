package api

import "net/http"

type tokenRequest struct {
	Name          string `json:"name"`
	ExpiresInDays int    `json:"expires_in_days,omitzero"`
	Scope         string `json:"scope,omitzero"` // "" (full access) or "feed"
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var in tokenRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	secret, t, err := s.svc.CreateAPIToken(r.Context(), user(r), in.Name, in.ExpiresInDays, in.Scope)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewToken(t, secret))
}
