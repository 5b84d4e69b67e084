package api

import "net/http"

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.Me(r.Context(), user(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, profileView{User: viewUser(p.User), Account: viewAccount(p.Account), Operator: viewOperator(p.Operator),
		TOTPRequired: p.TOTPRequired, EnrolmentOnly: p.User.EnrolmentOnly})
}
