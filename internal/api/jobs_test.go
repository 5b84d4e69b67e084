package api_test

import (
	"strings"
	"testing"
)

// testJobs: admins list the background jobs and ask for a run now; other
// roles may not; an unknown job is 404 naming the real ones.
func testJobs(t *testing.T, c *client) {
	admin, reviewer := c.login("admin@demo.test"), c.login("reviewer@demo.test")
	jobs := c.want(c.do("GET", "/api/v1/admin/jobs", admin, nil), 200).list(t)
	var names []string
	for _, j := range jobs {
		names = append(names, j["name"].(string))
		if j["schedule"] == "" || j["about"] == "" {
			t.Errorf("job %v", j)
		}
	}
	if got := strings.Join(names, ","); got != "expire-checks,expire-registrations,clean-tokens,purge-documents,sweep-documents,escalate-overdue,deliver-outbox,send-reminders,send-digests,purge-outbox,stats-rollup" {
		t.Errorf("jobs = %s", got)
	}
	c.want(c.do("GET", "/api/v1/admin/jobs", reviewer, nil), 403)
	c.want(c.do("POST", "/api/v1/admin/jobs/clean-tokens/run", reviewer, nil), 403)
	res := c.want(c.do("POST", "/api/v1/admin/jobs/nonesuch/run", admin, nil), 404)
	if !strings.Contains(string(res.body), "clean-tokens") {
		t.Errorf("404 does not name the jobs: %s", res.body)
	}
	c.want(c.do("POST", "/api/v1/admin/jobs/clean-tokens/run", admin, map[string]any{"when": "now"}), 400)
	j := c.want(c.do("POST", "/api/v1/admin/jobs/clean-tokens/run", admin, map[string]any{}), 202).json(t)
	if j["name"] != "clean-tokens" || j["queued"] != true || j["run_requested"] != true {
		t.Errorf("run now = %v", j)
	}
}
