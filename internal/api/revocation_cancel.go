package api

import "net/http"

func (s *Server) cancelRevocation(w http.ResponseWriter, r *http.Request) {
	var in struct{}
	if err := s.decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	rev, err := s.svc.CancelRevocation(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, revocationResult{Revocation: viewRevocation(rev)})
}
