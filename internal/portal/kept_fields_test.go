package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// A page that shows a form only for a posted field (the new-application
// form for its category; the appeal's decision on its application's page)
// is worked out from the posted fields, never from the Referer alone: after
// an error page (the Referer is the POST's address) or without a Referer,
// every form route still names a page, and a new application's form comes
// back after the login. A form that names no such page is not promised.
func TestFormKeptPageFromFields(t *testing.T) {
	fields := url.Values{"category": {"company_vpn"}, "application": {"app_abc123"}}
	for pattern, mapped := range portal.FormPages {
		path := strings.TrimPrefix(pattern, "POST ")
		path = strings.NewReplacer("{id}", "x1", "{doc}", "d1", "{number}", "VPN-1", "{name}", "purge").Replace(path)
		for _, ref := range []string{"", path} {
			page, got := portal.FormPageOf(path, ref, fields)
			if got != pattern {
				t.Fatalf("%s routed as %q", path, got)
			}
			if page == "" || !portal.IsPage(page) {
				t.Errorf("%s (Referer %q): the form comes back on %q, no page (route's page %q)", pattern, ref, page, mapped)
			}
		}
	}
	if page, _ := portal.FormPageOf("/applications", "/applications"); page != "" {
		t.Errorf("a new application's form without a category comes back on %q: that page cannot show it", page)
	}
	if page, _ := portal.FormPageOf("/appeals/apl_1/decision", "/dashboard"); page != "" {
		t.Errorf("an appeal's decision without its application comes back on %q: that page cannot show it", page)
	}
	if page, _ := portal.FormPageOf("/appeals/apl_1/decision", "", url.Values{"application": {"app_q1"}}); page != "/applications/app_q1" {
		t.Errorf("an appeal's decision comes back on %q, want its application's page", page)
	}

	clock := testbin.NewClock(time.Now().UTC())
	e := newEnv(t, func(c *registry.Config) { c.Now = clock.Now })
	e.signup("farah@example.pk", "Farah Traders", "company")
	typed := url.Values{"category": {"company_vpn"}, "operator_id": {"ptcl"}, "subscriber_id": {"PTCL-88"},
		"addresses": {"14.1.108.0/24"}, "vpn_protocol": {"wireguard"}, "purpose": {"Typed on a new form"}}
	for _, ref := range []string{"/applications", ""} {
		t.Run("new application, Referer "+ref, func(t *testing.T) {
			b := e.browser()
			b.login("farah@example.pk", "a long password")
			clock.Add(13 * time.Hour)
			p := b.postRaw("/applications", ref, typed)
			want := "/applications/new?category=company_vpn"
			if p.status != http.StatusSeeOther || p.location != "/login?next="+url.QueryEscape(want)+"&msg=form_kept" {
				t.Fatalf("post after expiry = %d %q; want the login leading to %s", p.status, p.location, want)
			}
			b.login("farah@example.pk", "a long password")
			got := b.get(want)
			for _, w := range []string{"What you typed is back", "PTCL-88", "Typed on a new form"} {
				if !strings.Contains(got.body, w) {
					t.Errorf("%s after the login lacks %q", want, w)
				}
			}
		})
	}
	t.Run("new application without a category", func(t *testing.T) {
		b := e.browser()
		b.login("farah@example.pk", "a long password")
		clock.Add(13 * time.Hour)
		vals := url.Values{"purpose": {"No category"}}
		p := b.postRaw("/applications", "/applications", vals)
		if strings.Contains(p.location, "form_kept") {
			t.Errorf("a form whose page cannot show it is promised: %q", p.location)
		}
	})
}

// A kept form that had a password says it must be typed again (like a
// file); a form of a file alone (the operator's CSV upload) keeps nothing,
// and the login does not promise it but says to choose the file again.
func TestFormKeptPasswordsAndFiles(t *testing.T) {
	clock := testbin.NewClock(time.Now().UTC())
	e := newEnv(t, func(c *registry.Config) { c.Now = clock.Now })

	b := e.browser()
	b.login("admin@demo.test", "demo-password-1")
	clock.Add(13 * time.Hour)
	p := b.postRaw("/admin/users", "/admin/users", url.Values{"email": {"new.reviewer@example.pk"}, "name": {"Nadia Reviewer"},
		"role": {"reviewer"}, "password": {"a first password"}})
	if !strings.Contains(p.location, "msg=form_kept") {
		t.Fatalf("the new-user form after expiry went to %q; want it kept", p.location)
	}
	b.login("admin@demo.test", "demo-password-1")
	got := b.get("/admin/users")
	for _, w := range []string{"What you typed is back", "new.reviewer@example.pk", "Passwords are not kept: type it again."} {
		if !strings.Contains(got.body, w) {
			t.Errorf("the restored new-user form lacks %q", w)
		}
	}
	if strings.Contains(got.body, "a first password") {
		t.Errorf("the password came back")
	}

	op := e.browser()
	op.login("operator.ptcl@demo.test", "demo-password-1")
	clock.Add(13 * time.Hour)
	p = op.postFrom("/operator/checks", "/operator/checks/upload", nil, "file")
	if strings.Contains(p.location, "form_kept") || !strings.Contains(p.location, "msg=session_ended_file") {
		t.Fatalf("a CSV-only upload after expiry went to %q; want no promise, and a word to choose the file again", p.location)
	}
	if lp := op.get(p.location); !strings.Contains(lp.body, "choose the file again") {
		t.Errorf("the login page does not say to choose the file again")
	}
}
