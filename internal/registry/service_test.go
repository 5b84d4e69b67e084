package registry_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/docstore"
	. "github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

type harness struct {
	t     *testing.T
	ctx   context.Context
	svc   *Service
	clock *testbin.Clock
	n     int // applicants signed up so far
	// docsDir is the data directory of the document store.
	docsDir string
	// db and blobs are the service's own store and document store, for
	// tests that write what an older release left behind.
	db    Store
	blobs *docstore.Store
	// cfg is the service's configuration.
	cfg Config
	// box is the recording Mailer and Texter, when the configuration has
	// one (withPostbox): each store kind its own.
	box *postbox
}

// eachStore runs fn against a fresh service on every store kind.
func eachStore(t *testing.T, fn func(t *testing.T, h *harness)) { eachStoreWith(t, nil, fn) }

// eachStoreWith is eachStore with the service's configuration adjusted by
// opt.
func eachStoreWith(t *testing.T, opt func(*Config), fn func(t *testing.T, h *harness)) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, kind)
			// Monday 23 November 2026, 10:00 PKT.
			c := testbin.NewClock(time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC))
			dir := t.TempDir()
			docs, err := docstore.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{Now: c.Now, Hashing: auth.TestParams, Documents: docs, DemoWithoutTOTP: true}
			if opt != nil {
				opt(&cfg)
			}
			h := &harness{t: t, ctx: context.Background(), clock: c, docsDir: dir, db: db, blobs: docs,
				svc: NewService(db, cfg), cfg: cfg}
			h.box, _ = cfg.Mailer.(*postbox)
			if err := h.svc.EnsureDemo(h.ctx, "demo-password-1"); err != nil {
				t.Fatal(err)
			}
			fn(t, h)
			if n, err := h.svc.VerifyAudit(h.ctx); err != nil || n == 0 {
				t.Errorf("audit log after the test: %d entries, %v", n, err)
			}
		})
	}
}

// staff logs a demo staff user in and returns it.
func (h *harness) staff(email string) *User {
	h.t.Helper()
	tok, _, err := h.svc.Login(h.ctx, email+"@demo.test", "demo-password-1", "", "127.0.0.1")
	if err != nil {
		h.t.Fatalf("login %s: %v", email, err)
	}
	u, err := h.svc.Authenticate(h.ctx, tok)
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

func (h *harness) applicant(kind string) *User {
	h.t.Helper()
	h.n++
	// Each its own person or company: one account per CNIC or NTN.
	in := SignupInput{Email: fmt.Sprintf("applicant%d@example.com.pk", h.n), Password: "a long password", Kind: kind,
		Name: "Applicant " + fmt.Sprint(h.n), CNIC: fmt.Sprintf("35202-%07d-1", h.n), Mobile: "0300-1234567"}
	if kind == "company" {
		in.NTN = fmt.Sprintf("%07d-8", h.n)
	}
	u, _, err := h.svc.Signup(h.ctx, in)
	if err != nil {
		h.t.Fatalf("signup: %v", err)
	}
	return u
}

func ptr[T any](v T) *T { return &v }

// create files an application and uploads one document for each that its
// category needs, as an applicant does before submitting.
func (h *harness) create(actor *User, in ApplicationInput) (*Application, error) {
	h.t.Helper()
	a, err := h.svc.CreateApplication(h.ctx, actor, in)
	if err != nil {
		return a, err
	}
	for _, r := range RequiredDocuments(a.Category) {
		k := string(r.Kinds[0])
		if _, err := h.svc.UploadDocument(h.ctx, actor, a.ID, UploadInput{Kind: k, Filename: k + ".pdf", Content: testbin.PDF(k)}); err != nil {
			h.t.Fatalf("upload %s: %v", k, err)
		}
	}
	return a, nil
}

func wantCode(t *testing.T, err error, code Code, contains ...string) {
	t.Helper()
	if ErrorCode(err) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Fatalf("error %q does not mention %q", err, c)
		}
	}
}

func companyApp(addrs ...string) ApplicationInput {
	return ApplicationInput{Category: ptr("company_vpn"), OperatorID: ptr("ptcl"), SubscriberID: ptr("PTCL-0042-771"),
		Addresses: &addrs, VPNProtocol: ptr("wireguard"), VPNEndpoints: ptr([]string{"vpn.example.com"}),
		Purpose: ptr("Staff reach the head office systems from home.")}
}

func TestApplicationLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		alice := h.applicant("company")
		a, err := h.create(alice, companyApp("14.1.104.0/24", "::ffff:27.0.184.9"))
		if err != nil {
			t.Fatal(err)
		}
		if a.State != StateDraft || a.Fee.Due || a.Addresses[1].String() != "27.0.184.9/32" {
			t.Fatalf("draft = %+v", a)
		}
		// Another applicant, the operator of another network, and nobody cannot touch it.
		bob := h.applicant("company")
		_, err = svc.GetApplication(ctx, bob, a.ID)
		wantCode(t, err, ENOTFOUND)
		_, err = svc.Submit(ctx, bob, a.ID, nil)
		wantCode(t, err, ENOTFOUND)
		_, err = svc.GetApplication(ctx, nil, a.ID)
		wantCode(t, err, EUNAUTHORIZED)
		reviewer := h.staff("reviewer")
		_, err = h.create(reviewer, companyApp("14.1.104.0/24"))
		wantCode(t, err, EFORBIDDEN)

		a, err = svc.Submit(ctx, alice, a.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.State != StateOperatorCheck || a.SLADueAt.IsZero() {
			t.Fatalf("submitted = %+v", a)
		}
		submitted, due := a.SubmittedAt, a.SLADueAt
		// 10:00 PKT Monday + 8 working hours = 10:00 PKT Tuesday.
		if want := time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC); !due.Equal(want) {
			t.Errorf("SLA due %s, want %s", due, want)
		}
		_, err = svc.Submit(ctx, alice, a.ID, nil)
		wantCode(t, err, ECONFLICT, "state operator_check")

		nayatel := h.staff("operator.nayatel")
		cs, err := svc.ListChecks(ctx, nayatel, "")
		if err != nil || len(cs) != 0 {
			t.Fatalf("another operator sees %d checks, %v", len(cs), err)
		}
		ptcl := h.staff("operator.ptcl")
		cs, err = svc.ListChecks(ctx, ptcl, "")
		if err != nil || len(cs) != 1 || cs[0].SubscriberID != "PTCL-0042-771" || len(cs[0].Addresses) != 2 {
			t.Fatalf("ptcl checks = %+v, %v", cs, err)
		}
		_, err = svc.AnswerCheck(ctx, nayatel, cs[0].ID, "confirmed", "")
		wantCode(t, err, ENOTFOUND)
		_, err = svc.AnswerCheck(ctx, ptcl, cs[0].ID, "disputed", "")
		wantCode(t, err, EINVALID, "note")
		if _, err = svc.AnswerCheck(ctx, ptcl, cs[0].ID, "confirmed", ""); err != nil {
			t.Fatal(err)
		}
		_, err = svc.AnswerCheck(ctx, ptcl, cs[0].ID, "confirmed", "")
		wantCode(t, err, ECONFLICT)

		q, err := svc.ReviewQueue(ctx, reviewer, QueueFilter{})
		if err != nil || len(q) != 1 || q[0].ID != a.ID {
			t.Fatalf("queue = %v, %v", q, err)
		}
		_, err = svc.ReviewQueue(ctx, ptcl, QueueFilter{})
		wantCode(t, err, EFORBIDDEN)
		_, _, err = svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "return"})
		wantCode(t, err, EINVALID, "note")
		_, _, err = svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "reject", ReasonCode: "bogus"})
		wantCode(t, err, EINVALID, "reason_code")
		_, _, err = svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "reject"})
		wantCode(t, err, EINVALID, "reason_code", "is required with a rejection")
		// Every field's error at once: a reason given with an approval,
		// and days out of range (checked against the settings).
		_, _, err = svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "approve", ReasonCode: "duplicate", ValidDays: 99999})
		var de *Error
		if !errors.As(err, &de) || de.Fields["reason_code"] == "" || de.Fields["valid_days"] == "" {
			t.Fatalf("approve with a reason and 99999 days = %v, want errors for reason_code and valid_days", err)
		}
		if _, _, err = svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "return", Note: "Explain the purpose in more detail."}); err != nil {
			t.Fatal(err)
		}

		// A corrected purpose leaves what the operator confirmed unchanged:
		// straight back to review, keeping its place in the queue.
		h.clock.Add(26 * time.Hour)
		if _, err = svc.UpdateApplication(ctx, alice, a.ID, ApplicationInput{Purpose: ptr("Staff reach the head office ERP and mail from home over WireGuard.")}); err != nil {
			t.Fatal(err)
		}
		a, err = svc.Submit(ctx, alice, a.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.State != StateReview || !a.SubmittedAt.Equal(submitted) || !a.SLADueAt.Equal(due) {
			t.Fatalf("resubmitted = state %s submitted %s due %s", a.State, a.SubmittedAt, a.SLADueAt)
		}
		a2, _ := h.create(bob, companyApp("36.255.32.0/24"))
		svc.Submit(ctx, bob, a2.ID, nil)

		a, reg, err := svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "approve", ValidDays: 30})
		if err != nil {
			t.Fatal(err)
		}
		if a.State != StateApproved || !strings.HasPrefix(reg.Number, "VPN-2026-") || len(reg.Number) != 15 || reg.Status != RegActive || len(reg.VerificationCode) != 10 {
			t.Fatalf("approval = %+v / %+v", a, reg)
		}
		_, _, err = svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "reject", ReasonCode: "other", Note: "x"})
		wantCode(t, err, ECONFLICT, "already approved")

		full, err := svc.GetApplication(ctx, alice, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, e := range full.Events {
			types = append(types, e.Type)
		}
		if got := strings.Join(types, ","); got != "created,document_added,document_added,document_added,submitted,operator_confirmed,returned,updated,resubmitted,approved" {
			t.Errorf("timeline = %s", got)
		}

		pub, err := svc.Verify(ctx, strings.ToLower(reg.Number), reg.VerificationCode[:5]+"-"+reg.VerificationCode[5:])
		if err != nil || pub.Status != RegActive || pub.Holder != MaskName(reg.HolderName) || pub.Holder == reg.HolderName {
			t.Fatalf("verify = %+v, %v", pub, err)
		}
		_, err = svc.Verify(ctx, reg.Number, "WRONGCODE2")
		wantCode(t, err, ENOTFOUND)

		// Revocation needs two people.
		_, err = svc.ProposeRevocation(ctx, alice, reg.Number, "x")
		wantCode(t, err, EFORBIDDEN)
		supervisor := h.staff("supervisor")
		rev, err := svc.ProposeRevocation(ctx, supervisor, reg.Number, "Addresses used for a prohibited service.")
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.ProposeRevocation(ctx, reviewer, reg.Number, "again")
		wantCode(t, err, ECONFLICT)
		_, _, err = svc.ConfirmRevocation(ctx, supervisor, rev.ID)
		wantCode(t, err, EFORBIDDEN, "another supervisor")
		_, _, err = svc.ConfirmRevocation(ctx, reviewer, rev.ID)
		wantCode(t, err, EFORBIDDEN)
		second, err := svc.AddUser(ctx, System, AddUserInput{Email: "supervisor2@demo.test", Password: "demo-password-1", Role: RoleSupervisor})
		if err != nil {
			t.Fatal(err)
		}
		_, r, err := svc.ConfirmRevocation(ctx, second, rev.ID)
		if err != nil || r.Status != RegRevoked {
			t.Fatalf("confirm = %+v, %v", r, err)
		}
		pub, _ = svc.Verify(ctx, reg.Number, reg.VerificationCode)
		if pub.Status != RegRevoked {
			t.Errorf("verify after revocation = %s", pub.Status)
		}
		_, err = svc.Surrender(ctx, alice, reg.Number, "")
		wantCode(t, err, ECONFLICT, "revoked")
	})
}

func TestResubmitWithChangedAddressesNeedsNewCheck(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		alice := h.applicant("company")
		a, _ := h.create(alice, companyApp("14.1.104.0/24"))
		svc.Submit(ctx, alice, a.ID, nil)
		ptcl := h.staff("operator.ptcl")
		cs, _ := svc.ListChecks(ctx, ptcl, "")
		svc.AnswerCheck(ctx, ptcl, cs[0].ID, "confirmed", "")
		svc.Decide(ctx, h.staff("reviewer"), a.ID, DecisionInput{Decision: "return", Note: "Wrong prefix?"})
		svc.UpdateApplication(ctx, alice, a.ID, ApplicationInput{Addresses: ptr([]string{"14.1.105.0/24"})})
		a, err := svc.Submit(ctx, alice, a.ID, nil)
		if err != nil || a.State != StateOperatorCheck {
			t.Fatalf("resubmit with new addresses = %s, %v; want operator_check", a.State, err)
		}
		if cs, _ = svc.ListChecks(ctx, ptcl, ""); len(cs) != 1 || cs[0].Addresses[0].String() != "14.1.105.0/24" {
			t.Fatalf("new check = %+v", cs)
		}
	})
}

func TestValidation(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		alice := h.applicant("company")
		ind := h.applicant("individual")
		for _, tt := range []struct {
			name  string
			actor *User
			in    ApplicationInput
			field string
			msg   string
		}{
			{"private", alice, companyApp("14.1.104.0/24", "10.1.2.3"), "addresses[1]", "10.1.2.3/32 is private address space (10.0.0.0/8, RFC 1918) and cannot be registered"},
			{"host bits", alice, companyApp("14.1.104.9/24"), "addresses[0]", "did you mean 14.1.104.0/24?"},
			{"too broad", alice, companyApp("14.1.104.0/22"), "addresses[0]", "/24 or longer"},
			{"duplicate", alice, companyApp("14.1.104.0/24", "14.1.104.0/24"), "addresses[1]", "duplicates"},
			{"overlap within", alice, companyApp("14.1.104.0/24", "14.1.104.7"), "addresses[1]", "overlaps 14.1.104.0/24"},
			{"unknown operator", alice, ApplicationInput{Category: ptr("company_vpn"), OperatorID: ptr("nope")}, "operator_id", "GET /api/v1/operators"},
			{"unknown category", alice, ApplicationInput{Category: ptr("vpn")}, "category", "company_vpn"},
			{"wrong account kind", ind, ApplicationInput{Category: ptr("call_center")}, "category", "freelancer_vpn or mobile_vpn"},
			{"numbers on address category", alice, ApplicationInput{Category: ptr("company_vpn"), MobileNumbers: ptr([]string{"03001234567"})}, "mobile_numbers", "belongs to mobile_vpn only"},
			{"addresses on mobile", ind, ApplicationInput{Category: ptr("mobile_vpn"), Addresses: ptr([]string{"14.1.104.1"})}, "addresses", "does not belong to mobile_vpn"},
			{"fixed operator for mobile", ind, ApplicationInput{Category: ptr("mobile_vpn"), OperatorID: ptr("ptcl")}, "operator_id", "fixed-line"},
			{"bad number", ind, ApplicationInput{Category: ptr("mobile_vpn"), MobileNumbers: ptr([]string{"042-111-222"})}, "mobile_numbers[0]", "03XXXXXXXXX"},
			// Issue 11 §4: one number in two spellings is one number.
			{"same number, trunk digit", ind, ApplicationInput{Category: ptr("mobile_vpn"), MobileNumbers: ptr([]string{"03001234567", "+92 (0)300 1234567"})}, "mobile_numbers[1]", "923001234567 duplicates an earlier entry"},
			{"same number, Urdu digits", ind, ApplicationInput{Category: ptr("mobile_vpn"), MobileNumbers: ptr([]string{"۰۳۰۰۱۲۳۴۵۶۷", "tel:+92-300-1234567"})}, "mobile_numbers[1]", "923001234567 duplicates an earlier entry"},
			{"landline", ind, ApplicationInput{Category: ptr("mobile_vpn"), MobileNumbers: ptr([]string{"042-35761234"})}, "mobile_numbers[0]", "not in a Pakistani mobile range"},
			{"bad protocol", alice, ApplicationInput{Category: ptr("company_vpn"), VPNProtocol: ptr("tor")}, "vpn.protocol", "wireguard"},
			{"bad endpoint", alice, ApplicationInput{Category: ptr("company_vpn"), VPNEndpoints: ptr([]string{"not a host"})}, "vpn.endpoints[0]", "host name"},
			{"invalid utf-8", alice, ApplicationInput{Category: ptr("company_vpn"), Purpose: ptr("bad \xff")}, "purpose", "UTF-8"},
			{"missing category", alice, ApplicationInput{}, "category", "required"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := h.create(tt.actor, tt.in)
				e, ok := err.(*Error)
				if !ok || e.Code != EINVALID || !strings.Contains(e.Fields[tt.field], tt.msg) {
					t.Fatalf("error = %v; want %s: …%s…", err, tt.field, tt.msg)
				}
			})
		}
		// A list over the limit is that one error: its entries are not
		// each checked (and answered) on their own (tester: 94,000
		// repeats drew a 9 MB answer).
		many := make([]string, 5000)
		for i := range many {
			many[i] = "14.1.104.1"
		}
		_, err := h.create(alice, companyApp(many...))
		if e, ok := err.(*Error); !ok || len(e.Fields) != 1 || !strings.Contains(e.Fields["addresses"], "has 5000 entries; at most") {
			t.Errorf("5000 addresses = %v; want the one error on addresses", err)
		}
		// Every spelling is stored in the one canonical form.
		m, err := h.create(ind, ApplicationInput{Category: ptr("mobile_vpn"), MobileNumbers: ptr([]string{"+92 (0)300 1234567", "۰۳۳۳۱۲۳۴۵۶۸", "tel:+92-345-1234567"})})
		if err != nil || !slices.Equal(m.MobileNumbers, []string{"923001234567", "923331234568", "923451234567"}) {
			t.Fatalf("mobile_vpn with spelled numbers = %+v, %v; want 923001234567, 923331234568, 923451234567", m, err)
		}
		apps, _ := svc.ListApplications(ctx, alice, AppFilter{})
		if len(apps) != 0 {
			t.Errorf("invalid creates left %d applications behind", len(apps))
		}
		// Submission requires what a draft may leave out.
		a, err := h.create(alice, ApplicationInput{Category: ptr("company_vpn")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Submit(ctx, alice, a.ID, nil)
		e := err.(*Error)
		for _, f := range []string{"operator_id", "subscriber_id", "addresses", "vpn.protocol", "purpose"} {
			if e.Fields[f] == "" {
				t.Errorf("submit of an empty draft does not name %s: %v", f, e)
			}
		}
		if a, _ = svc.GetApplication(ctx, alice, a.ID); a.State != StateDraft {
			t.Errorf("a failed submit changed the state to %s", a.State)
		}
		// Signup.
		_, _, err = svc.Signup(ctx, SignupInput{Email: "x", Password: "short", Kind: "firm", CNIC: "1", Mobile: "1"})
		e = err.(*Error)
		for _, f := range []string{"email", "password", "kind", "name", "cnic", "mobile"} {
			if e.Fields[f] == "" {
				t.Errorf("signup does not name %s: %v", f, e)
			}
		}
		_, _, err = svc.Signup(ctx, SignupInput{Email: " " + strings.ToUpper(alice.Email), Password: "another password", Kind: "individual", Name: "X", CNIC: "3520212345671", Mobile: "03001234567"})
		wantCode(t, err, ECONFLICT)
		_, _, err = svc.Signup(ctx, SignupInput{Email: "co@example.com.pk", Password: "another password", Kind: "company", Name: "Co", CNIC: "3520212345671", Mobile: "03001234567"})
		wantCode(t, err, EINVALID, "ntn")
	})
}

func TestFeeAndFlags(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		alice, bob := h.applicant("company"), h.applicant("company")
		admin := h.staff("admin")
		if err := svc.LoadOperatorPrefixes(ctx, admin, "ptcl", nil); err != nil {
			t.Fatal(err)
		}
		// Bob holds 14.1.104.0/24 (pending).
		b, _ := h.create(bob, companyApp("14.1.104.0/24"))
		if _, err := svc.Submit(ctx, bob, b.ID, nil); err != nil {
			t.Fatal(err)
		}
		in := companyApp("14.1.104.5", "14.1.106.1", "14.1.106.2", "14.1.106.3", "8.8.8.0/24")
		in.Category = ptr("call_center")
		a, err := h.create(alice, in)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Fee.Due || a.Fee.AmountPKR != DefaultSettings.FeeAmountPKR {
			t.Fatalf("fee for 5 call-centre addresses = %+v", a.Fee)
		}
		_, err = svc.Submit(ctx, alice, a.ID, nil)
		wantCode(t, err, EINVALID, "payment_reference", "PKR 10,000 is due")
		a, err = svc.Submit(ctx, alice, a.ID, ptr("PSID-1234567890"))
		if err != nil {
			t.Fatal(err)
		}
		flags := map[string]string{}
		for _, f := range a.Flags {
			flags[f.Code+" "+f.Item] = f.Detail
		}
		if _, ok := flags["outside_country 8.8.8.0/24"]; !ok {
			t.Errorf("no outside_country flag: %v", flags)
		}
		if d := flags["overlap 14.1.104.5/32"]; !strings.Contains(d, "another account") {
			t.Errorf("no overlap flag: %v", flags)
		}
		// The applicant's own view hides whose the overlapping address is …
		mine, _ := svc.GetApplication(ctx, alice, a.ID)
		for _, f := range mine.Flags {
			if f.Code == FlagOverlap && strings.Contains(f.Detail, b.ID) {
				t.Errorf("applicant sees another account's application: %s", f.Detail)
			}
		}
		// … the reviewer's does not.
		full, _ := svc.GetApplication(ctx, h.staff("reviewer"), a.ID)
		found := false
		for _, f := range full.Flags {
			found = found || f.Code == FlagOverlap && strings.Contains(f.Detail, b.ID)
		}
		if !found {
			t.Errorf("reviewer does not see which application overlaps: %+v", full.Flags)
		}
		// Operator space: once loaded, addresses outside it are flagged.
		if err := svc.LoadOperatorPrefixes(ctx, admin, "nayatel", mustPrefixes("14.1.104.0/22")); err != nil {
			t.Fatal(err)
		}
		in2 := companyApp("14.1.105.0/24", "27.0.184.0/24")
		in2.OperatorID = ptr("nayatel")
		c, _ := h.create(bob, in2)
		c, _ = svc.Submit(ctx, bob, c.ID, nil)
		var outside []string
		for _, f := range c.Flags {
			if f.Code == FlagOutsideOperatorSpace {
				outside = append(outside, f.Item)
			}
		}
		if strings.Join(outside, ",") != "27.0.184.0/24" {
			t.Errorf("outside_operator_space flags = %v", outside)
		}
		// Each process keeps the space it read (operatorSpaces); a load
		// through another replica reaches it by the space's version, at
		// the next view, without a restart.
		replica := NewService(h.db, h.cfg)
		rev := h.staff("reviewer")
		outsideOn := func(on *Service) string {
			t.Helper()
			v, err := on.GetApplication(ctx, rev, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, f := range v.Flags {
				if f.Code == FlagOutsideOperatorSpace {
					out = append(out, f.Item)
				}
			}
			return strings.Join(out, ",")
		}
		if got := outsideOn(replica); got != "27.0.184.0/24" {
			t.Errorf("the replica's view: outside_operator_space %q, want 27.0.184.0/24", got)
		}
		if err := svc.LoadOperatorPrefixes(ctx, admin, "nayatel", mustPrefixes("14.1.104.0/22", "27.0.184.0/22")); err != nil {
			t.Fatal(err)
		}
		if got := outsideOn(replica); got != "" {
			t.Errorf("the replica's view after another replica widened the space: outside_operator_space %q, want none", got)
		}
		if err := replica.LoadOperatorPrefixes(ctx, admin, "nayatel", mustPrefixes("14.1.104.0/22")); err != nil {
			t.Fatal(err)
		}
		if got := outsideOn(svc); got != "27.0.184.0/24" {
			t.Errorf("the first replica's view after the space narrowed again: outside_operator_space %q, want 27.0.184.0/24", got)
		}
		// Many addresses.
		set, _ := svc.Settings(ctx, admin)
		set.ManyItems = 2
		if _, err := svc.UpdateSettings(ctx, admin, set); err != nil {
			t.Fatal(err)
		}
		d, _ := h.create(alice, companyApp("14.1.107.1", "14.1.107.2"))
		d, _ = svc.Submit(ctx, alice, d.ID, nil)
		if len(d.Flags) != 1 || d.Flags[0].Code != FlagManyAddresses {
			t.Errorf("flags with many_items = 2: %+v", d.Flags)
		}
		// Flagged or not, it reaches the queue only after the operator check.
		q, _ := svc.ReviewQueue(ctx, h.staff("reviewer"), QueueFilter{Flag: FlagManyAddresses})
		if len(q) != 0 {
			t.Errorf("queue shows applications still in operator check: %d", len(q))
		}
	})
}

func mustPrefixes(ss ...string) []NetipPrefix {
	var out []NetipPrefix
	for _, s := range ss {
		out = append(out, MustPrefix(s))
	}
	return out
}

func TestDeadlinesAndExpiry(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		ind := h.applicant("individual")
		a, err := h.create(ind, ApplicationInput{Category: ptr("mobile_vpn"), OperatorID: ptr("jazz"),
			SubscriberID: ptr("MSISDN owner"), MobileNumbers: ptr([]string{"+92 300 1234567", "0333-7654321"}),
			VPNProtocol: ptr("openvpn"), Purpose: ptr("Freelance work for a client abroad.")})
		if err != nil {
			t.Fatal(err)
		}
		if a.MobileNumbers[0] != "923001234567" || a.MobileNumbers[1] != "923337654321" {
			t.Fatalf("numbers = %v", a.MobileNumbers)
		}
		svc.Submit(ctx, ind, a.ID, nil)
		h.clock.Add(47 * time.Hour)
		if res, _ := svc.RunJobs(ctx); res.ChecksExpired != 0 {
			t.Fatalf("a check expired before its deadline")
		}
		h.clock.Add(2 * time.Hour)
		res, err := svc.RunJobs(ctx)
		if err != nil || res.ChecksExpired != 1 {
			t.Fatalf("RunJobs = %+v, %v", res, err)
		}
		reviewer := h.staff("reviewer")
		q, _ := svc.ReviewQueue(ctx, reviewer, QueueFilter{Flag: FlagOperatorUnanswered, Overdue: ptr(true)})
		if len(q) != 1 || q[0].ID != a.ID {
			t.Fatalf("queue of unanswered, overdue = %v", q)
		}
		_, reg, err := svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "approve", ValidDays: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "approve", ValidDays: 5000})
		wantCode(t, err, ECONFLICT)
		h.clock.Add(25 * time.Hour)
		if pub, _ := svc.Verify(ctx, reg.Number, reg.VerificationCode); pub.Status != RegExpired {
			t.Errorf("verify past validity = %s, want expired even before the job runs", pub.Status)
		}
		if res, _ = svc.RunJobs(ctx); res.RegistrationsExpired != 1 {
			t.Fatalf("RunJobs = %+v", res)
		}
		r, _ := svc.GetRegistration(ctx, ind, reg.Number)
		if r.Status != RegExpired {
			t.Errorf("registration status = %s", r.Status)
		}
		// Login tokens expire too (12 h by default).
		if _, err := svc.Authenticate(ctx, mustLogin(t, h, "reviewer")); err != nil {
			t.Fatal(err)
		}
		tok := mustLogin(t, h, "reviewer")
		h.clock.Add(13 * time.Hour)
		_, err = svc.Authenticate(ctx, tok)
		wantCode(t, err, EUNAUTHORIZED, "expired")
	})
}

func mustLogin(t *testing.T, h *harness, who string) string {
	tok, _, err := h.svc.Login(h.ctx, who+"@demo.test", "demo-password-1", "", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestWithdrawAndSurrender(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		alice := h.applicant("company")
		a, _ := h.create(alice, companyApp("14.1.104.0/24"))
		svc.Submit(ctx, alice, a.ID, nil)
		if a, err := svc.Withdraw(ctx, alice, a.ID); err != nil || a.State != StateWithdrawn {
			t.Fatalf("withdraw = %v, %v", a, err)
		}
		if cs, _ := svc.ListChecks(ctx, h.staff("operator.ptcl"), ""); len(cs) != 0 {
			t.Errorf("withdrawn application still has %d pending checks", len(cs))
		}
		_, err := svc.Withdraw(ctx, alice, a.ID)
		wantCode(t, err, ECONFLICT, "withdrawn")
		_, err = svc.UpdateApplication(ctx, alice, a.ID, ApplicationInput{Purpose: ptr("x")})
		wantCode(t, err, ECONFLICT)

		b, _ := h.create(alice, companyApp("14.1.104.0/24"))
		svc.Submit(ctx, alice, b.ID, nil)
		ptcl := h.staff("operator.ptcl")
		cs, _ := svc.ListChecks(ctx, ptcl, "")
		svc.AnswerCheck(ctx, ptcl, cs[0].ID, "disputed", "Subscriber PTCL-0042-771 holds 14.1.105.0/24, not this.")
		b, _ = svc.GetApplication(ctx, alice, b.ID)
		if len(b.Flags) == 0 || b.Flags[len(b.Flags)-1].Code != FlagOperatorDisputed {
			t.Fatalf("disputed flags = %+v", b.Flags)
		}
		_, reg, err := svc.Decide(ctx, h.staff("supervisor"), b.ID, DecisionInput{Decision: "approve"})
		if err != nil {
			t.Fatal(err)
		}
		if d := reg.ValidUntil.Sub(reg.ValidFrom); d < 364*24*time.Hour || d > 366*24*time.Hour {
			t.Errorf("default validity = %s", d)
		}
		other := h.applicant("company")
		_, err = svc.Surrender(ctx, other, reg.Number, "")
		wantCode(t, err, ENOTFOUND)
		_, err = svc.GetRegistration(ctx, other, reg.Number)
		wantCode(t, err, ENOTFOUND)
		r, err := svc.Surrender(ctx, alice, reg.Number, "Office closed")
		if err != nil || r.Status != RegSurrendered {
			t.Fatalf("surrender = %+v, %v", r, err)
		}
		st, _ := svc.Stats(ctx)
		if st.RegistrationsByStatus[RegSurrendered] != 1 || st.ApplicationsByState[StateWithdrawn] != 1 {
			t.Errorf("stats = %+v", st)
		}
	})
}
