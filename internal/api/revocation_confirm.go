package api

import "net/http"

type revocationResult struct {
	Revocation   revocationView    `json:"revocation"`
	Registration *registrationView `json:"registration,omitempty"`
}

func (s *Server) confirmRevocation(w http.ResponseWriter, r *http.Request) {
	var in struct{}
	if err := s.decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	rev, reg, err := s.svc.ConfirmRevocation(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := viewRegistration(reg)
	writeJSON(w, http.StatusOK, revocationResult{Revocation: viewRevocation(rev), Registration: &v})
}
