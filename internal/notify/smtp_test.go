package notify_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	. "github.com/ipreg/ipreg/internal/notify"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/testbin"
)

func tlsTrusting(t *testing.T, certPEM []byte) *tls.Config {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("no certificate")
	}
	return &tls.Config{RootCAs: pool}
}

// pdf stands for a certificate: bytes that must arrive unchanged.
var pdf = append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0, 1, 2, 0xff, '\r', '\n'}, 3000)...)

func urduEmail() Email {
	return Email{
		To:      "applicant@example.pk",
		Subject: "آپ کی رجسٹریشن منظور ہو گئی: VPN-2026-000123",
		Text:    "آپ کی درخواست منظور ہو گئی ہے۔ سرٹیفکیٹ ساتھ ہے۔\nhttps://ipreg.example.pk/registrations/VPN-2026-000123\n",
		HTML: `<!doctype html><html lang="ur" dir="rtl"><body><p>آپ کی درخواست منظور ہو گئی ہے۔</p>` +
			`<p><a href="https://ipreg.example.pk/registrations/VPN-2026-000123"><bdi>VPN-2026-000123</bdi></a></p></body></html>`,
		Lang:        "ur",
		Attachments: []Attachment{{Name: "VPN-2026-000123.pdf", ContentType: "application/pdf", Data: pdf}},
		MessageID:   "evt:42/email",
	}
}

// TestSMTPMailer sends through a real SMTP server (Mailpit) with each TLS
// mode and reads back what arrived.
func TestSMTPMailer(t *testing.T) {
	ctx := context.Background()
	t.Run("starttls with a password", func(t *testing.T) {
		mp := testbin.StartMailpit(t, testbin.MailpitOptions{TLS: "starttls", User: "ipreg", Password: "smtp-secret-1"})
		m, err := NewSMTP(SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: TLSStartTLS, TLSConfig: tlsTrusting(t, mp.CertPEM),
			User: "ipreg", Password: "smtp-secret-1", From: "PTA VPN Registry <noreply@ipreg.example.pk>", Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		want := urduEmail()
		if err := m.SendEmail(ctx, want); err != nil {
			t.Fatal(err)
		}
		list := mp.WaitMessages(t, 1)
		time.Sleep(200 * time.Millisecond) // a second copy would show by now
		if list = mp.Messages(t); len(list) != 1 {
			t.Fatalf("%d messages arrived, want exactly 1", len(list))
		}
		got := mp.Message(t, list[0].ID)
		if len(got.To) != 1 || got.To[0].Address != want.To {
			t.Errorf("to %v", got.To)
		}
		if got.From.Address != "noreply@ipreg.example.pk" || got.From.Name != "PTA VPN Registry" {
			t.Errorf("from %v", got.From)
		}
		if got.Subject != want.Subject {
			t.Errorf("subject %q, want %q", got.Subject, want.Subject)
		}
		if got.MessageID != "ipreg.evt-42-email@ipreg.example.pk" {
			t.Errorf("message ID %q", got.MessageID)
		}
		// SMTP carries lines ending in CRLF.
		if strings.ReplaceAll(got.Text, "\r\n", "\n") != want.Text {
			t.Errorf("text %q", got.Text)
		}
		if !strings.Contains(got.HTML, `dir="rtl"`) || !strings.Contains(got.HTML, "آپ کی درخواست منظور ہو گئی ہے۔") {
			t.Errorf("html %q", got.HTML)
		}
		h := mp.Headers(t, list[0].ID)
		if cl := h["Content-Language"]; len(cl) != 1 || cl[0] != "ur" {
			t.Errorf("Content-Language %v", cl)
		}
		if ct := strings.Join(h["Content-Type"], ""); !strings.HasPrefix(ct, "multipart/mixed") {
			t.Errorf("Content-Type %q", ct)
		}
		if as := h["Auto-Submitted"]; len(as) != 1 || as[0] != "auto-generated" {
			t.Errorf("Auto-Submitted %v", as)
		}
		if len(got.Attachments) != 1 || got.Attachments[0].FileName != "VPN-2026-000123.pdf" || got.Attachments[0].ContentType != "application/pdf" {
			t.Fatalf("attachments %+v", got.Attachments)
		}
		if b := mp.Part(t, list[0].ID, got.Attachments[0].PartID); !bytes.Equal(b, pdf) {
			t.Errorf("the PDF arrived as %d bytes, sent %d", len(b), len(pdf))
		}
		if strings.Contains(mp.Output(), "smtp-secret-1") {
			t.Error("the password reached the server's log")
		}

		// Sent again (the outbox after a crash between send and mark):
		// the same Message-ID shows it is the same message.
		if err := m.SendEmail(ctx, want); err != nil {
			t.Fatal(err)
		}
		list = mp.WaitMessages(t, 2)
		if len(list) != 2 || list[0].MessageID != list[1].MessageID {
			t.Errorf("resend: %+v", list)
		}

		// A wrong password: temporary (the administrators can fix it).
		bad, _ := NewSMTP(SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, TLSConfig: tlsTrusting(t, mp.CertPEM),
			User: "ipreg", Password: "wrong password", From: "noreply@ipreg.example.pk"})
		err = bad.SendEmail(ctx, want)
		if err == nil || IsPermanent(err) || strings.Contains(err.Error(), "wrong password") {
			t.Errorf("wrong password: %v", err)
		}
		// A certificate the mailer does not trust: nothing is sent.
		untrusted, _ := NewSMTP(SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, User: "ipreg", Password: "smtp-secret-1", From: "noreply@ipreg.example.pk"})
		if err := untrusted.SendEmail(ctx, want); err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("untrusted certificate: %v", err)
		}
		if n := len(mp.Messages(t)); n != 2 {
			t.Errorf("%d messages after the failures, want 2", n)
		}
	})
	t.Run("implicit TLS", func(t *testing.T) {
		mp := testbin.StartMailpit(t, testbin.MailpitOptions{TLS: "implicit"})
		m, err := NewSMTP(SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: TLSImplicit, TLSConfig: tlsTrusting(t, mp.CertPEM),
			From: "noreply@ipreg.example.pk"})
		if err != nil {
			t.Fatal(err)
		}
		e := Email{To: "someone@example.pk", Subject: "Your application was received", Text: "We have your application.", Lang: "en"}
		if err := m.SendEmail(ctx, e); err != nil {
			t.Fatal(err)
		}
		list := mp.WaitMessages(t, 1)
		if len(list) != 1 || list[0].Subject != e.Subject {
			t.Fatalf("arrived: %+v", list)
		}
		got := mp.Message(t, list[0].ID)
		if got.HTML != "" || strings.TrimSpace(got.Text) != e.Text || mp.Headers(t, list[0].ID)["Content-Language"][0] != "en" {
			t.Errorf("plain-text message: %+v", got)
		}
		// STARTTLS against a server that speaks TLS at once fails.
		st, _ := NewSMTP(SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: TLSStartTLS, TLSConfig: tlsTrusting(t, mp.CertPEM),
			From: "noreply@ipreg.example.pk", Timeout: 2 * time.Second})
		if err := st.SendEmail(ctx, e); err == nil || IsPermanent(err) {
			t.Errorf("starttls to an implicit-TLS port: %v", err)
		}
	})
	t.Run("no TLS, and a refused recipient", func(t *testing.T) {
		mp := testbin.StartMailpit(t, testbin.MailpitOptions{AllowedRecipients: `@example\.pk$`})
		m, err := NewSMTP(SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: TLSNone, From: "noreply@ipreg.example.pk"})
		if err != nil {
			t.Fatal(err)
		}
		// STARTTLS is mandatory when chosen: a server without it gets
		// nothing (not even in clear).
		st, _ := NewSMTP(SMTPConfig{Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: TLSStartTLS, From: "noreply@ipreg.example.pk"})
		e := Email{To: "someone@example.pk", Subject: "Hello", Text: "Hello."}
		if err := st.SendEmail(ctx, e); err == nil || IsPermanent(err) {
			t.Errorf("starttls to a server without it: %v", err)
		}
		if n := len(mp.Messages(t)); n != 0 {
			t.Fatalf("%d messages went without STARTTLS", n)
		}
		// A line break in the subject (from a name someone typed) starts
		// no header of its own.
		e.Subject = "Hello\r\nBcc: someone.else@example.pk"
		if err := m.SendEmail(ctx, e); err != nil {
			t.Fatal(err)
		}
		list := mp.WaitMessages(t, 1)
		if h := mp.Headers(t, list[0].ID); len(h["Bcc"]) != 0 || len(list[0].To) != 1 || list[0].Subject != "Hello  Bcc: someone.else@example.pk" {
			t.Errorf("header injection: %+v %v", list[0], h)
		}
		bad := e
		bad.Lang = "ur\r\nX-Evil: 1"
		if err := m.SendEmail(ctx, bad); err == nil || !IsPermanent(err) {
			t.Errorf("a bad language tag: %v", err)
		}
		e.To = "someone@elsewhere.test"
		err = m.SendEmail(ctx, e)
		if err == nil || !IsPermanent(err) {
			t.Errorf("refused recipient: %v (permanent %v)", err, IsPermanent(err))
		}
		// go-mail quotes the affected recipient: the error masks it.
		if err != nil && (strings.Contains(err.Error(), "someone@elsewhere.test") || !strings.Contains(err.Error(), "s***@elsewhere.test")) {
			t.Errorf("refused recipient's error does not mask the address: %v", err)
		}
		e.To = "not an address"
		if err := m.SendEmail(ctx, e); err == nil || !IsPermanent(err) {
			t.Errorf("malformed recipient: %v", err)
		}
		if n := len(mp.WaitMessages(t, 1)); n != 1 {
			t.Errorf("%d messages, want 1", n)
		}
	})
	t.Run("no server", func(t *testing.T) {
		m, _ := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: testbin.FreePort(t), TLS: TLSNone, From: "noreply@ipreg.example.pk", Timeout: 2 * time.Second})
		if err := m.SendEmail(ctx, Email{To: "a@example.pk", Subject: "x", Text: "x"}); err == nil || IsPermanent(err) {
			t.Errorf("no server: %v", err)
		}
	})
}

func TestSMTPConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  SMTPConfig
		err  string
	}{
		{"no host", SMTPConfig{From: "a@b.pk"}, "no host"},
		{"bad from", SMTPConfig{Host: "h", From: "noreply"}, "not an e-mail address"},
		{"no from", SMTPConfig{Host: "h"}, "not an e-mail address"},
		{"bad TLS", SMTPConfig{Host: "h", From: "a@b.pk", TLS: "ssl"}, "use starttls, implicit or none"},
		{"password in clear", SMTPConfig{Host: "h", From: "a@b.pk", TLS: TLSNone, User: "u", Password: "p"}, "in clear"},
		{"user without password", SMTPConfig{Host: "h", From: "a@b.pk", User: "u"}, "give both or neither"},
		{"bad port", SMTPConfig{Host: "h", From: "a@b.pk", Port: 70000}, "1 to 65535"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewSMTP(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NewSMTP = %v, want %q", err, tt.err)
			}
		})
	}
	for mode, port := range map[string]string{"": ":587 (starttls)", TLSStartTLS: ":587", TLSImplicit: ":465", TLSNone: ":25"} {
		m, err := NewSMTP(SMTPConfig{Host: "mail.example.pk", TLS: mode, From: "a@b.pk"})
		if err != nil || !strings.Contains(m.String(), port) {
			t.Errorf("mode %q: %v %v", mode, m, err)
		}
	}
	if got := MessageID("outbox/7:email", "example.pk"); got != "ipreg.outbox-7-email@example.pk" {
		t.Errorf("MessageID = %q", got)
	}
}
