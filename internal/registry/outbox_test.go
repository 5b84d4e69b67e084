package registry_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/notify"
	. "github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// postbox records what a Mailer and Texter were given; fail, when set,
// decides whether a message is refused.
type postbox struct {
	mu     sync.Mutex
	emails []notify.Email
	sms    []notify.SMS
	fail   func(to string) error
}

func (p *postbox) SendEmail(ctx context.Context, m notify.Email) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		if err := p.fail(m.To); err != nil {
			return err
		}
	}
	p.emails = append(p.emails, m)
	return nil
}

func (p *postbox) SendSMS(ctx context.Context, m notify.SMS) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		if err := p.fail(m.To); err != nil {
			return err
		}
	}
	p.sms = append(p.sms, m)
	return nil
}

// take returns and forgets what arrived.
func (p *postbox) take() ([]notify.Email, []notify.SMS) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, s := p.emails, p.sms
	p.emails, p.sms = nil, nil
	return e, s
}

const publicURL = "https://registry.example.pk"

// attachCertificate stands in for the certificate part's PDF: a real,
// small PDF naming the registration.
func attachCertificate(ctx context.Context, ref string) (notify.Attachment, error) {
	number, ok := strings.CutPrefix(ref, "certificate:")
	if !ok {
		return notify.Attachment{}, fmt.Errorf("unknown attachment %q", ref)
	}
	return notify.Attachment{Name: number + ".pdf", ContentType: "application/pdf", Data: testbin.PDF("Certificate " + number)}, nil
}

// withPostbox gives each service its own recording transport (h.box),
// which refuses what fail, if set, refuses.
func withPostbox(fail func(to string) error) func(*Config) {
	return func(c *Config) {
		p := &postbox{fail: fail}
		c.Mailer, c.Texter, c.Attach, c.PublicURL = p, p, attachCertificate, publicURL+"/"
	}
}

func (h *harness) deliver() int {
	h.t.Helper()
	n, err := h.svc.DeliverOutbox(h.ctx)
	if err != nil {
		h.t.Fatalf("DeliverOutbox: %v", err)
	}
	return n
}

var linkToken = regexp.MustCompile(`token=([A-Za-z0-9_%-]+)`)

func tokenIn(t *testing.T, text string) string {
	t.Helper()
	m := linkToken.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no link with a token in %q", text)
	}
	tok, err := url.QueryUnescape(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// One message per event and channel, in the applicant's language, from
// sign-up to the registration's end; links start with the public URL and
// the approval carries the certificate.
func TestNotificationsLifecycle(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		ctx, svc, box := h.ctx, h.svc, h.box
		box.take()
		alice, _, err := svc.Signup(ctx, SignupInput{Email: "alice@example.pk", Password: "a long password", Kind: "individual",
			Name: "علی رضا", CNIC: "35202-7654321-1", Mobile: "0300-1234567", Lang: "ur"})
		if err != nil {
			t.Fatal(err)
		}
		if n := h.deliver(); n != 1 {
			t.Fatalf("after sign-up %d messages sent, want 1 (verification)", n)
		}
		mails, texts := box.take()
		if len(mails) != 1 || len(texts) != 0 || mails[0].To != "alice@example.pk" || mails[0].Lang != "ur" ||
			!strings.Contains(mails[0].Subject, "ای میل") || !strings.Contains(mails[0].HTML, `dir="rtl"`) ||
			!strings.Contains(mails[0].Text, publicURL+"/verify-email?token=") {
			t.Fatalf("verification mail = %+v", mails)
		}
		if alice.EmailVerifiedAt.IsZero() == false {
			t.Fatal("verified before opening the link")
		}
		tok := tokenIn(t, mails[0].Text)
		u, err := svc.VerifyEmail(ctx, tok)
		if err != nil || u.EmailVerifiedAt.IsZero() {
			t.Fatalf("VerifyEmail = %+v, %v", u, err)
		}
		_, err = svc.VerifyEmail(ctx, tok)
		wantCode(t, err, ENOTFOUND, "used already")
		alice, _ = svc.Authenticate(ctx, mustLoginAs(t, h, "alice@example.pk", "a long password"))
		wantCode(t, svc.ResendEmailVerification(ctx, alice), ECONFLICT, "verified already")

		// Password reset: the link is mailed, once.
		if _, err := svc.RequestPasswordReset(ctx, "ALICE@example.pk", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		h.deliver()
		mails, _ = box.take()
		if len(mails) != 1 || !strings.Contains(mails[0].Text, publicURL+"/password/reset?token=") {
			t.Fatalf("reset mail = %+v", mails)
		}
		if err := svc.ResetPassword(ctx, tokenIn(t, mails[0].Text), "another long password", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		alice, _ = svc.Authenticate(ctx, mustLoginAs(t, h, "alice@example.pk", "another long password"))

		a, err := h.create(alice, ApplicationInput{Category: ptr("mobile_vpn"), OperatorID: ptr("jazz"),
			SubscriberID: ptr("MSISDN owner"), MobileNumbers: ptr([]string{"0300-1234567"}),
			VPNProtocol: ptr("openvpn"), Purpose: ptr("Freelance work for a client abroad.")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Submit(ctx, alice, a.ID, nil); err != nil {
			t.Fatal(err)
		}
		cs, _ := svc.ListChecks(ctx, h.staff("operator.jazz"), "")
		if _, err := svc.AnswerCheck(ctx, h.staff("operator.jazz"), cs[0].ID, "confirmed", ""); err != nil {
			t.Fatal(err)
		}
		h.deliver()
		mails, texts = box.take()
		subjects := ""
		for _, m := range mails {
			subjects += m.Subject + "\n" + m.Text
		}
		if len(mails) != 2 || len(texts) != 0 || !strings.Contains(subjects, "ہمیں آپ کی درخواست "+a.ID+" مل گئی ہے") ||
			!strings.Contains(subjects, "آپ کے آپریٹر نے تصدیق کر دی") {
			t.Fatalf("after submit and check: %d mails %+v, %d texts", len(mails), mails, len(texts))
		}
		_, reg, err := svc.Decide(ctx, h.staff("reviewer"), a.ID, DecisionInput{Decision: "approve", ValidDays: 365})
		if err != nil {
			t.Fatal(err)
		}
		if n := h.deliver(); n != 2 {
			t.Fatalf("approval sent %d messages, want an e-mail and an SMS", n)
		}
		mails, texts = box.take()
		// Alice's name is in Urdu script, which the certificate cannot
		// print: the approval says there is no certificate and why,
		// rather than "attached" (the certificate tests cover a PDF
		// attached to the approval of a Latin-script name).
		if len(mails) != 1 || len(mails[0].Attachments) != 0 || !strings.Contains(mails[0].Subject, reg.Number) ||
			strings.Contains(mails[0].Text, "منسلک ہے") || !strings.Contains(mails[0].Text, "اس رجسٹریشن کا کوئی سرٹیفکیٹ نہیں") ||
			!strings.Contains(mails[0].HTML, "اس رجسٹریشن کا کوئی سرٹیفکیٹ نہیں") {
			t.Fatalf("approval mail = %+v", mails)
		}
		if len(texts) != 1 || texts[0].To != "923001234567" || texts[0].Lang != "ur" || !strings.Contains(texts[0].Text, reg.Number) ||
			SMSParts(texts[0].Text) > 2 || strings.Contains(texts[0].Text, "ای میل میں ہے") || !strings.Contains(texts[0].Text, "سرٹیفکیٹ نہیں بنتا") {
			t.Fatalf("approval SMS = %+v", texts)
		}
		if n := h.deliver(); n != 0 {
			t.Errorf("a second delivery sent %d messages again", n)
		}
		// The key travels as the Message-ID's left side: dot-atom text.
		for _, id := range []string{mails[0].MessageID, texts[0].MessageID} {
			if !regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`).MatchString(id) {
				t.Errorf("MessageID %q is not dot-atom text", id)
			}
		}

		// Reminders: 30 days before the end, then 7, each once.
		h.clock.Add(340 * 24 * time.Hour)
		for i, want := range []int{1, 0} {
			if n, err := svc.SendReminders(ctx); err != nil || n != want {
				t.Fatalf("SendReminders run %d = %d, %v; want %d", i, n, err, want)
			}
		}
		h.deliver()
		mails, texts = box.take()
		if len(mails) != 1 || len(texts) != 1 || !strings.Contains(mails[0].Text, "30") || !strings.Contains(texts[0].Text, reg.Number) {
			t.Fatalf("30-day reminder: %+v %+v", mails, texts)
		}
		h.clock.Add(20 * 24 * time.Hour)
		for i, want := range []int{1, 0} {
			if n, err := svc.SendReminders(ctx); err != nil || n != want {
				t.Fatalf("7-day SendReminders run %d = %d, %v; want %d", i, n, err, want)
			}
		}
		h.deliver()
		mails, texts = box.take()
		if len(mails) != 1 || len(texts) != 1 || !strings.Contains(mails[0].Text, " 7 ") {
			t.Fatalf("7-day reminder: %+v %+v", mails, texts)
		}
		h.clock.Add(6 * 24 * time.Hour)
		if res, err := svc.RunJobs(ctx); err != nil || res.RegistrationsExpired != 1 {
			t.Fatalf("RunJobs = %+v, %v", res, err)
		}
		h.deliver()
		mails, texts = box.take()
		if len(mails) != 1 || len(texts) != 0 || !strings.Contains(mails[0].Subject, "میعاد ختم") {
			t.Fatalf("expiry: %+v %+v", mails, texts)
		}
		if n, _ := svc.SendReminders(ctx); n != 0 {
			t.Errorf("an ended registration was reminded")
		}
		// Records of sent messages go after 90 days (outbox_keep_days);
		// the last ones (the expiry) were sent just now.
		admin := h.staff("admin")
		before, _ := svc.ListOutbox(ctx, admin, "sent")
		h.clock.Add(89 * 24 * time.Hour)
		n, err := svc.PurgeOutbox(ctx)
		after, _ := svc.ListOutbox(ctx, admin, "sent")
		if err != nil || n == 0 || len(after) != len(before)-n || len(after) == 0 {
			t.Fatalf("PurgeOutbox = %d, %v: %d sent before, %d after", n, err, len(before), len(after))
		}
		for _, m := range after {
			if m.SentAt.Before(h.clock.Now().AddDate(0, 0, -90)) {
				t.Errorf("a message sent on %s was kept", m.SentAt)
			}
		}
	})
}

func mustLoginAs(t *testing.T, h *harness, email, password string) string {
	t.Helper()
	tok, _, err := h.svc.Login(h.ctx, email, password, "", "127.0.0.1")
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return tok
}

// Returned, rejected, revoked and surrendered reach the applicant in
// English with the note, reason and appeal deadline; staff get one digest a
// day of overdue applications.
func TestNotificationsDecisionsAndDigest(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		ctx, svc, box := h.ctx, h.svc, h.box
		bob := h.applicant("company")
		a, _ := h.create(bob, companyApp("14.1.104.0/24"))
		b, _ := h.create(bob, companyApp("14.1.105.0/24"))
		for _, x := range []*Application{a, b} {
			if _, err := svc.Submit(ctx, bob, x.ID, nil); err != nil {
				t.Fatal(err)
			}
		}
		// Digest: nothing is overdue yet; a day later both are.
		if n, err := svc.SendDigests(ctx); err != nil || n != 0 {
			t.Fatalf("SendDigests with nothing overdue = %d, %v", n, err)
		}
		h.clock.Add(30 * time.Hour)
		n, err := svc.SendDigests(ctx)
		if err != nil || n != 2 { // the demo's reviewer and supervisor
			t.Fatalf("SendDigests = %d, %v; want 2", n, err)
		}
		if n, _ := svc.SendDigests(ctx); n != 0 {
			t.Errorf("a second digest the same day: %d", n)
		}
		box.take()
		h.deliver()
		mails, _ := box.take()
		digests := 0
		for _, m := range mails {
			if strings.Contains(m.Subject, "Past their due time") {
				digests++
				if !strings.HasSuffix(m.To, "@demo.test") || !strings.Contains(m.Text, a.ID) || !strings.Contains(m.Text, b.ID) ||
					!strings.Contains(m.Text, publicURL+"/review") {
					t.Errorf("digest = %+v", m)
				}
			}
		}
		if digests != 2 {
			t.Errorf("%d digests arrived, want 2", digests)
		}

		reviewer := h.staff("reviewer")
		for _, x := range []*Application{a, b} {
			cs, _ := svc.ListChecks(ctx, h.staff("operator.ptcl"), CheckPending)
			for _, c := range cs {
				if c.ApplicationID == x.ID {
					svc.AnswerCheck(ctx, h.staff("operator.ptcl"), c.ID, "confirmed", "")
				}
			}
		}
		if _, _, err := svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "return", Note: "Attach the PTCL bill for 14.1.104.0/24."}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Decide(ctx, reviewer, b.ID, DecisionInput{Decision: "reject", ReasonCode: "insufficient_purpose", Note: "Say who uses it."}); err != nil {
			t.Fatal(err)
		}
		box.take()
		h.deliver()
		mails, texts := box.take()
		find := func(sub string) notify.Email {
			for _, m := range mails {
				if strings.Contains(m.Subject, sub) {
					return m
				}
			}
			t.Fatalf("no mail with subject %q in %d mails", sub, len(mails))
			return notify.Email{}
		}
		if m := find("please correct it"); !strings.Contains(m.Text, "Attach the PTCL bill") || m.Lang != "en" || !strings.Contains(m.HTML, `dir="ltr"`) {
			t.Errorf("returned mail = %+v", m)
		}
		appealBy := h.clock.Now().Add(30 * 24 * time.Hour).In(PKT.Loc).Format("2006-01-02")
		if m := find("was not approved"); !strings.Contains(m.Text, "the stated purpose does not justify") ||
			!strings.Contains(m.Text, "Say who uses it.") || !strings.Contains(m.Text, "appeal until "+appealBy) {
			t.Errorf("rejected mail = %+v", m)
		}
		if len(texts) != 2 {
			t.Errorf("%d texts for a return and a rejection, want 2: %+v", len(texts), texts)
		}

		// A registration surrendered, another revoked with a reason.
		var regs []*Registration
		for _, addr := range []string{"14.1.106.0/24", "14.1.107.0/24"} {
			x, _ := h.create(bob, companyApp(addr))
			if _, err := svc.Submit(ctx, bob, x.ID, nil); err != nil {
				t.Fatal(err)
			}
			cs, _ := svc.ListChecks(ctx, h.staff("operator.ptcl"), CheckPending)
			for _, c := range cs {
				svc.AnswerCheck(ctx, h.staff("operator.ptcl"), c.ID, "confirmed", "")
			}
			_, reg, err := svc.Decide(ctx, reviewer, x.ID, DecisionInput{Decision: "approve"})
			if err != nil {
				t.Fatal(err)
			}
			regs = append(regs, reg)
		}
		if _, err := svc.Surrender(ctx, bob, regs[0].Number, "Office closed"); err != nil {
			t.Fatal(err)
		}
		rev, err := svc.ProposeRevocation(ctx, reviewer, regs[1].Number, "The addresses now serve a public proxy.")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.ConfirmRevocation(ctx, h.staff("supervisor"), rev.ID); err != nil {
			t.Fatal(err)
		}
		box.take()
		h.deliver()
		mails, texts = box.take()
		if m := find("has been given up"); !strings.Contains(m.Text, regs[0].Number) {
			t.Errorf("surrender mail = %+v", m)
		}
		if m := find("has been revoked"); !strings.Contains(m.Text, "public proxy") || !strings.Contains(m.Subject, regs[1].Number) {
			t.Errorf("revocation mail = %+v", m)
		}
		revokedSMS := 0
		for _, x := range texts {
			if strings.Contains(x.Text, "revoked") {
				revokedSMS++
				if !strings.Contains(x.Text, regs[1].Number) || x.To != "923001234567" {
					t.Errorf("revocation SMS = %+v", x)
				}
			}
			if strings.Contains(x.Text, "given up") {
				t.Errorf("a surrender went by SMS: %+v", x)
			}
		}
		if revokedSMS != 1 {
			t.Errorf("%d revocation texts, want 1 (of %+v)", revokedSMS, texts)
		}
	})
}

// A transport that fails is retried with growing waits; past the give-up
// time the message is failed, listed for admins with its error and no
// body; an admin's resend sends it once the transport works.
func TestOutboxRetryGiveUpResend(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		ctx, svc, box := h.ctx, h.svc, h.box
		admin := h.staff("admin")
		set, _ := svc.Settings(ctx, admin)
		set.OutboxGiveUpHours = 2
		if _, err := svc.UpdateSettings(ctx, admin, set); err != nil {
			t.Fatal(err)
		}
		h.deliver()
		box.take()
		var down atomic.Bool
		down.Store(true)
		box.fail = func(to string) error {
			if down.Load() {
				// The transport quotes the recipient: the outbox masks it.
				return fmt.Errorf("smtp: 451 mailbox <%s> temporarily unavailable", to)
			}
			return nil
		}
		defer func() { box.fail = nil }()
		u := h.applicant("individual") // a verification mail
		if n := h.deliver(); n != 0 {
			t.Fatalf("sent %d with the transport down", n)
		}
		list, err := svc.ListOutbox(ctx, admin, "pending")
		if err != nil || len(list) != 1 || list[0].Attempts != 1 || !strings.Contains(list[0].LastError, "451") ||
			strings.Contains(list[0].LastError, u.Email) || !strings.Contains(list[0].LastError, "***@") ||
			list[0].Recipient == u.Email || !strings.Contains(list[0].Recipient, "***") || list[0].Template != "verify_email" {
			t.Fatalf("pending after a failure = %+v, %v", list, err)
		}
		// Not due again at once: the wait is 30 s to a minute.
		if n := h.deliver(); n != 0 {
			t.Fatal("retried at once")
		}
		if l, _ := svc.ListOutbox(ctx, admin, "pending"); l[0].Attempts != 1 {
			t.Fatalf("attempted again before its time: %+v", l[0])
		}
		attempts := 1
		for range 40 {
			h.clock.Add(10 * time.Minute)
			h.deliver()
			l, _ := svc.ListOutbox(ctx, admin, "")
			attempts = l[0].Attempts
			if l[0].State == MessageFailed {
				break
			}
		}
		failed, _ := svc.ListOutbox(ctx, admin, "failed")
		if len(failed) != 1 || attempts < 4 || attempts > 8 {
			t.Fatalf("after 2 hours of failures: failed = %+v after %d attempts (backoff 1, 2, 4, 8 … minutes within 2 hours)", failed, attempts)
		}
		for _, e := range failed {
			if strings.Contains(fmt.Sprintf("%+v", e), "token") {
				t.Errorf("the admin's view shows the link: %+v", e)
			}
		}
		_, err = svc.ListOutbox(ctx, h.staff("reviewer"), "failed")
		wantCode(t, err, EFORBIDDEN)
		_, err = svc.ListOutbox(ctx, admin, "bogus")
		wantCode(t, err, EINVALID, "state")
		_, err = svc.ResendOutbox(ctx, h.staff("supervisor"), failed[0].ID)
		wantCode(t, err, EFORBIDDEN)

		down.Store(false)
		h.clock.Add(24 * time.Hour)
		if n := h.deliver(); n != 0 {
			t.Fatal("a failed message was sent without a resend")
		}
		e, err := svc.ResendOutbox(ctx, admin, failed[0].ID)
		if err != nil || e.State != MessagePending {
			t.Fatalf("resend = %+v, %v", e, err)
		}
		_, err = svc.ResendOutbox(ctx, admin, failed[0].ID)
		wantCode(t, err, ECONFLICT)
		if n := h.deliver(); n != 1 {
			t.Fatalf("after resend, %d sent", n)
		}
		mails, _ := box.take()
		if len(mails) != 1 || mails[0].To != u.Email {
			t.Fatalf("resent mail = %+v", mails)
		}
		// The link in it still works: the secret outlived the failure.
		if _, err := svc.VerifyEmail(ctx, tokenIn(t, mails[0].Text)); err != nil {
			t.Fatal(err)
		}
		counts, _ := svc.OutboxCounts(ctx)
		for _, c := range counts {
			if c.State != MessageSent {
				t.Errorf("left in the outbox: %+v", c)
			}
		}
	})
}

// permanentErr is what a transport returns for a refused recipient.
type permanentErr struct{}

func (permanentErr) Error() string   { return "550 no such user" }
func (permanentErr) Permanent() bool { return true }

func TestOutboxPermanentFailure(t *testing.T) {
	eachStoreWith(t, withPostbox(func(string) error { return permanentErr{} }), func(t *testing.T, h *harness) {
		h.applicant("individual")
		h.deliver()
		failed, _ := h.svc.ListOutbox(h.ctx, h.staff("admin"), "failed")
		if len(failed) != 1 || failed[0].Attempts != 1 || failed[0].LastError != "550 no such user" {
			t.Fatalf("failed = %+v: a permanent error should give up at once", failed)
		}
	})
}

// markFailStore fails the first MarkMessageSent after a message went out:
// the crash between sending and marking.
type markFailStore struct {
	Store
	armed atomic.Bool
}

func (s *markFailStore) Write(ctx context.Context, fn func(Tx) error) error {
	return s.Store.Write(ctx, func(tx Tx) error { return fn(markFailTx{tx, s}) })
}

type markFailTx struct {
	Tx
	s *markFailStore
}

func (t markFailTx) MarkMessageSent(ctx context.Context, id, owner string, at time.Time) (bool, error) {
	if t.s.armed.CompareAndSwap(true, false) {
		return false, errors.New("connection reset (simulated crash)")
	}
	return t.Tx.MarkMessageSent(ctx, id, owner, at)
}

// A crash between sending a message and marking it sent resends that one
// message, once its lease ends, and no other.
func TestOutboxCrashBetweenSendAndMark(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, kind)
			clock := testbin.NewClock(time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC))
			cfg := Config{Now: clock.Now, Hashing: auth.TestParams}
			withPostbox(nil)(&cfg)
			box := cfg.Mailer.(*postbox)
			wrapped := &markFailStore{Store: db}
			svc := NewService(wrapped, cfg)
			ctx := context.Background()
			for i := range 3 {
				if _, _, err := svc.Signup(ctx, SignupInput{Email: fmt.Sprintf("p%d@example.pk", i), Password: "a long password",
					Kind: "individual", Name: "P", CNIC: fmt.Sprintf("35202-000000%d-1", i), Mobile: "03001234567"}); err != nil {
					t.Fatal(err)
				}
			}
			wrapped.armed.Store(true)
			if _, err := svc.DeliverOutbox(ctx); err == nil || !strings.Contains(err.Error(), "simulated crash") {
				t.Fatalf("DeliverOutbox = %v, want the mark's failure", err)
			}
			first, _ := box.take()
			if len(first) != 1 {
				t.Fatalf("%d sent before the crash, want 1", len(first))
			}
			// A restarted worker (a new Service) sends the rest at once,
			// and the crashed one's message only when its lease ends.
			svc2 := NewService(db, cfg)
			if n, err := svc2.DeliverOutbox(ctx); err != nil || n != 2 {
				t.Fatalf("after the crash: %d sent, %v; want the other 2", n, err)
			}
			clock.Add(5 * time.Minute)
			if n, err := svc2.DeliverOutbox(ctx); err != nil || n != 1 {
				t.Fatalf("after the lease: %d sent, %v; want the crashed one again", n, err)
			}
			if n, _ := svc2.DeliverOutbox(ctx); n != 0 {
				t.Fatalf("%d more", n)
			}
			rest, _ := box.take()
			count := map[string]int{first[0].MessageID: 1}
			for _, m := range rest {
				count[m.MessageID]++
			}
			if len(count) != 3 || count[first[0].MessageID] != 2 {
				t.Errorf("deliveries by message = %v: want each once and the crashed one twice", count)
			}
		})
	}
}

// Two services (replicas) on one PostgreSQL database delivering at once
// send each message exactly once.
func TestOutboxTwoWorkers(t *testing.T) {
	db := storetest.Open(t, "postgres")
	clock := testbin.NewClock(time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC))
	cfg := Config{Now: clock.Now, Hashing: auth.TestParams}
	withPostbox(nil)(&cfg)
	box := cfg.Mailer.(*postbox)
	a, b := NewService(db, cfg), NewService(db, cfg)
	ctx := context.Background()
	const n = 30
	for i := range n {
		if _, _, err := a.Signup(ctx, SignupInput{Email: fmt.Sprintf("p%d@example.pk", i), Password: "a long password",
			Kind: "individual", Name: "P", CNIC: fmt.Sprintf("35202-%07d-1", i), Mobile: "03001234567", ClientIP: fmt.Sprintf("192.0.2.%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var sent [2]int
	for i, svc := range []*Service{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := svc.DeliverOutbox(ctx)
			if err != nil {
				t.Error(err)
			}
			sent[i] = k
		}()
	}
	wg.Wait()
	mails, _ := box.take()
	count := map[string]int{}
	for _, m := range mails {
		count[m.MessageID]++
	}
	if len(count) != n || len(mails) != n || sent[0]+sent[1] != n {
		t.Errorf("%d mails, %d distinct, workers sent %v: want %d, each once", len(mails), len(count), sent, n)
	}
	t.Logf("worker shares: %v", sent)
}

// auditFailStore fails the audit append of a write while armed: the last
// step of an event, after its messages were enqueued.
type auditFailStore struct {
	Store
	armed atomic.Bool
}

func (s *auditFailStore) Write(ctx context.Context, fn func(Tx) error) error {
	return s.Store.Write(ctx, func(tx Tx) error { return fn(auditFailTx{tx, s}) })
}

type auditFailTx struct {
	Tx
	s *auditFailStore
}

func (t auditFailTx) AppendAudit(ctx context.Context, e *audit.Entry) error {
	if t.s.armed.Load() {
		return errors.New("disk full (simulated)")
	}
	return t.Tx.AppendAudit(ctx, e)
}

// A message is written in the transaction of the change that causes it: a
// change that fails leaves no message, and one that commits leaves one.
func TestOutboxSameTransaction(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, kind)
			cfg := Config{Hashing: auth.TestParams}
			withPostbox(nil)(&cfg)
			wrapped := &auditFailStore{Store: db}
			svc := NewService(wrapped, cfg)
			ctx := context.Background()
			in := SignupInput{Email: "tx@example.pk", Password: "a long password", Kind: "individual", Name: "T",
				CNIC: "35202-1111111-1", Mobile: "03001234567"}
			wrapped.armed.Store(true)
			if _, _, err := svc.Signup(ctx, in); err == nil {
				t.Fatal("sign-up succeeded with the audit log failing")
			}
			wrapped.armed.Store(false)
			if n, err := svc.DeliverOutbox(ctx); err != nil || n != 0 {
				t.Fatalf("after a failed sign-up, %d messages sent, %v", n, err)
			}
			if _, _, err := svc.Signup(ctx, in); err != nil {
				t.Fatal(err)
			}
			if n, err := svc.DeliverOutbox(ctx); err != nil || n != 1 {
				t.Fatalf("after the sign-up, %d messages sent, %v; want 1", n, err)
			}
		})
	}
}

// The events other parts emit (appeals, renewal and amendment) already
// send their messages; events without one send nothing.
func TestNotificationsOtherPartsEvents(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		ctx, svc, box := h.ctx, h.svc, h.box
		bob := h.applicant("individual")
		a, _ := h.create(bob, ApplicationInput{Category: ptr("mobile_vpn"), OperatorID: ptr("jazz"),
			SubscriberID: ptr("MSISDN owner"), MobileNumbers: ptr([]string{"0300-1234567"}),
			VPNProtocol: ptr("openvpn"), Purpose: ptr("Freelance work for a client abroad.")})
		h.deliver()
		box.take()
		supervisor := h.staff("supervisor")
		for _, tt := range []struct {
			typ, note, subject, text string
		}{
			{"appeal_upheld", "The purpose is still not stated.", "appeal about application", "the decision stands"},
			{"appeal_overturned", "", "appeal about application", "the decision has been changed"},
			{"items_given_up", "14.1.104.0/24\n923001234567", "Removed from your registration", "923001234567"},
			{"renewal_submitted", "", "We have received your application", a.ID},
			{"amendment_submitted", "", "We have received your application", a.ID},
			{"document_added", "CNIC (front)", "", ""},
		} {
			if err := svc.AddEventForTest(ctx, supervisor, a.ID, tt.typ, tt.note); err != nil {
				t.Fatal(err)
			}
			h.clock.Add(time.Second)
			h.deliver()
			mails, texts := box.take()
			if tt.subject == "" {
				if len(mails)+len(texts) != 0 {
					t.Errorf("%s sent %+v %+v", tt.typ, mails, texts)
				}
				continue
			}
			if len(mails) != 1 || len(texts) != 0 || !strings.Contains(mails[0].Subject, tt.subject) || !strings.Contains(mails[0].Text, tt.text) ||
				(tt.note != "" && !strings.Contains(mails[0].Text, strings.Split(tt.note, "\n")[0])) {
				t.Errorf("%s: mails %+v, texts %+v", tt.typ, mails, texts)
			}
		}
	})
}

// A certificate that cannot be made any more when the approval is sent
// (the registration ended in between): the e-mail goes without it and
// says so, rather than "attached".
func TestOutboxApprovalWithoutCertificateSaysSo(t *testing.T) {
	ended := func(ctx context.Context, ref string) (notify.Attachment, error) {
		return notify.Attachment{}, Errorf(ECONFLICT, "registration %s is revoked: only an active registration has a certificate", strings.TrimPrefix(ref, "certificate:"))
	}
	eachStoreWith(t, func(c *Config) {
		withPostbox(nil)(c)
		c.Attach = ended
	}, func(t *testing.T, h *harness) {
		_, reg := h.approved("Alpha Traders", "39.32.5.0/24")
		h.box.take()
		h.deliver()
		mails, _ := h.box.take()
		var approval *notify.Email
		for i, m := range mails {
			if strings.Contains(m.Subject, reg.Number) {
				approval = &mails[i]
			}
		}
		if approval == nil || len(approval.Attachments) != 0 || strings.Contains(approval.Text, "certificate is attached") ||
			!strings.Contains(approval.Text, "Your certificate could not be attached") || !strings.Contains(approval.HTML, "could not be attached") {
			t.Fatalf("approval without its certificate = %+v", approval)
		}
	})
}

// A replica without an SMS gateway claims no text messages: they wait,
// untried, for a replica that can send them, instead of failing and
// backing off there.
func TestOutboxReplicaClaimsOnlyItsChannels(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		ctx, admin := h.ctx, h.staff("admin")
		mailOnly := &postbox{}
		cfg := h.cfg
		cfg.Mailer, cfg.Texter = mailOnly, nil
		b := NewService(h.db, cfg)
		_, reg := h.approved("Ali Raza", "14.1.104.0/24")
		n, err := b.DeliverOutbox(ctx)
		if err != nil || n == 0 {
			t.Fatalf("the mail-only replica sent %d, %v", n, err)
		}
		if mails, texts := mailOnly.take(); len(mails) != n || len(texts) != 0 {
			t.Fatalf("mail-only replica: %d mails, %d texts", len(mails), len(texts))
		}
		pending, err := h.svc.ListOutbox(ctx, admin, "pending")
		if err != nil || len(pending) != 1 || pending[0].Channel != ChannelSMS || pending[0].Attempts != 0 || pending[0].LastError != "" {
			t.Fatalf("pending after the mail-only replica = %+v, %v; want the approval SMS, untried", pending, err)
		}
		if n := h.deliver(); n != 1 {
			t.Fatalf("the replica with the gateway sent %d, want the SMS", n)
		}
		if _, texts := h.box.take(); len(texts) != 1 || !strings.Contains(texts[0].Text, reg.Number) {
			t.Fatalf("texts = %+v", texts)
		}
	})
}

// With text messages off (no Texter) none is written to the outbox: it
// would wait for a gateway that never comes.
func TestOutboxNoSMSWhenOff(t *testing.T) {
	noSMS := func(c *Config) { withPostbox(nil)(c); c.Texter = nil }
	eachStoreWith(t, noSMS, func(t *testing.T, h *harness) {
		h.approved("Ali Raza", "14.1.104.0/24")
		if n := h.deliver(); n == 0 {
			t.Fatal("nothing sent")
		}
		pending, err := h.svc.ListOutbox(h.ctx, h.staff("admin"), "pending")
		if err != nil || len(pending) != 0 {
			t.Fatalf("pending with SMS off = %+v, %v; want none", pending, err)
		}
		if mails, texts := h.box.take(); len(mails) == 0 || len(texts) != 0 {
			t.Fatalf("%d mails, %d texts", len(mails), len(texts))
		}
	})
}

// The sign-up's verification link counts toward the 3 links an hour, and
// the refusal words its wait as people do ("1 hour", not "1h0m0s").
func TestVerificationLinksPerHour(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		u := h.applicant("individual")
		for i := range 2 {
			if err := svc.ResendEmailVerification(ctx, u); err != nil {
				t.Fatalf("resend %d: %v", i+1, err)
			}
		}
		err := svc.ResendEmailVerification(ctx, u)
		wantCode(t, err, ETOOMANY, "or wait 1 hour")
		if e := err.(*Error); e.RetryAfter != time.Hour || strings.Contains(e.Message, "0s") {
			t.Errorf("refusal = %+v", e)
		}
		if n := h.deliver(); n != 3 {
			t.Fatalf("%d verification mails sent in the hour, want 3", n)
		}
		h.clock.Add(20 * time.Minute)
		wantCode(t, svc.ResendEmailVerification(ctx, u), ETOOMANY, "or wait 40 minutes")
		h.clock.Add(40 * time.Minute)
		if err := svc.ResendEmailVerification(ctx, u); err != nil {
			t.Fatalf("after the hour: %v", err)
		}
	})
}
