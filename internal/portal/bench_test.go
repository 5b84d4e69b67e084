package portal_test

import (
	"net/http"
	"testing"
)

// BenchmarkPages measures whole page requests over loopback HTTP: the
// public home page (settings and statistics queries) and a reviewer's
// application page (application, timeline, documents, applicant, an audit
// entry for the view, and the template).
func BenchmarkPages(b *testing.B) {
	e := newEnv(b)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	a := e.apply(alice, "14.1.104.0/24", "Staff reach the office from home.", true)
	reviewer := e.browser()
	reviewer.login("reviewer@demo.test", "demo-password-1")
	anon := e.browser()
	for _, bb := range []struct {
		name string
		who  *browser
		path string
	}{{"home", anon, "/"}, {"application-as-reviewer", reviewer, "/applications/" + a.ID}} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if p := bb.who.get(bb.path); p.status != http.StatusOK {
					b.Fatalf("%s = %d", bb.path, p.status)
				}
			}
		})
	}
}
