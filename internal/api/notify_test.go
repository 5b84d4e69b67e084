package api_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ipreg/ipreg/internal/notify"
	"github.com/ipreg/ipreg/internal/testbin"
)

// attachCertificate stands in for the certificate part: a small real PDF.
func attachCertificate(ctx context.Context, ref string) (notify.Attachment, error) {
	number, ok := strings.CutPrefix(ref, "certificate:")
	if !ok {
		return notify.Attachment{}, errors.New("unknown attachment " + ref)
	}
	return notify.Attachment{Name: number + ".pdf", ContentType: "application/pdf", Data: testbin.PDF("Certificate " + number)}, nil
}

// mailbox records what the outbox delivers; while down, it refuses.
type mailbox struct {
	mu     sync.Mutex
	down   bool
	emails []notify.Email
	sms    []notify.SMS
}

func (b *mailbox) SendEmail(ctx context.Context, m notify.Email) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		return errors.New("smtp: 421 service not available")
	}
	b.emails = append(b.emails, m)
	return nil
}

func (b *mailbox) SendSMS(ctx context.Context, m notify.SMS) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		return errors.New("gateway: 503")
	}
	b.sms = append(b.sms, m)
	return nil
}

func (b *mailbox) setDown(v bool) { b.mu.Lock(); b.down = v; b.mu.Unlock() }

// deliver runs the outbox and returns the e-mails that arrived.
func (c *client) deliver() []notify.Email {
	c.t.Helper()
	if _, err := c.svc.DeliverOutbox(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	c.mail.mu.Lock()
	defer c.mail.mu.Unlock()
	out := c.mail.emails
	c.mail.emails, c.mail.sms = nil, nil
	return out
}

var tokenRe = regexp.MustCompile(`token=([A-Za-z0-9_%-]+)`)

// testNotifications: sign-up mails a verification link that the API
// verifies; the language is a preference; admins list and resend failed
// messages without seeing their links.
func testNotifications(t *testing.T, c *client) {
	c.deliver()
	cnic, _ := identityFor("nadia@example.pk")
	c.want(c.do("POST", "/api/v1/signup", "", map[string]string{"email": "nadia@example.pk", "password": "correct horse battery",
		"kind": "individual", "name": "Nadia", "cnic": cnic, "mobile": "03001234567", "lang": "ur"}), 201)
	tok := c.want(c.do("POST", "/api/v1/login", "", map[string]string{"email": "nadia@example.pk", "password": "correct horse battery"}), 200).json(t)["token"].(string)
	me := c.want(c.do("GET", "/api/v1/me", tok, nil), 200).json(t)["user"].(map[string]any)
	if me["lang"] != "ur" || me["email_verified"] != false {
		t.Fatalf("profile after sign-up = %v", me)
	}
	mails := c.deliver()
	if len(mails) != 1 || mails[0].To != "nadia@example.pk" || mails[0].Lang != "ur" {
		t.Fatalf("sign-up mails = %+v", mails)
	}
	m := tokenRe.FindStringSubmatch(mails[0].Text)
	if m == nil || !strings.Contains(mails[0].Text, "https://ipreg.example.pk/verify-email?token=") {
		t.Fatalf("no verification link in %q", mails[0].Text)
	}
	first, _ := url.QueryUnescape(m[1])

	// A resend makes a new link; the first still works until used.
	c.want(c.do("POST", "/api/v1/me/email/verification", tok, nil), 202)
	if again := c.deliver(); len(again) != 1 || strings.Contains(again[0].Text, m[1]) {
		t.Fatalf("resent verification = %+v", again)
	}
	c.want(c.do("POST", "/api/v1/email/verify", "", map[string]string{"token": "not-a-token"}), 404)
	got := c.want(c.do("POST", "/api/v1/email/verify", "", map[string]string{"token": first}), 200).json(t)
	if got["email"] != "nadia@example.pk" || got["email_verified"] != true {
		t.Fatalf("verify = %v", got)
	}
	c.want(c.do("POST", "/api/v1/email/verify", "", map[string]string{"token": first}), 404)
	c.want(c.do("POST", "/api/v1/me/email/verification", tok, nil), 409)

	res := c.want(c.do("PATCH", "/api/v1/me", tok, map[string]string{"lang": "en"}), 200).json(t)["user"].(map[string]any)
	if res["lang"] != "en" || res["email_verified"] != true {
		t.Fatalf("after PATCH: %v", res)
	}
	if bad := c.want(c.do("PATCH", "/api/v1/me", tok, map[string]string{"lang": "fr"}), 422); !strings.Contains(bad.errorField(t, "lang"), `"ur"`) {
		t.Errorf("lang fr: %s", bad.body)
	}

	// A message that cannot be delivered, then given up (1 hour).
	admin := c.login("admin@demo.test")
	c.want(c.do("PUT", "/api/v1/admin/settings", admin, map[string]any{"outbox_give_up_hours": 1}), 200)
	c.mail.setDown(true)
	c.want(c.do("POST", "/api/v1/me/email/verification", c.login("reviewer@demo.test"), nil), 202)
	c.deliver()
	pending := c.want(c.do("GET", "/api/v1/admin/outbox?state=pending", admin, nil), 200).json(t)["messages"].([]any)
	if len(pending) != 1 {
		t.Fatalf("pending = %v", pending)
	}
	msg := pending[0].(map[string]any)
	if msg["template"] != "verify_email" || msg["recipient"] != "r***@demo.test" || !strings.Contains(msg["last_error"].(string), "421") {
		t.Errorf("pending message = %v", msg)
	}
	id := msg["id"].(string)
	c.want(c.do("POST", "/api/v1/admin/outbox/"+id+"/resend", admin, nil), 409)
	c.want(c.do("GET", "/api/v1/admin/outbox?state=pending", c.login("reviewer@demo.test"), nil), 403)
	c.want(c.do("GET", "/api/v1/admin/outbox?state=lost", admin, nil), 422)
	c.want(c.do("POST", "/api/v1/admin/outbox/msg_nope/resend", admin, nil), 404)
	c.want(c.do("PUT", "/api/v1/admin/settings", admin, map[string]any{"outbox_give_up_hours": 72}), 200)
	c.mail.setDown(false)
	all := c.want(c.do("GET", "/api/v1/admin/outbox", admin, nil), 200).body
	if strings.Contains(string(all), "token") || strings.Contains(string(all), "nadia@example.pk") {
		t.Errorf("the admin's list shows a link or an address: %s", all)
	}
}
