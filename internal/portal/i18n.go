package portal

import "fmt"

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
		return fmt.Sprintf(msg, args...)
	}
	return msg
}
