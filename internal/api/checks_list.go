package api

import (
	"net/http"
	"slices"

	"github.com/ipreg/ipreg/internal/registry"
)

func (s *Server) listChecks(w http.ResponseWriter, r *http.Request) {
	state := registry.CheckState(r.URL.Query().Get("state"))
	switch state {
	case "", registry.CheckPending, registry.CheckConfirmed, registry.CheckDisputed, registry.CheckExpired, registry.CheckCancelled:
	default:
		s.writeError(w, r, registry.FieldErrors{"state": "must be one of pending, confirmed, disputed, expired, cancelled"}.Err())
		return
	}
	cs, err := s.svc.ListChecks(r.Context(), user(r), state)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// application_id picks one application's check out of the queue, as a
	// script that filed it needs (never "the first pending one").
	if app := r.URL.Query().Get("application_id"); app != "" {
		cs = slices.DeleteFunc(cs, func(c *registry.Check) bool { return c.ApplicationID != app })
	}
	writeJSON(w, http.StatusOK, list(cs, viewCheck))
}
