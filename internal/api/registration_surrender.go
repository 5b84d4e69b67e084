package api

import "net/http"

type reasonRequest struct {
	Reason string `json:"reason,omitzero"`
}

func (s *Server) surrender(w http.ResponseWriter, r *http.Request) {
	var in reasonRequest
	if err := s.decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	reg, err := s.svc.Surrender(r.Context(), user(r), r.PathValue("number"), in.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewRegistration(reg))
}
