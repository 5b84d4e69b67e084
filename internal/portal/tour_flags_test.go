package portal_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/registry"
)

// TestTourFlagsSayItOnce walks every page of the tour, in both languages:
// a listed flag shows its label once, then only what its detail adds
// (the operator's note, not "the operator disputed:" again; an address
// outside the country named once, not again in "… is not in Pakistan's
// address space"). And no page's text has a space before a colon.
func TestTourFlagsSayItOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range tour(t) {
		doc, err := html.Parse(strings.NewReader(p.Body))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		text := strings.Join(strings.Fields(visibleText(doc)), " ")
		if i := strings.Index(text, " :"); i >= 0 {
			t.Errorf("%s: a space before a colon: %q", p, text[max(0, i-40):min(len(text), i+40)])
		}
		labels := map[string]string{}
		for _, c := range registry.FlagCodes {
			labels[portal.Label(p.Lang, "flag", c)] = c
		}
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "li" && n.FirstChild != nil && n.FirstChild.Data == "strong" {
				label := strings.TrimSpace(textOf(n.FirstChild))
				if code, ok := labels[label]; ok {
					seen[code] = true
					li := strings.ToLower(textOf(n))
					if c := strings.Count(li, strings.ToLower(label)); c != 1 {
						t.Errorf("%s: flag %q says its label %d times: %q", p, label, c, textOf(n))
					}
					if item := n.FirstChild.NextSibling; item != nil && item.NextSibling != nil && item.NextSibling.Data == "span" {
						tok := strings.TrimSpace(textOf(item.NextSibling))
						if c := strings.Count(textOf(n), tok); tok != "" && c != 1 {
							t.Errorf("%s: flag %q names its item %s %d times: %q", p, label, tok, c, textOf(n))
						}
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
	}
	for _, c := range []string{registry.FlagOperatorDisputed, registry.FlagOutsideCountry, registry.FlagOverlap} {
		if !seen[c] {
			t.Errorf("no page of the tour lists a %s flag: the check is not run on it", c)
		}
	}
}

// visibleText is n's text without scripts and styles.
func visibleText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style") {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// TestTourNoFormatFaults: no page of the tour shows a fmt fault
// ("%!(EXTRA …)", "%!s(MISSING)"), in either language.
func TestTourNoFormatFaults(t *testing.T) {
	for _, p := range tour(t) {
		if i := strings.Index(p.Body, "%!"); i >= 0 {
			t.Errorf("%s: a format fault: %q", p, p.Body[i:min(len(p.Body), i+60)])
		}
	}
}
