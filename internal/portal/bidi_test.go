package portal

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// ltrRun is a left-to-right token in an Urdu text: ASCII letters and
// digits joined by the neutral or weak separators (- : / . % + @) that the
// Unicode Bidirectional Algorithm reorders after Urdu words (UAX #9 W2,
// W4: "12345-1234567-1" displays as 1-1234567-12345, "2400:fc00::/48"
// as fc00::/48:2400, "/24" as 24/). Format verbs (%s, %[2]d) are not
// tokens: translate and translateDomain isolate the values they stand for.
var ltrRun = regexp.MustCompile(`[0-9A-Za-z%+/:.\-@{}…]*[0-9A-Za-z][0-9A-Za-z%+/:.\-@{}…]*`)

var formatVerb = regexp.MustCompile(`%(\[\d+\])?[sdvq]|%%`)

// unisolatedLTR returns the tokens of an Urdu text that hold one of - : /
// % + @ or two dots (an address, an e-mail address, a host name) and stand outside a left-to-right or first-strong isolate (U+2066 or
// U+2068 … U+2069), as the review's bidi section asks (§5).
func unisolatedLTR(ur string) []string {
	var out []string
	depth := 0
	for _, seg := range regexp.MustCompile(`[\x{2066}\x{2067}\x{2068}\x{2069}]|[^\x{2066}\x{2067}\x{2068}\x{2069}]+`).FindAllString(ur, -1) {
		switch seg {
		case "\u2066", "\u2067", "\u2068":
			depth++
			continue
		case "\u2069":
			depth--
			continue
		}
		if depth > 0 {
			continue
		}
		for _, tok := range ltrRun.FindAllString(formatVerb.ReplaceAllString(seg, " "), -1) {
			tok = strings.TrimRight(tok, ".:") // a sentence's full stop, a label's colon
			if strings.ContainsAny(tok, "-:/%+@") || strings.Count(tok, ".") > 1 {
				out = append(out, tok)
			}
		}
	}
	return out
}

// Every example number, address or code with a separator in an Urdu text
// is isolated, so that it displays as written.
func TestUrduLTRIsolated(t *testing.T) {
	for name, cat := range map[string]map[string]string{"ur.po": urdu, "ur.po (msgctxt registry)": domainUrdu} {
		keys := make([]string, 0, len(cat))
		for k := range cat {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if bad := unisolatedLTR(cat[k]); len(bad) > 0 {
				t.Errorf("%s: %q: %q not in \\u2066…\\u2069", name, k, bad)
			}
		}
	}
}

// Values given to an Urdu text are isolated at render, so that an upload
// limit or a file name displays as written; English is left alone.
func TestTranslateIsolatesValues(t *testing.T) {
	for _, tt := range []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"ur", "PDF, JPEG or PNG, at most %s.", []any{"5.0 MiB"}, "PDF، JPEG یا PNG، زیادہ سے زیادہ \u20685.0 MiB\u2069۔"},
		{"ur", "Your operator confirms that the addresses or numbers are yours (within %d hours).", []any{48}, "48"},
		{"en", "PDF, JPEG or PNG, at most %s.", []any{"5.0 MiB"}, "PDF, JPEG or PNG, at most 5.0 MiB."},
	} {
		if got := translate(tt.lang, tt.key, tt.args...); !strings.Contains(got, tt.want) || strings.Contains(got, "%!") {
			t.Errorf("translate(%s, %q) = %q, want %q in it", tt.lang, tt.key, got, tt.want)
		}
	}
}
