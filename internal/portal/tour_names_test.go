package portal_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestTourControlNamesUnique walks every page of the tour, in both
// languages: within one form, no two controls have the same accessible
// name, so that a screen reader's list of a form's controls tells each
// row's checkbox apart ("Select row 2: 14.1.110.0/24 (Tee Four (Pvt)
// Ltd.)", not "Select Tee Four (Pvt) Ltd." for each of one holder's
// checks). Radio buttons of one group count once per label, as read.
func TestTourControlNamesUnique(t *testing.T) {
	for _, p := range tour(t) {
		doc, err := html.Parse(strings.NewReader(p.Body))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		labelFor := map[string]string{}
		byID := map[string]*html.Node{}
		eachElement(doc, func(n *html.Node) {
			if id := attr(n, "id"); id != "" {
				byID[id] = n
			}
			if n.Data == "label" && attr(n, "for") != "" {
				labelFor[attr(n, "for")] += textOf(n)
			}
		})
		eachElement(doc, func(form *html.Node) {
			if form.Data != "form" {
				return
			}
			seen := map[string]int{}
			eachElement(form, func(n *html.Node) {
				switch n.Data {
				case "input", "select", "textarea", "button":
				default:
					return
				}
				if typ := attr(n, "type"); typ == "hidden" || hasAttr(n, "hidden") {
					return
				}
				name := accessibleName(n, labelFor, byID)
				if name == "" {
					return // unnamed controls are another check's concern
				}
				seen[name]++
				if seen[name] == 2 {
					t.Errorf("%s: two controls of the form %s are both named %q", p, attr(form, "action"), name)
				}
			})
		})
	}
}

// accessibleName is n's accessible name as a browser computes it for
// form controls (aria-labelledby, aria-label, a label, the button's text).
func accessibleName(n *html.Node, labelFor map[string]string, byID map[string]*html.Node) string {
	var name string
	switch {
	case attr(n, "aria-labelledby") != "":
		for _, id := range strings.Fields(attr(n, "aria-labelledby")) {
			if l := byID[id]; l != nil {
				name += " " + textOf(l)
			}
		}
	case attr(n, "aria-label") != "":
		name = attr(n, "aria-label")
	case labelFor[attr(n, "id")] != "" && attr(n, "id") != "":
		name = labelFor[attr(n, "id")]
	case n.Data == "button":
		name = textOf(n)
	default:
		for a := n.Parent; a != nil; a = a.Parent {
			if a.Type == html.ElementNode && a.Data == "label" {
				name = textOf(a)
				break
			}
		}
	}
	return strings.Join(strings.Fields(name), " ")
}

func eachElement(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		eachElement(c, f)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}
