package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/registry"
)

// TestPageSecurity checks what every page sends: the CSP without inline
// script, nosniff, no framing, no caching of personal pages; the session
// cookie's flags; and that a form posted from another site is refused
// before it does anything.
func TestPageSecurity(t *testing.T) {
	e := newEnv(t)
	e.signup("alice@example.pk", "Alice Traders", "company")
	b := e.browser()
	p := b.post("/login", url.Values{"email": {"alice@example.pk"}, "password": {"a long password"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("login = %d", p.status)
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "ipreg_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure || session.Path != "/" {
		t.Fatalf("session cookie = %+v (Secure only under TLS or --secure-cookies)", session)
	}
	for _, path := range []string{"/", "/dashboard", "/applications/new", "/account"} {
		p := b.get(path)
		csp := p.header.Get("Content-Security-Policy")
		if p.status != 200 || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: %d, CSP %q", path, p.status, csp)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("X-Frame-Options") != "DENY" || p.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s headers = %v", path, p.header)
		}
		if strings.Contains(p.body, "<script>") || strings.Contains(p.body, " style=") || strings.Contains(p.body, " onclick=") {
			t.Errorf("%s has inline script or style", path)
		}
	}
	// A cross-site form post (what a browser marks Sec-Fetch-Site:
	// cross-site, or with a foreign Origin) is refused and changes nothing.
	for _, h := range [][2]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		req, _ := http.NewRequest("POST", e.base+"/logout", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(h[0], h[1])
		p := b.do(req)
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "another site") {
			t.Errorf("cross-site logout with %s = %d", h[0], p.status)
		}
		// The logged-in person is not shown the logged-out menu.
		if strings.Contains(p.body, `href="/login"`) || strings.Contains(p.body, `href="/signup"`) {
			t.Errorf("cross-site refusal with %s offers a logged-in person Sign up and Log in", h[0])
		}
	}
	// Nor does the home page's body offer a logged-in applicant "Sign
	// up and apply" (tester): a new application instead.
	if p := b.get("/"); strings.Contains(p.body, `href="/signup"`) || !strings.Contains(p.body, `class="button" href="/applications/new"`) {
		t.Errorf("the home page offers a logged-in applicant to sign up, or no new application")
	}
	// In the person's language: the refusal reads no session, but the
	// language cookie.
	b.get("/lang/ur?next=/")
	req, _ := http.NewRequest("POST", e.base+"/logout", strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := b.do(req); p.status != http.StatusForbidden || !strings.Contains(p.body, `lang="ur"`) || strings.Contains(p.body, "another site") {
		t.Errorf("cross-site refusal after choosing Urdu: %d, not in Urdu", p.status)
	}
	b.get("/lang/en?next=/")
	if p := b.get("/dashboard"); p.status != 200 {
		t.Errorf("the refused logout logged the user out: %d", p.status)
	}
	// The same form from this site works.
	req, _ = http.NewRequest("POST", e.base+"/logout", strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if p := b.do(req); p.status != http.StatusSeeOther {
		t.Errorf("same-origin logout = %d", p.status)
	}
	if p := b.get("/dashboard"); p.status != http.StatusSeeOther {
		t.Errorf("after logout /dashboard = %d", p.status)
	}
	// Open redirects: next and the language switch stay on this site.
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
		if p := b.get("/lang/ur?next=" + url.QueryEscape(next)); p.location != "/" {
			t.Errorf("lang next=%s goes to %q", next, p.location)
		}
	}
}

// TestNextStaysLocal: every "next" parameter (the language switch, the
// login form) redirects only to a clean path on this site. The issue's
// example is /lang/en?next=/%09/evil.example, which once redirected to
// "/\t/evil.example" and so, in a browser, to evil.example.
func TestNextStaysLocal(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	cases := []struct {
		rawNext string // as sent in the query, already percent-encoded
		want    string // "" means the fallback
	}{
		{"/%09/evil.example", ""},
		{"//evil.example", ""},
		{"/%5Cevil.example", ""},
		{"/%5C%5Cevil.example", ""},
		{"%2F%2Fevil.example", ""},
		{"/%252F/evil.example", ""}, // decodes to the path //evil.example
		{"https://evil.example/", ""},
		{"https%3A%2F%2Fevil.example", ""},
		{"/%0d%0aSet-Cookie:%20x=1", ""},
		{"/%0a/evil.example", ""},
		{"/%00", ""},
		{"javascript:alert(1)", ""},
		{"%20/evil.example", ""},
		{"evil.example", ""},
		{"//user@evil.example", ""},
		{"/%ff", ""},
		{"/applications/new", "/applications/new"},
		{"/verify%3Fnumber%3DPTA-1", "/verify?number=PTA-1"},
	}
	for _, c := range cases {
		want := c.want
		if want == "" {
			want = "/"
		}
		if p := b.get("/lang/en?next=" + c.rawNext); p.status != http.StatusSeeOther || p.location != want {
			t.Errorf("/lang/en?next=%s = %d to %q, want %q", c.rawNext, p.status, p.location, want)
		}
		// The login form carries next as a hidden field and redirects to it
		// after a successful login; the reviewer's home is /review.
		next, err := url.QueryUnescape(c.rawNext)
		if err != nil {
			t.Fatal(err)
		}
		want = c.want
		if want == "" {
			want = "/review"
		}
		lb := e.browser()
		p := lb.post("/login", url.Values{"email": {"reviewer@demo.test"}, "password": {"demo-password-1"}, "next": {next}})
		if p.status != http.StatusSeeOther || p.location != want {
			t.Errorf("login with next=%s = %d to %q, want %q", c.rawNext, p.status, p.location, want)
		}
		if page := lb.get("/login?next=" + c.rawNext); c.want == "" && strings.Contains(page.body, "evil") {
			t.Errorf("the login page carries next=%s into its form", c.rawNext)
		}
	}
}

// TestLoginAbuseMessages: a throttled login and one refused while every
// hashing slot is busy show the person a clear message, with the status
// and Retry-After the API gives.
func TestLoginAbuseMessages(t *testing.T) {
	gate := auth.NewGate(1, 0, time.Second)
	e := newEnv(t, func(c *registry.Config) { c.HashGate = gate })
	b := e.browser()
	for i := 0; i < 5; i++ {
		if p := b.post("/login", url.Values{"email": {"reviewer@demo.test"}, "password": {"wrong password"}}); p.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d = %d", i, p.status)
		}
	}
	p := b.post("/login", url.Values{"email": {"reviewer@demo.test"}, "password": {"demo-password-1"}})
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "too many failed logins") {
		t.Errorf("throttled login = %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
	}
	hold, entered := make(chan struct{}), make(chan struct{})
	gate.OnEnter = func(int) { entered <- struct{}{}; <-hold }
	done := make(chan page)
	go func() {
		done <- e.browser().post("/login", url.Values{"email": {"admin@demo.test"}, "password": {"demo-password-1"}})
	}()
	<-entered
	p = e.browser().post("/login", url.Values{"email": {"supervisor@demo.test"}, "password": {"demo-password-1"}})
	if p.status != http.StatusServiceUnavailable || p.header.Get("Retry-After") != "1" || !strings.Contains(p.body, "busy checking other passwords") {
		t.Errorf("login while hashing is saturated = %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
	}
	gate.OnEnter = nil
	close(hold)
	if p := <-done; p.status != http.StatusSeeOther {
		t.Errorf("the login holding the slot = %d", p.status)
	}
}
