package api

import "net/http"

func (s *Server) listOperators(w http.ResponseWriter, r *http.Request) {
	ops, err := s.svc.ListOperators(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(ops, viewOperator))
}
