package portal

import (
	"fmt"
	"strings"
)

// translate returns key in lang. Keys are the English texts; Urdu comes
// from the catalog (a test holds every key used in templates and code to
// having an Urdu text with the same verbs). Messages from the registry
// (validation, states) are English and pass through unchanged.
func translate(lang, key string, args ...any) string {
	msg := key
	if lang == "ur" {
		if u, ok := urdu[key]; ok {
			msg = u
		}
	}
	if len(args) > 0 {
		if lang == "ur" {
			// A value ("5.0 MiB", a file name) is isolated (U+2068 FIRST
			// STRONG ISOLATE … U+2069), so that the Unicode Bidirectional
			// Algorithm does not reorder its parts among the Urdu words
			// (UAX #9 W2, W4), as translateDomain does for messages.
			isolated := make([]any, len(args))
			for i, a := range args {
				if s, ok := a.(string); ok && s != "" && !isolated1(s) {
					a = "\u2068" + s + "\u2069"
				}
				isolated[i] = a
			}
			args = isolated
		}
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// isolated1 reports whether s is one isolate already (U+2068 … its
// matching U+2069), which is not isolated again.
func isolated1(s string) bool {
	if !strings.HasPrefix(s, "\u2068") || !strings.HasSuffix(s, "\u2069") {
		return false
	}
	depth := 0
	for i, r := range s {
		switch r {
		case '\u2066', '\u2067', '\u2068':
			depth++
		case '\u2069':
			depth--
			if depth == 0 {
				return i+len("\u2069") == len(s)
			}
		}
	}
	return false
}
