package portal_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"

	"github.com/ipreg/ipreg/internal/portal"
)

// TestUrduPagesIsolateLTR walks every Urdu page of the tour and fails when
// a left-to-right token stands unisolated in right-to-left text: a value
// with neutral characters (an address, a number with separators, a masked
// holder "Ex***** (P**) L", an English purpose, "145 bytes") or an
// identifier inside an Urdu sentence. The bidi algorithm reorders such a
// token's parts after Urdu words or on a right-to-left line (UAX #9), so
// each must be inside <bdi>, an element with a dir other than rtl, or
// U+2066/U+2068 … U+2069. And an Urdu message in an element with
// dir="auto" must not start with a Latin word ("PDF", "CNIC"), which would
// lay the whole line out left-to-right. Nor may an Urdu label that ends in
// a number ("قطار 1") stand unisolated before a value on its line.
func TestUrduPagesIsolateLTR(t *testing.T) {
	for _, p := range tour(t) {
		if p.Lang != "ur" {
			continue
		}
		if bad := unisolatedLTRIn(t, p.Body); len(bad) > 0 {
			t.Errorf("%s: left-to-right tokens not isolated: %q", p, bad)
		}
	}
}

// plainLTR is a left-to-right value that the bidi algorithm cannot
// reorder in any context: a word or an identifier that starts with a
// letter and has no neutral character ("ikev2", "ssl_vpn": W7 makes the
// digits left-to-right after a letter), or one number.
var plainLTR = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_]*|[0-9]+)$`)

// unisolatedLTRIn returns the unisolated left-to-right tokens of an Urdu
// page (see TestUrduPagesIsolateLTR): in its text, and in the values of
// its inputs, each of which is a paragraph in the page's direction.
func unisolatedLTRIn(t *testing.T, body string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	check := func(text, where string) {
		outside := outsideIsolates(text)
		if hasArabic(outside) {
			for _, tok := range portal.UnisolatedLTR(text) {
				out = append(out, where+tok)
			}
			return
		}
		v := strings.TrimSpace(outside)
		if hasLatin(v) && !plainLTR.MatchString(v) {
			out = append(out, where+v)
		}
	}
	var walk func(n *html.Node, isolated bool)
	walk = func(n *html.Node, isolated bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "head", "script", "style":
				return
			case "bdi":
				isolated = true
			}
			for _, a := range n.Attr {
				if a.Key == "dir" && a.Val != "rtl" { // the page's own dir="rtl" isolates nothing
					isolated = true
				}
			}
			if dirAuto(n) && n.Data != "textarea" && n.Data != "input" {
				if text := textOf(n); hasArabic(text) && !firstStrongArabic(text) {
					out = append(out, "dir=auto lays this Urdu out left-to-right: "+strings.TrimSpace(text))
				}
			}
			if n.Data == "input" && !isolated && textInput(n) {
				for _, a := range n.Attr {
					if a.Key == "value" || a.Key == "placeholder" {
						check(a.Val, fmt.Sprintf("<input %s=>", a.Key))
					}
				}
			}
		}
		if n.Type == html.TextNode && !isolated {
			check(n.Data, "")
		}
		if !isolated && (n.Type == html.TextNode || n.Type == html.ElementNode && inlineElement[n.Data]) {
			if tok := numberBeforeValue(n); tok != "" {
				out = append(out, "a number runs into the value after it: "+tok)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, isolated)
		}
	}
	walk(doc, false)
	return out
}

// outsideIsolates is text without what stands inside U+2066/U+2067/U+2068
// … U+2069.
func outsideIsolates(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '\u2066', '\u2067', '\u2068':
			depth++
			b.WriteRune(' ')
		case '\u2069':
			if depth > 0 {
				depth--
			}
		default:
			if depth == 0 {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

func hasArabic(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func hasLatin(s string) bool {
	for _, r := range s {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return true
		}
	}
	return false
}

// textInput reports whether an <input> shows its value as text.
func textInput(n *html.Node) bool {
	for _, a := range n.Attr {
		if a.Key == "type" {
			switch a.Val {
			case "hidden", "checkbox", "radio", "submit", "button", "file", "image", "reset":
				return false
			}
		}
	}
	return true
}

func dirAuto(n *html.Node) bool {
	for _, a := range n.Attr {
		if a.Key == "dir" && a.Val == "auto" {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
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

// firstStrongArabic reports whether the first letter of s that sets a
// direction (outside isolates, as dir="auto" finds it) is Arabic-script.
func firstStrongArabic(s string) bool {
	for _, r := range outsideIsolates(s) {
		switch {
		case unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r):
			return true
		case unicode.IsLetter(r):
			return false
		}
	}
	return false
}

// inlineElement are the elements that share a line with what follows.
var inlineElement = map[string]bool{"span": true, "a": true, "strong": true, "em": true, "small": true, "b": true, "i": true, "label": true}

// trailingNumber is a number that ends an Urdu text ("قطار 1").
var trailingNumber = regexp.MustCompile(`\p{Arabic}[^\p{Arabic}]*?([0-9][0-9,.]*)\s*$`)

// numberBeforeValue finds an Urdu text that ends in a number and is
// followed, with only a space between, by an isolated left-to-right value
// ("قطار 1" then <bdi>Example (Pvt) Ltd</bdi>): on a right-to-left line
// the number stands against the value and reads as part of it ("Example
// (Pvt) Ltd 1 قطار"). The label and its number must be isolated or set
// apart.
func numberBeforeValue(n *html.Node) string {
	text := n.Data
	if n.Type == html.ElementNode {
		text = unisolatedTextOf(n)
	}
	m := trailingNumber.FindStringSubmatch(outsideIsolates(text))
	if m == nil {
		return ""
	}
	next := n.NextSibling
	for next != nil && next.Type == html.TextNode && strings.TrimSpace(next.Data) == "" {
		next = next.NextSibling
	}
	if next == nil || next.Type != html.ElementNode {
		return ""
	}
	ltr := next.Data == "bdi"
	for _, a := range next.Attr {
		if a.Key == "dir" && a.Val == "ltr" {
			ltr = true
		}
	}
	if !ltr || !hasLatin(textOf(next)) {
		return ""
	}
	return strings.TrimSpace(text) + " | " + strings.TrimSpace(textOf(next))
}

// unisolatedTextOf is n's text without what its isolates (<bdi>, an
// element with a dir) hold: each stands as one neutral space.
func unisolatedTextOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && (c.Data == "bdi" || slices.ContainsFunc(c.Attr, func(a html.Attribute) bool { return a.Key == "dir" })) {
				b.WriteString(" ")
				continue
			}
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
