package portal

// MessageLabel is the outbox page's name for a message template, in lang.
func MessageLabel(lang, code string) string { return (&view{Lang: lang}).L("message", code) }

// UnisolatedLTR is unisolatedLTR (bidi_test.go), for the tour's checks.
var UnisolatedLTR = unisolatedLTR
