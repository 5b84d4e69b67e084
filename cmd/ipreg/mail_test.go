package main_test

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/testbin"
)

// TestServeMail runs the real binary: without --demo and without a way to
// send e-mail it refuses to start and names the flags; with --smtp-*
// pointing at a real SMTP server (Mailpit, STARTTLS, the password in
// IPREG_SMTP_PASSWORD) it starts and says where mail goes. What it sends
// is tested in internal/notify and internal/cli (TestServeSMTP).
func TestServeMail(t *testing.T) {
	out, err := exec.Command(binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--smtp-host") || !strings.Contains(string(out), "--mail log") {
		t.Fatalf("serve without e-mail: %v\n%s", err, out)
	}

	mp := testbin.StartMailpit(t, testbin.MailpitOptions{TLS: "starttls", User: "ipreg", Password: "e2e-smtp-pass"})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, mp.CertPEM, 0o600)
	p := start(t, []string{"IPREG_DATA_DIR=" + t.TempDir(), "IPREG_MAIL=smtp", "IPREG_SMTP_PASSWORD=e2e-smtp-pass"},
		"--smtp-host", mp.SMTPHost, "--smtp-port", strconv.Itoa(mp.SMTPPort), "--smtp-user", "ipreg", "--smtp-ca-file", ca,
		"--mail-from", "PTA VPN Registry <noreply@ipreg.example.pk>", "--sms", "none", "--public-url", "https://ipreg.example.pk")
	logs := p.Stderr()
	if !strings.Contains(logs, "e-mail goes through smtp 127.0.0.1:"+strconv.Itoa(mp.SMTPPort)+" (starttls)") || !strings.Contains(logs, "text messages are off (--sms none)") {
		t.Errorf("start-up log:\n%s", logs)
	}
	if strings.Contains(logs, "e2e-smtp-pass") {
		t.Error("the SMTP password reached the log")
	}
	testbin.Call(t, p.base, "GET", "/readyz", "", nil, 200)
}

// TestLifecycleMail runs the real binary against a real SMTP server
// (Mailpit): a company signs up (one verification e-mail, in the portal
// language it signed up in), files, is confirmed and approved; the
// approval arrives once, to the applicant, in Urdu, with the
// registration's certificate attached as a PDF whose QR link names the
// registration, and a password reset arrives with a link that uses
// --public-url.
func TestLifecycleMail(t *testing.T) {
	mp := testbin.StartMailpit(t, testbin.MailpitOptions{})
	p := start(t, []string{"IPREG_DATA_DIR=" + t.TempDir(), "IPREG_MAIL=smtp"}, "--demo",
		"--smtp-host", mp.SMTPHost, "--smtp-port", strconv.Itoa(mp.SMTPPort), "--smtp-tls", "none",
		"--mail-from", "PTA VPN Registry <noreply@ipreg.example.pk>", "--public-url", "https://ipreg.example.pk")
	email := "it@lahore-soft.pk"
	// Signed up with Urdu as the language of its messages.
	p.call("POST", "/api/v1/signup", "", map[string]string{"email": email, "password": "correct horse battery", "lang": "ur",
		"kind": "company", "name": "Lahore Soft (Pvt) Ltd", "cnic": "35202-7654321-1", "mobile": "0321-7654321", "ntn": "1234567-0"}, 201)
	_, _, number := approveSignedUp(t, p, email)

	// verification, submitted, operator check, approved
	list := mp.WaitMessages(t, 4)
	var approved []testbin.MailpitSummary
	verify := 0
	for _, m := range list {
		if len(m.To) != 1 || m.To[0].Address != email {
			t.Errorf("message %q went to %v", m.Subject, m.To)
		}
		if strings.Contains(m.Subject, number) {
			approved = append(approved, m)
		}
		if strings.Contains(m.Subject, "ای میل") {
			verify++
		}
	}
	if len(approved) != 1 || verify != 1 {
		var subjects []string
		for _, m := range list {
			subjects = append(subjects, m.Subject)
		}
		t.Fatalf("%d approval and %d verification messages; want one each. Subjects: %q", len(approved), verify, subjects)
	}
	msg := mp.Message(t, approved[0].ID)
	if h := mp.Headers(t, approved[0].ID); !strings.Contains(strings.Join(h["Content-Language"], ","), "ur") {
		t.Errorf("Content-Language = %v, want ur", h["Content-Language"])
	}
	if !strings.Contains(msg.HTML, `dir="rtl"`) || !strings.Contains(msg.Text, "منظور") {
		t.Errorf("approval not in Urdu:\n%s", msg.Text)
	}
	if len(msg.Attachments) != 1 || msg.Attachments[0].FileName != number+".pdf" || msg.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("approval attachments = %+v", msg.Attachments)
	}
	pdf := mp.Part(t, approved[0].ID, msg.Attachments[0].PartID)
	if !strings.HasPrefix(string(pdf), "%PDF-") || !strings.Contains(string(pdf), "https://ipreg.example.pk/verify/"+number) {
		t.Errorf("the attachment is not the registration's certificate (%d bytes)", len(pdf))
	}

	// A password reset: the link arrives by e-mail, with the public URL.
	res, err := http.PostForm(p.base+"/password/forgot", url.Values{"email": {email}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("POST /password/forgot: %d", res.StatusCode)
	}
	after := mp.WaitMessages(t, len(list)+1)
	if len(after) != len(list)+1 {
		t.Fatalf("no reset e-mail: %d messages", len(after))
	}
	reset := mp.Message(t, after[0].ID)
	if !strings.Contains(reset.Text, "https://ipreg.example.pk/password/reset?token=") {
		t.Errorf("reset e-mail:\n%s", reset.Text)
	}
	if strings.Contains(p.Stderr(), "token=") {
		t.Error("a one-time link reached the server's log")
	}
}
