package netpolicy

import (
	"strings"
	"testing"
)

// FuzzParsePrefix checks the parser's promises on any input: no panic; an
// accepted prefix is canonical (masked, unmapped, re-parses to itself); and
// Policy.Check never accepts special-purpose space.
func FuzzParsePrefix(f *testing.F) {
	for _, s := range []string{"14.1.104.7", "14.1.104.0/24", "::ffff:10.0.0.1", "2001:dd8:1c::/48",
		"10.0.0.0/8", "fe80::1%eth0", "0.0.0.0/0", "::/0", "1.2.3.4/33", "::ffff:1.2.3.0/120", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePrefix(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
			t.Fatalf("ParsePrefix(%q) = %s is not canonical", s, p)
		}
		again, err := ParsePrefix(p.String())
		if err != nil || again != p {
			t.Fatalf("canonical %s does not re-parse to itself: %v, %v", p, again, err)
		}
		if q, err := DefaultPolicy.Check(s); err == nil {
			if _, _, special := specialFor(q); special {
				t.Fatalf("Check(%q) accepted special-purpose space %s", s, q)
			}
		}
	})
}

// FuzzNormalizeMobile: no panic; an accepted number is 92 + 3 + nine digits,
// and normalising it again gives the same number.
func FuzzNormalizeMobile(f *testing.F) {
	for _, s := range []string{"03001234567", "+923001234567", "00923001234567", "923001234567", "0300-123 4567", "+", "0092", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeMobile(s)
		if err != nil {
			return
		}
		if len(n) != 12 || !strings.HasPrefix(n, "923") || strings.Trim(n, "0123456789") != "" {
			t.Fatalf("NormalizeMobile(%q) = %q, not 923XXXXXXXXX", s, n)
		}
		if again, err := NormalizeMobile(n); err != nil || again != n {
			t.Fatalf("NormalizeMobile(%q) = %q, %v; want it unchanged", n, again, err)
		}
	})
}
