package portal_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/portal"

	"golang.org/x/net/html"
)

// menuLinks returns the links of a page's main menu (the header's nav)
// and the links in it that are not inside a list item: the menu is a
// list, and a bare link breaks it for screen readers and styles alike.
func menuLinks(t *testing.T, body string) (links, bare []string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(n *html.Node, inNav, inLi bool)
	walk = func(n *html.Node, inNav, inLi bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "nav":
				inNav = true
			case "li":
				inLi = true
			case "a":
				if inNav {
					for _, a := range n.Attr {
						if a.Key == "href" {
							links = append(links, a.Val)
							if !inLi {
								bare = append(bare, a.Val)
							}
						}
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inNav, inLi)
		}
	}
	walk(doc, false, false)
	return links, bare
}

// checkMenus: every role's menu (on its account page, or the home page
// for a visitor) holds only links the role may follow, each in a list
// item, and the staff menus hold their own pages (a menu that lost every
// link would pass the first check). Found by a tester: every logged-in
// user's menu showed the admin's ten links, bare, each a 403.
func checkMenus(t *testing.T, browsers map[string]*browser) {
	mustHave := map[string][]string{
		"alice": {"/dashboard", "/applications/new"}, "ptcl": {"/operator/checks"}, "reviewer": {"/review", "/revocations"},
		"supervisor": {"/review", "/appeals", "/review/overdue"},
		"admin": {"/admin/users", "/admin/operators", "/admin/settings", "/admin/holidays", "/admin/jobs", "/admin/outbox",
			"/admin/providers", "/admin/notices", "/admin/invitations", "/admin/import"},
	}
	for role, b := range browsers {
		if role == "enrol" { // its every page but the account's sends it to set up TOTP
			continue
		}
		from := "/account"
		if role == "anon" {
			from = "/"
		}
		p := b.get(from)
		if p.status != 200 {
			t.Errorf("%s %s = %d", role, from, p.status)
			continue
		}
		links, bare := menuLinks(t, p.body)
		if len(bare) > 0 {
			t.Errorf("%s's menu has links outside its list items: %v", role, bare)
		}
		for _, want := range mustHave[role] {
			if !strings.Contains(" "+strings.Join(links, " ")+" ", " "+want+" ") {
				t.Errorf("%s's menu lacks %s: %v", role, want, links)
			}
		}
		for _, l := range links {
			if strings.HasPrefix(l, "/lang/") {
				continue
			}
			if got := b.get(l); got.status != 200 {
				t.Errorf("%s's menu links to %s, which answers it %d", role, l, got.status)
			}
		}
	}
}

// TestFormAddressAsLink: every address the routing table takes only as a
// form (POST) answers a GET with 405, Allow: POST and a page saying to
// use the page's button, where it answered "Page not found"; an address
// that is not there at all still answers 404. From the table itself, so a
// new form route is covered.
func TestFormAddressAsLink(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	gets := map[string]bool{}
	var posts []string
	for _, p := range portal.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		path = strings.TrimSuffix(path, "{$}")
		switch method {
		case "GET":
			gets[path] = true
		case "POST":
			posts = append(posts, path)
		}
	}
	tried := 0
	for _, path := range posts {
		if gets[path] {
			continue // a page with its form: GET shows it
		}
		tried++
		url := wildcard.ReplaceAllString(path, "x1")
		p := b.get(url)
		if p.status != http.StatusMethodNotAllowed || p.header.Get("Allow") != "POST" || !strings.Contains(p.body, "use its button") {
			t.Errorf("GET %s (POST only) = %d, Allow %q, want 405, Allow POST and the page's advice", url, p.status, p.header.Get("Allow"))
		}
	}
	if tried < 10 {
		t.Fatalf("only %d POST-only routes in the table: the test reads it wrong", tried)
	}
	// The reverse: a form sent to a page that only opens (tester: it was
	// told to use the page's button).
	for _, path := range []string{"/verify", "/dashboard"} {
		p := b.post(path, nil)
		if p.status != http.StatusMethodNotAllowed || p.header.Get("Allow") != "GET, HEAD" || !strings.Contains(p.body, "takes no form") || strings.Contains(p.body, "use its button") {
			t.Errorf("POST %s (a page) = %d, Allow %q, want 405, Allow GET, HEAD and a page saying it takes no form", path, p.status, p.header.Get("Allow"))
		}
	}
	if p := b.get("/no-such-page"); p.status != http.StatusNotFound || p.header.Get("Allow") != "" {
		t.Errorf("GET /no-such-page = %d, Allow %q, want 404 and no Allow", p.status, p.header.Get("Allow"))
	}
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)
