package portal_test

import (
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// TestMultipartRefusesNULAndBadUTF8: a multipart form (the application
// form with its address file, an operator's prefixes) with a NUL or invalid
// UTF-8 in a text field is refused (400 or 422) with a message naming the
// field, and nothing is stored.
func TestMultipartRefusesNULAndBadUTF8(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	admin := e.browser()
	admin.login("admin@demo.test", "demo-password-1")
	before, err := e.svc.ListApplications(e.ctx, alice, registry.AppFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ name, value string }{{"NUL", "Branch\x00offices"}, {"invalid UTF-8", "Branch \xff offices"}} {
		for _, tt := range []struct {
			who         *browser
			path, field string
			label       string
			values      url.Values
		}{
			{b, "/applications", "purpose", "purpose", url.Values{"category": {"company_vpn"}, "operator_id": {"ptcl"}, "subscriber_id": {"PTCL-9"},
				"addresses": {"14.1.110.0/24"}, "vpn_protocol": {"ipsec"}, "vpn_endpoints": {"vpn.example.pk"}, "purpose": {"Branch offices."}}},
			{admin, "/admin/operators/ptcl/prefixes", "prefixes", "prefixes", url.Values{"prefixes": {"14.0.0.0/8"}}},
		} {
			t.Run(bad.name+" "+tt.path, func(t *testing.T) {
				fields := map[string]string{}
				for k, v := range tt.values {
					fields[k] = v[0]
				}
				fields[tt.field] = bad.value
				p := tt.who.multipart(tt.path, fields, nil)
				if p.status != 400 && p.status != 422 {
					t.Fatalf("status %d, want 400 or 422", p.status)
				}
				if !strings.Contains(strings.ToLower(html.UnescapeString(errorsOf(p.body))), tt.label) {
					t.Errorf("the refusal does not name the field %q: %.600s", tt.label, errorsOf(p.body))
				}
			})
		}
	}
	after, err := e.svc.ListApplications(e.ctx, alice, registry.AppFilter{})
	if err != nil || len(after) != len(before) {
		t.Errorf("applications after the refused forms: %d (%v), before %d", len(after), err, len(before))
	}
}
