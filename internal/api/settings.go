package api

import (
	"net/http"
)

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	set, err := s.svc.Settings(r.Context(), user(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, set)
}

func (s *Server) putSettings(w http.ResponseWriter, r *http.Request) {
	// Start from the current values, so a client may send only what it changes.
	set, err := s.svc.Settings(r.Context(), user(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.decode(w, r, &set, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	set, err = s.svc.UpdateSettings(r.Context(), user(r), set)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, set)
}
