package registry_test

import (
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

// rejectAndAppeal has a new applicant's application rejected by the first
// supervisor and appealed, and returns the applicant, application and appeal.
func (h *harness) rejectAndAppeal(addr, statement string) (*User, *Application, *Appeal) {
	h.t.Helper()
	alice, a := h.inReview(addr)
	if _, _, err := h.svc.Decide(h.ctx, h.staff("supervisor"), a.ID, DecisionInput{Decision: "reject", ReasonCode: "insufficient_purpose"}); err != nil {
		h.t.Fatal(err)
	}
	ap, err := h.svc.SubmitAppeal(h.ctx, alice, a.ID, statement)
	if err != nil {
		h.t.Fatal(err)
	}
	return alice, a, ap
}

// A pending appeal stands in the way of deleting the account, as an
// application in progress does; a correct password refused so does not
// count towards the limit; once the appeal is decided the account can go,
// and the statement goes with it.
func TestDeleteAccountWithPendingAppeal(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		sup2 := h.secondSupervisor()
		alice, a, ap := h.rejectAndAppeal("14.1.104.0/24", "Our head office ERP, Muhammad Ali Jinnah Road 12.")

		// Refused, naming the application and saying to wait; six times
		// with the right password, more than the 5 wrong ones allowed.
		for i := 0; i < 6; i++ {
			_, err := svc.DeleteAccount(ctx, alice, "a long password", true)
			wantCode(t, err, ECONFLICT, "appeal", a.ID, "wait for the supervisor's decision")
		}
		// Wrong passwords still count.
		for i := 0; i < 5; i++ {
			_, err := svc.DeleteAccount(ctx, alice, "not my password", true)
			wantCode(t, err, EINVALID, "password")
		}
		_, err := svc.DeleteAccount(ctx, alice, "not my password", true)
		wantCode(t, err, ETOOMANY)
		h.clock.Add(16 * 60 * 1e9)

		if _, _, _, err := svc.DecideAppeal(ctx, sup2, ap.ID, AppealDecisionInput{Decision: "uphold", Note: "The purpose is still not shown."}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.DeleteAccount(ctx, alice, "a long password", true); err != nil {
			t.Fatal(err)
		}
		got, err := svc.GetAppeal(ctx, sup2, ap.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Statement != "" || got.HolderName != "" {
			t.Errorf("after deletion the appeal keeps statement %q, holder %q", got.Statement, got.HolderName)
		}
		if got.Note == "" || got.State != AppealUpheld {
			t.Errorf("the registry's own decision went too: %+v", got)
		}
	})
}

// A surrendered registration's reason, in the holder's words, is erased
// with the account.
func TestDeleteAccountErasesSurrenderReason(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		alice := h.applicant("company")
		a, err := h.create(alice, companyApp("14.1.104.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		r := h.approve(alice, a)
		if _, err := svc.Surrender(ctx, alice, r.Number, "moving to Karachi office of Ali Khan"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.DeleteAccount(ctx, alice, "a long password", true); err != nil {
			t.Fatal(err)
		}
		got, err := svc.GetRegistration(ctx, h.staff("reviewer"), r.Number)
		if err != nil {
			t.Fatal(err)
		}
		if got.EndReason != "" || got.Status != RegSurrendered {
			t.Errorf("after deletion: status %s, reason %q", got.Status, got.EndReason)
		}
	})
}

// Defence in depth: were an account erased with an appeal pending (an
// older release allowed it), the appeal cannot approve or return the
// application; upholding stays possible.
func TestAppealOfErasedAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		sup2 := h.secondSupervisor()
		_, a, ap := h.rejectAndAppeal("14.1.104.0/24", "Please look again.")
		if err := h.db.Write(ctx, func(tx Tx) error { return tx.EraseAccount(ctx, a.AccountID, h.clock.Now()) }); err != nil {
			t.Fatal(err)
		}
		for _, outcome := range []string{OutcomeApprove, OutcomeReturn} {
			in := AppealDecisionInput{Decision: "overturn", Outcome: outcome}
			if outcome == OutcomeReturn {
				in.Note = "Add the contract."
			}
			_, _, _, err := svc.DecideAppeal(ctx, sup2, ap.ID, in)
			wantCode(t, err, ECONFLICT, "deleted", a.ID)
		}
		regs, err := svc.ListRegistrations(ctx, sup2, RegFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range regs {
			if r.ApplicationID == a.ID {
				t.Fatalf("a registration was made for the erased account: %+v", r)
			}
		}
		got, _, _, err := svc.DecideAppeal(ctx, sup2, ap.ID, AppealDecisionInput{Decision: "uphold", Note: "The account is gone."})
		if err != nil || got.State != AppealUpheld {
			t.Fatalf("uphold: %+v, %v", got, err)
		}
	})
}

// The export holds the applicant's appeals (statement, decision), their
// audit entries, and a supervisor's reading of the appeal is a view of
// the application in "who viewed my data", in the export and on the
// application's accesses.
func TestExportAndAccessesIncludeAppeals(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		sup2 := h.secondSupervisor()
		alice, a, ap := h.rejectAndAppeal("14.1.104.0/24", "The ERP of our head office.")
		if _, err := svc.GetAppeal(ctx, sup2, ap.ID); err != nil {
			t.Fatal(err)
		}
		x, err := svc.ExportData(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		var got *Application
		for _, xa := range x.Applications {
			if xa.ID == a.ID {
				got = xa
			}
		}
		if got == nil || len(got.Appeals) != 1 || got.Appeals[0].ID != ap.ID || got.Appeals[0].Statement != "The ERP of our head office." {
			t.Fatalf("exported application %+v; want its appeal", got)
		}
		wantAppealView := func(what string, as []Access) {
			t.Helper()
			n := 0
			for _, ac := range as {
				if ac.Action == "appeal.viewed" && ac.ActorID == sup2.ID && ac.ActorRole == RoleSupervisor {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s: %d appeal views in %+v; want 1", what, n, as)
			}
		}
		wantAppealView("export accesses", x.Accesses[a.ID])
		as, err := svc.Accesses(ctx, alice, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantAppealView("application accesses", as)
		found := false
		for _, e := range x.Audit {
			if e.ObjectType == "appeal" && e.ObjectID == ap.ID && e.Action == "appeal.viewed" {
				found = true
			}
		}
		if !found {
			t.Error("the export's audit entries leave out the appeal's")
		}
	})
}
