package api

import "net/http"

// runJob asks for a run of a background job now; one replica's scheduler
// starts it within seconds, so the answer is 202 with the job as queued.
func (s *Server) runJob(w http.ResponseWriter, r *http.Request) {
	var body struct{}
	if err := s.decode(w, r, &body, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	job, err := s.svc.RunJobNow(r.Context(), user(r), r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, viewJob(job))
}
