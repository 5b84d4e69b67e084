package portal_test

import (
	"html"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/testbin"
)

// TestDisguisedUploads sends the corpus of disguised files
// (testbin.Disguised) through the portal's upload form: each is refused
// on the page (422) with the message saying what the file is, and the
// application keeps exactly the documents it had.
func TestDisguisedUploads(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	a := e.apply(alice, "14.1.104.0/24", "Staff reach the office from home.", false)
	before, err := e.svc.ListDocuments(e.ctx, alice, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	for _, f := range testbin.Disguised() {
		p := b.multipart("/applications/"+a.ID+"/documents", map[string]string{"kind": "cnic_front"},
			map[string][2]string{"file": {f.Filename, string(f.Content)}})
		if p.status != 422 || !strings.Contains(html.UnescapeString(p.body), f.Refusal) {
			t.Errorf("%s: upload = %d, want 422 saying %q", f.Case, p.status, f.Refusal)
		}
	}
	after, err := e.svc.ListDocuments(e.ctx, alice, a.ID)
	if err != nil || len(after) != len(before) {
		t.Errorf("documents after the refused uploads: %d (%v), before %d", len(after), err, len(before))
	}
}
