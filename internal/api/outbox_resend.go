package api

import "net/http"

// resendOutboxMessage puts a failed message back in the queue.
func (s *Server) resendOutboxMessage(w http.ResponseWriter, r *http.Request) {
	if err := s.decode(w, r, &struct{}{}, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	e, err := s.svc.ResendOutbox(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}
