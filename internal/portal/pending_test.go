package portal_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// postFrom posts a form as a browser does from page: with the page as
// Referer (the Referrer-Policy is same-origin) and, for multipart, a file.
func (b *browser) postFrom(page, path string, fields url.Values, file string) page {
	b.e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if file != "" {
		fw, _ := w.CreateFormFile(file, "addresses.csv")
		fw.Write([]byte("14.1.107.9\n"))
	}
	w.Close()
	req, _ := http.NewRequest("POST", b.e.base+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Referer", b.e.base+page)
	return b.do(req)
}

// A form posted after the session ended is not lost: after the next login
// of the same account it comes back on the page it was on, with what was
// typed (a file must be chosen again, and the page says so), once. Another
// account never sees it, a password is never kept, and a cross-origin
// post keeps nothing.
func TestFormKeptAcrossLogin(t *testing.T) {
	clock := testbin.NewClock(time.Now().UTC())
	e := newEnv(t, func(c *registry.Config) { c.Now = clock.Now })
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	e.signup("bob@example.pk", "Bob Traders", "company")
	a := e.apply(alice, "14.1.104.0/24", "Branch office link", false)
	edit := "/applications/" + a.ID + "/edit"
	typed := url.Values{"category": {"company_vpn"}, "operator_id": {"ptcl"}, "subscriber_id": {"PTCL-77"},
		"addresses": {"14.1.104.0/24\n14.1.107.7"}, "vpn_protocol": {"wireguard"}, "vpn_endpoints": {"vpn.alice.example"},
		"purpose": {"Typed just before the session ended"}}

	// expire logs alice in, opens the edit page, lets the session lapse and
	// posts the form.
	expire := func(t *testing.T) *browser {
		t.Helper()
		b := e.browser()
		b.login("alice@example.pk", "a long password")
		if p := b.get(edit); p.status != 200 {
			t.Fatalf("edit page = %d", p.status)
		}
		clock.Add(13 * time.Hour) // past session_hours (12) without a request
		p := b.postFrom(edit, "/applications/"+a.ID, typed, "addresses_csv")
		if p.status != http.StatusSeeOther || p.location != "/login?next="+url.QueryEscape(edit)+"&msg=form_kept" {
			t.Fatalf("post after expiry = %d %q; want the login, leading back to the edit page, saying the form is kept", p.status, p.location)
		}
		if lp := b.get(p.location); !strings.Contains(lp.body, "comes back with what you typed") {
			t.Errorf("the login page does not say the form is kept")
		}
		return b
	}

	t.Run("same account", func(t *testing.T) {
		b := expire(t)
		p := b.post("/login", url.Values{"email": {"alice@example.pk"}, "password": {"a long password"}, "next": {edit}})
		if p.status != http.StatusSeeOther || p.location != edit {
			t.Fatalf("login = %d %q, want back to %s", p.status, p.location, edit)
		}
		p = b.get(edit)
		for _, want := range []string{"PTCL-77", "14.1.107.7", "vpn.alice.example", "Typed just before the session ended",
			"What you typed is back", "choose the file again"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the edit page after the login lacks %q", want)
			}
		}
		// Once: the next visit shows the application as saved.
		if p := b.get(edit); strings.Contains(p.body, "PTCL-77") {
			t.Errorf("the kept form came back a second time")
		}
	})

	t.Run("another account", func(t *testing.T) {
		// A page both accounts can open: alice's form must not show on
		// bob's, even when bob logs in next in the same browser.
		b := e.browser()
		b.login("alice@example.pk", "a long password")
		clock.Add(13 * time.Hour)
		req, _ := http.NewRequest("POST", e.base+"/account/language", strings.NewReader(url.Values{"lang": {"ur"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Referer", e.base+"/account")
		if p := b.do(req); !strings.Contains(p.location, "form_kept") {
			t.Fatalf("post after expiry went to %q", p.location)
		}
		b.login("bob@example.pk", "a long password")
		if p := b.get("/account"); strings.Contains(p.body, "What you typed is back") {
			t.Errorf("bob sees alice's kept form")
		}
		b.post("/logout", url.Values{})
		b.login("alice@example.pk", "a long password")
		if p := b.get("/account"); strings.Contains(p.body, "What you typed is back") {
			t.Errorf("the kept form survived another account's login")
		}
	})

	t.Run("no password", func(t *testing.T) {
		b := e.browser()
		b.login("alice@example.pk", "a long password")
		clock.Add(13 * time.Hour)
		req, _ := http.NewRequest("POST", e.base+"/account/language",
			strings.NewReader(url.Values{"lang": {"ur"}, "password": {"secret-typed-here"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Referer", e.base+"/account")
		if p := b.do(req); !strings.Contains(p.location, "form_kept") {
			t.Fatalf("post after expiry went to %q", p.location)
		}
		b.login("alice@example.pk", "a long password")
		p := b.get("/account")
		if strings.Contains(p.body, "secret-typed-here") {
			t.Errorf("a password came back")
		}
		if !strings.Contains(p.body, "What you typed is back") {
			t.Errorf("the account page does not bring the form back")
		}
	})

	t.Run("deletion not confirmed again", func(t *testing.T) {
		b := e.browser()
		b.login("alice@example.pk", "a long password")
		clock.Add(13 * time.Hour)
		req, _ := http.NewRequest("POST", e.base+"/account/delete",
			strings.NewReader(url.Values{"password": {"secret-typed-here"}, "confirm": {"yes"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Referer", e.base+"/account/delete")
		b.do(req)
		b.login("alice@example.pk", "a long password")
		p := b.get("/account/delete")
		vals, _, ok := formValues(t, p.body, "/account/delete")
		if !ok || vals.Get("password") != "" || vals.Get("confirm") != "" || strings.Contains(p.body, "secret-typed-here") {
			t.Errorf("the deletion form came back with password %q, confirmation %q: both must be given afresh", vals.Get("password"), vals.Get("confirm"))
		}
	})

	t.Run("cross origin", func(t *testing.T) {
		b := e.browser()
		b.login("alice@example.pk", "a long password")
		clock.Add(13 * time.Hour)
		req, _ := http.NewRequest("POST", e.base+"/applications/"+a.ID, strings.NewReader(typed.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Referer", e.base+edit)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if p := b.do(req); p.status != http.StatusForbidden {
			t.Fatalf("cross-site post = %d, want 403", p.status)
		}
		b.login("alice@example.pk", "a long password")
		if p := b.get(edit); strings.Contains(p.body, "PTCL-77") {
			t.Errorf("a cross-site post was kept")
		}
	})

	t.Run("slides", func(t *testing.T) {
		b := e.browser()
		b.login("alice@example.pk", "a long password")
		for i := 0; i < 3; i++ {
			clock.Add(11 * time.Hour)
			p := b.get("/dashboard")
			if p.status != 200 {
				t.Fatalf("after %d h of activity: dashboard = %d %q", 11*(i+1), p.status, p.location)
			}
			if !strings.Contains(strings.Join(p.header.Values("Set-Cookie"), "\n"), "ipreg_session=") {
				t.Errorf("after %d h: the session cookie does not follow the moved expiry", 11*(i+1))
			}
		}
	})
}
