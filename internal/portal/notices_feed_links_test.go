package portal_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/registry"
)

// The Urdu feed's links lead to the Urdu page and the English feed's to
// the English one, whatever language the reader's browser is set to: the
// page takes ?lang= as the feed does, and the language switch on it is not
// overruled by it (issue 13).
func TestNoticesFeedLinksKeepLanguage(t *testing.T) {
	e := newEnv(t)
	n, err := e.svc.PublishNotice(e.ctx, registry.System, registry.NoticeInput{TitleEN: "Registration deadline", TitleUR: "رجسٹریشن کی آخری تاریخ",
		BodyEN: "Register by the date below.", BodyUR: "نیچے دی گئی تاریخ تک رجسٹر کرائیں۔", ExpiresAt: e.svc.Now().AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	en, ur := e.browser(), e.browser()
	ur.get("/lang/ur")
	for _, tc := range []struct {
		feed    string
		reader  *browser // a browser set to the other language
		lang    string
		title   string
		notWant string
	}{
		{"ur", en, "ur", n.TitleUR, n.TitleEN},
		{"en", ur, "en", n.TitleEN, n.TitleUR},
	} {
		f, err := gofeed.NewParser().ParseString(tc.reader.get("/notices.atom?lang=" + tc.feed).body)
		if err != nil || len(f.Items) != 1 {
			t.Fatalf("%s feed: %v", tc.feed, err)
		}
		for _, link := range []string{f.Link, f.Items[0].Link} {
			u, err := url.Parse(link)
			if err != nil || u.Query().Get("lang") != tc.lang {
				t.Errorf("%s feed links to %q, without lang=%s", tc.feed, link, tc.lang)
				continue
			}
			p := tc.reader.get(u.RequestURI())
			if p.status != 200 || !strings.Contains(p.body, `<html lang="`+tc.lang+`"`) || !strings.Contains(p.body, tc.title) || strings.Contains(p.body, tc.notWant) {
				t.Errorf("%s feed's link %s = %d, not the %s page", tc.feed, link, p.status, tc.lang)
			}
			// The switch to the other language returns to the page
			// without ?lang=, which would otherwise keep it in tc.lang.
			if strings.Contains(p.body, "next=/notices?lang") || strings.Contains(p.body, "next=%2fnotices%3flang") {
				t.Errorf("%s page: the language switch keeps ?lang=", tc.lang)
			}
		}
	}
	// Another value is ignored: the visitor's language.
	if p := ur.get("/notices?lang=fr"); p.status != 200 || !strings.Contains(p.body, `<html lang="ur"`) {
		t.Errorf("/notices?lang=fr = %d, not in the visitor's Urdu", p.status)
	}
}

// Without --public-url the feed's ids and links are still absolute IRIs
// (RFC 4287 §4.2.6, §4.2.7.1): the address the request was made to, its
// scheme and host from a trusted proxy's X-Forwarded-Proto and
// X-Forwarded-Host only, a host that is not one refused; and the feed's
// id differs between deployments (issue 13).
func TestNoticesFeedAbsoluteWithoutPublicURL(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.PublishNotice(e.ctx, registry.System, registry.NoticeInput{TitleEN: "Maintenance", TitleUR: "دیکھ بھال",
		BodyEN: "The portal is down on Sunday.", BodyUR: "پورٹل اتوار کو بند رہے گا۔", ExpiresAt: e.svc.Now().AddDate(0, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	handler := func(secure bool, proxies ...string) http.Handler {
		p, err := portal.New(e.svc, log, portal.Config{SecureCookies: secure})
		if err != nil {
			t.Fatal(err)
		}
		var ps []netip.Prefix
		for _, s := range proxies {
			ps = append(ps, netip.MustParsePrefix(s))
		}
		return api.TrustProxies(portal.Root(api.New(e.svc, log, api.Config{}).Handler(), p), ps)
	}
	plain, secure := handler(false), handler(true)
	// httptest.NewRequest's peer is 192.0.2.1.
	trusting, other := handler(false, "192.0.2.1/32"), handler(false, "203.0.113.0/24")
	forwarded := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.example.pk"}
	tests := []struct {
		name    string
		h       http.Handler
		target  string
		host    string
		headers map[string]string
		want    string // the base; "" for refused
	}{
		{"plain", plain, "http://x/notices.atom?lang=ur", "ipreg.test:8080", nil, "http://ipreg.test:8080"},
		{"client's forwarded headers ignored", plain, "http://x/notices.atom?lang=ur", "ipreg.test:8080", forwarded, "http://ipreg.test:8080"},
		{"untrusted peer's forwarded headers ignored", other, "http://x/notices.atom?lang=ur", "ipreg.test:8080", forwarded, "http://ipreg.test:8080"},
		{"trusted proxy", trusting, "http://x/notices.atom?lang=ur", "10.0.0.5:8080", forwarded, "https://registry.example.pk"},
		{"TLS, default port", plain, "https://x/notices.atom?lang=en", "ipreg.test:443", nil, "https://ipreg.test"},
		{"secure cookies", secure, "http://x/notices.atom?lang=en", "ipreg.test:8080", nil, "https://ipreg.test:8080"},
		{"upper case", plain, "http://x/notices.atom?lang=en", "IPREG.Test", nil, "http://ipreg.test"},
		{"IPv6", plain, "http://x/notices.atom?lang=en", "[2001:db8::1]:8080", nil, "http://[2001:db8::1]:8080"},
		{"IPv4", plain, "http://x/notices.atom?lang=en", "192.0.2.7", nil, "http://192.0.2.7"},
		{"bad host", plain, "http://x/notices.atom?lang=en", "bad_host.test", nil, ""},
		{"bad port", plain, "http://x/notices.atom?lang=en", "ipreg.test:99999", nil, ""},
		{"trusted proxy's bad host", trusting, "http://x/notices.atom?lang=en", "ipreg.test", map[string]string{"X-Forwarded-Host": "a b"}, ""},
	}
	attrs := regexp.MustCompile(`(?:href="([^"]*)"|<id>([^<]*)</id>)`)
	feedIDs := map[string]string{}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", tt.target, nil)
		r.Host = tt.host
		for k, v := range tt.headers {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		tt.h.ServeHTTP(w, r)
		if tt.want == "" {
			if w.Code != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", tt.name, w.Code)
			}
			continue
		}
		body := w.Body.String()
		f, err := gofeed.NewParser().ParseString(body)
		if w.Code != 200 || err != nil || len(f.Items) != 1 {
			t.Fatalf("%s: %d, %v\n%s", tt.name, w.Code, err, body)
		}
		// Links made of the request's address: caches key on it.
		if v := strings.Join(w.Header().Values("Vary"), ", "); !strings.Contains(v, "X-Forwarded-Host") || !strings.Contains(v, "Host") {
			t.Errorf("%s: Vary %q; want it to name Host and X-Forwarded-Host", tt.name, v)
		}
		feedIDs[tt.want] = feedID(body)
		// Every href and id as written, then as gofeed reads them.
		all := []string{f.FeedLink, f.Link, f.Items[0].Link, f.Items[0].GUID}
		for _, m := range attrs.FindAllStringSubmatch(body, -1) {
			all = append(all, m[1]+m[2])
		}
		for _, s := range all {
			u, err := url.Parse(s)
			if err != nil || !u.IsAbs() {
				t.Errorf("%s: %q is not an absolute IRI", tt.name, s)
			}
			if strings.HasPrefix(s, "http") && !strings.HasPrefix(s, tt.want+"/notices") {
				t.Errorf("%s: %q does not start with %s/notices", tt.name, s, tt.want)
			}
		}
	}
	if feedIDs["http://ipreg.test:8080"] == feedIDs["https://registry.example.pk"] {
		t.Error("two deployments' feeds share an id")
	}
	// The same request twice: the same feed id.
	r := httptest.NewRequest("GET", "http://x/notices.atom?lang=ur", nil)
	r.Host = "ipreg.test:8080"
	w := httptest.NewRecorder()
	plain.ServeHTTP(w, r)
	if id := feedID(w.Body.String()); id == "" || id != feedIDs["http://ipreg.test:8080"] {
		t.Errorf("feed id changed between two requests: %q, then %q", feedIDs["http://ipreg.test:8080"], id)
	}
}

// feedID is the feed's atom:id: the first, before any entry's.
func feedID(body string) string {
	m := regexp.MustCompile(`<id>([^<]*)</id>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}
