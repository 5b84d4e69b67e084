package api

import (
	"net/http"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

type jobView struct {
	Name                string     `json:"name"`
	About               string     `json:"about"`
	Schedule            string     `json:"schedule"`
	Running             bool       `json:"running"`
	RunningBy           string     `json:"running_by,omitempty"`
	LeaseUntil          *time.Time `json:"lease_until,omitempty"`
	Queued              bool       `json:"queued"`
	RunRequested        bool       `json:"run_requested"`
	NextRunAt           *time.Time `json:"next_run_at,omitempty"`
	LastStartedAt       *time.Time `json:"last_started_at,omitempty"`
	LastFinishedAt      *time.Time `json:"last_finished_at,omitempty"`
	LastResult          string     `json:"last_result,omitempty"`
	LastError           string     `json:"last_error,omitempty"`
	LastItems           int        `json:"last_items"`
	LastDurationSeconds float64    `json:"last_duration_seconds"`
	FailedAttempts      int        `json:"failed_attempts"`
	Runs                int        `json:"runs"`
	Failures            int        `json:"failures"`
	Items               int        `json:"items"`
}

func viewJob(in registry.JobInfo) jobView {
	st := in.State
	v := jobView{Name: st.Name, About: in.Job.About, Schedule: in.Job.Schedule.String(), Running: in.Running, Queued: in.Queued,
		RunRequested: st.RunRequestedBy != "", NextRunAt: optTime(st.NextRunAt), LastStartedAt: optTime(st.StartedAt),
		LastFinishedAt: optTime(st.FinishedAt), LastResult: st.LastResult, LastError: st.LastError, LastItems: st.LastItems,
		LastDurationSeconds: st.LastDuration.Seconds(), FailedAttempts: st.FailedAttempts, Runs: st.Runs, Failures: st.Failures, Items: st.Items}
	if in.Running {
		v.RunningBy, v.LeaseUntil = st.RunningBy, optTime(st.LeaseUntil)
	}
	return v
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	infos, err := s.svc.ListJobs(r.Context(), user(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]jobView, len(infos))
	for i, in := range infos {
		out[i] = viewJob(in)
	}
	writeJSON(w, http.StatusOK, out)
}
