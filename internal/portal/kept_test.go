package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// postRaw posts an urlencoded form with the given Referer path ("" for
// none), as a browser whose session has ended.
func (b *browser) postRaw(path, referer string, form url.Values) page {
	b.e.t.Helper()
	req, _ := http.NewRequest("POST", b.e.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if referer != "" {
		req.Header.Set("Referer", b.e.base+referer)
	}
	return b.do(req)
}

// A form posted after the session ended comes back on the page that
// carries it, whatever the Referer says (a POST's address after an error
// page, or none), and the page says it is back only when it shows it.
// Too large a form is kept not at all, and the login says so; a kept
// form lost to a restart is named as lost; the account cookie survives a
// restart.
func TestFormKeptOnItsPage(t *testing.T) {
	clock := testbin.NewClock(time.Now().UTC())
	e := newEnv(t, func(c *registry.Config) { c.Now = clock.Now })
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	a := e.apply(alice, "14.1.104.0/24", "Branch office link", false)
	edit := "/applications/" + a.ID + "/edit"
	typed := url.Values{"category": {"company_vpn"}, "operator_id": {"ptcl"}, "subscriber_id": {"PTCL-77"},
		"addresses": {"14.1.104.0/24\n14.1.107.7"}, "vpn_protocol": {"wireguard"}, "purpose": {"Typed after an error page"}}
	lapse := func(t *testing.T) *browser {
		t.Helper()
		b := e.browser()
		b.login("alice@example.pk", "a long password")
		clock.Add(13 * time.Hour)
		return b
	}
	back := func(t *testing.T, b *browser, p page, page string, want ...string) {
		t.Helper()
		if p.status != http.StatusSeeOther || p.location != "/login?next="+url.QueryEscape(page)+"&msg=form_kept" {
			t.Fatalf("post after expiry = %d %q; want the login, leading to %s, saying the form is kept", p.status, p.location, page)
		}
		b.login("alice@example.pk", "a long password")
		got := b.get(page)
		for _, w := range append(want, "What you typed is back") {
			if !strings.Contains(got.body, w) {
				t.Errorf("%s after the login lacks %q", page, w)
			}
		}
	}

	for _, tt := range []struct{ name, referer string }{
		{"after an error page", "/applications/" + a.ID}, // the error page of the edit form is at the POST's address
		{"without a Referer", ""},
		{"from another site's page", "/no-such-page"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := lapse(t)
			back(t, b, b.postRaw("/applications/"+a.ID, tt.referer, typed), edit, "PTCL-77", "14.1.107.7", "Typed after an error page")
		})
	}

	t.Run("admin prefixes after an error page", func(t *testing.T) {
		b := e.browser()
		b.login("admin@demo.test", "demo-password-1")
		clock.Add(13 * time.Hour)
		p := b.postFrom("/admin/operators/ptcl/prefixes", "/admin/operators/ptcl/prefixes", url.Values{"prefixes": {"14.1.0.0/16\n10.9.8.0/24"}}, "")
		if p.location != "/login?next="+url.QueryEscape("/admin/operators")+"&msg=form_kept" {
			t.Fatalf("post after expiry = %d %q, want the login leading to /admin/operators", p.status, p.location)
		}
		b.login("admin@demo.test", "demo-password-1")
		if got := b.get("/admin/operators"); !strings.Contains(got.body, "10.9.8.0/24") || !strings.Contains(got.body, "What you typed is back") {
			t.Errorf("the operators page does not bring the prefixes back")
		}
	})

	t.Run("page no longer shows the form", func(t *testing.T) {
		b := lapse(t)
		p := b.postRaw("/applications/"+a.ID, edit, typed)
		if !strings.Contains(p.location, "form_kept") {
			t.Fatalf("post after expiry went to %q", p.location)
		}
		// Meanwhile the application left the draft state (its edit form is
		// gone from the edit page).
		for _, r := range registry.RequiredDocuments(a.Category) {
			if _, err := e.svc.UploadDocument(e.ctx, alice, a.ID, registry.UploadInput{Kind: string(r.Kinds[0]), Filename: "scan.pdf",
				Content: testbin.PDF("scan")}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.Submit(e.ctx, alice, a.ID, nil); err != nil {
			t.Fatal(err)
		}
		b.login("alice@example.pk", "a long password")
		got := b.get(edit)
		if strings.Contains(got.body, "What you typed is back") || !strings.Contains(got.body, "could not be kept on this page") {
			t.Errorf("the edit page of a submitted application says the form is back, or does not say it was lost (status %d)", got.status)
		}
	})

	t.Run("too large", func(t *testing.T) {
		b := lapse(t)
		a2 := e.apply(alice, "14.1.105.0/24", "Second", false)
		big := url.Values{}
		for k, v := range typed {
			big[k] = v
		}
		big.Set("purpose", strings.Repeat("x", 300<<10))
		if p := b.postRaw("/applications/"+a2.ID, "", big); !strings.Contains(p.location, "msg=session_ended_too_large") {
			t.Fatalf("a too large form after expiry went to %q; want the login saying it was too large to keep", p.location)
		}
		p := b.postFrom("", "/applications/"+a2.ID, big, "addresses_csv") // multipart, with a file
		if !strings.Contains(p.location, "msg=session_ended_too_large") {
			t.Fatalf("a too large multipart form after expiry went to %q; want the login saying it was too large to keep", p.location)
		}
		if lp := b.get(p.location); !strings.Contains(lp.body, "too large to keep") {
			t.Errorf("the login page does not say the form was too large to keep")
		}
		b.login("alice@example.pk", "a long password")
		if got := b.get("/applications/" + a2.ID + "/edit"); strings.Contains(got.body, "What you typed is back") {
			t.Errorf("a part of a too large form came back as if whole")
		}
	})

	t.Run("restart", func(t *testing.T) {
		key := []byte("0123456789abcdef0123456789abcdef")
		e.restart(key)
		a3 := e.apply(alice, "14.1.106.0/24", "Third", false)
		b := lapse(t)
		e.restart(key) // the account cookie was set before this restart
		p := b.postRaw("/applications/"+a3.ID, "", typed)
		if !strings.Contains(p.location, "msg=form_kept") {
			t.Fatalf("after a restart, a post after expiry went to %q; want the form kept (the account cookie still valid)", p.location)
		}
		e.restart(key) // the kept form is lost with the process
		b.login("alice@example.pk", "a long password")
		for _, lang := range []struct{ code, want string }{{"en", "Your form could not be kept: type it again."}} {
			got := b.get("/applications/" + a3.ID + "/edit")
			if !strings.Contains(got.body, lang.want) {
				t.Errorf("%s: after a restart lost the kept form, the page does not say so", lang.code)
			}
		}
		if got := b.get("/dashboard"); strings.Contains(got.body, "could not be kept") {
			t.Errorf("the loss is said more than once")
		}
	})
}

// A copy of the account cookie taken before a logout keeps nothing after
// it; a session that ended by time still has its form kept, even after
// the clean-up job ran.
func TestAccountCookieEndsAtLogout(t *testing.T) {
	clock := testbin.NewClock(time.Now().UTC())
	e := newEnv(t, func(c *registry.Config) { c.Now = clock.Now })
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	a := e.apply(alice, "14.1.104.0/24", "Branch office link", false)
	typed := url.Values{"category": {"company_vpn"}, "operator_id": {"ptcl"}, "subscriber_id": {"PTCL-77"},
		"addresses": {"14.1.104.0/24"}, "vpn_protocol": {"wireguard"}, "purpose": {"Typed"}}
	accountCookie := func(b *browser) *http.Cookie {
		u, _ := url.Parse(e.base)
		for _, c := range b.c.Jar.Cookies(u) {
			if c.Name == "ipreg_account" {
				return c
			}
		}
		t.Fatal("no account cookie after the login")
		return nil
	}
	postWith := func(c *http.Cookie) page {
		b := e.browser()
		req, _ := http.NewRequest("POST", e.base+"/applications/"+a.ID, strings.NewReader(typed.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(c)
		return b.do(req)
	}

	b := e.browser()
	b.login("alice@example.pk", "a long password")
	copied := accountCookie(b)
	b.post("/logout", url.Values{})
	if p := postWith(copied); strings.Contains(p.location, "form_kept") {
		t.Errorf("a copy of the account cookie kept a form after the logout: %q", p.location)
	}

	b = e.browser()
	b.login("alice@example.pk", "a long password")
	copied = accountCookie(b)
	clock.Add(13 * time.Hour) // the session ends by time
	if _, err := e.svc.CleanTokens(e.ctx); err != nil {
		t.Fatal(err)
	}
	if p := postWith(copied); !strings.Contains(p.location, "form_kept") {
		t.Errorf("a form posted after the session ended by time was not kept once the clean-up ran: %q", p.location)
	}
}
