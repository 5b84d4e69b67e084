package portal

import (
	"fmt"
	"net/http"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// jobRow is one background job as the admin page shows it.

// JobAbout says what a job does in the page's language; a job the portal
// has no text for shows the registry's English sentence.
func (v *view) JobAbout(j registry.Job) string {
	switch j.Name {
	case "expire-checks":
		return v.T("Applications whose operator check is past its deadline go to review, marked as not answered by the operator.")
	case "expire-registrations":
		return v.T("Registrations past their validity expire and leave the allowlist.")
	case "clean-tokens":
		return v.T("Expired login and API tokens, and old records of login attempts, are deleted.")
	case "purge-documents":
		return v.T("Documents past the retention period have their contents deleted.")
	case "sweep-documents":
		return v.T("Document files that no application names, and files of uploads that were cut off, are deleted once they are an hour old.")
	case "escalate-overdue":
		return v.T("Applications and appeals past their due time are escalated to supervisors, once each.")
	case "deliver-outbox":
		return v.T("Waiting e-mails and text messages are sent; one that fails is tried again later, then shown under Outgoing messages.")
	case "send-reminders":
		return v.T("Holders are reminded 30 and 7 days before their registration expires.")
	case "send-digests":
		return v.T("Reviewers and supervisors get a daily summary of overdue applications.")
	case "purge-outbox":
		return v.T("Records of messages sent longer ago than the keep period are deleted.")
	case "stats-rollup":
		return v.T("The public statistics of this month and the month before are rebuilt, and any month never built.")
	}
	return j.About
}

// JobSchedule words a job's schedule.
func (v *view) JobSchedule(sc registry.Schedule) string {
	switch e := sc.Every; {
	case e <= 0:
	case e == time.Second:
		return v.T("Every second")
	case e < time.Minute && e%time.Second == 0:
		return v.T("Every %d seconds", int(e/time.Second))
	case e == time.Hour:
		return v.T("Every hour")
	case e%time.Hour == 0:
		return v.T("Every %d hours", int(e/time.Hour))
	case e == time.Minute:
		return v.T("Every minute")
	case e%time.Minute == 0 && e < 2*time.Hour:
		return v.T("Every %d minutes", int(e/time.Minute))
	default:
		return v.T("Every %s", v.Duration(e))
	}
	return v.T("Daily at %s, Pakistan time", fmt.Sprintf("%02d:%02d", sc.Minute/60, sc.Minute%60))
}

func (s *Server) adminJobs(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	infos, err := s.svc.ListJobs(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_jobs", &view{Title: "Background jobs", User: u, D: map[string]any{"Jobs": infos}})
}

// adminJobRun asks for a run of a job now (audited by the registry); one
// replica's scheduler starts it within seconds.
func (s *Server) adminJobRun(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	if _, err := form(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.svc.RunJobNow(r.Context(), u, r.PathValue("name")); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/jobs?msg=job_queued", http.StatusSeeOther)
}

// JobTotals words a job's runs, failures and items over all runs, with
// the singular for 1 ("1 run", Urdu "1 باری", not "1 باریاں").
func (v *view) JobTotals(st *registry.JobState) string {
	sep := listWord(v.Lang, ", ")
	return v.N("%d runs", st.Runs) + sep + v.T("%d failed", st.Failures) + sep + v.N("%d items", st.Items)
}
