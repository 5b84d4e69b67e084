package portal_test

import "testing"

// TestTourShowsWordsNotCodes runs the raw-code check (rawCodes) over every
// page of the tour, in both languages: no page shows a protocol, reason,
// state, category, kind, role or operator code, or an app_… id outside a
// secondary reference, where people should read words.
func TestTourShowsWordsNotCodes(t *testing.T) {
	for _, p := range tour(t) {
		if bad := rawCodes(p.Lang, p.Body); len(bad) > 0 {
			t.Errorf("%s: codes shown as text: %q", p, bad)
		}
	}
}
