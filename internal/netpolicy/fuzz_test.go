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

// FuzzNormalizeMobile: no panic; an accepted number is 92 + ten digits in a
// mobile range; normalising it again gives the same number, and so do its
// national (0…), international (+92…) and Urdu-digit spellings.
func FuzzNormalizeMobile(f *testing.F) {
	for _, s := range []string{"03001234567", "+923001234567", "00923001234567", "923001234567", "0300-123 4567", "+", "0092", "",
		"+92 (0)300 1234567", "tel:+92-300-1234567", "۰۳۰۰۱۲۳۴۵۶۸", "０３００１２３４５６７", "3001234567", "042-35761234", "\u200f+92 300 1234567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeMobile(s)
		if err != nil {
			if !strings.Contains(err.Error(), "03XXXXXXXXX") {
				t.Fatalf("NormalizeMobile(%q) error %q does not name the accepted forms", s, err)
			}
			return
		}
		if len(n) != 12 || !strings.HasPrefix(n, "92") || strings.Trim(n, "0123456789") != "" || !isPKMobile(n[2:]) {
			t.Fatalf("NormalizeMobile(%q) = %q, not 92 + a mobile national number", s, n)
		}
		urdu := strings.Map(func(r rune) rune { return '۰' + (r - '0') }, n[2:])
		for _, again := range []string{n, "+" + n, "0" + n[2:], "۰" + urdu} {
			if got, err := NormalizeMobile(again); err != nil || got != n {
				t.Fatalf("NormalizeMobile(%q) = %q, %v; want %q as for %q", again, got, err, n, s)
			}
		}
	})
}
