package portal_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// The admins' notice form (issue 13): its error summary lists the fields
// in the order the form asks them (GOV.UK), not by name; its times are
// Pakistan's, as the form takes its dates, never UTC.
func TestAdminNoticeFormErrors(t *testing.T) {
	e := newEnv(t)
	admin := e.browser()
	admin.login("admin@demo.test", "demo-password-1")
	p := admin.post("/admin/notices", url.Values{"title_en": {""}, "title_ur": {"Deadline"}, "body_en": {""}, "body_ur": {""},
		"published_at": {"soon"}, "expires_at": {"later"}})
	if p.status != 422 {
		t.Fatalf("refused form = %d", p.status)
	}
	summary, _, _ := strings.Cut(p.body[max(0, strings.Index(p.body, `id="errors"`)):], "</div>")
	var got []string
	for _, m := range regexp.MustCompile(`href="#f-([a-z_]+)"`).FindAllStringSubmatch(summary, -1) {
		got = append(got, m[1])
	}
	if want := "title_en body_en title_ur body_ur published_at expires_at"; strings.Join(got, " ") != want {
		t.Errorf("summary lists %v; want the form's order %s", got, want)
	}

	// Times in the messages are Pakistan's.
	n, err := e.svc.PublishNotice(e.ctx, registry.System, registry.NoticeInput{TitleEN: "Registration deadline", TitleUR: "رجسٹریشن کی آخری تاریخ",
		BodyEN: "Register by the date below.", BodyUR: "نیچے دی گئی تاریخ تک رجسٹر کرائیں۔", ExpiresAt: e.svc.Now().AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	today := e.svc.Now().In(registry.PKT.Loc)
	f := url.Values{"title_en": {n.TitleEN}, "title_ur": {n.TitleUR}, "body_en": {n.BodyEN}, "body_ur": {n.BodyUR}, "revision": {"1"},
		"published_at": {today.AddDate(0, 0, 3).Format("2006-01-02")}, "expires_at": {today.AddDate(0, 0, -1).Format("2006-01-02")}}
	p = admin.post("/admin/notices/"+n.ID, f)
	pub := n.PublishedAt.In(registry.PKT.Loc).Format("2006-01-02 15:04 PKT")
	errs, _, _ := strings.Cut(p.body[max(0, strings.Index(p.body, `id="errors"`)):], "</div>")
	if p.status != 422 || !strings.Contains(errs, "public since "+pub) || !strings.Contains(errs, "must be after the publication time ("+pub+")") {
		t.Errorf("moved publication and past expiry = %d; want both errors in Pakistan time (%s):\n%s", p.status, pub, errs)
	}
	if regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d|UTC`).MatchString(errs) {
		t.Errorf("the errors show a UTC time:\n%s", errs)
	}
	// The API's withdrawal conflict likewise.
	if _, err := e.svc.WithdrawNotice(e.ctx, registry.System, n.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.WithdrawNotice(e.ctx, registry.System, n.ID); err == nil || !strings.Contains(err.Error(), "PKT") {
		t.Errorf("second withdrawal: %v; want the time in Pakistan time", err)
	}
}

// A save refused because someone else changed the notice since the form
// was opened (409) comes back with what was typed, the current revision
// (so that saving again is not refused again) and what the other change
// was; saved again, the typed change is stored (issue 13).
func TestAdminNoticeStaleForm(t *testing.T) {
	clock := testbin.NewClock(time.Now().UTC())
	e := newEnv(t, func(c *registry.Config) { c.Now = clock.Now })
	admin := e.browser()
	admin.login("admin@demo.test", "demo-password-1")
	today := clock.Now().In(registry.PKT.Loc)
	expiry := today.AddDate(0, 1, 0)
	n, err := e.svc.PublishNotice(e.ctx, registry.System, registry.NoticeInput{TitleEN: "Registration deadline", TitleUR: "رجسٹریشن کی آخری تاریخ",
		BodyEN: "Register by the date below.", BodyUR: "نیچے دی گئی تاریخ تک رجسٹر کرائیں۔", ExpiresAt: expiry})
	if err != nil {
		t.Fatal(err)
	}
	edit := admin.get("/admin/notices/" + n.ID)
	if !strings.Contains(edit.body, `name="revision" value="1"`) {
		t.Fatalf("edit form lacks revision 1:\n%s", edit.body)
	}
	// Another admin moves the deadline a week meanwhile.
	clock.Add(time.Minute)
	moved := expiry.AddDate(0, 0, 7)
	if _, err := e.svc.EditNotice(e.ctx, registry.System, n.ID, registry.NoticeInput{TitleEN: n.TitleEN, TitleUR: n.TitleUR, BodyEN: n.BodyEN, BodyUR: n.BodyUR,
		ExpiresAt: moved, Revision: 1}); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	typed := url.Values{"title_en": {"Registration deadline (corrected)"}, "title_ur": {n.TitleUR}, "body_en": {n.BodyEN}, "body_ur": {n.BodyUR},
		"published_at": {today.Format("2006-01-02")}, "expires_at": {expiry.Add(-time.Nanosecond).In(registry.PKT.Loc).Format("2006-01-02")}, "revision": {"1"}}
	p := admin.post("/admin/notices/"+n.ID, typed)
	oldShown, newShown := expiry.In(registry.PKT.Loc).Format("2006-01-02 15:04 PKT"), moved.In(registry.PKT.Loc).Format("2006-01-02 15:04 PKT")
	since, _, _ := strings.Cut(p.body[max(0, strings.Index(p.body, `id="since-h"`)):], "</section>")
	for _, want := range []string{`value="Registration deadline (corrected)"`, `name="revision" value="2"`, "Someone else changed this notice"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("stale form lacks %q", want)
		}
	}
	if p.status != 409 || !strings.Contains(since, "Changed since you opened the form") || !strings.Contains(since, "Expiry date") ||
		!strings.Contains(since, oldShown) || !strings.Contains(since, newShown) {
		t.Fatalf("stale form = %d; want 409 with the other change (expiry %s → %s):\n%s", p.status, oldShown, newShown, p.body)
	}
	// Sent again as shown: saved, with the typed title and the typed
	// expiry (the admin overruled the move knowingly).
	typed.Set("revision", "2")
	if p := admin.post("/admin/notices/"+n.ID, typed); p.status != 303 {
		t.Fatalf("second save = %d:\n%s", p.status, p.body)
	}
	cur, err := e.svc.Notice(e.ctx, registry.System, n.ID)
	if err != nil || cur.TitleEN != "Registration deadline (corrected)" || cur.Revision != 3 {
		t.Errorf("after the second save: %+v, %v", cur, err)
	}
}

// The notice form sent twice at once (a double click) publishes one
// notice, and both presses end in "published" (it published two); the
// form's id sent again with other texts is refused, saying the form was
// used, in English and Urdu. Both databases.
func TestAdminNoticeDoubleSubmit(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnvOn(t, kind)
			admin := e.browser()
			admin.login("admin@demo.test", "demo-password-1")
			for _, lang := range []string{"en", "ur"} {
				admin.get("/lang/" + lang + "?next=/admin/notices")
				form := admin.get("/admin/notices")
				m := regexp.MustCompile(`name="id" value="(ntc_[a-z2-7]{16})"`).FindStringSubmatch(form.body)
				if m == nil {
					t.Fatal("the add form carries no notice id")
				}
				typed := url.Values{"id": {m[1]}, "title_en": {"Office closed " + lang}, "title_ur": {"دفتر بند"}, "body_en": {"Closed on Friday."}, "body_ur": {"جمعہ کو بند۔"}}
				before, _ := e.svc.ListNotices(e.ctx, true)
				pages := admin.postTwice("/admin/notices", typed)
				for _, p := range pages {
					if p.status != 303 || p.location != "/admin/notices?msg=notice_published" {
						t.Errorf("%s: a press of Publish = %d %s; want both to show the notice published", lang, p.status, p.location)
					}
				}
				if after, _ := e.svc.ListNotices(e.ctx, true); len(after) != len(before)+1 {
					t.Errorf("%s: %d notices published by two presses, want 1", lang, len(after)-len(before))
				}
				typed.Set("title_en", "Something else")
				want := map[string]string{"en": "this form published the notice &#34;Office closed en&#34; already",
					"ur": "یہ فارم اعلان \u2068&#34;Office closed ur&#34;\u2069 پہلے ہی شائع کر چکا ہے"}[lang]
				if p := admin.post("/admin/notices", typed); p.status != 409 || !strings.Contains(p.body, want) {
					t.Errorf("%s: the used form with other texts = %d; want 409 saying %q:\n%s", lang, p.status, want, p.body)
				}
			}
		})
	}
}
