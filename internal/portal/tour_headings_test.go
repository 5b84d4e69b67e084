package portal_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// emptyHeadings returns the headings of page that nothing follows before
// the next heading of the same or a higher rank, or the end of the page's
// main content: a heading over nothing ("What you can do" with nothing to
// do, "Still needed" with nothing needed).
func emptyHeadings(page string) []string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return []string{"unparsable page: " + err.Error()}
	}
	type event struct {
		level int // 1–6 for a heading, 0 for content
		text  string
	}
	var events []event
	var walk func(n *html.Node, inMain bool)
	walk = func(n *html.Node, inMain bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "main":
				inMain = true
			case "script", "style", "template":
				return
			case "h1", "h2", "h3", "h4", "h5", "h6":
				if inMain {
					events = append(events, event{level: int(n.Data[1] - '0'), text: strings.TrimSpace(textOf(n))})
				}
				return
			case "input", "img", "select", "textarea", "button", "svg", "iframe":
				if inMain {
					events = append(events, event{text: n.Data})
				}
			}
		}
		if n.Type == html.TextNode && inMain && strings.TrimSpace(n.Data) != "" {
			events = append(events, event{text: n.Data})
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inMain)
		}
	}
	walk(doc, false)
	var out []string
	for i, e := range events {
		if e.level == 0 {
			continue
		}
		if i+1 == len(events) || events[i+1].level != 0 && events[i+1].level <= e.level {
			out = append(out, e.text)
		}
	}
	return out
}

// TestTourNoEmptyHeadings: no page of the tour, in either language, shows
// a heading with nothing under it.
func TestTourNoEmptyHeadings(t *testing.T) {
	for _, tc := range []struct {
		page string
		want []string
	}{
		{`<main><h1>A</h1><p>x</p><h2>B</h2><h3>C</h3><p>y</p></main>`, nil},
		{`<main><h1>A</h1><h2>B</h2></main>`, []string{"B"}},
		{`<main><h2>What you can do</h2><div class="actions"> </div><h2>Appeal</h2><form><button>Go</button></form></main>`, []string{"What you can do"}},
	} {
		if got := emptyHeadings(tc.page); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("emptyHeadings(%s) = %q, want %q", tc.page, got, tc.want)
		}
	}
	for _, p := range tour(t) {
		if bad := emptyHeadings(p.Body); len(bad) > 0 {
			t.Errorf("%s: headings with nothing under them: %q", p, bad)
		}
	}
}
