package registry_test

import (
	"reflect"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

// GetApplicationPage answers what GetApplication answers, with the public
// settings and the operator's name read in the same read, and refuses
// exactly whom GetApplication refuses.
func TestGetApplicationPage(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		b, other := h.applicant("company"), h.applicant("company")
		ptcl, nayatel, reviewer := h.staff("operator.ptcl"), h.staff("operator.nayatel"), h.staff("reviewer")
		x, err := h.create(b, companyApp("14.1.104.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Submit(ctx, b, x.ID, nil); err != nil {
			t.Fatal(err)
		}
		want, err := svc.PublicSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := svc.ListOperators(ctx)
		if err != nil {
			t.Fatal(err)
		}
		name := ""
		for _, o := range ops {
			if o.ID == "ptcl" {
				name = o.Name
			}
		}
		if name == "" || name == "ptcl" {
			t.Fatalf("the demo's PTCL has no name of its own (%q): the test could not tell a name from an id", name)
		}
		for _, u := range []*User{b, ptcl, reviewer} {
			plain, err := svc.GetApplication(ctx, u, x.ID)
			if err != nil {
				t.Fatal(err)
			}
			a, set, op, err := svc.GetApplicationPage(ctx, u, x.ID)
			if err != nil {
				t.Fatalf("%s: %v", u.Role, err)
			}
			if a.ID != plain.ID || a.State != plain.State || len(a.Events) != len(plain.Events) || (a.Documents == nil) != (plain.Documents == nil) {
				t.Errorf("%s: the page's application differs from GetApplication's", u.Role)
			}
			if !reflect.DeepEqual(set, want) {
				t.Errorf("%s: settings %+v; want the public settings %+v", u.Role, set, want)
			}
			if op != name {
				t.Errorf("%s: operator name %q; want %q", u.Role, op, name)
			}
		}
		for _, u := range []*User{other, nayatel} {
			if _, _, _, err := svc.GetApplicationPage(ctx, u, x.ID); ErrorCode(err) != ENOTFOUND {
				t.Errorf("%s of another account or operator: %v; want ENOTFOUND", u.Role, err)
			}
		}
	})
}
