package api

import (
	"net/http"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

type verifyResponse struct {
	Number     string             `json:"number"`
	Status     registry.RegStatus `json:"status"`
	Category   registry.Category  `json:"category"`
	ValidFrom  time.Time          `json:"valid_from"`
	ValidUntil time.Time          `json:"valid_until"`
	Holder     string             `json:"holder"`
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.Verify(r.Context(), r.PathValue("number"), r.URL.Query().Get("code"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, verifyResponse{Number: p.Number, Status: p.Status, Category: p.Category,
		ValidFrom: p.ValidFrom.UTC(), ValidUntil: p.ValidUntil.UTC(), Holder: p.Holder})
}
