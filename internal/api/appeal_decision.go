package api

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

type appealDecisionRequest struct {
	Decision  string `json:"decision"`
	Outcome   string `json:"outcome,omitzero"`
	Note      string `json:"note,omitzero"`
	ValidDays int    `json:"valid_days,omitzero"`
}

type appealDecisionResponse struct {
	Appeal       appealView        `json:"appeal"`
	Application  applicationView   `json:"application"`
	Registration *registrationView `json:"registration,omitempty"`
}

// decideAppeal is a supervisor's decision on an appeal.
func (s *Server) decideAppeal(w http.ResponseWriter, r *http.Request) {
	var in appealDecisionRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	ap, a, reg, err := s.svc.DecideAppeal(r.Context(), user(r), r.PathValue("id"),
		registry.AppealDecisionInput{Decision: in.Decision, Outcome: in.Outcome, Note: in.Note, ValidDays: in.ValidDays})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := appealDecisionResponse{Appeal: viewAppeal(ap), Application: viewApplication(a)}
	if reg != nil {
		v := viewRegistration(reg)
		out.Registration = &v
	}
	writeJSON(w, http.StatusOK, out)
}
