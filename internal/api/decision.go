package api

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

type decisionRequest struct {
	Decision   string `json:"decision"`
	ReasonCode string `json:"reason_code,omitzero"`
	Note       string `json:"note,omitzero"`
	ValidDays  int    `json:"valid_days,omitzero"`
}

type decisionResponse struct {
	Application  applicationView   `json:"application"`
	Registration *registrationView `json:"registration,omitempty"`
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request) {
	var in decisionRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, reg, err := s.svc.Decide(r.Context(), user(r), r.PathValue("id"),
		registry.DecisionInput{Decision: in.Decision, ReasonCode: in.ReasonCode, Note: in.Note, ValidDays: in.ValidDays})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := decisionResponse{Application: viewApplication(a)}
	if reg != nil {
		v := viewRegistration(reg)
		out.Registration = &v
	}
	writeJSON(w, http.StatusOK, out)
}
