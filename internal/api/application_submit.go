package api

import "net/http"

type submitRequest struct {
	PaymentReference *string `json:"payment_reference"`
}

func (s *Server) submitApplication(w http.ResponseWriter, r *http.Request) {
	var in submitRequest
	if err := s.decode(w, r, &in, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.svc.Submit(r.Context(), user(r), r.PathValue("id"), in.PaymentReference)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewApplication(a))
}
