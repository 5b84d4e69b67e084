package registry_test

import (
	"fmt"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

// A check shows what its operator was asked to confirm, not what the
// application says now (tester's report on issue 11 §6): application X by
// B is confirmed by PTCL, returned, moved to Nayatel and edited; PTCL's
// checks, of every state, still show PTCL's subscriber ID and the old
// addresses, and PTCL can no longer read X itself, while Nayatel's new
// check shows the new data.
func TestCheckShowsWhatOperatorWasAsked(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		b := h.applicant("company")
		ptcl, nayatel, reviewer := h.staff("operator.ptcl"), h.staff("operator.nayatel"), h.staff("reviewer")
		x, err := h.create(b, companyApp("14.1.104.0/24", "14.1.105.7"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Submit(ctx, b, x.ID, nil); err != nil {
			t.Fatal(err)
		}
		cs, err := svc.ListChecks(ctx, ptcl, CheckPending)
		if err != nil || len(cs) != 1 {
			t.Fatalf("PTCL's pending checks = %v, %v", cs, err)
		}
		confirmed, err := svc.AnswerCheck(ctx, ptcl, cs[0].ID, "confirmed", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Decide(ctx, reviewer, x.ID, DecisionInput{Decision: "return", Note: "Your circuit is with Nayatel now?"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UpdateApplication(ctx, b, x.ID, ApplicationInput{OperatorID: ptr("nayatel"), SubscriberID: ptr("NTL-9001"),
			Addresses: ptr([]string{"14.1.200.0/24"})}); err != nil {
			t.Fatal(err)
		}
		if x, err = svc.Submit(ctx, b, x.ID, nil); err != nil || x.State != StateOperatorCheck {
			t.Fatalf("resubmit to Nayatel = %v, %v", x, err)
		}

		asked := func(c *Check) string {
			return fmt.Sprintf("%s|%s|%s|%v%v", c.Category, c.SubscriberID, c.HolderName, c.Addresses, c.MobileNumbers)
		}
		wantPTCL := "company_vpn|PTCL-0042-771|" + x.HolderName + "|[14.1.104.0/24 14.1.105.7/32][]"
		if got := asked(confirmed); got != wantPTCL {
			t.Errorf("PTCL's answer returned %s, want %s", got, wantPTCL)
		}
		for _, st := range []CheckState{CheckConfirmed, CheckPending, CheckDisputed} {
			cs, err := svc.ListChecks(ctx, ptcl, st)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if got := asked(c); c.ApplicationID == x.ID && got != wantPTCL {
					t.Errorf("PTCL's %s checks show X as %s, want what PTCL was asked: %s", st, got, wantPTCL)
				}
			}
			if st == CheckConfirmed && len(cs) != 1 {
				t.Errorf("PTCL's confirmed checks = %d, want 1", len(cs))
			}
		}
		if _, err := svc.GetApplication(ctx, ptcl, x.ID); ErrorCode(err) != ENOTFOUND {
			t.Errorf("PTCL reads X, now with Nayatel: %v, want not found", err)
		}
		cs, err = svc.ListChecks(ctx, nayatel, CheckPending)
		if err != nil || len(cs) != 1 {
			t.Fatalf("Nayatel's pending checks = %v, %v", cs, err)
		}
		if got, want := asked(cs[0]), "company_vpn|NTL-9001|"+x.HolderName+"|[14.1.200.0/24][]"; got != want {
			t.Errorf("Nayatel's check = %s, want %s", got, want)
		}
	})
}
