package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/notify"
)

// The portal's account cookie (a form posted after the session ended is
// kept for the next login) is signed with a key derived from the data
// directory's document key: a cookie from before a restart still works
// after it.
func TestAccountCookieSurvivesRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	start := func() *Server {
		t.Helper()
		s := &Server{Config: ServeConfig{Listen: "127.0.0.1:0", Demo: true, FeedPoll: time.Second, JobsInterval: time.Minute,
			Notify: notify.Flags{Mail: "log"}, mailer: &mailbox{}}, log: slog.New(slog.DiscardHandler)}
		s.Config.db.dataDir = dir
		if err := s.Start(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
		return s
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	s := start()
	res, err := noRedirect.PostForm("http://"+s.Addr.String()+"/login", url.Values{"email": {"admin@demo.test"}, "password": {"demo-password-1"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var account *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "ipreg_account" {
			account = c
		}
	}
	s.Close()
	if account == nil {
		t.Fatalf("no account cookie at the login (%d)", res.StatusCode)
	}

	s = start()
	defer s.Close()
	// The account cookie alone, as after the session cookie expired.
	req, _ := http.NewRequest("POST", "http://"+s.Addr.String()+"/admin/holidays", strings.NewReader(url.Values{"holidays": {"2026-02-05 Kashmir Day"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: account.Name, Value: account.Value})
	res, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); !strings.Contains(loc, "msg=form_kept") {
		t.Errorf("after a restart, a form posted with the account cookie went to %q; want it kept", loc)
	}
}
