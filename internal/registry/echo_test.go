package registry_test

import (
	"strings"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

// Echo cuts a typed value at EchoRunes whole characters: the portal cut
// ?page= at 20 bytes (splitting a character of ۱۲۳) and the API did not
// cut at all (tester, issue 13).
func TestEcho(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"500", "500"},
		{strings.Repeat("9", 20), strings.Repeat("9", 20)},
		{strings.Repeat("9", 300), strings.Repeat("9", 20) + "…"},
		{strings.Repeat("۹", 21), strings.Repeat("۹", 20) + "…"},
	} {
		if got := Echo(tt.in); got != tt.want {
			t.Errorf("Echo(%.30q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
