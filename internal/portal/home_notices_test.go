package portal_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// The home page shows the newest few current notices, not every one, and
// links to /notices saying how many are current, in English and Urdu
// (issue 13).
func TestHomeNoticesCapped(t *testing.T) {
	clock := testbin.NewClock(time.Now().UTC())
	e := newEnv(t, func(c *registry.Config) { c.Now = clock.Now })
	for i := 1; i <= 5; i++ {
		if _, err := e.svc.PublishNotice(e.ctx, registry.System, registry.NoticeInput{TitleEN: fmt.Sprintf("Notice number %d", i), TitleUR: fmt.Sprintf("اعلان نمبر %d", i),
			BodyEN: "Text.", BodyUR: "عبارت۔", ExpiresAt: clock.Now().AddDate(0, 1, 0)}); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Minute)
	}
	en, ur := e.browser(), e.browser()
	ur.get("/lang/ur")
	for _, tc := range []struct {
		b     *browser
		title string
		link  string
	}{
		{en, "Notice number %d", `<a href="/notices">All notices (5 current, and the past ones)</a>`},
		{ur, "اعلان نمبر %d", `<a href="/notices">تمام اعلانات (5 موجودہ، اور گزشتہ بھی)</a>`},
	} {
		home := tc.b.get("/")
		for i := 1; i <= 5; i++ {
			shown := strings.Contains(home.body, fmt.Sprintf(tc.title, i))
			if want := i >= 3; shown != want {
				t.Errorf("home page shows notice %d: %v, want %v (the newest 3)", i, shown, want)
			}
		}
		if !strings.Contains(home.body, tc.link) {
			t.Errorf("home page lacks %s", tc.link)
		}
		// The newest first.
		if a, b := strings.Index(home.body, fmt.Sprintf(tc.title, 5)), strings.Index(home.body, fmt.Sprintf(tc.title, 3)); a < 0 || b < a {
			t.Errorf("home page: notice 5 at %d, notice 3 at %d; want the newest first", a, b)
		}
	}
	// /notices still lists all five.
	page := en.get("/notices")
	for i := 1; i <= 5; i++ {
		if !strings.Contains(page.body, fmt.Sprintf("Notice number %d", i)) {
			t.Errorf("/notices lacks notice %d", i)
		}
	}
}
