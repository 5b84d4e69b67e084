package portal_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/portal"
)

var rePostAction = regexp.MustCompile(`(?s)<form\b[^>]*\bmethod="post"[^>]*>`)
var reActionAttr = regexp.MustCompile(`\baction="([^"]*)"`)
var reHiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)

// hiddenFields are the hidden inputs of the form that opens at body[at:].
func hiddenFields(body string, at int) url.Values {
	form, _, _ := strings.Cut(body[at:], "</form>")
	vals := url.Values{}
	for _, m := range reHiddenInput.FindAllStringSubmatch(form, -1) {
		vals.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return vals
}

// Every POST form on every page of the tour names the page that carries
// it as the place a form posted after the session ended comes back: the
// page itself when it was opened with GET, and never a POST's address when
// the form sits on an error page rendered at one (its Referer) — after the
// login that address is a 404 or a page without the form. Every POST
// route that needs a login is in the table.
func TestFormPagesCarryTheirForms(t *testing.T) {
	open := map[string]bool{"POST /signup": true, "POST /login": true, "POST /logout": true,
		"POST /password/forgot": true, "POST /password/reset": true, "POST /eligibility": true,
		"POST /claim": true}
	for _, p := range portal.Patterns() {
		if strings.HasPrefix(p, "POST ") && !open[p] {
			if _, ok := portal.FormPages[p]; !ok {
				t.Errorf("%s: no page named to bring its form back on after a login", p)
			}
		}
	}
	// Every POST form of the templates: its route has a page to come back
	// on (or is one of the forms used without a login).
	for _, f := range postForms(t) {
		_, action, _ := strings.Cut(f.key, " ")
		if action == "{}" { // the application form: /applications or /applications/{id}, both in the tour
			continue
		}
		action = strings.ReplaceAll(action, "{}", "x")
		if action == "" || action == "/logout" {
			continue
		}
		page, pattern := portal.FormPageOf(action, "")
		if _, ok := portal.FormPages[pattern]; !ok && !open[pattern] {
			t.Errorf("%s: the form's route %q has no page to come back on", f.key, pattern)
		}
		if ok := portal.FormPages[pattern] != ""; ok && !portal.IsPage(page) {
			t.Errorf("%s: the form comes back on %q, which is no page", f.key, page)
		}
	}
	seen := map[string]bool{}
	for _, p := range tour(t) {
		if p.Lang != "en" || p.Role == "anon" {
			continue
		}
		for _, loc := range rePostAction.FindAllStringIndex(p.Body, -1) {
			tag := p.Body[loc[0]:loc[1]]
			m := reActionAttr.FindStringSubmatch(tag)
			if m == nil {
				continue
			}
			action := html.UnescapeString(m[1])
			if action == "/logout" {
				continue
			}
			page, pattern := portal.FormPageOf(action, p.Path, hiddenFields(p.Body, loc[0]))
			if pattern == "" {
				t.Errorf("%s: a form posts to %s, which no route takes", p, action)
				continue
			}
			want, _, _ := strings.Cut(p.Path, "?")
			got := page
			if u, err := url.Parse(page); err == nil {
				got = u.Path
			}
			key := p.Path + " " + action
			if seen[key] {
				continue
			}
			seen[key] = true
			switch {
			case !p.Posted && got != want:
				t.Errorf("%s: the form to %s (%s) comes back on %q, not on this page", p, action, pattern, page)
			case p.Posted && (got == "" || !portal.IsPage(got)):
				t.Errorf("%s (an error page at the POST's address): the form to %s comes back on %q, which is no page with the form", p, action, page)
			}
		}
	}
}
