package portal_test

import (
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// englishUnit is a count with an English unit ("69 bytes", "1 days"),
// isolated or not: on an Urdu page the unit is Urdu (بائٹس), with its
// plural.
var englishUnit = regexp.MustCompile(`\b[0-9][0-9,.]* (bytes?|days?|hours?|items?|runs?)\b`)

// TestUrduPagesCountInUrdu walks every Urdu page of the tour and fails
// when a size or a count is shown with an English unit, inside an isolate
// or not (an isolate keeps the order, not the language).
func TestUrduPagesCountInUrdu(t *testing.T) {
	for _, p := range tour(t) {
		if p.Lang != "ur" {
			continue
		}
		doc, err := html.Parse(strings.NewReader(p.Body))
		if err != nil {
			t.Fatal(err)
		}
		var bad []string
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				switch n.Data {
				case "head", "script", "style", "textarea", "code":
					return
				}
			}
			if n.Type == html.TextNode {
				bad = append(bad, englishUnit.FindAllString(n.Data, -1)...)
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if len(bad) > 0 {
			t.Errorf("%s: counts with English units: %q", p, bad)
		}
	}
}
