package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/notify"
	"github.com/ipreg/ipreg/internal/registry"
)

func TestParsePublicURL(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"", "", ""},
		{"https://ipreg.example.pk", "https://ipreg.example.pk", ""},
		{"https://ipreg.example.pk/", "https://ipreg.example.pk", ""},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", ""},
		{"https://example.pk/ipreg/", "https://example.pk/ipreg", ""},
		{"ipreg.example.pk", "", "must start with https://"},
		{"ftp://ipreg.example.pk", "", "must start with https://"},
		{"https://", "", "names no host"},
		{"https://:443", "", "names no host"},
		{"https://user:pw@ipreg.example.pk", "", "user name"},
		{"https://ipreg.example.pk/?x=1", "", "query or fragment"},
		{"https://ipreg.example.pk/#top", "", "query or fragment"},
		{"https://ipreg.example.pk/%zz", "", "not a URL"},
		{"https://x.example:99999", "", "port must be a number from 1 to 65535"},
		{"https://x.example:0", "", "port must be"},
		{"https://x.example:65536/", "", "port must be"},
		{"https://x.example:65535", "https://x.example:65535", ""},
		{"https://x.example:1/ipreg", "https://x.example:1/ipreg", ""},
		{"https://x.example/%0d%0a", "", "control characters"},
		{"https://x.example/a%0Ab", "", "control characters"},
		{"https://x.example/a%7f", "", "control characters"},
		{"https://x.example/a%c2%85", "", "control characters"}, // U+0085, NEL
		{"https://x.example/a\r\n", "", "not a URL"},
		{"https://x.example/%20ipreg", "https://x.example/%20ipreg", ""},
		// The host: a DNS name under the IDNA Lookup profile, or an IP.
		{"https://x_pk", "", "not a valid host name"},
		{"https://-", "", "not a valid host name"},
		{"https://-ipreg.example.pk", "", "not a valid host name"},
		{"https://x.pk./", "", "must not end in a dot"},
		{"https://a..pk", "", "not a valid host name"},
		{"https://ｅｖｉｌ.com", "", `write it as "evil.com"`},
		{"https://[fe80::1%25eth0]/", "", "IPv6 zone"},
		{"https://xn--80ak6aa92e.com", "", "only in Cyrillic letters that look like Latin ones (\u0430\u0440\u0440\u04cf\u0435)"},
		{"https://x.pk\u3002", "", "must not end in a dot"},
		{"https://[2400:fc00::1]/", "https://[2400:fc00::1]", ""},
		{"https://IPREG.Example.pk", "https://IPREG.Example.pk", ""},
		{"https://پی.ٹی.اے.pk:8443/x", "https://xn--3ib0n.xn--yib0o.xn--mgb65a.pk:8443/x", ""},
		{"https://xn--mgbai9azgqp6j.pk", "https://xn--mgbai9azgqp6j.pk", ""},
		{"http://localhost:8080", "http://localhost:8080", ""},
		// Names reserved for testing are a test deployment's address:
		// taken here, though a provider's website refuses them.
		{"https://ipreg.test", "https://ipreg.test", ""},
		{"http://ipreg.localhost:8080", "http://ipreg.localhost:8080", ""},
		{"https://example\u0663.pk", "", "digits among them"},
		// Look-alikes and overlong labels, as for providers' websites.
		{"https://ipreg.p\u0430yments.pk", "", "mixes Latin and Cyrillic letters in one label (p\u0430yments)"},
		{"https://xn--pyments-2fg.pk", "", "mixes Latin and Cyrillic letters"},
		{"https://" + strings.Repeat("a", 64) + ".pk", "", "longer than 63 characters"},
	} {
		got, err := parsePublicURL(tt.in)
		if got != tt.want || (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("parsePublicURL(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
	dir := t.TempDir()
	code, _, errOut := run(t, map[string]string{"IPREG_DATA_DIR": dir, "IPREG_LISTEN": "127.0.0.1:0", "IPREG_PUBLIC_URL": "ipreg.example.pk", "IPREG_MAIL": "log"}, "", "serve")
	if code != 1 || !strings.Contains(errOut, "--public-url") || !strings.Contains(errOut, "https://") {
		t.Errorf("serve with a bad IPREG_PUBLIC_URL = %d %q", code, errOut)
	}
}

// mailbox records the e-mail the outbox delivers.
type mailbox struct {
	mu     sync.Mutex
	emails []notify.Email
}

func (b *mailbox) SendEmail(ctx context.Context, m notify.Email) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.emails = append(b.emails, m)
	return nil
}

// text is every delivered e-mail's recipient, subject and text.
func (b *mailbox) text() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out strings.Builder
	for _, m := range b.emails {
		fmt.Fprintf(&out, "To: %s\nSubject: %s\n\n%s\n\n", m.To, m.Subject, m.Text)
	}
	return out.String()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestResetLinkUsesPublicURL is the example: a reset request with
// Host: evil.example made a link to evil.example. Links start with
// --public-url (under --demo, by default, the listen address); without
// one outside --demo, reset links are refused with a message saying why.
func TestResetLinkUsesPublicURL(t *testing.T) {
	for _, tt := range []struct {
		name       string
		demo       bool
		publicURL  string
		wantStatus int
		wantLink   string // "listen" for http://<listen address>
	}{
		{"configured", false, "https://ipreg.example.pk/", 200, "https://ipreg.example.pk/password/reset?token="},
		{"demo default", true, "", 200, "listen"},
		{"demo, configured", true, "https://demo.example.pk", 200, "https://demo.example.pk/password/reset?token="},
		{"not configured", false, "", 503, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logs := &lockedBuffer{}
			box := &mailbox{}
			s := &Server{Config: ServeConfig{Listen: "127.0.0.1:0", Demo: tt.demo, PublicURL: tt.publicURL, FeedPoll: time.Second, JobsInterval: time.Minute,
				Notify: notify.Flags{Mail: "log"}, mailer: box}, log: slog.New(slog.NewTextHandler(logs, nil))}
			s.Config.db.dataDir = filepath.Join(t.TempDir(), "data")
			ctx := context.Background()
			if err := s.Start(ctx, io.Discard); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			email := "admin@demo.test"
			if !tt.demo {
				email = "staff@pta.gov.pk"
				if _, err := s.svc.AddUser(ctx, registry.System, registry.AddUserInput{Email: email, Password: "a long staff password", Role: registry.RoleReviewer}); err != nil {
					t.Fatal(err)
				}
			}
			if !tt.demo && tt.publicURL == "" && !strings.Contains(logs.String(), "password reset links are off") {
				t.Errorf("no start-up warning:\n%s", logs.String())
			}
			req, _ := http.NewRequest("POST", "http://"+s.Addr.String()+"/password/forgot", strings.NewReader(url.Values{"email": {email}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Host = "evil.example"
			req.Header.Set("X-Forwarded-Host", "evil.example")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("forgot = %d, want %d\n%s", res.StatusCode, tt.wantStatus, body)
			}
			// The link goes out by e-mail, through the outbox.
			if _, err := s.svc.DeliverOutbox(ctx); err != nil {
				t.Fatal(err)
			}
			out := box.text()
			if strings.Contains(out, "evil.example") || strings.Contains(logs.String(), "evil.example") {
				t.Errorf("the request's host reached a link:\n%s", out)
			}
			if strings.Contains(logs.String(), "token=") {
				t.Errorf("a reset link was logged:\n%s", logs.String())
			}
			switch want := tt.wantLink; want {
			case "":
				if strings.Contains(out, "/password/reset?token=") || !strings.Contains(string(body), "--public-url") {
					t.Errorf("a link was made, or the page does not say why not:\n%s\n%s", out, body)
				}
			default:
				if want == "listen" {
					want = "http://" + s.Addr.String() + "/password/reset?token="
				}
				if !strings.Contains(out, want) {
					t.Errorf("no link starting %s in the mail:\n%s", want, out)
				}
			}
			// The page promises a link only where one can be made, in
			// either language.
			for _, lang := range []struct{ accept, promise, none string }{
				{"en", "We send a link", "Password reset links are not available on this server"},
				{"ur", "ہم نیا پاس ورڈ بنانے کا لنک بھیجیں گے", "اس سرور پر پاس ورڈ ری سیٹ کے لنک دستیاب نہیں"},
			} {
				req, _ := http.NewRequest("GET", "http://"+s.Addr.String()+"/password/forgot", nil)
				req.Header.Set("Accept-Language", lang.accept)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				page, _ := io.ReadAll(res.Body)
				res.Body.Close()
				links := tt.wantLink != ""
				if strings.Contains(string(page), lang.promise) != links || strings.Contains(string(page), lang.none) == links {
					t.Errorf("%s forgot page with links %v:\n%s", lang.accept, links, page)
				}
			}
		})
	}
}

// TestFeedStateCopy: --feed-state-copy keeps a second copy of the
// feed-state marker where the flag says, written by the publish at start,
// and a whole data directory restored behind it (database and marker
// together) starts a new session at the next start (issue 11 §2; the
// publisher's tests cover the cases).
func TestFeedStateCopy(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	copyFile := filepath.Join(t.TempDir(), "ipreg-feed-state")
	start := func() (*Server, *lockedBuffer) {
		logs := &lockedBuffer{}
		s := &Server{Config: ServeConfig{Listen: "127.0.0.1:0", Demo: true, FeedPoll: time.Second, JobsInterval: time.Minute, FeedStateCopy: copyFile},
			log: slog.New(slog.NewTextHandler(logs, nil))}
		s.Config.db.dataDir = dataDir
		if err := s.Start(context.Background(), io.Discard); err != nil {
			t.Fatal(err)
		}
		return s, logs
	}
	s, _ := start()
	s.Close()
	inDir, err := os.ReadFile(filepath.Join(dataDir, "feed-state"))
	if err != nil {
		t.Fatal(err)
	}
	if copied, err := os.ReadFile(copyFile); err != nil || string(copied) != string(inDir) {
		t.Fatalf("the copy %q (%v) differs from the marker %q", copied, err, inDir)
	}
	// The copy ahead of the data directory (database and marker), as after
	// a restore of the data directory from a backup: it names a later
	// version of the same session.
	var m struct {
		Scopes map[string]map[string]any `json:"scopes"`
	}
	if err := json.Unmarshal(inDir, &m); err != nil || len(m.Scopes) == 0 {
		t.Fatalf("marker %s: %v", inDir, err)
	}
	for _, sc := range m.Scopes {
		sc["version"] = sc["version"].(float64) + 5
	}
	ahead, _ := json.Marshal(m)
	os.WriteFile(copyFile, ahead, 0o600)
	s, logs := start()
	defer s.Close()
	if !strings.Contains(logs.String(), "starting a new session") {
		t.Fatalf("a data directory behind --feed-state-copy started no new session:\n%s", logs)
	}
}
