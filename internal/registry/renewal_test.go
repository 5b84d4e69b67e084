package registry_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/publish"
	. "github.com/ipreg/ipreg/internal/registry"
)

// registered files, confirms and approves a company application for days,
// returning its holder and registration.
func (h *harness) registered(days int, addrs ...string) (*User, *Registration) {
	h.t.Helper()
	u := h.applicant("company")
	a, err := h.create(u, companyApp(addrs...))
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.svc.Submit(h.ctx, u, a.ID, nil); err != nil {
		h.t.Fatal(err)
	}
	h.confirm(a.ID)
	_, reg, err := h.svc.Decide(h.ctx, h.staff("reviewer"), a.ID, DecisionInput{Decision: "approve", ValidDays: days})
	if err != nil {
		h.t.Fatal(err)
	}
	return u, reg
}

// confirm answers the application's pending operator check (ptcl) and
// returns the items it asked about.
func (h *harness) confirm(appID string) []string {
	h.t.Helper()
	op := h.staff("operator.ptcl")
	cs, err := h.svc.ListChecks(h.ctx, op, "")
	if err != nil {
		h.t.Fatal(err)
	}
	for _, c := range cs {
		if c.ApplicationID == appID {
			if _, err := h.svc.AnswerCheck(h.ctx, op, c.ID, "confirmed", ""); err != nil {
				h.t.Fatal(err)
			}
			out := []string{}
			for _, p := range c.Addresses {
				out = append(out, p.String())
			}
			return append(out, c.MobileNumbers...)
		}
	}
	h.t.Fatalf("no pending check for %s", appID)
	return nil
}

// feedChanges lists the allowlist outbox after seq as "op prefix until".
func (h *harness) feedChanges(after int64) ([]string, int64) {
	h.t.Helper()
	fs, ok := h.db.(interface {
		FeedRead(context.Context, func(publish.Tx) error) error
	})
	if !ok {
		h.t.Fatal("the store has no feed outbox")
	}
	var out []string
	var last int64
	err := fs.FeedRead(h.ctx, func(tx publish.Tx) error {
		var err error
		if last, err = tx.LastChangeSeq(h.ctx); err != nil {
			return err
		}
		cs, err := tx.Changes(h.ctx, after, last)
		for _, c := range cs {
			out = append(out, fmt.Sprintf("%s %s%s %s", c.Op, c.Entry.Prefix, c.Entry.MSISDN, c.Entry.Until.Format("2006-01-02")))
		}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out, last
}

func TestRenewal(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		u, reg := h.registered(100, "14.1.104.0/24", "14.1.105.0/24")
		oldUntil := reg.ValidUntil
		_, seq := h.feedChanges(0)

		// The window opens 60 days before expiry: a day earlier it is shut.
		h.setClock(oldUntil.AddDate(0, 0, -60).Add(-time.Minute))
		_, err := svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		wantCode(t, err, ECONFLICT, "can be renewed from "+oldUntil.AddDate(0, 0, -60).Format("2006-01-02"))
		opts, err := svc.RegistrationChanges(ctx, u, reg.Number)
		if err != nil || opts.CanRenew || !opts.CanAmend || !opts.RenewOpens.Equal(oldUntil.AddDate(0, 0, -60)) {
			t.Fatalf("options before the window = %+v, %v", opts, err)
		}
		h.setClock(oldUntil.AddDate(0, 0, -60))
		if opts, _ = svc.RegistrationChanges(ctx, u, reg.Number); !opts.CanRenew {
			t.Fatalf("the window's first moment: %+v", opts)
		}

		// Only the holder renews; another account's registration is not found.
		wantCode(t, func() error {
			_, err := svc.Renew(ctx, h.applicant("company"), reg.Number, ApplicationInput{})
			return err
		}(), ENOTFOUND)
		wantCode(t, func() error {
			_, err := svc.Renew(ctx, h.staff("reviewer"), reg.Number, ApplicationInput{})
			return err
		}(), EFORBIDDEN)
		// Category and operator belong to the registration.
		_, err = svc.Renew(ctx, u, reg.Number, ApplicationInput{OperatorID: ptr("nayatel")})
		wantCode(t, err, EINVALID, "operator_id")

		// Keep one address, drop one, add one: only the new one is checked.
		ren, err := svc.Renew(ctx, u, reg.Number, ApplicationInput{Addresses: &[]string{"14.1.104.0/24", "14.1.106.0/24"}})
		if err != nil {
			t.Fatal(err)
		}
		if ren.Kind != KindRenewal || ren.ForRegistration != reg.Number || ren.State != StateOperatorCheck ||
			ren.SubscriberID != "PTCL-0042-771" || ren.VPN.Protocol != "wireguard" {
			t.Fatalf("renewal = %+v", ren)
		}
		// One open change at a time.
		_, err = svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		wantCode(t, err, ECONFLICT, "already has an open renewal")
		_, _, err = svc.Amend(ctx, u, reg.Number, AmendmentInput{Add: []string{"14.1.107.0/24"}})
		wantCode(t, err, ECONFLICT, "already has an open renewal")
		if checked := h.confirm(ren.ID); !slices.Equal(checked, []string{"14.1.106.0/24"}) {
			t.Errorf("the operator was asked about %v, want only the added 14.1.106.0/24", checked)
		}
		rev := h.staff("reviewer")
		q, err := svc.ReviewQueue(ctx, rev, QueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(q, func(a *Application) bool { return a.ID == ren.ID })
		if i < 0 || q[i].Diff == nil {
			t.Fatalf("renewal missing from the queue or without its diff: %+v", q)
		}
		d := q[i].Diff
		if !slices.Equal(d.Added, []string{"14.1.106.0/24"}) || !slices.Equal(d.Removed, []string{"14.1.105.0/24"}) ||
			!slices.Equal(d.Unchanged, []string{"14.1.104.0/24"}) || !d.OldUntil.Equal(oldUntil) ||
			!d.NewUntil.Equal(oldUntil.AddDate(0, 0, DefaultSettings.ValidityDays)) {
			t.Errorf("diff = %+v", d)
		}
		// Until the decision the registration is as it was.
		if r, _ := svc.GetRegistration(ctx, u, reg.Number); r.Status != RegActive || len(r.Addresses) != 2 || !r.ValidUntil.Equal(oldUntil) {
			t.Errorf("registration changed before the decision: %+v", r)
		}
		if ch, _ := h.feedChanges(seq); len(ch) != 0 {
			t.Errorf("feed changed before the decision: %v", ch)
		}

		// Approved 10 days later, still before expiry: the validity runs
		// on from the old end (no day lost, no gap), same number.
		h.clock.Add(10 * 24 * time.Hour)
		decided := h.clock.Now().UTC().Truncate(time.Microsecond)
		a, r, err := svc.Decide(ctx, rev, ren.ID, DecisionInput{Decision: "approve", ValidDays: 200})
		if err != nil {
			t.Fatal(err)
		}
		newUntil := oldUntil.AddDate(0, 0, 200)
		if r.Number != reg.Number || !r.ValidUntil.Equal(newUntil) || !r.IssuedAt.Equal(decided) || !r.ValidFrom.Equal(reg.ValidFrom) ||
			!slices.Equal(itemsOf(r), []string{"14.1.104.0/24", "14.1.106.0/24"}) || a.Registration != reg.Number {
			t.Fatalf("renewed = %+v (application %+v)", r, a)
		}
		ch, seq2 := h.feedChanges(seq)
		o, n := oldUntil.Format("2006-01-02"), newUntil.Format("2006-01-02")
		want := []string{"remove 14.1.104.0/24 " + o, "add 14.1.104.0/24 " + n, "remove 14.1.105.0/24 " + o, "add 14.1.106.0/24 " + n}
		if !slices.Equal(ch, want) {
			t.Errorf("feed changes of the renewal = %v, want %v", ch, want)
		}
		got, _ := svc.GetApplication(ctx, u, ren.ID)
		if ev := eventTypes(got); !slices.Equal(ev, []string{"created", "renewal_submitted", "operator_confirmed", "approved"}) {
			t.Errorf("timeline = %v", ev)
		}
		if got.Diff != nil {
			t.Errorf("a decided renewal still shows a diff: %+v", got.Diff)
		}

		// The old end passes: still active, since it was extended.
		h.setClock(oldUntil.Add(time.Hour))
		if res, err := svc.RunJobs(ctx); err != nil || res.RegistrationsExpired != 0 {
			t.Errorf("jobs after the old end: %+v, %v", res, err)
		}
		// A renewal that changes nothing but the validity is one change of
		// the entries' until, and nothing else.
		h.setClock(newUntil.AddDate(0, 0, -1))
		ren2, err := svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		if err != nil || ren2.State != StateReview {
			t.Fatalf("unchanged renewal = %+v, %v (want review, no operator check)", ren2, err)
		}
		if _, _, err := svc.Decide(ctx, rev, ren2.ID, DecisionInput{Decision: "approve", ValidDays: 30}); err != nil {
			t.Fatal(err)
		}
		ch, _ = h.feedChanges(seq2)
		n2 := newUntil.AddDate(0, 0, 30).Format("2006-01-02")
		if want := []string{"remove 14.1.104.0/24 " + n, "add 14.1.104.0/24 " + n2, "remove 14.1.106.0/24 " + n, "add 14.1.106.0/24 " + n2}; !slices.Equal(ch, want) {
			t.Errorf("feed changes of an unchanged renewal = %v, want %v", ch, want)
		}
	})
}

func itemsOf(r *Registration) []string {
	var out []string
	for _, p := range r.Addresses {
		out = append(out, p.String())
	}
	return append(out, r.MobileNumbers...)
}

// TestLateRenewal: after expiry the registration is expired and off the
// allowlist; a renewal within RenewAfterDays revives the same number from
// the decision; after that the window is closed.
func TestLateRenewal(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		u, reg := h.registered(30, "14.1.104.0/24")
		h.setClock(reg.ValidUntil.Add(time.Minute))
		if res, err := svc.RunJobs(ctx); err != nil || res.RegistrationsExpired != 1 {
			t.Fatalf("expiry: %+v, %v", res, err)
		}
		_, seq := h.feedChanges(0)
		// Amending an expired registration is refused; renewing is not.
		_, _, err := svc.Amend(ctx, u, reg.Number, AmendmentInput{Add: []string{"14.1.107.0/24"}})
		wantCode(t, err, ECONFLICT, "expired on", "renew it within its renewal window")
		closes := reg.ValidUntil.AddDate(0, 0, 30)
		h.setClock(closes)
		_, err = svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		wantCode(t, err, ECONFLICT, "renewal window closed on "+closes.Format("2006-01-02"))
		h.setClock(closes.Add(-time.Minute))
		ren, err := svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		if err != nil {
			t.Fatal(err)
		}
		// Decided after the window closed: what counts is that it was filed in time.
		h.setClock(closes.Add(24 * time.Hour))
		now := h.clock.Now().UTC().Truncate(time.Microsecond)
		_, r, err := svc.Decide(ctx, h.staff("reviewer"), ren.ID, DecisionInput{Decision: "approve", ValidDays: 365})
		if err != nil {
			t.Fatal(err)
		}
		if r.Number != reg.Number || r.Status != RegActive || !r.ValidUntil.Equal(now.AddDate(0, 0, 365)) || !r.EndedAt.IsZero() {
			t.Fatalf("revived = %+v", r)
		}
		ch, _ := h.feedChanges(seq)
		if want := []string{"add 14.1.104.0/24 " + now.AddDate(0, 0, 365).Format("2006-01-02")}; !slices.Equal(ch, want) {
			t.Errorf("feed changes of a late renewal = %v, want %v", ch, want)
		}
		if p, err := svc.Verify(ctx, r.Number, r.VerificationCode); err != nil || p.Status != RegActive {
			t.Errorf("public check of the revived registration: %+v, %v", p, err)
		}
	})
}

func TestAmendment(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		u, reg := h.registered(100, "14.1.104.0/24", "14.1.105.0/24", "14.1.106.0/24")
		_, seq := h.feedChanges(0)
		until := reg.ValidUntil.Format("2006-01-02")

		// What is wrong is said per field, and nothing happens.
		_, _, err := svc.Amend(ctx, u, reg.Number, AmendmentInput{Remove: []string{"14.1.200.0/24"}, Add: []string{"10.0.0.0/8"}})
		wantCode(t, err, EINVALID, "remove[0]: 14.1.200.0/24 is not in registration", "add[0]: 10.0.0.0/8")
		_, _, err = svc.Amend(ctx, u, reg.Number, AmendmentInput{Remove: []string{"14.1.104.0/24", "14.1.105.0/24", "14.1.106.0/24"}})
		wantCode(t, err, EINVALID, "surrender")
		_, _, err = svc.Amend(ctx, u, reg.Number, AmendmentInput{Add: []string{"14.1.104.0/25"}})
		wantCode(t, err, EINVALID, "add[0]", "already holds")
		_, _, err = svc.Amend(ctx, u, reg.Number, AmendmentInput{Add: []string{"192.168.1.0/24"}})
		wantCode(t, err, EINVALID, "add[0]")
		wantCode(t, func() error {
			_, _, err := svc.Amend(ctx, h.applicant("company"), reg.Number, AmendmentInput{Remove: []string{"14.1.104.0/24"}})
			return err
		}(), ENOTFOUND)
		if ch, _ := h.feedChanges(seq); len(ch) != 0 {
			t.Fatalf("a refused amendment changed the feed: %v", ch)
		}

		// Giving up alone: at once, no application, certificate reissued.
		h.clock.Add(time.Hour)
		r, a, err := svc.Amend(ctx, u, reg.Number, AmendmentInput{Remove: []string{"14.1.106.0/24"}})
		if err != nil || a != nil {
			t.Fatalf("give up = %+v, %+v, %v", r, a, err)
		}
		if !slices.Equal(itemsOf(r), []string{"14.1.104.0/24", "14.1.105.0/24"}) || !r.IssuedAt.After(reg.IssuedAt) {
			t.Errorf("after giving up: %+v", r)
		}
		ch, seq := h.feedChanges(seq)
		if want := []string{"remove 14.1.106.0/24 " + until}; !slices.Equal(ch, want) {
			t.Errorf("feed after giving up = %v, want %v", ch, want)
		}
		first, _ := svc.GetApplication(ctx, u, reg.ApplicationID)
		if ev := first.Events[len(first.Events)-1]; ev.Type != "items_given_up" || !strings.Contains(ev.Note, "14.1.106.0/24") {
			t.Errorf("last event of the registration's application = %+v", ev)
		}

		// Give up one and add one: the removal now, the addition reviewed.
		r, a, err = svc.Amend(ctx, u, reg.Number, AmendmentInput{Remove: []string{"14.1.105.0/24"}, Add: []string{"14.1.107.0/24"}})
		if err != nil {
			t.Fatal(err)
		}
		if a.Kind != KindAmendment || a.State != StateOperatorCheck || !slices.Equal(itemsOf(r), []string{"14.1.104.0/24"}) ||
			!slices.Equal(a.GivenUp, []string{"14.1.105.0/24"}) {
			t.Fatalf("amendment = %+v, registration %+v", a, r)
		}
		if ch, _ = h.feedChanges(seq); !slices.Equal(ch, []string{"remove 14.1.105.0/24 " + until}) {
			t.Errorf("feed after the amendment's removal = %v", ch)
		}
		if checked := h.confirm(a.ID); !slices.Equal(checked, []string{"14.1.107.0/24"}) {
			t.Errorf("operator asked about %v", checked)
		}
		got, _ := svc.GetApplication(ctx, h.staff("reviewer"), a.ID)
		if got.Diff == nil || !slices.Equal(got.Diff.Added, []string{"14.1.107.0/24"}) || !slices.Equal(got.Diff.Removed, []string{"14.1.105.0/24"}) ||
			!slices.Equal(got.Diff.Unchanged, []string{"14.1.104.0/24"}) || !got.Diff.NewUntil.Equal(reg.ValidUntil) {
			t.Errorf("amendment diff = %+v", got.Diff)
		}
		if ev := eventTypes(got); !slices.Equal(ev, []string{"created", "items_given_up", "amendment_submitted", "operator_confirmed"}) {
			t.Errorf("amendment timeline = %v", ev)
		}
		rev := h.staff("reviewer")
		_, _, err = svc.Decide(ctx, rev, a.ID, DecisionInput{Decision: "approve", ValidDays: 30})
		wantCode(t, err, EINVALID, "valid_days")
		h.clock.Add(time.Hour)
		now := h.clock.Now().UTC().Truncate(time.Microsecond)
		_, r, err = svc.Decide(ctx, rev, a.ID, DecisionInput{Decision: "approve"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Number != reg.Number || !r.ValidUntil.Equal(reg.ValidUntil) || !r.IssuedAt.Equal(now) ||
			!slices.Equal(itemsOf(r), []string{"14.1.104.0/24", "14.1.107.0/24"}) {
			t.Errorf("amended = %+v", r)
		}
		if ch, _ = h.feedChanges(seq); !slices.Equal(ch, []string{"remove 14.1.105.0/24 " + until, "add 14.1.107.0/24 " + until}) {
			t.Errorf("feed after the amendment = %v", ch)
		}
		// Another account applying for a given-up address sees no overlap;
		// for one the registration holds, it does.
		other := h.applicant("company")
		b, err := h.create(other, companyApp("14.1.105.0/24", "14.1.107.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		b, err = svc.Submit(ctx, other, b.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		var overlapped []string
		for _, f := range b.Flags {
			if f.Code == FlagOverlap {
				overlapped = append(overlapped, f.Item)
			}
		}
		if !slices.Equal(overlapped, []string{"14.1.107.0/24"}) {
			t.Errorf("overlap flags on %v, want only 14.1.107.0/24: %+v", overlapped, b.Flags)
		}
	})
}

// setClock moves the test clock to at.
func (h *harness) setClock(at time.Time) { h.clock.Add(at.Sub(h.clock.Now())) }

// TestReturnedRenewal: a renewal returned for correction is edited and
// resubmitted like any application, even once the window has closed; the
// operator is asked again only about items it was not asked before.
func TestReturnedRenewal(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		u, reg := h.registered(30, "14.1.104.0/24")
		ren, err := svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		if err != nil {
			t.Fatal(err)
		}
		rev := h.staff("reviewer")
		if _, _, err := svc.Decide(ctx, rev, ren.ID, DecisionInput{Decision: "return", Note: "Add the branch office address too."}); err != nil {
			t.Fatal(err)
		}
		h.setClock(reg.ValidUntil.AddDate(0, 0, 31))
		if _, err := svc.UpdateApplication(ctx, u, ren.ID, ApplicationInput{OperatorID: ptr("nayatel")}); ErrorCode(err) != EINVALID {
			t.Fatalf("moving a renewal to another operator: %v", err)
		}
		if _, err := svc.UpdateApplication(ctx, u, ren.ID, ApplicationInput{Addresses: &[]string{"14.1.104.0/24", "14.1.108.0/24"}}); err != nil {
			t.Fatal(err)
		}
		got, err := svc.Submit(ctx, u, ren.ID, nil)
		if err != nil || got.State != StateOperatorCheck {
			t.Fatalf("resubmitted = %+v, %v", got, err)
		}
		if checked := h.confirm(ren.ID); !slices.Equal(checked, []string{"14.1.108.0/24"}) {
			t.Errorf("operator asked about %v", checked)
		}
		// Another account may not see or touch it.
		wantCode(t, func() error { _, err := svc.GetApplication(ctx, h.applicant("company"), ren.ID); return err }(), ENOTFOUND)
	})
}

// TestAmendMobileNumbers: a mobile_vpn registration gives up and adds
// numbers; its feed changes go to the operator's feed, and the operator
// (jazz) is asked only about the added number.
func TestAmendMobileNumbers(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		u := h.applicant("individual")
		a, err := h.create(u, ApplicationInput{Category: ptr("mobile_vpn"), OperatorID: ptr("jazz"), SubscriberID: ptr("JAZZ-1"),
			MobileNumbers: ptr([]string{"03001234567", "03001234568"}), VPNProtocol: ptr("wireguard"),
			Purpose: ptr("Remote work for a client abroad, from home.")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Submit(ctx, u, a.ID, nil); err != nil {
			t.Fatal(err)
		}
		jazz := h.staff("operator.jazz")
		answer := func() []string {
			cs, _ := svc.ListChecks(ctx, jazz, "")
			if len(cs) != 1 {
				t.Fatalf("jazz checks = %v", cs)
			}
			if _, err := svc.AnswerCheck(ctx, jazz, cs[0].ID, "confirmed", ""); err != nil {
				t.Fatal(err)
			}
			return cs[0].MobileNumbers
		}
		answer()
		_, reg, err := svc.Decide(ctx, h.staff("reviewer"), a.ID, DecisionInput{Decision: "approve"})
		if err != nil {
			t.Fatal(err)
		}
		_, seq := h.feedChanges(0)
		r, am, err := svc.Amend(ctx, u, reg.Number, AmendmentInput{Remove: []string{"0300-1234568"}, Add: []string{"+92 300 1234569"}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(r.MobileNumbers, []string{"923001234567"}) || !slices.Equal(am.MobileNumbers, []string{"923001234569"}) {
			t.Fatalf("after amending: registration %v, amendment %v", r.MobileNumbers, am.MobileNumbers)
		}
		if got := answer(); !slices.Equal(got, []string{"923001234569"}) {
			t.Errorf("jazz asked about %v", got)
		}
		if _, r, err = svc.Decide(ctx, h.staff("reviewer"), am.ID, DecisionInput{Decision: "approve"}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(r.MobileNumbers, []string{"923001234567", "923001234569"}) {
			t.Errorf("amended numbers = %v", r.MobileNumbers)
		}
		until := reg.ValidUntil.Format("2006-01-02")
		if ch, _ := h.feedChanges(seq); !slices.Equal(ch, []string{"remove 923001234568 " + until, "add 923001234569 " + until}) {
			t.Errorf("feed changes = %v", ch)
		}
	})
}

// TestRenewalNewSubscriber: a renewal that names another subscriber goes
// to the operator for every item (the new subscriber must hold them all),
// and the reviewer's diff shows the change; the same renewal with the
// subscriber kept goes straight to review.
func TestRenewalNewSubscriber(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		u, reg := h.registered(30, "14.1.104.0/24", "14.1.105.0/24")
		ren, err := svc.Renew(ctx, u, reg.Number, ApplicationInput{SubscriberID: ptr("PTCL-9999-SOMEONE-ELSE")})
		if err != nil {
			t.Fatal(err)
		}
		if ren.State != StateOperatorCheck {
			t.Fatalf("renewal with a new subscriber is %s, want operator_check", ren.State)
		}
		got, err := svc.GetApplication(ctx, h.staff("reviewer"), ren.ID)
		if err != nil || got.Diff == nil || got.Diff.OldSubscriber != "PTCL-0042-771" || got.Diff.NewSubscriber != "PTCL-9999-SOMEONE-ELSE" {
			t.Fatalf("diff = %+v, %v", got.Diff, err)
		}
		if checked := h.confirm(ren.ID); !slices.Equal(checked, []string{"14.1.104.0/24", "14.1.105.0/24"}) {
			t.Errorf("operator asked about %v, want every item", checked)
		}
		q, err := svc.ReviewQueue(ctx, h.staff("reviewer"), QueueFilter{})
		if err != nil || len(q) != 1 || q[0].Diff == nil || q[0].Diff.NewSubscriber != "PTCL-9999-SOMEONE-ELSE" {
			t.Fatalf("queue = %+v, %v", q, err)
		}
		// Returned and resubmitted unchanged: the operator's answer stands.
		if _, _, err := svc.Decide(ctx, h.staff("reviewer"), ren.ID, DecisionInput{Decision: "return", Note: "Attach the transfer letter."}); err != nil {
			t.Fatal(err)
		}
		if got, err := svc.Submit(ctx, u, ren.ID, nil); err != nil || got.State != StateReview {
			t.Fatalf("resubmitted = %+v, %v; want review", got, err)
		}
		if _, r, err := svc.Decide(ctx, h.staff("reviewer"), ren.ID, DecisionInput{Decision: "approve"}); err != nil || !r.ValidUntil.After(reg.ValidUntil) {
			t.Fatalf("approve = %+v, %v", r, err)
		}

		// The neighbour: same subscriber, same items: nothing to confirm.
		u2, reg2 := h.registered(30, "14.1.106.0/24")
		ren2, err := svc.Renew(ctx, u2, reg2.Number, ApplicationInput{})
		if err != nil || ren2.State != StateReview {
			t.Fatalf("plain renewal = %+v, %v", ren2, err)
		}
		got, _ = svc.GetApplication(ctx, h.staff("reviewer"), ren2.ID)
		if got.Diff == nil || got.Diff.OldSubscriber != "" || got.Diff.NewSubscriber != "" {
			t.Errorf("plain renewal diff = %+v", got.Diff)
		}
	})
}

// TestChangeUnderAppeal: a rejected renewal or amendment with a pending
// appeal is still its registration's open change: no second change may
// start, so an overturn never approves or reopens two.
func TestChangeUnderAppeal(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		rev, sup := h.staff("reviewer"), h.staff("supervisor")
		u, reg := h.registered(30, "14.1.104.0/24", "14.1.105.0/24")
		ren, err := svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Decide(ctx, rev, ren.ID, DecisionInput{Decision: "reject", ReasonCode: "fee_unpaid"}); err != nil {
			t.Fatal(err)
		}
		// Rejected, not appealed: another renewal may start (then withdrawn).
		other, err := svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		if err != nil {
			t.Fatalf("renewal after a rejection: %v", err)
		}
		if _, err := svc.Withdraw(ctx, u, other.ID); err != nil {
			t.Fatal(err)
		}
		ap, err := svc.SubmitAppeal(ctx, u, ren.ID, "The fee was paid; the challan is attached.")
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		wantCode(t, err, ECONFLICT, "rejected renewal (application "+ren.ID+") whose appeal "+ap.ID+" is pending")
		_, _, err = svc.Amend(ctx, u, reg.Number, AmendmentInput{Add: []string{"14.1.107.0/24"}})
		wantCode(t, err, ECONFLICT, "appeal "+ap.ID)
		_, _, err = svc.Amend(ctx, u, reg.Number, AmendmentInput{Remove: []string{"14.1.105.0/24"}})
		wantCode(t, err, ECONFLICT, "appeal "+ap.ID)
		opts, err := svc.RegistrationChanges(ctx, u, reg.Number)
		if err != nil || opts.CanRenew || opts.CanAmend || opts.Open == nil || opts.Open.ID != ren.ID || !strings.Contains(opts.RenewBlocked, ap.ID) {
			t.Fatalf("options under appeal = %+v, %v", opts, err)
		}
		// Overturned to approve: extended once.
		_, _, r, err := svc.DecideAppeal(ctx, sup, ap.ID, AppealDecisionInput{Decision: "overturn", Outcome: OutcomeApprove})
		if err != nil {
			t.Fatal(err)
		}
		if want := reg.ValidUntil.AddDate(0, 0, 365); !r.ValidUntil.Equal(want) {
			t.Errorf("valid until %s after the overturn, want %s", r.ValidUntil, want)
		}

		// An amendment: rejected, appealed, a second one refused, the
		// overturn returns it (no 500).
		am, err := h.amendReview(u, reg.Number, "14.1.107.0/24")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Decide(ctx, rev, am.ID, DecisionInput{Decision: "reject", ReasonCode: "insufficient_purpose"}); err != nil {
			t.Fatal(err)
		}
		ap2, err := svc.SubmitAppeal(ctx, u, am.ID, "The new office needs it; the lease is attached.")
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = svc.Amend(ctx, u, reg.Number, AmendmentInput{Add: []string{"14.1.108.0/24"}})
		wantCode(t, err, ECONFLICT, "rejected amendment (application "+am.ID+") whose appeal "+ap2.ID)
		_, back, _, err := svc.DecideAppeal(ctx, sup, ap2.ID, AppealDecisionInput{Decision: "overturn", Outcome: OutcomeReturn, Note: "Attach the lease."})
		if err != nil || back.State != StateReturned {
			t.Fatalf("overturn to return = %+v, %v", back, err)
		}
	})
}

// amendReview files an amendment adding addrs and has the operator
// confirm it, so it is in review.
func (h *harness) amendReview(u *User, number string, addrs ...string) (*Application, error) {
	h.t.Helper()
	_, a, err := h.svc.Amend(h.ctx, u, number, AmendmentInput{Add: addrs})
	if err != nil {
		return nil, err
	}
	h.confirm(a.ID)
	return a, nil
}

// TestOverturnBesideOpenChange: a rejection appealed after another change
// was filed cannot be overturned until that change is decided: a clear
// conflict, not a database error.
func TestOverturnBesideOpenChange(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		rev, sup := h.staff("reviewer"), h.staff("supervisor")
		u, reg := h.registered(30, "14.1.104.0/24")
		am, err := h.amendReview(u, reg.Number, "14.1.107.0/24")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Decide(ctx, rev, am.ID, DecisionInput{Decision: "reject", ReasonCode: "insufficient_purpose"}); err != nil {
			t.Fatal(err)
		}
		ren, err := svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		if err != nil {
			t.Fatal(err)
		}
		ap, err := svc.SubmitAppeal(ctx, u, am.ID, "The new office needs it.")
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []AppealDecisionInput{{Decision: "overturn", Outcome: OutcomeApprove}, {Decision: "overturn", Outcome: OutcomeReturn, Note: "Fix it."}} {
			_, _, _, err = svc.DecideAppeal(ctx, sup, ap.ID, in)
			wantCode(t, err, ECONFLICT, "another open change (application "+ren.ID, "uphold")
		}
		// Once the renewal is decided, the overturn goes through.
		if _, _, err := svc.Decide(ctx, rev, ren.ID, DecisionInput{Decision: "approve"}); err != nil {
			t.Fatal(err)
		}
		_, _, r, err := svc.DecideAppeal(ctx, sup, ap.ID, AppealDecisionInput{Decision: "overturn", Outcome: OutcomeApprove})
		if err != nil || !slices.Equal(itemsOf(r), []string{"14.1.104.0/24", "14.1.107.0/24"}) {
			t.Fatalf("overturn after the renewal = %+v, %v", r, err)
		}
	})
}

// TestAmendmentItemLimit: an amendment may not take a registration past
// max_items, counting what it holds, what is added and what is given up;
// an approval re-checks against the settings of the day.
func TestAmendmentItemLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		admin := h.staff("admin")
		set, err := svc.Settings(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		set.MaxItems = 4
		if _, err := svc.UpdateSettings(ctx, admin, set); err != nil {
			t.Fatal(err)
		}
		u, reg := h.registered(100, "14.1.104.0/24", "14.1.105.0/24", "14.1.106.0/24")
		_, _, err = svc.Amend(ctx, u, reg.Number, AmendmentInput{Add: []string{"14.1.107.0/24", "14.1.108.0/24"}})
		wantCode(t, err, EINVALID, "add: would give registration "+reg.Number+" 5 addresses or numbers, more than the limit of 4: it holds 3, so add at most 1")
		if r, _ := svc.GetRegistration(ctx, u, reg.Number); len(itemsOf(r)) != 3 {
			t.Fatalf("a refused amendment changed the registration: %v", itemsOf(r))
		}
		// Giving one up makes room; the limit itself is allowed.
		r, am, err := svc.Amend(ctx, u, reg.Number, AmendmentInput{Remove: []string{"14.1.106.0/24"}, Add: []string{"14.1.107.0/24", "14.1.108.0/24"}})
		if err != nil || len(itemsOf(r)) != 2 {
			t.Fatalf("amend within the limit = %v, %v", r, err)
		}
		h.confirm(am.ID)
		// The limit lowered before the decision: the approval is refused.
		set.MaxItems = 3
		if _, err := svc.UpdateSettings(ctx, admin, set); err != nil {
			t.Fatal(err)
		}
		_, _, err = svc.Decide(ctx, h.staff("reviewer"), am.ID, DecisionInput{Decision: "approve"})
		wantCode(t, err, ECONFLICT, "past the limit of 3")
		set.MaxItems = 4
		if _, err := svc.UpdateSettings(ctx, admin, set); err != nil {
			t.Fatal(err)
		}
		if _, r, err = svc.Decide(ctx, h.staff("reviewer"), am.ID, DecisionInput{Decision: "approve"}); err != nil || len(itemsOf(r)) != 4 {
			t.Fatalf("approve at the limit = %v, %v", r, err)
		}
	})
}

// TestDiffAfterGivingUp: what is given up while an amendment is open is
// on the amendment: in its diff (removed) and its timeline.
func TestDiffAfterGivingUp(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		u, reg := h.registered(100, "14.1.104.0/24", "14.1.105.0/24", "14.1.106.0/24")
		am, err := h.amendReview(u, reg.Number, "14.1.107.0/24")
		if err != nil {
			t.Fatal(err)
		}
		if _, a, err := svc.Amend(ctx, u, reg.Number, AmendmentInput{Remove: []string{"14.1.105.0/24"}}); err != nil || a != nil {
			t.Fatalf("give up beside the amendment = %+v, %v", a, err)
		}
		got, err := svc.GetApplication(ctx, h.staff("reviewer"), am.ID)
		if err != nil {
			t.Fatal(err)
		}
		d := got.Diff
		if d == nil || !slices.Equal(d.Added, []string{"14.1.107.0/24"}) || !slices.Equal(d.Removed, []string{"14.1.105.0/24"}) ||
			!slices.Equal(d.Unchanged, []string{"14.1.104.0/24", "14.1.106.0/24"}) {
			t.Fatalf("diff = %+v", d)
		}
		if ev := got.Events[len(got.Events)-1]; ev.Type != "items_given_up" || ev.Note != "14.1.105.0/24" {
			t.Errorf("amendment's last event = %+v", ev)
		}
		if _, r, err := svc.Decide(ctx, h.staff("reviewer"), am.ID, DecisionInput{Decision: "approve"}); err != nil ||
			!slices.Equal(itemsOf(r), []string{"14.1.104.0/24", "14.1.106.0/24", "14.1.107.0/24"}) {
			t.Fatalf("approved = %v, %v", r, err)
		}
	})
}

// TestChangeNotes: the timeline notes the renewal and amendment code
// writes are messages of the catalog (the portal test translates them):
// whole, with the reviewer's note on a line of its own.
func TestChangeNotes(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		rev := h.staff("reviewer")
		u, reg := h.registered(30, "14.1.104.0/24")
		first, _ := svc.GetApplication(ctx, u, reg.ApplicationID)
		want := "registration " + reg.Number + " valid until " + reg.ValidUntil.Format("2006-01-02")
		if ev := first.Events[len(first.Events)-1]; ev.Type != "approved" || ev.Note != want {
			t.Errorf("approval note = %q, want %q", ev.Note, want)
		}
		ren, err := svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		if err != nil {
			t.Fatal(err)
		}
		_, r, err := svc.Decide(ctx, rev, ren.ID, DecisionInput{Decision: "approve", Note: "Fee checked."})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := svc.GetApplication(ctx, u, ren.ID)
		wantNotes := []string{"renewal of registration " + reg.Number, "",
			fmt.Sprintf("registration %s renewed: valid until %s (was %s)\nFee checked.", reg.Number, r.ValidUntil.Format("2006-01-02"), reg.ValidUntil.Format("2006-01-02"))}
		var notes []string
		for _, e := range got.Events {
			notes = append(notes, e.Note)
		}
		if !slices.Equal(notes, wantNotes) {
			t.Errorf("renewal notes = %q, want %q", notes, wantNotes)
		}
		_, am, err := svc.Amend(ctx, u, reg.Number, AmendmentInput{Add: []string{"14.1.107.0/24"}})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = svc.GetApplication(ctx, u, am.ID)
		if got.Events[0].Note != "amendment of registration "+reg.Number {
			t.Errorf("amendment's first note = %q", got.Events[0].Note)
		}
	})
}

// TestChangesCloseWithRegistration: a registration's end closes its open
// change (withdrawn, with a note), which leaves the review queue; a
// renewal survives expiry; error messages name the action that is left.
func TestChangesCloseWithRegistration(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		rev, sup := h.staff("reviewer"), h.staff("supervisor")
		u, reg := h.registered(30, "14.1.104.0/24")
		ren, err := svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		if err != nil || ren.State != StateReview {
			t.Fatalf("renewal = %+v, %v", ren, err)
		}
		if _, err := svc.Surrender(ctx, u, reg.Number, "Office closed."); err != nil {
			t.Fatal(err)
		}
		got, _ := svc.GetApplication(ctx, u, ren.ID)
		if ev := got.Events[len(got.Events)-1]; got.State != StateWithdrawn || ev.Type != "withdrawn" ||
			ev.Note != "closed: registration "+reg.Number+" was surrendered, so it can no longer be changed" {
			t.Errorf("renewal after the surrender: %s, %+v", got.State, ev)
		}
		if q, _ := svc.ReviewQueue(ctx, rev, QueueFilter{}); len(q) != 0 {
			t.Errorf("queue after the surrender = %v", q)
		}
		_, _, err = svc.Amend(ctx, u, reg.Number, AmendmentInput{Add: []string{"14.1.107.0/24"}})
		wantCode(t, err, ECONFLICT, "was revoked or surrendered, so it cannot be amended: file a new application")
		if err != nil && strings.Contains(err.Error(), "renew") {
			t.Errorf("amending a surrendered registration suggests renewing: %v", err)
		}

		// A rejected amendment appealed, then the registration surrendered:
		// the overturn says to uphold.
		u2, reg2 := h.registered(100, "14.1.108.0/24")
		am, err := h.amendReview(u2, reg2.Number, "14.1.109.0/24")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Decide(ctx, rev, am.ID, DecisionInput{Decision: "reject", ReasonCode: "insufficient_purpose"}); err != nil {
			t.Fatal(err)
		}
		ap, err := svc.SubmitAppeal(ctx, u2, am.ID, "Please look again.")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Surrender(ctx, u2, reg2.Number, ""); err != nil {
			t.Fatal(err)
		}
		_, _, _, err = svc.DecideAppeal(ctx, sup, ap.ID, AppealDecisionInput{Decision: "overturn", Outcome: OutcomeApprove})
		wantCode(t, err, ECONFLICT, "cannot be approved on appeal: uphold the appeal")

		// Expiry closes an open amendment but keeps a renewal (a late
		// renewal revives the registration).
		u3, reg3 := h.registered(30, "14.1.110.0/24")
		am3, err := h.amendReview(u3, reg3.Number, "14.1.111.0/24")
		if err != nil {
			t.Fatal(err)
		}
		u4, reg4 := h.registered(30, "14.1.112.0/24")
		ren4, err := svc.Renew(ctx, u4, reg4.Number, ApplicationInput{})
		if err != nil {
			t.Fatal(err)
		}
		h.setClock(reg4.ValidUntil.Add(time.Hour))
		if _, err := svc.ExpireRegistrations(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ := svc.GetApplication(ctx, u3, am3.ID); got.State != StateWithdrawn {
			t.Errorf("amendment after expiry is %s", got.State)
		}
		if got, _ := svc.GetApplication(ctx, u4, ren4.ID); got.State != StateReview {
			t.Errorf("renewal after expiry is %s", got.State)
		}
		_, _, err = svc.Amend(ctx, u4, reg4.Number, AmendmentInput{Add: []string{"14.1.113.0/24"}})
		wantCode(t, err, ECONFLICT, "expired on "+reg4.ValidUntil.Format("2006-01-02"), "renew it within its renewal window")
	})
}
