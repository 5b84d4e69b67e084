package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/notify"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestServeMailTransport: never silently without e-mail in production.
// serve refuses to start with no transport and says which flag to give;
// --mail log starts it with the log transport; contradictions and a
// password on its own are refused.
func TestServeMailTransport(t *testing.T) {
	base := func() map[string]string {
		return map[string]string{"IPREG_DATA_DIR": t.TempDir(), "IPREG_LISTEN": "127.0.0.1:0"}
	}
	code, _, errOut := run(t, base(), "", "serve")
	if code != 1 || !strings.Contains(errOut, "--smtp-host") || !strings.Contains(errOut, "--mail log") {
		t.Errorf("serve without a mail transport = %d %q", code, errOut)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("from the file\n"), 0o600)
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"log and smtp", map[string]string{"IPREG_MAIL": "log", "IPREG_SMTP_HOST": "mail.example.pk"}, "contradict"},
		{"smtp without host", map[string]string{"IPREG_MAIL": "smtp"}, "--mail smtp needs --smtp-host"},
		{"no sender", map[string]string{"IPREG_SMTP_HOST": "mail.example.pk"}, "--mail-from is required"},
		{"bad sender", map[string]string{"IPREG_SMTP_HOST": "mail.example.pk", "IPREG_MAIL_FROM": "registry"}, "not an e-mail address"},
		{"user without password", map[string]string{"IPREG_SMTP_HOST": "mail.example.pk", "IPREG_MAIL_FROM": "a@example.pk", "IPREG_SMTP_USER": "u"}, "--smtp-password-file"},
		{"password file and variable", map[string]string{"IPREG_SMTP_HOST": "mail.example.pk", "IPREG_MAIL_FROM": "a@example.pk", "IPREG_SMTP_USER": "u",
			"IPREG_SMTP_PASSWORD_FILE": pwFile, "IPREG_SMTP_PASSWORD": "in the environment"}, "keep one"},
		{"bad TLS mode", map[string]string{"IPREG_SMTP_HOST": "mail.example.pk", "IPREG_MAIL_FROM": "a@example.pk", "IPREG_SMTP_TLS": "tls"}, "use starttls, implicit or none"},
		{"mail mode", map[string]string{"IPREG_MAIL": "sendmail"}, "use smtp or log"},
		{"sms mode", map[string]string{"IPREG_MAIL": "log", "IPREG_SMS": "twilio"}, "use http, log or none"},
		{"sms none and gateway", map[string]string{"IPREG_MAIL": "log", "IPREG_SMS": "none", "IPREG_SMS_GATEWAY_URL": "https://sms.example.pk/?to={to}"}, "contradict"},
		{"bad gateway", map[string]string{"IPREG_MAIL": "log", "IPREG_SMS_GATEWAY_URL": "sms.example.pk"}, "http or https"},
		{"misspelled gateway placeholder", map[string]string{"IPREG_MAIL": "log", "IPREG_SMS_GATEWAY_URL": "http://127.0.0.1:9/send?to={to}&msg={txt}"},
			"--sms-gateway-url has an unknown placeholder {txt}"},
		{"gateway without text", map[string]string{"IPREG_MAIL": "log", "IPREG_SMS_GATEWAY_URL": "http://127.0.0.1:9/send?to={to}"},
			"has the placeholder {text}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := base()
			for k, v := range tt.env {
				env[k] = v
			}
			code, _, errOut := run(t, env, "", "serve")
			if code != 1 || !strings.Contains(errOut, tt.want) {
				t.Errorf("serve = %d %q, want %q", code, errOut, tt.want)
			}
			if strings.Contains(errOut, "in the environment") || strings.Contains(errOut, "from the file") {
				t.Errorf("a password reached the message: %q", errOut)
			}
		})
	}

	t.Run("--mail log starts", func(t *testing.T) {
		logs := &lockedBuffer{}
		s := &Server{Config: ServeConfig{Listen: "127.0.0.1:0", FeedPoll: time.Second, JobsInterval: time.Minute, Notify: notify.Flags{Mail: "log"}},
			log: slog.New(slog.NewTextHandler(logs, nil))}
		s.Config.db.dataDir = filepath.Join(t.TempDir(), "data")
		if err := s.Start(context.Background(), io.Discard); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if m, ok := s.Mailer.(notify.LogMailer); !ok || m.Full {
			t.Errorf("mailer %#v, want a LogMailer without whole texts outside --demo", s.Mailer)
		}
		if s.Texter != nil {
			t.Errorf("texter %#v without a gateway outside --demo", s.Texter)
		}
		for _, want := range []string{"written to the log (--mail log)", "text messages are off: give --sms-gateway-url"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("no %q in the log:\n%s", want, logs)
			}
		}
	})
	t.Run("--demo logs whole texts", func(t *testing.T) {
		s := &Server{Config: ServeConfig{Listen: "127.0.0.1:0", Demo: true, FeedPoll: time.Second, JobsInterval: time.Minute}}
		s.Config.db.dataDir = filepath.Join(t.TempDir(), "data")
		if err := s.Start(context.Background(), io.Discard); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		m, ok := s.Mailer.(notify.LogMailer)
		tx, ok2 := s.Texter.(notify.LogTexter)
		if !ok || !m.Full || !ok2 || !tx.Full {
			t.Errorf("demo transports %#v %#v", s.Mailer, s.Texter)
		}
	})
}

// TestServeSMTP starts serve as an administrator would, with --smtp-*
// pointing at a real SMTP server (Mailpit, STARTTLS, a password in the
// environment, the server's certificate in --smtp-ca-file) and --sms-*
// at a gateway, and sends through the transports serve built. A portal
// password-reset request works with them configured (the outbox, built
// apart, will mail its link).
func TestServeSMTP(t *testing.T) {
	mp := testbin.StartMailpit(t, testbin.MailpitOptions{TLS: "starttls", User: "ipreg", Password: "smtp-pass-7"})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, mp.CertPEM, 0o600)
	var mu sync.Mutex
	var smsGot []*http.Request
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		smsGot = append(smsGot, r)
		mu.Unlock()
		io.WriteString(w, "OK 1")
	}))
	defer gw.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("gw-token-1\n"), 0o600)
	env := map[string]string{"IPREG_SMTP_PASSWORD": "smtp-pass-7", "IPREG_SMS_GATEWAY_TOKEN_FILE": tokenFile}
	var stdout, stderr bytes.Buffer
	cfg, err := parseServe([]string{"--listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "data"),
		"--public-url", "https://ipreg.example.pk",
		"--smtp-host", mp.SMTPHost, "--smtp-port", strconv.Itoa(mp.SMTPPort), "--smtp-user", "ipreg", "--smtp-ca-file", ca,
		"--mail-from", "PTA VPN Registry <noreply@ipreg.example.pk>",
		"--sms-gateway-url", gw.URL + "/send?to={to}&text={text}", "--sms-gateway-success", "^OK"},
		func(k string) (string, bool) { v, ok := env[k]; return v, ok }, IO{Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	s := &Server{Config: cfg, log: slog.New(slog.NewTextHandler(logs, nil))}
	ctx := context.Background()
	if err := s.Start(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.Mailer.(*notify.SMTPMailer); !ok {
		t.Fatalf("mailer %#v", s.Mailer)
	}
	if !strings.Contains(logs.String(), "e-mail goes through smtp 127.0.0.1:") || strings.Contains(logs.String(), "smtp-pass-7") || strings.Contains(logs.String(), "gw-token-1") {
		t.Errorf("start-up log:\n%s", logs)
	}
	e := notify.Email{To: "applicant@example.pk", Subject: "Your application was received", Text: "We have your application.", Lang: "en", MessageID: "serve-test-1"}
	if err := s.Mailer.SendEmail(ctx, e); err != nil {
		t.Fatal(err)
	}
	list := mp.WaitMessages(t, 1)
	if len(list) != 1 || list[0].Subject != e.Subject || list[0].From.Address != "noreply@ipreg.example.pk" || list[0].MessageID != "ipreg.serve-test-1@ipreg.example.pk" {
		t.Errorf("arrived: %+v", list)
	}
	if err := s.Texter.SendSMS(ctx, notify.SMS{To: "923001234567", Text: "آپ کی درخواست موصول ہو گئی"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(smsGot) != 1 || smsGot[0].Header.Get("Authorization") != "Bearer gw-token-1" || smsGot[0].URL.Query().Get("text") != "آپ کی درخواست موصول ہو گئی" {
		t.Errorf("gateway got %v", smsGot)
	}

	// The portal's password reset with these transports configured.
	if _, err := s.svc.AddUser(ctx, registry.System, registry.AddUserInput{Email: "staff@pta.gov.pk", Password: "a long staff password", Role: registry.RoleReviewer}); err != nil {
		t.Fatal(err)
	}
	res, err := http.PostForm("http://"+s.Addr.String()+"/password/forgot", url.Values{"email": {"staff@pta.gov.pk"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("forgot password = %d", res.StatusCode)
	}
}
