package portal_test

import (
	"net/url"
	"testing"
)

// TestFormRefusesNULAndBadUTF8: a form value with a NUL or invalid UTF-8
// (neither of which a browser sends from the portal's forms) is refused as
// unreadable (400); on PostgreSQL, whose text holds neither, it was an
// internal error (500) once stored.
func TestFormRefusesNULAndBadUTF8(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct{ name, value string }{
		{"NUL", "Alice\x00Traders"},
		{"invalid UTF-8", "Alice \xff Traders"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := e.browser().post("/signup", url.Values{"email": {"nul@example.pk"}, "password": {"a long password"},
				"kind": {"individual"}, "name": {tt.value}, "cnic": {"35202-1234567-1"}, "mobile": {"0300-1234567"}})
			if p.status != 400 {
				t.Errorf("sign-up with a %s in the name = %d, want 400", tt.name, p.status)
			}
		})
	}
}
