package api

import (
	"net/http"
)

type appealRequest struct {
	Statement string `json:"statement"`
}

// submitAppeal is the applicant's appeal against the rejection of their
// application.
func (s *Server) submitAppeal(w http.ResponseWriter, r *http.Request) {
	var in appealRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	ap, err := s.svc.SubmitAppeal(r.Context(), user(r), r.PathValue("id"), in.Statement)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/appeals/"+ap.ID)
	writeJSON(w, http.StatusCreated, viewAppeal(ap))
}
