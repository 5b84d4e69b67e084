package main_test

import (
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
