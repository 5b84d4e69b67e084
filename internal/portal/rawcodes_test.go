package portal_test

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/net/html"

	"github.com/ipreg/ipreg/internal/registry"
)

// The registry's codes, which pages show as words in their language
// (labels.go), never as they are: taken from the registry itself, so
// that a code added there without a label is caught too.
var (
	// codedWords are codes that are no English word, found anywhere in a
	// page's text: snake_case codes (ssl_vpn, operator_check,
	// address_not_held, cnic_front), protocols and operator ids ("ptcl":
	// the operator's name is "PTCL").
	codedWords = map[string]bool{}
	// plainWords are codes that are also English words ("review",
	// "company", "other"): found when they stand alone as an element's
	// text, in brackets ("(review)"), or inside an Urdu sentence.
	plainWords = map[string]bool{}
	// operatorIDs may stand as a secondary reference beside the name, as
	// app_… ids may.
	operatorIDs = map[string]bool{}
	// appID is an internal id of any kind the registry makes (app_…,
	// apl_…, chk_…, doc_…: registry.IDPrefixes), allowed only as a
	// secondary reference (an element of class "ref", or <code>).
	appID = regexp.MustCompile(`\b(` + strings.Join(registry.IDPrefixes, "|") + `)_[0-9a-z]+\b`)
)

func init() {
	for _, c := range registry.Codes() {
		if strings.Contains(c, "_") || slices.Contains(registry.Protocols, c) && c != "other" {
			codedWords[c] = true
		} else {
			plainWords[c] = true
		}
	}
	for _, o := range registry.DemoOperators {
		codedWords[o.ID] = true
		operatorIDs[o.ID] = true
	}
}

// rawCodes returns the codes that the page html (in lang, "en" or "ur")
// shows as text where people should read words: the registry's codes
// for protocols, rejection reasons, states, categories, document and
// account kinds, roles and operators, and app_… ids and operator ids
// outside a secondary reference (class "ref", <code>). Attribute values (option values, links) are not text;
// neither are scripts, styles, what the user typed back into a form
// (textarea) or tokens isolated left-to-right on purpose (U+2066 … U+2069:
// the CSV's column values, which must be written as they are).
func rawCodes(lang, page string) []string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return []string{"unparsable page: " + err.Error()}
	}
	found := map[string]bool{}
	var walk func(n *html.Node, ref bool)
	walk = func(n *html.Node, ref bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "style", "textarea":
				return
			case "code", "kbd", "samp":
				ref = true
			}
			for _, a := range n.Attr {
				if a.Key == "class" && slices.Contains(strings.Fields(a.Val), "ref") {
					ref = true
				}
			}
		}
		if n.Type == html.TextNode {
			for _, c := range codesInText(lang, n.Data, ref) {
				found[c] = true
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, ref)
		}
	}
	walk(doc, false)
	out := make([]string, 0, len(found))
	for c := range found {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// lriSpan is a token isolated left-to-right on purpose (U+2066 … U+2069).
var lriSpan = regexp.MustCompile("\u2066[^\u2069]*\u2069")

// wordRe finds candidate words: letters, digits and underscores.
var wordRe = regexp.MustCompile(`[A-Za-z0-9_]+`)

func codesInText(lang, text string, ref bool) []string {
	text = lriSpan.ReplaceAllString(text, " ")
	var out []string
	if !ref {
		out = append(out, appID.FindAllString(text, -1)...)
	}
	trimmed := strings.Trim(text, " \t\n\u2068\u2069")
	urdu := lang == "ur" && strings.IndexFunc(text, func(r rune) bool { return unicode.Is(unicode.Arabic, r) }) >= 0
	for _, m := range wordRe.FindAllStringIndex(text, -1) {
		w := text[m[0]:m[1]]
		if !standsAlone(text, m[0], m[1]) {
			continue // part of an e-mail address, a file name, a host
		}
		switch {
		case operatorIDs[w] && ref: // an operator's id beside its name, for admins
		case codedWords[w]:
			out = append(out, w)
		case plainWords[w] && (trimmed == w || urdu || bracketed(text, m[0], m[1]) || strings.HasSuffix(text[:m[0]], "(state ")):
			out = append(out, w)
		}
	}
	return out
}

// standsAlone reports whether text[i:j] is a word of its own, not part of
// an e-mail address, a file name ("cnic_front.pdf"), a path or a host.
func standsAlone(text string, i, j int) bool {
	if i > 0 && strings.ContainsRune(".@/-\\", rune(text[i-1])) {
		return false
	}
	if j < len(text) {
		c := text[j]
		if strings.ContainsRune("@/-\\", rune(c)) {
			return false
		}
		if c == '.' && j+1 < len(text) && !unicode.IsSpace(rune(text[j+1])) {
			return false
		}
	}
	return true
}

// bracketed reports whether text[i:j] stands in brackets of its own:
// "(review)", with an isolate's marks allowed inside them.
func bracketed(text string, i, j int) bool {
	before := strings.TrimRight(text[:i], "\u2068")
	after := strings.TrimLeft(text[j:], "\u2069")
	return strings.HasSuffix(before, "(") && strings.HasPrefix(after, ")")
}
