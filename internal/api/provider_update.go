package api

import "net/http"

// updateProvider changes a provider's fields, its status among them:
// the register has no delete (registry.Service.UpdateProvider says why).
func (s *Server) updateProvider(w http.ResponseWriter, r *http.Request) {
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
	p, err := s.svc.UpdateProvider(r.Context(), user(r), r.PathValue("id"), pin)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewProviderForAdmin(p))
}
