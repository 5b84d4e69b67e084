package api

import "net/http"

// createProvider adds a provider to the register (admins).
func (s *Server) createProvider(w http.ResponseWriter, r *http.Request) {
	var in providerRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	pin, err := in.input()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.svc.AddProvider(r.Context(), user(r), pin)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewProviderForAdmin(p))
}
