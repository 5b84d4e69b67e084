package api

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

// listProviders serves the public register: JSON, or CSV with
// ?format=csv (GET /api/v1/providers.csv is the same file).
func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		s.writeError(w, r, registry.FieldErrors{"format": `must be "json" or "csv", or left out for JSON`}.Err())
		return
	}
	ps, err := s.svc.ListProviders(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == "csv" {
		WriteProvidersCSV(w, ps)
		return
	}
	writeJSON(w, http.StatusOK, list(ps, viewProvider))
}

func (s *Server) listProvidersCSV(w http.ResponseWriter, r *http.Request) {
	ps, err := s.svc.ListProviders(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	WriteProvidersCSV(w, ps)
}
