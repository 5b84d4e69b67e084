package api

import "net/http"

// adminGetProvider shows one provider to an admin: its revision (to send
// with a PATCH) and its website_warning.
func (s *Server) adminGetProvider(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.AdminProvider(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewProviderForAdmin(p))
}
