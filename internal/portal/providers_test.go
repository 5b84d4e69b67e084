package portal_test

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// The public register lists every provider with its status in words, in
// English and Urdu, and offers the CSV; the new-application page points
// to it.
func TestProvidersPage(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, kind)
			b := e.browser()
			p := b.get("/providers")
			if p.status != 200 {
				t.Fatalf("GET /providers = %d", p.status)
			}
			for _, want := range []string{"Licensed VPN service providers", "Demo Secure Tunnels (fictional)", "DEMO/VPN/2024/017", "2025-04-02",
				">Suspended<", ">Active<", `href="https://privatenetworks.example.pk"`, `href="/api/v1/providers.csv"`, "3 providers are on the register.",
				"Of them, with an active licence: 2."} {
				if !strings.Contains(p.body, want) {
					t.Errorf("English page lacks %q", want)
				}
			}
			if strings.Contains(p.body, ">suspended<") {
				t.Error("the status code shows instead of its label")
			}
			b.get("/lang/ur?next=/providers")
			p = b.get("/providers")
			for _, want := range []string{`dir="rtl"`, "لائسنس یافتہ وی پی این سروس فراہم کنندگان", ">معطل<", ">فعال<", "فہرست ڈاؤن لوڈ کریں (CSV)",
				"فہرست میں 3 فراہم کنندگان درج ہیں۔", "DEMO/VPN/2024/017"} {
				if !strings.Contains(p.body, want) {
					t.Errorf("Urdu page lacks %q", want)
				}
			}

			alice := e.browser()
			e.signup("alice@example.pk", "Alice Traders", "company")
			alice.login("alice@example.pk", "a long password")
			p = alice.get("/applications/new")
			if p.status != 200 || !strings.Contains(p.body, `<a href="/providers">`) || !strings.Contains(p.body, "Customers of a licensed VPN service provider do not need to register") {
				t.Errorf("the new-application page does not point to the register: %d", p.status)
			}
		})
	}
}

// An empty register says so and why, in both languages, and offers no
// download of nothing.
func TestProvidersPageEmpty(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	svc := registry.NewService(db, registry.Config{Hashing: auth.TestParams})
	log := slog.New(slog.DiscardHandler)
	a := api.New(svc, log, api.Config{})
	p, err := portal.New(svc, log, portal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(portal.Root(a.Handler(), p))
	defer srv.Close()
	for lang, want := range map[string]string{"en": "No provider is on the register yet.", "ur": "فہرست میں ابھی کوئی فراہم کنندہ درج نہیں۔"} {
		req, _ := http.NewRequest("GET", srv.URL+"/providers", nil)
		req.AddCookie(&http.Cookie{Name: "ipreg_lang", Value: lang})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := res.Body.Read(buf)
			body.Write(buf[:n])
			if err != nil {
				break
			}
		}
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(body.String(), want) || strings.Contains(body.String(), "providers.csv") || strings.Contains(body.String(), "<table") {
			t.Errorf("%s: empty register page (%d) lacks %q or shows a table or download", lang, res.StatusCode, want)
		}
	}
	if ps, _ := svc.ListProviders(context.Background()); len(ps) != 0 {
		t.Errorf("a server without --demo has %d providers", len(ps))
	}
}

var providerHiddenValue = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)"`)

var providerInputValue = regexp.MustCompile(`<input id="f-([a-z_]+)" name="[a-z_]+" type="text" value="([^"]*)"`)

// providerFormValues are the text inputs' values of a page, by field.
func providerFormValues(body string) map[string]string {
	out := map[string]string{}
	for _, m := range providerInputValue.FindAllStringSubmatch(body, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	for _, m := range providerHiddenValue.FindAllStringSubmatch(body, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// Admins add and change providers through forms that show back what was
// typed with a message per field (in Urdu too), and the public page
// follows; other roles cannot reach the forms.
func TestAdminProviders(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, kind)
			admin := e.browser()
			admin.login("admin@demo.test", "demo-password-1")
			if p := admin.get("/admin/providers"); p.status != 200 || !strings.Contains(p.body, "Add a provider") || !strings.Contains(p.body, `href="/admin/providers/prv_`) {
				t.Fatalf("GET /admin/providers = %d", p.status)
			}
			typed := url.Values{"name": {"Safe Tunnels <Ltd>"}, "licence_number": {"PTA VPN 7"}, "licence_date": {"14-03-2025"},
				"status": {"suspended"}, "website": {"http://safetunnels.example.pk"}}
			p := admin.post("/admin/providers", typed)
			if p.status != 422 {
				t.Fatalf("invalid add = %d", p.status)
			}
			got := providerFormValues(p.body)
			for _, f := range []string{"name", "licence_number", "licence_date", "website"} {
				if got[f] != typed.Get(f) {
					t.Errorf("%s shown back as %q, typed %q", f, got[f], typed.Get(f))
				}
			}
			for _, want := range []string{`href="#f-licence_number"`, `href="#f-licence_date"`, `href="#f-website"`, `id="e-website"`,
				"must start with https://", `<option value="suspended" selected>`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("the refused form lacks %q", want)
				}
			}
			if strings.Contains(p.body, "Safe Tunnels <Ltd>") {
				t.Error("the typed name is not escaped")
			}

			ok := url.Values{"name": {"Safe Tunnels Ltd"}, "licence_number": {"pta/vpn/2026/004"}, "licence_date": {"2026-02-01"},
				"status": {"active"}, "website": {"https://safetunnels.example.pk"}}
			if p := admin.post("/admin/providers", ok); p.status != 303 || p.location != "/admin/providers?msg=saved" {
				t.Fatalf("add = %d %s: %s", p.status, p.location, p.body)
			}
			// The same form sent again (a second press of "Add") is the
			// provider added, not an error; another provider with the
			// number is a conflict naming the one that holds it.
			if p := admin.post("/admin/providers", ok); p.status != 303 || p.location != "/admin/providers?msg=saved" {
				t.Errorf("the same add sent again = %d %s: %s", p.status, p.location, p.body)
			}
			other := url.Values{"name": {"Other Tunnels"}, "licence_number": {"PTA/VPN/2026/004"}, "licence_date": {"2026-02-01"}, "status": {"active"}}
			if p := admin.post("/admin/providers", other); p.status != 409 || !strings.Contains(p.body, "is already on the register, held by the provider Safe Tunnels Ltd") || !strings.Contains(p.body, `id="e-licence_number"`) {
				t.Errorf("duplicate licence = %d", p.status)
			}
			var id string
			ps, _ := e.svc.ListProviders(e.ctx)
			for _, p := range ps {
				if p.LicenceNumber == "PTA/VPN/2026/004" {
					id = p.ID
				}
			}
			if id == "" {
				t.Fatal("the added provider is not on the register")
			}

			p = admin.get("/admin/providers/" + id)
			if got := providerFormValues(p.body); p.status != 200 || got["name"] != "Safe Tunnels Ltd" || got["licence_number"] != "PTA/VPN/2026/004" || got["website"] != "https://safetunnels.example.pk" {
				t.Errorf("edit form = %d, %v", p.status, got)
			}
			version := providerFormValues(p.body)["revision"]
			if version != "1" {
				t.Fatalf("the edit form's hidden revision is %q, want 1", version)
			}
			bad := url.Values{"name": {"Safe Tunnels Ltd"}, "licence_number": {"PTA/VPN/2026/004"}, "licence_date": {"2026-02-30"},
				"status": {"revoked"}, "website": {""}, "revision": {version}}
			p = admin.post("/admin/providers/"+id, bad)
			if got := providerFormValues(p.body); p.status != 422 || got["licence_date"] != "2026-02-30" || !strings.Contains(p.body, `<option value="revoked" selected>`) {
				t.Errorf("invalid change = %d, %v", p.status, got)
			}
			bad.Set("licence_date", "2026-02-01")
			if p := admin.post("/admin/providers/"+id, bad); p.status != 303 {
				t.Fatalf("change = %d: %s", p.status, p.body)
			}
			// A stale form (opened before the revocation just saved) is
			// refused instead of setting the licence back to active
			// (tester t2, M2). The form comes back with what the admin
			// typed, against the current revision, and shows the values
			// saved now (the revocation), as a notice's stale form does.
			// A form without a revision is refused the same way.
			stale := url.Values{"name": {"Safe Tunnels Typed"}, "licence_number": {"PTA/VPN/2026/004"}, "licence_date": {"2026-02-01"},
				"status": {"active"}, "website": {"https://typed.example.pk"}}
			var again url.Values
			for _, tc := range []struct{ revision, says string }{
				{version, "Someone else changed this provider since you opened the form"},
				{"", "make your change again"},
				{"yesterday", "make your change again"},
			} {
				stale.Set("revision", tc.revision)
				p := admin.post("/admin/providers/"+id, stale)
				got := providerFormValues(p.body)
				current, _, _ := strings.Cut(p.body[strings.Index(p.body, "<main"):], "<form")
				if p.status != 409 || !strings.Contains(p.body, tc.says) || got["revision"] != "2" ||
					got["name"] != "Safe Tunnels Typed" || got["website"] != "https://typed.example.pk" || !strings.Contains(p.body, `<option value="active" selected>`) ||
					!strings.Contains(current, "Saved now, after the other change") || !strings.Contains(current, ">Revoked<") || !strings.Contains(current, "Safe Tunnels Ltd") {
					t.Errorf("stale change (revision %q) = %d, form %v:\n%s", tc.revision, p.status, got, p.body)
				}
				// The saved values that differ from the form are marked:
				// the name, the status and the website, not the licence
				// number (typed the same) nor the date.
				if n := strings.Count(current, "not what your form says"); n != 3 {
					t.Errorf("stale change (revision %q): %d saved values marked as differing, want 3 (name, status, website):\n%s", tc.revision, n, current)
				}
				if cur, err := e.svc.Provider(e.ctx, id); err != nil || cur.Status != registry.ProviderRevoked || cur.Revision != 2 {
					t.Fatalf("after a stale change: %+v, %v; want still revoked at revision 2", cur, err)
				}
				again = url.Values{}
				for k, v := range got {
					again.Set(k, v)
				}
				again.Set("status", "active")
			}
			// Saved again as it came back: the admin overrules the other
			// change knowingly.
			if p := admin.post("/admin/providers/"+id, again); p.status != 303 {
				t.Fatalf("the stale form saved again = %d: %s", p.status, p.body)
			}
			if cur, _ := e.svc.Provider(e.ctx, id); cur.Status != registry.ProviderActive || cur.Name != "Safe Tunnels Typed" || cur.Revision != 3 {
				t.Errorf("after saving the stale form again: %+v", cur)
			}
			bad.Set("revision", "3")
			if p := admin.post("/admin/providers/"+id, bad); p.status != 303 {
				t.Fatalf("revoking again = %d: %s", p.status, p.body)
			}
			if p := admin.get("/admin/providers/prv_none"); p.status != 404 {
				t.Errorf("unknown provider = %d", p.status)
			}
			if p := admin.post("/admin/providers/prv_none", bad); p.status != 404 {
				t.Errorf("change of an unknown provider = %d", p.status)
			}
			pub := e.browser().get("/providers")
			if !strings.Contains(pub.body, "Safe Tunnels Ltd") || !strings.Contains(pub.body, ">Revoked<") {
				t.Error("the public page does not show the change")
			}

			// In Urdu, the field's message is Urdu and the value stays as typed.
			admin.get("/lang/ur?next=/admin/providers")
			p = admin.post("/admin/providers", typed)
			if p.status != 422 || !strings.Contains(p.body, "سے شروع ہونا چاہیے") || providerFormValues(p.body)["website"] != "http://safetunnels.example.pk" {
				t.Errorf("Urdu refused form = %d", p.status)
			}

			reviewer := e.browser()
			reviewer.login("reviewer@demo.test", "demo-password-1")
			for _, path := range []string{"/admin/providers", "/admin/providers/" + id} {
				if p := reviewer.get(path); p.status != 403 {
					t.Errorf("reviewer GET %s = %d", path, p.status)
				}
			}
			if p := reviewer.post("/admin/providers/"+id, ok); p.status != 403 {
				t.Errorf("reviewer POST = %d", p.status)
			}
		})
	}
}

// A provider whose stored website fails today's rule (saved before it,
// here written to the database directly): the edit form warns the admin,
// in English and Urdu, what is wrong and how to fix it, without blocking;
// saving the form as shown with only the status changed revokes the
// licence and keeps the website; a new failing website is refused with
// the field's message, shown back, and nothing changes; the public page
// still shows the website, as text rather than a link.
func TestAdminProviderLegacyWebsite(t *testing.T) {
	const website = "https://p\u0430ypal.pk/vpn" // Latin with a Cyrillic а
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, kind)
			now := time.Now().UTC().Truncate(time.Second)
			legacy := &registry.Provider{ID: "prv_legacyportal", Name: "Legacy Tunnels", LicenceNumber: "PTA/VPN/2019/002", LicenceDate: "2019-05-01",
				Status: registry.ProviderActive, Website: website, CreatedAt: now, UpdatedAt: now, Revision: 1}
			if err := e.db.Write(e.ctx, func(tx registry.Tx) error { return tx.CreateProvider(e.ctx, legacy) }); err != nil {
				t.Fatal(err)
			}
			admin := e.browser()
			admin.login("admin@demo.test", "demo-password-1")
			path := "/admin/providers/" + legacy.ID
			if p := admin.get("/admin/providers"); !strings.Contains(p.body, "Does not meet today&#39;s rules: change it") {
				t.Errorf("the admin register does not mark the website")
			}
			p := admin.get(path)
			form := providerFormValues(p.body)
			for _, want := range []string{`id="w-website"`, "does not meet today&#39;s rules", "mixes Latin and Cyrillic letters in one part",
				"You can still save changes to the other fields", "clear the box to remove it", `aria-describedby="h-website w-website"`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("the edit form lacks %q", want)
				}
			}
			if p.status != 200 || form["website"] != website {
				t.Fatalf("edit form = %d, %v", p.status, form)
			}

			// (b) Another failing website: refused on its field, shown back,
			// nothing saved (the status sent with it neither).
			typed := url.Values{"name": {"Legacy Tunnels"}, "licence_number": {"PTA/VPN/2019/002"}, "licence_date": {"2019-05-01"},
				"status": {"revoked"}, "website": {"https://g\u03bfogle.pk"}, "revision": {form["revision"]}}
			p = admin.post(path, typed)
			if p.status != 422 || !strings.Contains(p.body, `id="e-website"`) || !strings.Contains(p.body, "mixes Latin and Greek letters") ||
				providerFormValues(p.body)["website"] != "https://g\u03bfogle.pk" {
				t.Errorf("a new failing website = %d:\n%s", p.status, p.body)
			}
			if cur, _ := e.svc.Provider(e.ctx, legacy.ID); cur.Status != registry.ProviderActive || cur.Website != website || cur.Revision != 1 {
				t.Errorf("after the refusal: %+v", cur)
			}

			// (a) The form as shown, only the status changed: revoked, the
			// website kept.
			typed.Set("website", form["website"])
			if p := admin.post(path, typed); p.status != 303 {
				t.Fatalf("revoking = %d:\n%s", p.status, p.body)
			}
			if cur, _ := e.svc.Provider(e.ctx, legacy.ID); cur.Status != registry.ProviderRevoked || cur.Website != website || cur.Revision != 2 {
				t.Errorf("after revoking: %+v", cur)
			}

			// A client's form without the website field changes the
			// other fields and leaves the website as it is (it removed it).
			delete(typed, "website")
			typed.Set("status", "suspended")
			typed.Set("revision", "2")
			if p := admin.post(path, typed); p.status != 303 {
				t.Fatalf("saving without the website field = %d:\n%s", p.status, p.body)
			}
			if cur, _ := e.svc.Provider(e.ctx, legacy.ID); cur.Status != registry.ProviderSuspended || cur.Website != website || cur.Revision != 3 {
				t.Errorf("after a form without the website field: %+v", cur)
			}

			// (c) The public page shows it, not linked.
			pub := e.browser().get("/providers")
			if pub.status != 200 || !strings.Contains(pub.body, ">"+website+"<") || strings.Contains(pub.body, `href="`+website) {
				t.Errorf("public page = %d; want the website shown, without a link", pub.status)
			}

			// In Urdu, the warning and the rule's words are Urdu.
			admin.get("/lang/ur?next=" + path)
			p = admin.get(path)
			for _, want := range []string{"موجودہ قواعد پر پوری نہیں اترتی", "حروف ملے ہوئے ہیں", "خانہ خالی کر دیں"} {
				if !strings.Contains(p.body, want) {
					t.Errorf("the Urdu edit form lacks %q", want)
				}
			}
		})
	}
}

// Each refusal of a website on the admin form says what is wrong and how
// to fix it, in English and in Urdu, and the form keeps what was typed
// (a tester found refusals that said only what was wrong).
func TestAdminProviderWebsiteRefusals(t *testing.T) {
	tests := []struct{ website, en, ur string }{
		{"https://localhost/", "localhost is a loopback address (the computer the browser runs on); a provider's website must be a public host name, such as https://www.example.pk",
			"لوپ بیک ایڈریس ہے"},
		{"https://127.1/", "127.1 (which browsers read as 127.0.0.1) is a loopback address", "لوپ بیک ایڈریس ہے"},
		{"https://8.8.8.8/", "8.8.8.8 is an IP address; a provider's website must be named by its public host name, such as https://www.example.pk", "ایک IP ایڈریس ہے"},
		{"https://www.example.pk:0443x/", "has a port that is not a number from 1 to 65535; leave the port out, such as https://www.example.pk", "پورٹ ہٹا دیں"},
		{"https://www.example.pk./", "has a host name that ends in a dot (www.example.pk.); leave the final dot out, such as https://www.example.pk", "آخری نقطہ نکال دیں"},
		{"https://example\u0645\u062b\u0627\u0644.pk/", "mixes Latin and Arabic letters in one part", "نام کا ہر حصہ ایک ہی رسم الخط میں لکھیں"},
		{"https://user:pw@www.example.pk/", "must not contain a user name or password (the part before @); leave it out, such as https://www.example.pk", "اسے نکال دیں"},
		{"https://[fe80::1%25eth0]/", "names a network interface of one computer (an IPv6 zone), not a web site", "نیٹ ورک انٹرفیس"},
		{"http://www.example.pk/", "give the address of the provider's secure site, such as https://www.example.pk", "محفوظ ویب سائٹ کا ایڈریس دیں"},
		{"https://\u0430\u0440\u0440\u04cf\u0435.pk/", "written only in Cyrillic letters that look like Latin ones", "لاطینی حروف جیسے دکھتے ہیں"},
		// ٣ is an Arabic-Indic digit, not a letter.
		{"https://example\u0663.pk", "mixes Latin letters with digits of the Arabic script in one part (example\u0663), as look-alike addresses do; write the digits as 0 to 9",
			"لاطینی حروف کے ساتھ عربی رسم الخط کے ہندسے ملے ہوئے ہیں"},
		// Names reserved by RFC 6761 and RFC 7686.
		{"https://example.invalid", "example.invalid ends in .invalid, which is reserved for testing, examples or Tor (RFC 6761, RFC 7686) and names no site a browser reaches on the internet; give the provider's public website, such as https://www.example.pk",
			"جانچ، مثالوں یا Tor کے لیے مخصوص ہے"},
		{"https://www.vpn.test/", "ends in .test, which is reserved", "کے آخر میں \u2066.\u2068test\u2069\u2069 ہے"},
		{"https://vpn.EXAMPLE/", "ends in .example, which is reserved", "کے آخر میں \u2066.\u2068example\u2069\u2069 ہے"},
		{"https://expyuzz4wqqyqhjn.onion/", "ends in .onion, which is reserved", "کے آخر میں \u2066.\u2068onion\u2069\u2069 ہے"},
		{"https://example.localhost/", "example.localhost is a loopback address", "لوپ بیک ایڈریس ہے"},
		// And by RFC 2606 (example.com, .net, .org, with their
		// subdomains) and RFC 9476 (.alt): they were taken (tester,
		// issue 13).
		{"https://foo.example.com", "foo.example.com is under example.com, a domain reserved for examples (RFC 2606) that names no provider's site; give the provider's public website, such as https://www.example.pk",
			"مثالوں کے لیے مخصوص ڈومین ہے (RFC 2606)"},
		{"https://x.alt", "x.alt ends in .alt, which is reserved for name systems other than the DNS (RFC 9476)", "DNS کے علاوہ دوسرے نام کے نظاموں کے لیے مخصوص ہے"},
	}
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, kind)
			admin := e.browser()
			admin.login("admin@demo.test", "demo-password-1")
			for _, lang := range []string{"en", "ur"} {
				admin.get("/lang/" + lang + "?next=/admin/providers")
				for _, tt := range tests {
					typed := url.Values{"name": {"Safe Tunnels Ltd"}, "licence_number": {"PTA/VPN/2026/077"}, "licence_date": {"2026-02-01"},
						"status": {"active"}, "website": {tt.website}}
					p := admin.post("/admin/providers", typed)
					want := html.EscapeString(tt.en)
					if lang == "ur" {
						want = tt.ur
					}
					if p.status != 422 || !strings.Contains(p.body, `id="e-website"`) || !strings.Contains(p.body, want) ||
						providerFormValues(p.body)["website"] != tt.website {
						t.Errorf("%s, website %q = %d, shown back %q; want 422 saying %q", lang, tt.website, p.status, providerFormValues(p.body)["website"], want)
					}
				}
			}
		})
	}
}

// Two presses of "Add" sent at once (tester: 303 then 409 "already on
// the register") both end in the provider added, in English and Urdu; a
// different provider with the number is refused with a message naming
// the one that holds it.
func TestAdminProviderDoubleSubmit(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, kind)
			admin := e.browser()
			admin.login("admin@demo.test", "demo-password-1")
			for i, lang := range []string{"en", "ur"} {
				admin.get("/lang/" + lang + "?next=/admin/providers")
				licence := fmt.Sprintf("DBL-%d", i+1)
				typed := url.Values{"name": {"Double Ltd"}, "licence_number": {licence}, "licence_date": {"2026-02-01"}, "status": {"active"}}
				pages := admin.postTwice("/admin/providers", typed)
				for _, p := range pages {
					if p.status != 303 || p.location != "/admin/providers?msg=saved" {
						t.Errorf("%s: a press of Add = %d %s; want both to show the provider added", lang, p.status, p.location)
					}
				}
				other := url.Values{"name": {"Other Ltd"}, "licence_number": {licence}, "licence_date": {"2026-02-01"}, "status": {"active"}}
				want := map[string]string{"en": "licence number " + licence + " is already on the register, held by the provider Double Ltd",
					"ur": "لائسنس نمبر \u2068" + licence + "\u2069 پہلے سے فہرست میں درج ہے، فراہم کنندہ \u2068Double Ltd\u2069 کے نام"}[lang]
				if p := admin.post("/admin/providers", other); p.status != 409 || !strings.Contains(p.body, want) {
					t.Errorf("%s: another provider with the number = %d; want 409 saying %q", lang, p.status, want)
				}
			}
		})
	}
}
