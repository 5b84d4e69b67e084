package portal_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/notify"
	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// mailbox records what the outbox delivers; while down, it refuses.
type mailbox struct {
	mu     sync.Mutex
	down   bool
	emails []notify.Email
}

func (b *mailbox) SendEmail(ctx context.Context, m notify.Email) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		return errors.New("dial tcp 127.0.0.1:25: connection refused")
	}
	b.emails = append(b.emails, m)
	return nil
}

func (b *mailbox) SendSMS(ctx context.Context, m notify.SMS) error { return nil }

// deliver runs the outbox and returns the e-mails that arrived.
func (e *env) deliver() []notify.Email {
	e.t.Helper()
	if _, err := e.svc.DeliverOutbox(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.mail.mu.Lock()
	defer e.mail.mu.Unlock()
	out := e.mail.emails
	e.mail.emails = nil
	return out
}

// Sign-up in Urdu: the verification mail is in Urdu, the link's page
// verifies only on the button (a mail scanner's fetch changes nothing),
// the account page says so, and the language can be changed there.
func TestVerifyEmailAndLanguage(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.get("/lang/ur?next=/signup")
	p := b.post("/signup", url.Values{"email": {"sana@example.pk"}, "password": {"a long password"}, "kind": {"individual"},
		"name": {"ثنا"}, "cnic": {"35202-7654321-1"}, "mobile": {"03001234567"}})
	if p.status != 303 {
		t.Fatalf("sign-up = %d: %s", p.status, p.body)
	}
	mails := e.deliver()
	if len(mails) != 1 || mails[0].Lang != "ur" || !strings.Contains(mails[0].HTML, `dir="rtl"`) {
		t.Fatalf("verification mails = %+v", mails)
	}
	m := regexp.MustCompile(`https://ipreg\.example\.pk(/verify-email\?token=[A-Za-z0-9_%-]+)`).FindStringSubmatch(mails[0].Text)
	if m == nil {
		t.Fatalf("no link in %q", mails[0].Text)
	}
	if p := b.get("/account"); !strings.Contains(p.body, `id="email-verified">ابھی نہیں`) {
		t.Errorf("account page does not say the address is unconfirmed")
	}
	anon := e.browser()
	page := anon.get(m[1])
	if page.status != 200 || !strings.Contains(page.body, `name="token"`) {
		t.Fatalf("verify page = %d", page.status)
	}
	if p := b.get("/account"); strings.Contains(p.body, `id="email-verified">جی ہاں`) {
		t.Fatal("opening the link verified the address without the button")
	}
	token, _ := url.QueryUnescape(strings.TrimPrefix(m[1], "/verify-email?token="))
	if p := anon.post("/verify-email", url.Values{"token": {token}}); p.status != 200 || !strings.Contains(p.body, `id="email-confirmed"`) {
		t.Fatalf("verify = %d", p.status)
	}
	if p := anon.post("/verify-email", url.Values{"token": {token}}); p.status != 404 || !strings.Contains(p.body, `name="token"`) {
		t.Fatalf("second use = %d", p.status)
	}
	if p := b.get("/account"); !strings.Contains(p.body, `id="email-verified">جی ہاں`) {
		t.Errorf("account page does not say the address is confirmed")
	}
	if p := b.post("/account/email/verification", url.Values{}); p.status != 409 {
		t.Errorf("resend for a confirmed address = %d, want 409", p.status)
	}
	if p := b.post("/account/language", url.Values{"lang": {"en"}}); p.status != 303 {
		t.Fatalf("set language = %d", p.status)
	}
	if p := b.get("/account"); !strings.Contains(p.body, `<option value="en" selected>`) {
		t.Errorf("the language choice is not shown")
	}
}

// The admin's outbox page lists pending and given-up messages with the
// error and no link, and Resend sends a given-up one again.
func TestAdminOutboxPage(t *testing.T) {
	clock := testbin.NewClock(time.Now())
	e := newEnv(t, func(c *registry.Config) { c.Now = clock.Now })
	admin := e.user("admin@demo.test", "demo-password-1")
	set, _ := e.svc.Settings(e.ctx, admin)
	set.OutboxGiveUpHours = 1
	if _, err := e.svc.UpdateSettings(e.ctx, admin, set); err != nil {
		t.Fatal(err)
	}
	e.deliver()
	e.mail.mu.Lock()
	e.mail.down = true
	e.mail.mu.Unlock()
	e.signup("omar@example.pk", "Omar", "individual")
	e.deliver()
	b := e.browser()
	b.login("admin@demo.test", "demo-password-1")
	p := b.get("/admin/outbox")
	if p.status != 200 || !strings.Contains(p.body, "connection refused") || !strings.Contains(p.body, "o***@example.pk") ||
		strings.Contains(p.body, "token") || strings.Contains(p.body, "omar@example.pk") || !strings.Contains(p.body, `id="no-failed"`) {
		t.Fatalf("outbox page = %d:\n%s", p.status, p.body)
	}
	if strings.Contains(p.body, "/resend") {
		t.Errorf("a pending message offers Resend")
	}
	// Messages are named in words, not by their template's code.
	if !strings.Contains(p.body, "E-mail address confirmation") || strings.Contains(p.body, "verify_email") {
		t.Errorf("the outbox page does not name the message in words:\n%s", p.body)
	}
	for range 20 {
		clock.Add(10 * time.Minute)
		e.deliver()
	}
	failed, _ := e.svc.ListOutbox(e.ctx, admin, "failed")
	if len(failed) != 1 {
		t.Fatalf("failed = %+v", failed)
	}
	p = b.get("/admin/outbox")
	if !strings.Contains(p.body, `action="/admin/outbox/`+failed[0].ID+`/resend"`) {
		t.Fatalf("no Resend for the given-up message:\n%s", p.body)
	}
	b.get("/lang/ur?next=/admin/outbox")
	if p := b.get("/admin/outbox"); !strings.Contains(p.body, "جانے والے پیغامات") || !strings.Contains(p.body, "دوبارہ بھیجیں") ||
		!strings.Contains(p.body, "ای میل ایڈریس کی تصدیق") || !strings.Contains(p.body, "جو پیغامات نہیں بھیجے جا سکے") ||
		strings.Contains(p.body, "verify_email") || strings.Contains(p.body, "دستبرداری") {
		t.Errorf("the Urdu page is not in Urdu:\n%s", p.body)
	}
	// Errors that are not about a form: in Urdu, under "there is a
	// problem", not "please fix the following".
	if p := b.post("/admin/outbox/msg_nonexist/resend", url.Values{}); p.status != 404 || !strings.Contains(p.body, "ایک مسئلہ ہے") ||
		!strings.Contains(p.body, "نہیں ملا") || strings.Contains(p.body, "not found") || strings.Contains(p.body, "براہِ کرم درج ذیل درست کریں") {
		t.Errorf("resend of an unknown message = %d:\n%s", p.status, p.body)
	}
	e.mail.mu.Lock()
	e.mail.down = false
	e.mail.mu.Unlock()
	if p := b.post("/admin/outbox/"+failed[0].ID+"/resend", url.Values{}); p.status != 303 || p.location != "/admin/outbox?msg=resent" {
		t.Fatalf("resend = %d %s", p.status, p.location)
	}
	if mails := e.deliver(); len(mails) != 1 || mails[0].To != "omar@example.pk" {
		t.Errorf("after resend: %+v", mails)
	}
	if p := b.post("/admin/outbox/"+failed[0].ID+"/resend", url.Values{}); p.status != 409 || !strings.Contains(p.body, "پہلے ہی بھیجا جا چکا ہے") ||
		strings.Contains(p.body, "only a") || !strings.Contains(p.body, "ایک مسئلہ ہے") || strings.Contains(p.body, "براہِ کرم درج ذیل درست کریں") {
		t.Errorf("resend of a sent message = %d, want 409 in Urdu:\n%s", p.status, p.body)
	}
}

// The privacy notice says what is sent where, and for how long its record
// is kept, from the settings.
func TestPrivacyNoticeMessages(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	p := b.get("/privacy")
	if !strings.Contains(p.body, "text message to your account") || !strings.Contains(p.body, "the record is deleted 90 days after") {
		t.Errorf("the privacy notice does not say what is sent where:\n%s", p.body)
	}
	b.get("/lang/ur?next=/privacy")
	if p := b.get("/privacy"); !strings.Contains(p.body, "ریکارڈ 90 دن بعد مٹا دیا جاتا ہے") {
		t.Errorf("the Urdu privacy notice misses the messages")
	}
}

// Every message template has a name for the outbox page (in Urdu too, by
// the catalog test).
func TestOutboxMessageLabels(t *testing.T) {
	files, err := filepath.Glob("../registry/messages/en/*.tmpl")
	if err != nil || len(files) < 10 {
		t.Fatalf("templates: %v, %v", files, err)
	}
	for _, f := range files {
		code := strings.TrimSuffix(filepath.Base(f), ".tmpl")
		if portal.MessageLabel("en", code) == code || portal.MessageLabel("ur", code) == code {
			t.Errorf("message template %s has no name for the outbox page", code)
		}
	}
}
