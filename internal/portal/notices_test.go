package portal_test

import (
	"encoding/xml"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// TestNotices walks the notices end to end on both databases: an admin's
// form refused with what was typed kept, a notice published, shown on the
// home page and the notices page in English and Urdu (its markup escaped),
// its deadline moved (both dates shown), withdrawn, and the Atom feed
// after each step, parsed by gofeed and checked against RFC 4287.
func TestNotices(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			testNoticesOn(t, kind)
		})
	}
}

func testNoticesOn(t *testing.T, kind string) {
	e := newEnvOn(t, kind)
	admin := e.browser()
	admin.login("admin@demo.test", "demo-password-1")
	if p := admin.get("/admin/notices"); p.status != 200 || !strings.Contains(p.body, "Publish a notice") {
		t.Fatalf("admin notices page = %d", p.status)
	}

	// Refused: the Urdu title is not Urdu, the Urdu text is missing, the
	// expiry is not a date. What was typed comes back.
	bad := url.Values{"title_en": {"Registration deadline"}, "title_ur": {"Deadline"}, "body_en": {"Register now."}, "body_ur": {""}, "expires_at": {"soon"}}
	p := admin.post("/admin/notices", bad)
	// Every field's error at once: the date's and the registry's.
	if p.status != 422 || !strings.Contains(p.body, "must be a date such as 2026-12-31") || !strings.Contains(p.body, "must be written in Urdu") ||
		!strings.Contains(p.body, `value="Registration deadline"`) {
		t.Fatalf("bad date = %d:\n%s", p.status, p.body)
	}
	bad.Set("expires_at", "")
	p = admin.post("/admin/notices", bad)
	for _, want := range []string{"must be written in Urdu", "is required", `value="Deadline"`, `href="#f-title_ur"`, `href="#f-body_ur"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("refused form lacks %q", want)
		}
	}
	if p.status != 422 {
		t.Fatalf("refused form = %d", p.status)
	}

	today := time.Now().In(registry.PKT.Loc)
	expiry := today.AddDate(0, 1, 0).Format("2006-01-02")
	good := url.Values{"title_en": {"Registration deadline"}, "title_ur": {"رجسٹریشن کی آخری تاریخ"},
		"body_en": {"Register by the date below.\n\nUnregistered VPNs are blocked after it. <script>alert(1)</script>"},
		"body_ur": {"نیچے دی گئی تاریخ تک رجسٹر کرائیں۔"}, "expires_at": {expiry}}
	if p := admin.post("/admin/notices", good); p.status != 303 || p.location != "/admin/notices?msg=notice_published" {
		t.Fatalf("publish = %d %s: %s", p.status, p.location, p.body)
	}
	ns, err := e.svc.ListNotices(e.ctx, false)
	if err != nil || len(ns) != 1 {
		t.Fatalf("notices = %v, %v", ns, err)
	}
	n := ns[0]
	// The Withdraw button's accessible name carries the title in the
	// page's language (tester t2, minor 12).
	urAdmin := e.browser()
	urAdmin.login("admin@demo.test", "demo-password-1")
	urAdmin.get("/lang/ur?next=/admin/notices")
	if p := urAdmin.get("/admin/notices"); !strings.Contains(p.body, `: `+n.TitleUR+`"`) || strings.Contains(p.body, `: `+n.TitleEN+`"`) {
		t.Errorf("Urdu admin list: the Withdraw button is not labelled with the Urdu title")
	}
	if want := "Unregistered VPNs are blocked after it. <script>alert(1)</script>"; !strings.Contains(n.BodyEN, want) {
		t.Fatalf("stored body = %q", n.BodyEN)
	}

	anon := e.browser()
	home := anon.get("/")
	for _, want := range []string{"Registration deadline", "<p dir=\"auto\">Register by the date below.</p>", "&lt;script&gt;alert(1)&lt;/script&gt;", `href="/notices"`} {
		if !strings.Contains(home.body, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if strings.Contains(home.body, "<script>alert") {
		t.Fatal("the notice's markup is interpreted")
	}
	first := atom(t, anon, "en")

	// The deadline moves a week: both dates on the page and in the feed.
	edit := admin.get("/admin/notices/" + n.ID)
	if edit.status != 200 || !strings.Contains(edit.body, `value="`+expiry+`"`) || !strings.Contains(edit.body, `name="revision" value="1"`) {
		t.Fatalf("edit page = %d:\n%s", edit.status, edit.body)
	}
	moved := today.AddDate(0, 1, 7).Format("2006-01-02")
	good.Set("expires_at", moved)
	good.Set("published_at", today.Format("2006-01-02"))
	good.Set("revision", "1")
	if p := admin.post("/admin/notices/"+n.ID, good); p.status != 303 || p.location != "/admin/notices?msg=notice_saved" {
		t.Fatalf("save = %d %s: %s", p.status, p.location, p.body)
	}
	// The same form again edits revision 1, changed since: refused, kept.
	good.Set("title_en", "Registration deadline moved")
	if p := admin.post("/admin/notices/"+n.ID, good); p.status != 409 || !strings.Contains(p.body, "Someone else changed this notice") || !strings.Contains(p.body, `name="revision" value="2"`) || !strings.Contains(p.body, "Registration deadline moved") {
		t.Fatalf("stale save = %d:\n%s", p.status, p.body)
	}
	day := func(d string) time.Time {
		t, _ := time.ParseInLocation("2006-01-02", d, registry.PKT.Loc)
		return t.AddDate(0, 0, 1)
	}
	oldShown, newShown := day(expiry).Format("2006-01-02 15:04 MST"), day(moved).Format("2006-01-02 15:04 MST")
	page := anon.get("/notices")
	for _, want := range []string{"Changes since publication", "Changed on", "Expiry date", oldShown, newShown, "Current notices"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("notices page lacks %q", want)
		}
	}
	second := atom(t, anon, "en")
	if !second.Items[0].UpdatedParsed.After(*first.Items[0].UpdatedParsed) {
		t.Errorf("entry updated %v, want after %v", second.Items[0].UpdatedParsed, first.Items[0].UpdatedParsed)
	}
	if second.Items[0].GUID != first.Items[0].GUID {
		t.Errorf("entry id changed: %s → %s", first.Items[0].GUID, second.Items[0].GUID)
	}
	if c := second.Items[0].Content; !strings.Contains(c, oldShown) || !strings.Contains(c, newShown) {
		t.Errorf("entry content lacks the old and new expiry:\n%s", c)
	}

	// In Urdu: the Urdu texts, the change, right to left.
	ur := e.browser()
	ur.get("/lang/ur")
	page = ur.get("/notices")
	for _, want := range []string{`dir="rtl"`, "رجسٹریشن کی آخری تاریخ", "نیچے دی گئی تاریخ تک رجسٹر کرائیں۔", "اشاعت کے بعد کی تبدیلیاں", "اختتام کی تاریخ", newShown} {
		if !strings.Contains(page.body, want) {
			t.Errorf("Urdu notices page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "Register by the date below.") {
		t.Error("the Urdu page shows the English text")
	}
	urFeed := atom(t, ur, "ur")
	if urFeed.Language != "ur" || urFeed.Items[0].Title != "رجسٹریشن کی آخری تاریخ" || urFeed.Items[0].GUID != first.Items[0].GUID {
		t.Errorf("Urdu feed: lang %q, title %q, id %s", urFeed.Language, urFeed.Items[0].Title, urFeed.Items[0].GUID)
	}

	// Withdrawn: off the home page, on the notices page as past, in the
	// feed with a new updated time.
	if p := admin.post("/admin/notices/"+n.ID+"/withdraw", url.Values{}); p.status != 303 || p.location != "/admin/notices?msg=notice_withdrawn" {
		t.Fatalf("withdraw = %d %s", p.status, p.location)
	}
	if p := admin.post("/admin/notices/"+n.ID+"/withdraw", url.Values{}); p.status != 409 {
		t.Errorf("second withdrawal = %d", p.status)
	}
	if strings.Contains(anon.get("/").body, "Registration deadline") {
		t.Error("a withdrawn notice is on the home page")
	}
	page = anon.get("/notices")
	if _, past, _ := strings.Cut(page.body, "Past notices"); !strings.Contains(past, "Registration deadline") || !strings.Contains(past, "Withdrawn on") {
		t.Errorf("the withdrawn notice is not under past notices:\n%s", page.body)
	}
	third := atom(t, anon, "en")
	if !strings.HasPrefix(third.Items[0].Title, "Withdrawn by the registry: ") || !third.Items[0].UpdatedParsed.After(*second.Items[0].UpdatedParsed) {
		t.Errorf("withdrawn entry: %q updated %v", third.Items[0].Title, third.Items[0].UpdatedParsed)
	}
	// Others may not publish.
	rev := e.browser()
	rev.login("reviewer@demo.test", "demo-password-1")
	if p := rev.post("/admin/notices", good); p.status != 403 {
		t.Errorf("reviewer publishing = %d", p.status)
	}
	// A language the portal does not speak is ignored by the feed as by
	// the page (they answered 404 and 200): the visitor's language, kept
	// apart per cookie and Accept-Language.
	anonUR := e.browser()
	anonUR.get("/lang/ur?next=/")
	for _, c := range []struct {
		b          *browser
		lang, want string
	}{{anon, "en", `xml:lang="en"`}, {anonUR, "ur", `xml:lang="ur"`}} {
		feed := c.b.get("/notices.atom?lang=fr")
		page := c.b.get("/notices?lang=fr")
		if feed.status != 200 || !strings.Contains(feed.body, c.want) || !strings.Contains(feed.header.Get("Vary"), "Accept-Language") ||
			page.status != 200 || !strings.Contains(page.body, `<html lang="`+c.lang+`"`) {
			t.Errorf("?lang=fr for a visitor in %s: feed %d (Vary %q), page %d; want both 200 in %s", c.lang, feed.status, feed.header.Get("Vary"), page.status, c.lang)
		}
	}
	// Language tags are case-insensitive (BCP 47 §2.1.1): ?lang=UR is
	// Urdu, for the page and the feed, as is /lang/Ur.
	for _, tag := range []string{"UR", "Ur"} {
		feed, page := anon.get("/notices.atom?lang="+tag), anon.get("/notices?lang="+tag)
		if feed.status != 200 || !strings.Contains(feed.body, `xml:lang="ur"`) || !strings.Contains(feed.body, "notices.atom?lang=ur") ||
			page.status != 200 || !strings.Contains(page.body, `<html lang="ur"`) {
			t.Errorf("?lang=%s: feed %d, page %d; want both in Urdu", tag, feed.status, page.status)
		}
	}
	upper := e.browser()
	if p := upper.get("/lang/UR?next=/notices"); p.status != 303 {
		t.Errorf("/lang/UR = %d, want 303", p.status)
	}
	if p := upper.get("/notices"); !strings.Contains(p.body, `<html lang="ur"`) {
		t.Error("/lang/UR did not switch to Urdu")
	}
	// Without ?lang= the language comes from the cookie or
	// Accept-Language: a shared cache must key on them (tester t2,
	// minor 3); with it, it need not.
	for _, tc := range []struct{ path, vary string }{
		{"/notices.atom", "Cookie, Accept-Language"},
		{"/notices.atom?lang=ur", ""},
	} {
		if p := anon.get(tc.path); p.status != 200 || p.header.Get("Vary") != tc.vary {
			t.Errorf("%s = %d, Vary %q, want %q", tc.path, p.status, p.header.Get("Vary"), tc.vary)
		}
	}
}

// atom fetches the notices feed in lang, parses it with gofeed (a
// well-kept feed parser), and checks it against RFC 4287's required
// elements with a strict reading of its own.
func atom(t *testing.T, b *browser, lang string) *gofeed.Feed {
	t.Helper()
	p := b.get("/notices.atom?lang=" + lang)
	if p.status != 200 || p.header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Fatalf("feed = %d %s", p.status, p.header.Get("Content-Type"))
	}
	checkRFC4287(t, []byte(p.body), lang)
	f, err := gofeed.NewParser().ParseString(p.body)
	if err != nil {
		t.Fatalf("gofeed: %v\n%s", err, p.body)
	}
	if f.FeedType != "atom" || f.FeedVersion != "1.0" || f.Title == "" || f.UpdatedParsed == nil || f.FeedLink != "https://ipreg.example.pk/notices.atom?lang="+lang || f.Language != lang {
		t.Fatalf("feed: type %s %s, title %q, updated %v, self %q, lang %q", f.FeedType, f.FeedVersion, f.Title, f.UpdatedParsed, f.FeedLink, f.Language)
	}
	// The page the feed is the alternate of is in the feed's language.
	if f.Link != "https://ipreg.example.pk/notices?lang="+lang {
		t.Errorf("feed alternate link %q", f.Link)
	}
	if len(f.Items) == 0 {
		t.Fatal("feed has no entries")
	}
	for _, it := range f.Items {
		if it.Title == "" || it.UpdatedParsed == nil || it.PublishedParsed == nil || it.Content == "" || it.Description == "" ||
			!strings.HasPrefix(it.GUID, "urn:uuid:") || !strings.HasPrefix(it.Link, "https://ipreg.example.pk/notices?lang="+lang+"#ntc_") {
			t.Errorf("entry: %+v", it)
		}
		if it.UpdatedParsed.Before(*it.PublishedParsed) {
			t.Errorf("entry updated %v before published %v", it.UpdatedParsed, it.PublishedParsed)
		}
		if f.UpdatedParsed.Before(*it.UpdatedParsed) {
			t.Errorf("feed updated %v before its entry's %v", f.UpdatedParsed, it.UpdatedParsed)
		}
	}
	return f
}

var uuidURN = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkRFC4287 checks what RFC 4287 requires of a feed and its entries
// (§4.1.1: exactly one atom:id, atom:title, atom:updated, an author, a
// rel=self link is recommended and ours always has one; §4.1.2: each
// entry exactly one id, title, updated, and content or an alternate
// link), that ids are absolute URIs (§4.2.6), dates RFC 3339 (§3.3), text
// constructs of type text (§3.1), and the xml:lang of feed and contents.
func checkRFC4287(t *testing.T, body []byte, lang string) {
	t.Helper()
	type text struct {
		Type string `xml:"type,attr"`
		Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		Body string `xml:",chardata"`
	}
	type link struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	}
	type entry struct {
		ID        []string `xml:"id"`
		Title     []text   `xml:"title"`
		Updated   []string `xml:"updated"`
		Published []string `xml:"published"`
		Content   []text   `xml:"content"`
		Summary   []text   `xml:"summary"`
		Link      []link   `xml:"link"`
	}
	var f struct {
		XMLName xml.Name
		Lang    string   `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		ID      []string `xml:"id"`
		Title   []text   `xml:"title"`
		Updated []string `xml:"updated"`
		Author  []struct {
			Name []string `xml:"name"`
		} `xml:"author"`
		Link    []link  `xml:"link"`
		Entries []entry `xml:"entry"`
	}
	if err := xml.Unmarshal(body, &f); err != nil {
		t.Fatalf("feed is not XML: %v", err)
	}
	if f.XMLName.Space != "http://www.w3.org/2005/Atom" || f.XMLName.Local != "feed" {
		t.Fatalf("root element %v", f.XMLName)
	}
	date := func(what, s string) {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			t.Errorf("%s %q is not an RFC 3339 date", what, s)
		}
	}
	one := func(what string, n int) {
		if n != 1 {
			t.Errorf("%s: %d elements, RFC 4287 wants exactly one", what, n)
		}
	}
	one("feed id", len(f.ID))
	one("feed title", len(f.Title))
	one("feed updated", len(f.Updated))
	if f.Lang != lang {
		t.Errorf("feed xml:lang %q, want %q", f.Lang, lang)
	}
	if len(f.ID) == 1 && !uuidURN.MatchString(f.ID[0]) {
		t.Errorf("feed id %q is not a name-based urn:uuid", f.ID[0])
	}
	if len(f.Updated) == 1 {
		date("feed updated", f.Updated[0])
	}
	if len(f.Author) != 1 || len(f.Author[0].Name) != 1 || f.Author[0].Name[0] == "" {
		t.Errorf("feed author %+v: RFC 4287 §4.1.1 wants one with a name when entries have none", f.Author)
	}
	self := 0
	for _, l := range f.Link {
		if l.Rel == "self" {
			self++
		}
	}
	one("feed link rel=self", self)
	ids := map[string]bool{}
	for i, e := range f.Entries {
		one("entry id", len(e.ID))
		one("entry title", len(e.Title))
		one("entry updated", len(e.Updated))
		one("entry published", len(e.Published))
		one("entry content", len(e.Content))
		if len(e.ID) == 1 {
			if !uuidURN.MatchString(e.ID[0]) || ids[e.ID[0]] {
				t.Errorf("entry %d id %q: not a name-based urn:uuid, or repeated", i, e.ID[0])
			}
			ids[e.ID[0]] = true
		}
		for _, d := range append(e.Updated, e.Published...) {
			date("entry date", d)
		}
		for _, c := range append(append(e.Title, e.Content...), e.Summary...) {
			if c.Type != "text" {
				t.Errorf("entry %d: text construct of type %q", i, c.Type)
			}
		}
		if len(e.Content) == 1 && (e.Content[0].Lang != lang || strings.TrimSpace(e.Content[0].Body) == "") {
			t.Errorf("entry %d content: xml:lang %q, %d bytes", i, e.Content[0].Lang, len(e.Content[0].Body))
		}
	}
}
