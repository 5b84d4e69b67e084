package api_test

import (
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestDisguisedUploads sends the whole corpus of disguised files
// (testbin.Disguised: programs, pages, archives and office files renamed,
// polyglots, cut-off files, a PNG bomb) to the API's upload on both
// databases: each is refused (422) with a message on the file field
// saying what it is, and none leaves a row behind.
func TestDisguisedUploads(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, kind)
			alice := signup(c, "alice@disguise.pk", "company")
			id := c.want(c.do("POST", "/api/v1/applications", alice, map[string]any{
				"category": "company_vpn", "operator_id": "ptcl", "addresses": []string{"14.1.104.0/24"}}), 201).json(t)["id"].(string)
			before := snapshot(t, c)
			for _, f := range testbin.Disguised() {
				res := c.upload(alice, id, "cnic_front", f.Filename, f.Content)
				if res.status != 422 || !strings.Contains(res.errorField(t, "file"), f.Refusal) {
					t.Errorf("%s: %d %.300s; want 422 with the file field naming %q", f.Case, res.status, res.body, f.Refusal)
				}
			}
			if diff := snapshotDiff(before, snapshot(t, c)); diff != "" {
				t.Errorf("the refused uploads changed the database:\n%s", diff)
			}
		})
	}
}
