package api

import "net/http"

// renewRegistration files a renewal of the holder's registration: the body
// changes what is prefilled from it (addresses or numbers, subscriber,
// VPN, purpose, payment reference); the renewal is submitted at once.
func (s *Server) renewRegistration(w http.ResponseWriter, r *http.Request) {
	var in applicationRequest
	if err := s.decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.svc.Renew(r.Context(), user(r), r.PathValue("number"), in.input())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/applications/"+a.ID)
	writeJSON(w, http.StatusCreated, viewApplication(a))
}
