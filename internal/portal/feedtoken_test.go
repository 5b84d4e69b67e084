package portal_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/registry"
)

// TestFeedTokenAsSession is the third round's fourth finding, in the
// portal: a feed-scoped API token put in the session cookie could log out,
// revoking itself. The portal has no feed routes: every page refuses such
// a token with 403 naming its scope (in the page's language), and the
// token stays valid.
func TestFeedTokenAsSession(t *testing.T) {
	e := newEnv(t)
	tok, _, err := e.svc.Login(e.ctx, "operator.jazz@demo.test", "demo-password-1", "", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	jazz, err := e.svc.Authenticate(e.ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	feedTok, _, err := e.svc.CreateAPIToken(e.ctx, jazz, "agent", 30, registry.ScopeFeed)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method, path, lang, want string
	}{
		{"POST", "/logout", "en", "feed: log in to do this"},
		{"GET", "/dashboard", "en", "feed: log in to do this"},
		{"GET", "/", "ur", "یہ ٹوکن صرف آپریٹر کی فیڈ پڑھتا ہے"},
	} {
		req, _ := http.NewRequest(tt.method, e.base+tt.path, strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.AddCookie(&http.Cookie{Name: portal.SessionCookie, Value: feedTok})
		req.AddCookie(&http.Cookie{Name: "ipreg_lang", Value: tt.lang})
		p := e.browser().do(req)
		if p.status != http.StatusForbidden || !strings.Contains(p.body, tt.want) {
			t.Errorf("%s %s with the feed token as session: %d, want 403 saying %q", tt.method, tt.path, p.status, tt.want)
		}
	}
	if _, err := e.svc.Authenticate(e.ctx, feedTok); err != nil {
		t.Fatalf("the feed token was revoked: %v", err)
	}
}
