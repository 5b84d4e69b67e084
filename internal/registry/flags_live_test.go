package registry_test

import (
	"strings"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

// A pending application's overlap flag names the other application as it
// is when read, not as it was at the submission: its state of now, its
// registration once approved, no flag once it has left. Staff read which
// application it is; the applicant never (issue 12).
func TestOverlapFlagsLive(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		reviewer := h.staff("reviewer")
		bob, other := h.inReview("14.1.104.0/24") // bob's, in review
		alice := h.applicant("company")
		a, err := h.create(alice, companyApp("14.1.104.5"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.Submit(h.ctx, alice, a.ID, nil); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			step  string
			do    func() error
			state State // the other application's state the reviewer reads; "" for no flag
			reg   bool  // with its registration
		}{
			{"submitted", func() error { return nil }, StateReview, false},
			{"other returned", func() error {
				_, _, err := h.svc.Decide(h.ctx, reviewer, other.ID, DecisionInput{Decision: "return", Note: "Name the office."})
				return err
			}, StateReturned, false},
			{"other resubmitted", func() error { _, err := h.svc.Submit(h.ctx, bob, other.ID, nil); return err }, StateReview, false},
			{"other approved", func() error {
				_, _, err := h.svc.Decide(h.ctx, reviewer, other.ID, DecisionInput{Decision: "approve"})
				return err
			}, StateApproved, true},
		} {
			if err := tt.do(); err != nil {
				t.Fatalf("%s: %v", tt.step, err)
			}
			for _, viewer := range []*User{reviewer, alice} {
				got, err := h.svc.GetApplication(h.ctx, viewer, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				var overlaps []Flag
				for _, f := range got.Flags {
					if f.Code == FlagOverlap {
						overlaps = append(overlaps, f)
					}
				}
				if len(overlaps) != 1 {
					t.Fatalf("%s: %s reads %d overlap flags: %+v", tt.step, viewer.Role, len(overlaps), got.Flags)
				}
				f := overlaps[0]
				if viewer == alice {
					if f.With != nil || strings.Contains(f.Detail, other.ID) || strings.Contains(f.Detail, string(tt.state)) {
						t.Errorf("%s: the applicant reads of the other account's application: %+v", tt.step, f)
					}
					continue
				}
				if f.With == nil || f.With.ApplicationID != other.ID || f.With.State != tt.state || (f.With.Registration != "") != tt.reg {
					t.Errorf("%s: the reviewer reads %+v, want application %s in state %s (registration %v)", tt.step, f.With, other.ID, tt.state, tt.reg)
				}
				if !tt.reg && !strings.Contains(f.Detail, other.ID+" ("+string(tt.state)+")") {
					t.Errorf("%s: the reviewer's detail %q does not name %s (%s)", tt.step, f.Detail, other.ID, tt.state)
				}
			}
		}
		// Once the other application has left (withdrawn), no flag.
		carol := h.applicant("company")
		c, err := h.create(carol, companyApp("14.1.105.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.Submit(h.ctx, carol, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		d, err := h.create(alice, companyApp("14.1.105.7"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.Submit(h.ctx, alice, d.ID, nil); err != nil {
			t.Fatal(err)
		}
		count := func() int {
			got, err := h.svc.GetApplication(h.ctx, reviewer, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, f := range got.Flags {
				if f.Code == FlagOverlap {
					n++
				}
			}
			return n
		}
		if n := count(); n != 1 {
			t.Fatalf("before the withdrawal: %d overlap flags, want 1", n)
		}
		if _, err := h.svc.Withdraw(h.ctx, carol, c.ID); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 0 {
			t.Errorf("after the other application's withdrawal: %d overlap flags, want none", n)
		}
	})
}
