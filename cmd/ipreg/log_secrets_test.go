package main_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/loadtest"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestLogsHoldNoSecrets runs a whole flow against the real binary logging
// at debug level: sign-up, logins by the API and the portal, an API token,
// uploads, filing, the operator's confirmation, the decision, a password
// reset by its e-mailed link (real SMTP: Mailpit), TOTP set up, a wrong
// password, and an agent's feed token in use. Then no secret the flow
// used may appear in the server's log in any spelling (testbin.Leaks):
// passwords, session and API tokens, the reset token, the TOTP secret and
// code, and the documents' contents; then a short ipreg loadtest run
// (file-only) through the same server, whose passwords and session tokens
// (loadtest.Config.OnSecret) join the secrets.
func TestLogsHoldNoSecrets(t *testing.T) {
	mp := testbin.StartMailpit(t, testbin.MailpitOptions{})
	p := start(t, []string{"IPREG_DATA_DIR=" + t.TempDir(), "IPREG_MAIL=smtp"}, "--demo", "--log-level", "debug",
		"--smtp-host", mp.SMTPHost, "--smtp-port", strconv.Itoa(mp.SMTPPort), "--smtp-tls", "none",
		"--mail-from", "PTA VPN Registry <noreply@ipreg.example.pk>", "--public-url", "https://ipreg.example.pk")
	// The demo's own password is no secret: --demo prints it in its banner,
	// as the README does. Every other credential below is.
	secrets := map[string]string{}
	email, password := "it@secret-soft.pk", "Sign-up pass phrase 4417"
	secrets["sign-up password"] = password
	p.call("POST", "/api/v1/signup", "", map[string]string{"email": email, "password": password,
		"kind": "company", "name": "Secret Soft (Pvt) Ltd", "cnic": "35202-7654329-1", "mobile": "0321-7654329", "ntn": "1234569-0"}, 201)
	alice := p.login(email, password)
	secrets["applicant's session token"] = alice
	// A wrong password is a secret too: often a neighbour of the right one.
	p.call("POST", "/api/v1/login", "", map[string]string{"email": email, "password": "Sign-up pass phrase 4418"}, 401)
	secrets["wrong password"] = "Sign-up pass phrase 4418"
	script := p.call("POST", "/api/v1/tokens", alice, map[string]any{"name": "ci script"}, 201)["token"].(string)
	secrets["API token"] = script
	p.call("GET", "/api/v1/me", script, nil, 200)

	app := p.call("POST", "/api/v1/applications", script, map[string]any{"category": "company_vpn", "operator_id": "nayatel",
		"subscriber_id": "NT-4419", "addresses": []string{"27.255.4.0/24"},
		"vpn": map[string]any{"protocol": "wireguard"}, "purpose": "Engineers reach customer systems in Europe."}, 201)
	id := app["id"].(string)
	for i, r := range registry.RequiredDocuments(registry.CategoryCompany) {
		k := string(r.Kinds[0])
		marker := "SCAN-CONTENT-" + k + "-9f3a7c"
		secrets["document text "+strconv.Itoa(i)] = marker
		testbin.Upload(t, p.base, alice, id, k, k+".pdf", testbin.PDF(marker), http.StatusCreated)
	}
	p.call("POST", "/api/v1/applications/"+id+"/submit", alice, nil, 200)
	op := p.login("operator.nayatel@demo.test", "demo-password-1")
	secrets["operator's session token"] = op
	checks := p.list("/api/v1/operator/checks", op)
	p.call("POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), op, map[string]string{"result": "confirmed"}, 200)
	reviewer := p.login("reviewer@demo.test", "demo-password-1")
	secrets["reviewer's session token"] = reviewer
	p.call("GET", "/api/v1/applications/"+id+"/documents", reviewer, nil, 200)
	p.call("POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "approve"}, 200)

	// The agent's credential, in use on the operator's feed.
	agent := p.call("POST", "/api/v1/tokens", op, map[string]any{"name": "agent", "scope": "feed"}, 201)["token"].(string)
	secrets["feed token"] = agent
	testbin.Call(t, p.base, "GET", "/feed/v1/operators/nayatel/wait?after=0&timeout=20", agent, nil, 200)
	p.call("GET", "/api/v1/me", agent, nil, 200)

	// TOTP: the secret shown once, and a code from it.
	begun := p.call("POST", "/api/v1/me/totp", alice, nil, 200)
	totpSecret := begun["secret"].(string)
	secrets["TOTP secret"] = totpSecret
	code, err := auth.TOTPCode(totpSecret, auth.TOTPStep(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	p.call("POST", "/api/v1/me/totp/confirm", alice, map[string]string{"code": code}, 204)
	secrets["TOTP otpauth URL"] = begun["otpauth_url"].(string)

	// The portal: a login (its session cookie), then a password reset by
	// the link e-mailed, to a new password.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values, want int) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", p.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", p.base)
		res, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("POST %s = %d, want %d", path, res.StatusCode, want)
		}
		return res
	}
	res := post("/login", url.Values{"email": {"supervisor@demo.test"}, "password": {"demo-password-1"}}, http.StatusSeeOther)
	for _, c := range res.Cookies() {
		if c.Name == "ipreg_session" {
			secrets["portal session cookie"] = c.Value
		}
	}
	if secrets["portal session cookie"] == "" {
		t.Fatal("the portal's login set no session cookie")
	}
	before := len(mp.WaitMessages(t, 1))
	post("/password/forgot", url.Values{"email": {"operator.nayatel@demo.test"}}, http.StatusOK)
	// Other mail (the approval, TOTP turned on) may arrive around it: the
	// reset is the one to the operator's address with a link.
	var m []string
	for deadline := time.Now().Add(20 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		for _, msg := range mp.WaitMessages(t, before+1) {
			if len(msg.To) == 1 && msg.To[0].Address == "operator.nayatel@demo.test" {
				m = regexp.MustCompile(`password/reset\?token=([A-Za-z0-9_\-]+)`).FindStringSubmatch(mp.Message(t, msg.ID).Text)
			}
		}
	}
	if m == nil {
		t.Fatal("no reset link e-mailed to the operator")
	}
	secrets["reset token"] = m[1]
	newPassword := "A brand new pass phrase 2291"
	secrets["new password"] = newPassword
	post("/password/reset", url.Values{"token": {m[1]}, "password": {newPassword}, "password2": {newPassword}}, http.StatusSeeOther)
	nayatel := p.login("operator.nayatel@demo.test", newPassword)

	// A load run through the same server: every password and session
	// token it made or received joins the secrets.
	var mu sync.Mutex
	load, err := loadtest.Run(context.Background(), loadtest.Config{Target: p.base, Clients: 2, Mix: "file-only",
		Applications: 2, DocumentBytes: 20000, OperatorTokens: map[string]string{"nayatel": nayatel},
		OnSecret: func(kind, value string) {
			mu.Lock()
			defer mu.Unlock()
			secrets[fmt.Sprintf("load run's %s %d", kind, len(secrets))] = value
		}})
	if err != nil || load.Errors > 0 || load.Approved == 0 {
		t.Fatalf("load run: %v, %d errors, %d approved", err, load.Errors, load.Approved)
	}

	log := p.Stderr()
	// The log must hold the flow's requests, or the test proves little.
	// At debug level the requests' details and the feed's long-polls are
	// logged too, so the secrets are checked against them.
	for _, want := range []string{"level=DEBUG msg=\"http detail\" route=", "level=DEBUG msg=\"feed wait\" scope=nayatel", "path=/api/v1/login", "path=/api/v1/me/totp/confirm", "path=/password/reset", "path=/feed/v1/operators/nayatel/wait", "path=/api/v1/signup"} {
		if !strings.Contains(log, want) {
			t.Errorf("the server's log lacks %q:\n%.3000s", want, log)
		}
	}
	if leaked := testbin.Leaks(log, secrets); len(leaked) > 0 {
		t.Errorf("the server's log holds %s (%d bytes of log)", strings.Join(leaked, ", "), len(log))
	}
}
