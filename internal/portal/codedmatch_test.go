package portal

import "testing"

// One-off check before coded.go's ur fields are deleted: ur.po gives
// each page wording the same Urdu byte for byte.
func TestCodedPOMatchesGo(t *testing.T) {
	n := 0
	for _, f := range codedFormats {
		if f.ur == "" {
			continue
		}
		n++
		if got := codedUrdu[f.out]; got != f.ur {
			t.Errorf("%q: Go %q, ur.po %q", f.out, f.ur, got)
		}
	}
	t.Logf("%d coded formats with Urdu, identical in ur.po", n)
}
