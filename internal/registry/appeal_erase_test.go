package registry_test

import (
	"strings"
	"testing"
	"time"

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

// A deadline given at the rejection does not move when an admin changes
// appeal_days: not for a rejection taken with the deadline stored, nor
// for one from before it was stored (its deadline is fixed with the
// setting it had when the setting changes). The message, the API's
// appeal_by and the refusal agree.
func TestAppealDeadlineFixedAtRejection(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		ctx, svc, admin := h.ctx, h.svc, h.staff("admin")
		alice, a := h.inReview("14.1.104.0/24")
		bob, b := h.inReview("36.255.32.0/24")
		for _, id := range []string{a.ID, b.ID} {
			if _, _, err := svc.Decide(ctx, h.staff("reviewer"), id, DecisionInput{Decision: "reject", ReasonCode: "fee_unpaid"}); err != nil {
				t.Fatal(err)
			}
		}
		decided := h.clock.Now()
		want := decided.AddDate(0, 0, 30)
		// b as an older release left it: no stored deadline.
		if err := h.db.Write(ctx, func(tx Tx) error {
			old, err := tx.Application(ctx, b.ID, true)
			if err != nil {
				return err
			}
			old.AppealDeadline = time.Time{}
			return tx.UpdateApplication(ctx, old)
		}); err != nil {
			t.Fatal(err)
		}
		h.deliver()
		mails, _ := h.box.take()
		day := want.In(PKT.Loc).Format("2006-01-02")
		told := 0
		for _, m := range mails {
			if strings.Contains(m.Text, "appeal until") {
				told++
				if !strings.Contains(m.Text, "appeal until "+day) {
					t.Errorf("rejection message does not give %s: %s", day, m.Text)
				}
			}
		}

		if told != 2 {
			t.Errorf("%d rejection e-mails; want 2", told)
		}
		set, err := svc.Settings(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		set.AppealDays = 1
		if _, err := svc.UpdateSettings(ctx, admin, set); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			u  *User
			id string
		}{{alice, a.ID}, {bob, b.ID}} {
			got, err := svc.GetApplication(ctx, c.u, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if !got.AppealBy.Equal(want) {
				t.Errorf("%s: appeal by %s after appeal_days=1; want %s as told at the rejection", c.id, got.AppealBy, want)
			}
		}
		// Two days on, still in time for both.
		h.clock.Add(2 * 24 * time.Hour)
		if _, err := svc.SubmitAppeal(ctx, alice, a.ID, "Paid, the receipt is attached."); err != nil {
			t.Fatalf("appeal within the deadline given: %v", err)
		}
		// Past the deadline given: refused, and the message says how long it was.
		h.clock.Add(29 * 24 * time.Hour)
		_, err = svc.SubmitAppeal(ctx, bob, b.ID, "Paid.")
		wantCode(t, err, ECONFLICT, "time to appeal ended on "+want.In(PKT.Loc).Format("2006-01-02"), "30 days")

		// A rejection now gets the new setting.
		carol, c := h.inReview("14.1.106.0/24")
		if _, _, err := svc.Decide(ctx, h.staff("reviewer"), c.ID, DecisionInput{Decision: "reject", ReasonCode: "fee_unpaid"}); err != nil {
			t.Fatal(err)
		}
		got, err := svc.GetApplication(ctx, carol, c.ID)
		if err != nil || !got.AppealBy.Equal(h.clock.Now().AddDate(0, 0, 1)) {
			t.Errorf("new rejection: appeal by %s, %v; want a day after it", got.AppealBy, err)
		}
	})
}

// The queue's overdue filter: true keeps what is past its SLA due time,
// false what is not, unset both; each item says whether it is overdue.
func TestReviewQueueOverdueFilter(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc, reviewer := h.ctx, h.svc, h.staff("reviewer")
		_, a := h.inReview("14.1.104.0/24")
		h.clock.Add(a.SLADueAt.Add(time.Minute).Sub(h.clock.Now()))
		_, b := h.inReview("14.1.106.0/24")
		yes, no := true, false
		for _, c := range []struct {
			overdue *bool
			want    map[string]bool
		}{
			{nil, map[string]bool{a.ID: true, b.ID: false}},
			{&yes, map[string]bool{a.ID: true}},
			{&no, map[string]bool{b.ID: false}},
		} {
			q, err := svc.ReviewQueue(ctx, reviewer, QueueFilter{Overdue: c.overdue})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, x := range q {
				got[x.ID] = x.Overdue
			}
			if len(got) != len(c.want) {
				t.Errorf("overdue=%v: queue %v; want %v", c.overdue, got, c.want)
			}
			for id, od := range c.want {
				if g, ok := got[id]; !ok || g != od {
					t.Errorf("overdue=%v: queue %v; want %v", c.overdue, got, c.want)
				}
			}
		}
	})
}

// The appeal's answer names the holder, as reading it does.
func TestSubmitAppealHolderName(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		alice, _, ap := h.rejectAndAppeal("14.1.104.0/24", "Please look again.")
		got, err := h.svc.GetAppeal(h.ctx, alice, ap.ID)
		if err != nil || ap.HolderName == "" || ap.HolderName != got.HolderName {
			t.Errorf("submitted appeal holder %q, read %q (%v)", ap.HolderName, got.HolderName, err)
		}
	})
}

// An appeal is decided on today's flags: an application whose item the
// account has come to hold since (its twin was approved) shows the
// registration in duplicate_own, and cannot be approved on appeal, which
// would register the item twice; once the registration is gone it can.
func TestAppealRecomputesFlags(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		sup2 := h.secondSupervisor()
		alice := h.applicant("company")
		a, err := h.create(alice, companyApp("14.1.104.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := h.create(alice, companyApp("14.1.104.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Submit(ctx, alice, b.ID, nil); err != nil {
			t.Fatal(err)
		}
		ptcl := h.staff("operator.ptcl")
		cs, err := svc.ListChecks(ctx, ptcl, "")
		if err != nil || len(cs) != 1 {
			t.Fatalf("checks = %v, %v", cs, err)
		}
		if _, err := svc.AnswerCheck(ctx, ptcl, cs[0].ID, "confirmed", ""); err != nil {
			t.Fatal(err)
		}
		r := h.approve(alice, a)
		if _, _, err := svc.Decide(ctx, h.staff("supervisor"), b.ID, DecisionInput{Decision: "reject", ReasonCode: "duplicate"}); err != nil {
			t.Fatal(err)
		}
		ap, err := svc.SubmitAppeal(ctx, alice, b.ID, "We need it twice.")
		if err != nil {
			t.Fatal(err)
		}
		heldFlag := func(app *Application) bool {
			for _, f := range app.Flags {
				if f.Code == FlagDuplicateOwn && f.With != nil && f.With.Registration == r.Number {
					return true
				}
			}
			return false
		}
		got, err := svc.GetApplication(ctx, sup2, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !heldFlag(got) {
			t.Fatalf("the supervisor sees flags %+v; want duplicate_own naming %s", got.Flags, r.Number)
		}
		_, _, _, err = svc.DecideAppeal(ctx, sup2, ap.ID, AppealDecisionInput{Decision: "overturn", Outcome: OutcomeApprove})
		wantCode(t, err, ECONFLICT, "already holds", "14.1.104.0/24", r.Number)
		regs, _ := svc.ListRegistrations(ctx, alice, RegFilter{Status: RegActive})
		if len(regs) != 1 {
			t.Fatalf("%d active registrations; want only %s", len(regs), r.Number)
		}
		// Surrendered, the item is free: the appeal may approve it.
		if _, err := svc.Surrender(ctx, alice, r.Number, ""); err != nil {
			t.Fatal(err)
		}
		_, got, reg, err := svc.DecideAppeal(ctx, sup2, ap.ID, AppealDecisionInput{Decision: "overturn", Outcome: OutcomeApprove})
		if err != nil || reg == nil || heldFlag(got) {
			t.Fatalf("overturn after the surrender: %+v, %+v, %v", reg, got, err)
		}
	})
}

// A surrender's reason, the holder's own words, is not copied into the
// audit log (never rewritten), so erasing the account erases it.
func TestSurrenderReasonNotAudited(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		alice := h.applicant("company")
		a, err := h.create(alice, companyApp("14.1.104.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		r := h.approve(alice, a)
		if _, err := h.svc.Surrender(h.ctx, alice, r.Number, "closing the Gulberg office of Ali Khan"); err != nil {
			t.Fatal(err)
		}
		x, err := h.svc.ExportData(h.ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range x.Audit {
			if e.Action == "registration.surrendered" {
				found = true
				if strings.Contains(e.Detail, "Ali Khan") {
					t.Errorf("the audit entry keeps the holder's words: %s", e.Detail)
				}
			}
		}
		if !found {
			t.Error("no registration.surrendered audit entry")
		}
	})
}
