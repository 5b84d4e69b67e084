package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
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
		if p := b.do(req); p.status != http.StatusForbidden || !strings.Contains(p.body, "another site") {
			t.Errorf("cross-site logout with %s = %d", h[0], p.status)
		}
	}
	if p := b.get("/dashboard"); p.status != 200 {
		t.Errorf("the refused logout logged the user out: %d", p.status)
	}
	// The same form from this site works.
	req, _ := http.NewRequest("POST", e.base+"/logout", strings.NewReader(""))
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
