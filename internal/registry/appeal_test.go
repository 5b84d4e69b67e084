package registry_test

import (
	"github.com/ipreg/ipreg/internal/auth"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/publish"
	. "github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// inReview files and submits an application of a new company applicant
// and has its operator confirm it, so that it waits in review.
func (h *harness) inReview(addr string) (*User, *Application) {
	h.t.Helper()
	alice := h.applicant("company")
	a, err := h.create(alice, companyApp(addr))
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err = h.svc.Submit(h.ctx, alice, a.ID, nil); err != nil {
		h.t.Fatal(err)
	}
	ptcl := h.staff("operator.ptcl")
	cs, err := h.svc.ListChecks(h.ctx, ptcl, "")
	if err != nil {
		h.t.Fatal(err)
	}
	for _, c := range cs {
		if c.ApplicationID == a.ID {
			if _, err := h.svc.AnswerCheck(h.ctx, ptcl, c.ID, "confirmed", ""); err != nil {
				h.t.Fatal(err)
			}
		}
	}
	a, err = h.svc.GetApplication(h.ctx, alice, a.ID)
	if err != nil || a.State != StateReview {
		h.t.Fatalf("application = %+v, %v; want it in review", a, err)
	}
	return alice, a
}

func (h *harness) secondSupervisor() *User {
	h.t.Helper()
	if _, err := h.svc.AddUser(h.ctx, System, AddUserInput{Email: "supervisor2@demo.test", Password: "demo-password-1", Role: RoleSupervisor}); err != nil {
		h.t.Fatal(err)
	}
	return h.enrolled("supervisor2@demo.test", "demo-password-1")
}

// enrolled logs in staff that need TOTP (all but the demo's own seeded
// users), sets TOTP up on that first, enrolment-only, session, and returns
// the user that session now is.
func (h *harness) enrolled(email, password string) *User {
	h.t.Helper()
	tok, _, err := h.svc.Login(h.ctx, email, password, "", "127.0.0.1")
	if err != nil {
		h.t.Fatalf("login %s: %v", email, err)
	}
	u, err := h.svc.Authenticate(h.ctx, tok)
	if err != nil || !u.EnrolmentOnly {
		h.t.Fatalf("first login of %s = %+v, %v; want an enrolment-only session", email, u, err)
	}
	e, err := h.svc.BeginTOTP(h.ctx, u)
	if err != nil {
		h.t.Fatal(err)
	}
	code, err := auth.TOTPCode(e.Secret, auth.TOTPStep(h.clock.Now()))
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.svc.ConfirmTOTP(h.ctx, u, tok, code); err != nil {
		h.t.Fatal(err)
	}
	if u, err = h.svc.Authenticate(h.ctx, tok); err != nil || u.EnrolmentOnly {
		h.t.Fatalf("after enrolment %s = %+v, %v", email, u, err)
	}
	return u
}

func eventTypes(a *Application) []string {
	var out []string
	for _, e := range a.Events {
		out = append(out, e.Type)
	}
	return out
}

func TestAppealOverturnApproves(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		sup1 := h.staff("supervisor")
		sup2 := h.secondSupervisor()
		alice, a := h.inReview("14.1.104.0/24")

		// Not yet rejected: nothing to appeal.
		_, err := svc.SubmitAppeal(ctx, alice, a.ID, "Please look again.")
		wantCode(t, err, ECONFLICT, "only a rejected application")

		// The supervisor rejects it, so only the other supervisor may decide the appeal.
		if _, _, err = svc.Decide(ctx, sup1, a.ID, DecisionInput{Decision: "reject", ReasonCode: "insufficient_purpose"}); err != nil {
			t.Fatal(err)
		}
		got, err := svc.GetApplication(ctx, alice, a.ID)
		if err != nil || got.AppealBy.IsZero() || !got.AppealBy.Equal(got.DecidedAt.AddDate(0, 0, 30)) {
			t.Fatalf("rejected: appeal by %s (decided %s), %v; want 30 days after the rejection", got.AppealBy, got.DecidedAt, err)
		}
		// Staff cannot appeal, another applicant cannot see it, the statement is needed.
		_, err = svc.SubmitAppeal(ctx, sup2, a.ID, "x")
		wantCode(t, err, EFORBIDDEN)
		_, err = svc.SubmitAppeal(ctx, h.applicant("company"), a.ID, "x")
		wantCode(t, err, ENOTFOUND)
		_, err = svc.SubmitAppeal(ctx, alice, a.ID, "  ")
		wantCode(t, err, EINVALID, "statement")
		_, err = svc.SubmitAppeal(ctx, alice, a.ID, strings.Repeat("x", MaxAppealStatement+1))
		wantCode(t, err, EINVALID, "statement", "too long")

		// Monday 23 Nov 10:00 PKT: five working days → Monday 30 Nov 10:00 PKT.
		ap, err := svc.SubmitAppeal(ctx, alice, a.ID, "The purpose is our head office ERP; the contract is attached.")
		if err != nil {
			t.Fatal(err)
		}
		if ap.State != AppealPending || ap.RejectedBy != sup1.ID || !ap.SLADueAt.Equal(time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)) {
			t.Fatalf("appeal = %+v", ap)
		}
		_, err = svc.SubmitAppeal(ctx, alice, a.ID, "again")
		wantCode(t, err, ECONFLICT, "appealed already")

		// New documents may go with the pending appeal.
		if _, err := svc.UploadDocument(ctx, alice, a.ID, UploadInput{Kind: "incorporation_proof", Filename: "secp-certificate.pdf", Content: testbin.PDF("contract")}); err != nil {
			t.Fatalf("upload with a pending appeal: %v", err)
		}

		// Only supervisors see the queue and decide.
		_, err = svc.ListAppeals(ctx, h.staff("reviewer"), "")
		wantCode(t, err, EFORBIDDEN)
		list, err := svc.ListAppeals(ctx, sup2, "")
		if err != nil || len(list) != 1 || list[0].ID != ap.ID {
			t.Fatalf("appeals = %v, %v", list, err)
		}
		_, _, _, err = svc.DecideAppeal(ctx, h.staff("reviewer"), ap.ID, AppealDecisionInput{Decision: "uphold", Note: "x"})
		wantCode(t, err, EFORBIDDEN)
		// Maker-checker: the one who rejected cannot decide.
		_, _, _, err = svc.DecideAppeal(ctx, sup1, ap.ID, AppealDecisionInput{Decision: "overturn", Outcome: "approve"})
		wantCode(t, err, EFORBIDDEN, "maker-checker")
		_, _, _, err = svc.DecideAppeal(ctx, sup2, ap.ID, AppealDecisionInput{Decision: "overturn"})
		wantCode(t, err, EINVALID, "outcome")
		_, _, _, err = svc.DecideAppeal(ctx, sup2, ap.ID, AppealDecisionInput{Decision: "uphold"})
		wantCode(t, err, EINVALID, "note")
		_, _, _, err = svc.DecideAppeal(ctx, sup2, ap.ID, AppealDecisionInput{Decision: "overturn", Outcome: "approve", ValidDays: 100000})
		wantCode(t, err, EINVALID, "valid_days")

		feed := 0
		ap, got, reg, err := svc.DecideAppeal(ctx, sup2, ap.ID, AppealDecisionInput{Decision: "overturn", Outcome: "approve", ValidDays: 90})
		if err != nil {
			t.Fatal(err)
		}
		if ap.State != AppealOverturned || ap.Outcome != OutcomeApprove || ap.DecidedBy != sup2.ID {
			t.Fatalf("decided appeal = %+v", ap)
		}
		if got.State != StateApproved || reg == nil || got.Registration != reg.Number || reg.Status != RegActive || got.ReasonCode != "" {
			t.Fatalf("application %+v, registration %+v", got, reg)
		}
		_, _, _, err = svc.DecideAppeal(ctx, sup2, ap.ID, AppealDecisionInput{Decision: "uphold", Note: "x"})
		wantCode(t, err, ECONFLICT, "already decided")

		// The registration is on the allowlist feed, and the timeline tells the story.
		regs, err := svc.ListRegistrations(ctx, alice, RegFilter{})
		if err != nil || len(regs) != 1 || regs[0].Number != reg.Number || regs[0].Addresses[0].String() != "14.1.104.0/24" {
			t.Fatalf("registrations = %v, %v", regs, err)
		}
		err = h.db.(publish.Store).FeedRead(ctx, func(tx publish.Tx) error {
			changes, err := tx.Changes(ctx, 0, 1<<62)
			for _, c := range changes {
				if c.Op == "add" && c.Entry.Prefix == "14.1.104.0/24" && c.Entry.Reg == reg.Number {
					feed++
				}
			}
			return err
		})
		if err != nil || feed != 1 {
			t.Fatalf("feed has the address %d times, %v", feed, err)
		}
		got, _ = svc.GetApplication(ctx, alice, a.ID)
		ev := eventTypes(got)
		if !slices.Contains(ev, "appeal_submitted") || ev[len(ev)-1] != "appeal_overturned" || len(got.Appeals) != 1 || !got.AppealBy.IsZero() {
			t.Fatalf("events %v, appeals %v, appeal by %s", ev, got.Appeals, got.AppealBy)
		}
		st, err := svc.Stats(ctx)
		if err != nil || st.AppealsByState[AppealOverturned] != 1 || st.AppealsByState[AppealPending] != 0 {
			t.Fatalf("stats appeals = %v, %v", st.AppealsByState, err)
		}
	})
}

func TestAppealUpholdAndReturn(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		reviewer, sup := h.staff("reviewer"), h.staff("supervisor")
		alice, a := h.inReview("14.1.104.0/24")
		if _, _, err := svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "reject", ReasonCode: "invalid_identity"}); err != nil {
			t.Fatal(err)
		}
		ap, err := svc.SubmitAppeal(ctx, alice, a.ID, "Our SECP certificate was renewed; here is the new one.")
		if err != nil {
			t.Fatal(err)
		}
		// Returned for correction: the applicant fixes and resubmits.
		ap, got, reg, err := svc.DecideAppeal(ctx, sup, ap.ID, AppealDecisionInput{Decision: "overturn", Outcome: "return", Note: "Upload the renewed SECP certificate."})
		if err != nil || reg != nil {
			t.Fatal(err, reg)
		}
		if got.State != StateReturned || got.ReturnNote != "Upload the renewed SECP certificate." || !got.DecidedAt.IsZero() || ap.Outcome != OutcomeReturn {
			t.Fatalf("returned = %+v / %+v", got, ap)
		}
		if _, err := svc.Submit(ctx, alice, a.ID, nil); err != nil {
			t.Fatalf("resubmit after the appeal returned it: %v", err)
		}
		got, _ = svc.GetApplication(ctx, alice, a.ID)
		if got.State != StateReview {
			t.Fatalf("resubmitted: %s", got.State)
		}
		// Rejected again: a new rejection, a new appeal, upheld (final).
		h.clock.Add(time.Hour)
		if _, _, err := svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "reject", ReasonCode: "invalid_identity"}); err != nil {
			t.Fatal(err)
		}
		ap2, err := svc.SubmitAppeal(ctx, alice, a.ID, "The certificate is the one the SECP issued.")
		if err != nil {
			t.Fatalf("appeal of the second rejection: %v", err)
		}
		ap2, got, _, err = svc.DecideAppeal(ctx, sup, ap2.ID, AppealDecisionInput{Decision: "uphold", Note: "The certificate number does not match the SECP register."})
		if err != nil || ap2.State != AppealUpheld || got.State != StateRejected {
			t.Fatalf("upheld: %+v %+v %v", ap2, got, err)
		}
		_, err = svc.SubmitAppeal(ctx, alice, a.ID, "Once more.")
		wantCode(t, err, ECONFLICT, "appealed already")
		got, _ = svc.GetApplication(ctx, alice, a.ID)
		if ev := eventTypes(got); ev[len(ev)-1] != "appeal_upheld" || len(got.Appeals) != 2 {
			t.Fatalf("events %v, appeals %d", ev, len(got.Appeals))
		}
		// No documents once the appeal is decided.
		_, err = svc.UploadDocument(ctx, alice, a.ID, UploadInput{Kind: "authentication_letter", Filename: "x.pdf", Content: testbin.PDF("x")})
		wantCode(t, err, ECONFLICT, "appeal pending")
		all, err := svc.ListAppeals(ctx, sup, "all")
		if err != nil || len(all) != 2 {
			t.Fatalf("all appeals = %d, %v", len(all), err)
		}
		_, err = svc.ListAppeals(ctx, sup, "bogus")
		wantCode(t, err, EINVALID, "state")
	})
}

func TestAppealDeadline(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		reviewer := h.staff("reviewer")
		set, err := svc.Settings(ctx, h.staff("admin"))
		if err != nil {
			t.Fatal(err)
		}
		set.AppealDays = 10
		if _, err := svc.UpdateSettings(ctx, h.staff("admin"), set); err != nil {
			t.Fatal(err)
		}
		alice, a := h.inReview("14.1.104.0/24")
		bob, b := h.inReview("36.255.32.0/24")
		for _, id := range []string{a.ID, b.ID} {
			if _, _, err := svc.Decide(ctx, reviewer, id, DecisionInput{Decision: "reject", ReasonCode: "fee_unpaid"}); err != nil {
				t.Fatal(err)
			}
		}
		// Exactly at the deadline: still in time.
		h.clock.Add(10 * 24 * time.Hour)
		if _, err := svc.SubmitAppeal(ctx, alice, a.ID, "Paid, the receipt is attached."); err != nil {
			t.Fatalf("appeal at the deadline: %v", err)
		}
		// A microsecond later: too late.
		h.clock.Add(time.Microsecond)
		_, err = svc.SubmitAppeal(ctx, bob, b.ID, "Paid.")
		wantCode(t, err, ECONFLICT, "time to appeal ended", "10 days")
		got, _ := svc.GetApplication(ctx, bob, b.ID)
		if got.AppealBy.IsZero() || !svc.Now().After(got.AppealBy) {
			t.Fatalf("appeal by %s, now %s", got.AppealBy, svc.Now())
		}
	})
}

// An application past its SLA due time is in the overdue list and is
// escalated once.
func TestEscalate(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		sup := h.staff("supervisor")
		_, a := h.inReview("14.1.104.0/24") // Monday 10:00 PKT, due Tuesday 10:00 PKT
		if n, err := svc.Escalate(ctx); err != nil || n != 0 {
			t.Fatalf("escalate before due = %d, %v", n, err)
		}
		q, err := svc.ReviewQueue(ctx, sup, QueueFilter{Overdue: ptr(true)})
		if err != nil || len(q) != 0 {
			t.Fatalf("overdue queue before due = %d, %v", len(q), err)
		}
		h.clock.Add(24*time.Hour + time.Minute)
		od, err := svc.Overdue(ctx, sup)
		if err != nil || len(od.Applications) != 1 || od.Applications[0].ID != a.ID || !od.Escalated[a.ID].IsZero() {
			t.Fatalf("overdue = %+v, %v", od, err)
		}
		_, err = svc.Overdue(ctx, h.staff("reviewer"))
		wantCode(t, err, EFORBIDDEN)
		if n, err := svc.Escalate(ctx); err != nil || n != 1 {
			t.Fatalf("escalate = %d, %v", n, err)
		}
		// Once only, also when run again (another replica, a later tick).
		if n, err := svc.Escalate(ctx); err != nil || n != 0 {
			t.Fatalf("escalate again = %d, %v", n, err)
		}
		if res, err := svc.RunJobs(ctx); err != nil || res.Escalated != 0 {
			t.Fatalf("jobs escalated %d, %v", res.Escalated, err)
		}
		od, _ = svc.Overdue(ctx, sup)
		if od.Escalated[a.ID].IsZero() {
			t.Fatalf("overdue escalations = %v", od.Escalated)
		}
		got, _ := svc.GetApplication(ctx, sup, a.ID)
		n := 0
		for _, e := range got.Events {
			if e.Type == "escalated" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d escalated events: %v", n, eventTypes(got))
		}
	})
}

// The SLA clock skips the admin's holidays: submitted on the Friday
// before a Monday holiday, an application is due on Tuesday.
func TestSLASkipsHolidays(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		admin := h.staff("admin")
		set, err := svc.Settings(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		set.Holidays = append(set.Holidays, Holiday{Date: "2026-11-30", Name: "A test holiday"})
		if _, err := svc.UpdateSettings(ctx, admin, set); err != nil {
			t.Fatal(err)
		}
		set.Holidays = append(set.Holidays, Holiday{Date: "2026-11-30", Name: "Twice"}, Holiday{Date: "30-11-2026", Name: "x"})
		_, err = svc.UpdateSettings(ctx, admin, set)
		wantCode(t, err, EINVALID, "listed twice", "YYYY-MM-DD")

		h.clock.Add(4 * 24 * time.Hour) // Friday 27 Nov, 10:00 PKT
		alice := h.applicant("company")
		a, err := h.create(alice, companyApp("14.1.104.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		if a, err = svc.Submit(ctx, alice, a.ID, nil); err != nil {
			t.Fatal(err)
		}
		// Friday 10–17 is 7 hours; Saturday, Sunday and Monday the
		// holiday are skipped; the 8th hour ends Tuesday 1 Dec at 10:00.
		if want := time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC); !a.SLADueAt.Equal(want) {
			t.Fatalf("SLA due %s, want %s", a.SLADueAt, want)
		}
	})
}
