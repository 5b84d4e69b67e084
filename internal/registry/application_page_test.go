package registry_test

import (
	"context"
	"net/netip"
	"reflect"
	"slices"
	"sync/atomic"
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

// readCounter is a Store whose transactions count their reads of what
// Tx.ApplicationView reads beside the application.
type readCounter struct {
	Store
	settings, operator, version atomic.Int64
}

type countingTx struct {
	Tx
	c *readCounter
}

func (c *readCounter) Read(ctx context.Context, fn func(Tx) error) error {
	return c.Store.Read(ctx, func(tx Tx) error { return fn(countingTx{tx, c}) })
}

func (c *readCounter) Write(ctx context.Context, fn func(Tx) error) error {
	return c.Store.Write(ctx, func(tx Tx) error { return fn(countingTx{tx, c}) })
}

func (t countingTx) Settings(ctx context.Context) (Settings, error) {
	t.c.settings.Add(1)
	return t.Tx.Settings(ctx)
}

func (t countingTx) Operator(ctx context.Context, id string) (*Operator, error) {
	t.c.operator.Add(1)
	return t.Tx.Operator(ctx, id)
}

func (t countingTx) OperatorPrefixesVersion(ctx context.Context, id string) (int64, error) {
	t.c.version.Add(1)
	return t.Tx.OperatorPrefixesVersion(ctx, id)
}

// A view of an application, and its page, take the settings and the
// operator's name and address-space version from the view's first query
// (Tx.ApplicationView) and read none of them again: each read is a round
// trip on PostgreSQL, and a pending application's view read the settings
// twice and the version once, the page the settings three times and the
// operator once more (issue 14). For every viewer of a pending
// application whose operator has a loaded space, so that the flags are
// checked against it.
func TestViewsReadTheirContextOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		b := h.applicant("company")
		ptcl, reviewer := h.staff("operator.ptcl"), h.staff("reviewer")
		if err := h.svc.LoadOperatorPrefixes(ctx, System, "ptcl", []netip.Prefix{netip.MustParsePrefix("14.1.0.0/16")}); err != nil {
			t.Fatal(err)
		}
		x, err := h.create(b, companyApp("14.1.104.0/24", "39.32.0.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.Submit(ctx, b, x.ID, nil); err != nil {
			t.Fatal(err)
		}
		c := &readCounter{Store: h.db}
		svc := NewService(c, h.cfg)
		for _, u := range []*User{b, ptcl, reviewer} {
			for _, call := range []struct {
				name string
				get  func() (*Application, error)
			}{
				{"GetApplication", func() (*Application, error) { return svc.GetApplication(ctx, u, x.ID) }},
				{"GetApplicationPage", func() (*Application, error) {
					a, _, _, err := svc.GetApplicationPage(ctx, u, x.ID)
					return a, err
				}},
			} {
				c.settings.Store(0)
				c.operator.Store(0)
				c.version.Store(0)
				a, err := call.get()
				if err != nil {
					t.Fatalf("%s, %s: %v", call.name, u.Role, err)
				}
				if !a.State.Pending() {
					t.Fatalf("%s, %s: state %s; the test needs a pending application", call.name, u.Role, a.State)
				}
				if u.Role != RoleApplicant && !slices.ContainsFunc(a.Flags, func(f Flag) bool { return f.Code == FlagOutsideOperatorSpace }) {
					t.Fatalf("%s, %s: flags %+v; want 39.32.0.0/24 flagged outside PTCL's space (the check ran)", call.name, u.Role, a.Flags)
				}
				if s, o, v := c.settings.Load(), c.operator.Load(), c.version.Load(); s+o+v != 0 {
					t.Errorf("%s by the %s read the settings %d times, the operator %d, its space's version %d; want none", call.name, u.Role, s, o, v)
				}
			}
		}
	})
}
