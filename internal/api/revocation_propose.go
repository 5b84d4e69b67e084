package api

import "net/http"

func (s *Server) proposeRevocation(w http.ResponseWriter, r *http.Request) {
	var in reasonRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	rev, err := s.svc.ProposeRevocation(r.Context(), user(r), r.PathValue("number"), in.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewRevocation(rev))
}
