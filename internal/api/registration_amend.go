package api

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

type amendmentRequest struct {
	Add              []string `json:"add"`
	Remove           []string `json:"remove"`
	Purpose          *string  `json:"purpose"`
	PaymentReference *string  `json:"payment_reference"`
}

type amendmentResponse struct {
	Registration registrationView `json:"registration"`
	Application  *applicationView `json:"application,omitempty"`
}

// amendRegistration gives up the remove items at once and files the add
// items as an amendment: 201 with the amendment when something was added,
// 200 when the request only gave items up.
func (s *Server) amendRegistration(w http.ResponseWriter, r *http.Request) {
	var in amendmentRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	reg, a, err := s.svc.Amend(r.Context(), user(r), r.PathValue("number"),
		registry.AmendmentInput{Add: in.Add, Remove: in.Remove, Purpose: in.Purpose, PaymentReference: in.PaymentReference})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := amendmentResponse{Registration: viewRegistration(reg)}
	status := http.StatusOK
	if a != nil {
		v := viewApplication(a)
		out.Application, status = &v, http.StatusCreated
		w.Header().Set("Location", "/api/v1/applications/"+a.ID)
	}
	writeJSON(w, status, out)
}
