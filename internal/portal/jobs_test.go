package portal_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// The admin's jobs page: every job with its schedule and last run, in
// English and Urdu; "Run now" makes a job due (the scheduler then runs it
// at its next tick) and a failed run shows its error.
func TestAdminJobsPage(t *testing.T) {
	e := newEnv(t)
	sc := e.svc.Scheduler()
	sc.Register(registry.Job{Name: "send-digest", Schedule: registry.DailyAt(7, 0, registry.PKT.Loc), About: "Staff digests.",
		Run: func(context.Context) (int, error) { return 0, errors.New("smtp: connection refused") }})
	if _, err := sc.RunDue(e.ctx); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("admin@demo.test", "demo-password-1")
	p := b.get("/admin/jobs")
	if p.status != 200 {
		t.Fatalf("jobs page = %d", p.status)
	}
	digest := func(body string) string {
		_, row, _ := strings.Cut(body, `id="job-send-digest"`)
		row, _, _ = strings.Cut(row, "</tr>")
		return row
	}
	for _, want := range []string{"expire-checks", "Every minute", "Every hour", "1 run, 0 failed, 0 items", "Succeeded", "Daily at 07:00, Pakistan time", `href="/admin/jobs"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("jobs page lacks %q", want)
		}
	}
	if row := digest(p.body); !strings.Contains(row, "Not run yet") || !strings.Contains(row, "Next run:") || !strings.Contains(row, "Staff digests.") {
		t.Errorf("digest row before a run:\n%s", row)
	}
	if p := b.post("/admin/jobs/send-digest/run", url.Values{}); p.status != 303 || p.location != "/admin/jobs?msg=job_queued" {
		t.Fatalf("run now = %d %s", p.status, p.location)
	}
	p = b.get("/admin/jobs?msg=job_queued")
	if !strings.Contains(p.body, "The job will start within a few seconds.") || !strings.Contains(digest(p.body), "Waiting to start") {
		t.Errorf("after run now:\n%s", digest(p.body))
	}
	if _, err := sc.RunDue(e.ctx); err != nil {
		t.Fatal(err)
	}
	row := digest(b.get("/admin/jobs").body)
	for _, want := range []string{"Failed", "smtp: connection refused", "Failed runs in a row: 1"} {
		if !strings.Contains(row, want) {
			t.Errorf("digest row after a failed run lacks %q:\n%s", want, row)
		}
	}
	if p := b.post("/admin/jobs/nonesuch/run", url.Values{}); p.status != 404 {
		t.Errorf("run of an unknown job = %d", p.status)
	}
	b.get("/lang/ur")
	p = b.get("/admin/jobs")
	for _, want := range []string{"پس منظر کے کام", "ابھی چلائیں", "روزانہ پاکستانی وقت کے مطابق", "جن دستاویزات کو محفوظ رکھنے کی مدت گزر گئی", "ناکام",
		"ہر منٹ", "ہر گھنٹے", "1 باری، 0 ناکام، 0 اندراجات"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("Urdu jobs page lacks %q", want)
		}
	}
	// No plural after 1, no "1 hour 0 minutes".
	for _, bad := range []string{"1 باریاں", "1 اندراجات", "گھنٹے 0 منٹ", "1 گھنٹے"} {
		if strings.Contains(p.body, bad) {
			t.Errorf("Urdu jobs page has %q", bad)
		}
	}
}
