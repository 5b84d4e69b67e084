package portal_test

import (
	"net/http"
	"testing"
)

// BenchmarkPages measures whole page requests over loopback HTTP: the
// public home page (settings and statistics queries), a reviewer's
// application page (application, timeline, documents, applicant, live
// flags, an audit entry for the view, and the template), the applicant's
// own page, and the new-application form sent back with an error (the
// form rendered with what was typed and its error summary).
func BenchmarkPages(b *testing.B) {
	e := newEnv(b)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	a := e.apply(alice, "14.1.104.0/24", "Staff reach the office from home.", true)
	reviewer := e.browser()
	reviewer.login("reviewer@demo.test", "demo-password-1")
	applicant := e.browser()
	applicant.login("alice@example.pk", "a long password")
	anon := e.browser()
	bad := map[string]string{"category": "company_vpn", "operator_id": "ptcl", "subscriber_id": "PTCL-1",
		"addresses": "14.1.105.0/24\n10.0.0.1", "vpn_protocol": "wireguard", "purpose": "Staff reach the office."}
	for _, bb := range []struct {
		name   string
		who    *browser
		path   string
		form   map[string]string // a POST (multipart, as the form sends it) when set
		status int
	}{
		{"home", anon, "/", nil, http.StatusOK},
		{"application-as-reviewer", reviewer, "/applications/" + a.ID, nil, http.StatusOK},
		{"application-as-applicant", applicant, "/applications/" + a.ID, nil, http.StatusOK},
		{"new-application-error", applicant, "/applications", bad, http.StatusUnprocessableEntity},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				var p page
				if bb.form != nil {
					p = bb.who.multipart(bb.path, bb.form, nil)
				} else {
					p = bb.who.get(bb.path)
				}
				if p.status != bb.status {
					b.Fatalf("%s = %d", bb.path, p.status)
				}
			}
		})
	}
}
