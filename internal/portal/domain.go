package portal

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// The registry words its messages in English (the API's contract). For an
// Urdu page the portal translates them: each English format the registry
// and netpolicy use (domainUrdu's keys) becomes a pattern; a message that
// matches one is rebuilt from the Urdu format, with each captured value
// translated in turn (a reason inside a message, a document's description,
// a kind of address space). Addresses, numbers and codes pass unchanged.

type domainPattern struct {
	re    *regexp.Regexp
	ur    string // Sprintf format with every verb turned to %s (values are captured text)
	fixed int    // literal characters: more specific patterns are tried first
	// isolate marks the captures of text verbs (%s, %v, %q): values such
	// as a quoted number or address the person typed, which are wrapped in
	// FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE (Unicode bidi, UAX #9)
	// so that a left-to-right value keeps its own order inside the Urdu
	// sentence ("0300-1234567" is not shown as 1234567-0300, a leading "+"
	// or "/" stays in front), and the sentence keeps its order around it.
	isolate []bool
}

// domainPatterns is compiled on first use, after every init function:
// Go files that still add to domainUrdu in an init (before pomigrate
// moves them to ur.po) are part of it.
var domainPatterns = sync.OnceValue(func() []domainPattern { return compileDomain(domainUrdu) })

var verbRe = regexp.MustCompile(`%(\[\d+\])?[sdvq]|%%`)

func compileDomain(cat map[string]string) []domainPattern {
	out := make([]domainPattern, 0, len(cat))
	for en, ur := range cat {
		var b strings.Builder
		b.WriteString("^")
		last, fixed := 0, 0
		var isolate []bool
		for _, m := range verbRe.FindAllStringIndex(en, -1) {
			b.WriteString(regexp.QuoteMeta(en[last:m[0]]))
			fixed += m[0] - last
			switch v := en[m[0]:m[1]]; {
			case v == "%%":
				b.WriteString("%")
			case strings.HasSuffix(v, "d"):
				b.WriteString(`(-?\d+)`)
				isolate = append(isolate, false)
			default:
				b.WriteString(`(.+?)`)
				isolate = append(isolate, true)
			}
			last = m[1]
		}
		b.WriteString(regexp.QuoteMeta(en[last:]))
		fixed += len(en) - last
		b.WriteString("$")
		// Captured values are text: %d and %q become %s (keeping positions).
		urFmt := regexp.MustCompile(`%(\[\d+\])?[dvq]`).ReplaceAllString(ur, "%${1}s")
		out = append(out, domainPattern{re: regexp.MustCompile(b.String()), ur: urFmt, fixed: fixed, isolate: isolate})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].fixed > out[j].fixed })
	return out
}

// messageSep joins messages that one place shows together (two errors on
// one line of a list): each is translated on its own, since the catalog
// knows each, not their sum, and they are shown joined with "; " ("؛ " in
// Urdu).
const messageSep = "\n"

// translateDomain returns msg in lang: unchanged in English, else the
// Urdu of the first pattern it matches, or msg itself if none does.
// Messages joined with messageSep are translated one by one.
func translateDomain(lang, msg string) string { return translateNamed(lang, msg, nil) }

// translateNamed is translateDomain that also names operators, by ops
// (view.opNames), where a message names one by its id.
func translateNamed(lang, msg string, ops func() map[string]string) string {
	if parts := strings.Split(msg, messageSep); len(parts) > 1 {
		sep := listWord(lang, "; ")
		for i, m := range parts {
			parts[i] = translateNamed(lang, m, ops)
		}
		return strings.Join(parts, sep)
	}
	if l, ok := labelCoded(lang, msg, ops); ok { // codes as words (coded.go)
		return l
	}
	if lang != "ur" || msg == "" {
		return msg
	}
	return domainUr(msg, 0)
}

func domainUr(msg string, depth int) string {
	if depth > 3 {
		return msg
	}
	for _, p := range domainPatterns() {
		m := p.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		args := make([]any, len(m)-1)
		for i, g := range m[1:] {
			// A value (what the catalog does not translate) is isolated;
			// a nested message, now Urdu, is part of the sentence.
			a := domainUr(g, depth+1)
			if i < len(p.isolate) && p.isolate[i] && a == g {
				a = "\u2068" + a + "\u2069"
			}
			args[i] = a
		}
		return fmt.Sprintf(p.ur, args...)
	}
	return msg
}
