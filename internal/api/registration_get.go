package api

import "net/http"

func (s *Server) getRegistration(w http.ResponseWriter, r *http.Request) {
	reg, err := s.svc.GetRegistration(r.Context(), user(r), r.PathValue("number"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	opts, err := s.svc.RegistrationChanges(r.Context(), user(r), reg.Number)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := viewRegistration(reg)
	v.Changes = viewChangeOptions(opts)
	writeJSON(w, http.StatusOK, v)
}
