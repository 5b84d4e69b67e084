package hostname

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		problem Problem
		ip      bool
		public  bool
		want    string // Want, for Unusual
	}{
		{"www.example.pk", OK, false, true, ""},
		{"WWW.EXAMPLE.PK", OK, false, true, ""},
		{"مثال.پاکستان", OK, false, true, ""},
		{"localhost", OK, false, false, ""},
		{"1.2.3", OK, false, false, ""},
		{"192.0.2.1", OK, true, false, ""},
		{"::ffff:192.0.2.1", OK, true, false, ""},
		{"2001:db8::1", OK, true, false, ""},
		{"fe80::1%eth0", IPZone, false, false, ""},
		{"www.example.pk.", TrailingDot, false, false, ""},
		{"www.example.pk\u3002", TrailingDot, false, false, ""}, // an ideographic full stop, mapped to "."
		{"www.example.pk\uff0e", TrailingDot, false, false, ""},
		{"a_b.example.pk", Invalid, false, false, ""},
		{"-a.example.pk", Invalid, false, false, ""},
		{"a..pk", Invalid, false, false, ""},
		{"", Invalid, false, false, ""},
		{"ｅｖｉｌ.com", Unusual, false, false, "evil.com"},
		// Names that are not public sites' (Scope says why).
		{"127.1", OK, false, false, ""},
		{"intranet.local", OK, false, false, ""},
		{"router.home.arpa", OK, false, false, ""},
	}
	for _, tt := range tests {
		h, p := Parse(tt.in)
		if p != tt.problem || h.IsIP() != tt.ip || h.Public() != tt.public || h.Want != tt.want {
			t.Errorf("Parse(%q) = %+v, %v (public %v); want problem %v, ip %v, public %v, want %q", tt.in, h, p, h.Public(), tt.problem, tt.ip, tt.public, tt.want)
		}
	}
}

func TestValidPort(t *testing.T) {
	for p, want := range map[string]bool{"1": true, "443": true, "65535": true, "0": false, "65536": false, "": false, "+80": false, "-1": false, "8o": false} {
		if got := ValidPort(p); got != want {
			t.Errorf("ValidPort(%q) = %v, want %v", p, got, want)
		}
	}
}

// Look-alike labels that mix scripts are refused, typed in Unicode or as
// xn--; one script per label, digits and hyphens with any, and the CJK
// mixes with Latin that UTS #39 allows, are taken; so are overlong labels
// and names, by their ASCII length.
func TestParseScriptsAndLength(t *testing.T) {
	long63, long64 := strings.Repeat("a", 63), strings.Repeat("a", 64)
	long254 := strings.Repeat(strings.Repeat("a", 49)+".", 5) + "pak1" // 5×50 + 4 octets
	tests := []struct {
		in      string
		problem Problem
		label   string
		scripts [2]string
		unicode string
	}{
		{"p\u0430ypal.pk", MixedScripts, "p\u0430ypal", [2]string{"Latin", "Cyrillic"}, ""},
		{"xn--pypal-4ve.pk", MixedScripts, "p\u0430ypal", [2]string{"Latin", "Cyrillic"}, ""},
		{"\u0440\u0430ypal.pk", MixedScripts, "\u0440\u0430ypal", [2]string{"Cyrillic", "Latin"}, ""},
		{"g\u03bfogle.com", MixedScripts, "g\u03bfogle", [2]string{"Latin", "Greek"}, ""},
		// Arabic and Latin: the Bidi rule refuses it too, but the reason
		// given is the mix (it was only "not valid").
		{"\u0645\u062b\u0627\u0644a.pk", MixedScripts, "\u0645\u062b\u0627\u0644a", [2]string{"Arabic", "Latin"}, ""},
		{"example\u0645\u062b\u0627\u0644.PK", MixedScripts, "example\u0645\u062b\u0627\u0644", [2]string{"Latin", "Arabic"}, ""},
		{"\u0645\u062b\u0627\u0644\u05d0.pk", MixedScripts, "\u0645\u062b\u0627\u0644\u05d0", [2]string{"Arabic", "Hebrew"}, ""},
		// Whole labels in one script, each label its own.
		{"\u043f\u0440\u0438\u043c\u0435\u0440.com", OK, "", [2]string{}, "\u043f\u0440\u0438\u043c\u0435\u0440.com"},
		{"\u0645\u062b\u0627\u0644.\u067e\u0627\u06a9\u0633\u062a\u0627\u0646", OK, "", [2]string{}, "\u0645\u062b\u0627\u0644.\u067e\u0627\u06a9\u0633\u062a\u0627\u0646"},
		{"\u0646\u06cc\u0679-2.pk", OK, "", [2]string{}, "\u0646\u06cc\u0679-2.pk"}, // Urdu with a digit and hyphen
		{"xn--mgbh0fb.xn--mgbai9azgqp6j", OK, "", [2]string{}, "\u0645\u062b\u0627\u0644.\u067e\u0627\u06a9\u0633\u062a\u0627\u0646"},
		{"WWW.Example.PK", OK, "", [2]string{}, "www.example.pk"},
		// A label all in Cyrillic letters that look like Latin ones reads
		// as a Latin name (browsers show it as xn--), unless the TLD is a
		// Cyrillic-writing country's; other Cyrillic words pass.
		{"\u0430\u0440\u0440\u04cf\u0435.pk", LatinLookAlike, "\u0430\u0440\u0440\u04cf\u0435", [2]string{}, ""},
		{"www.\u0435\u0445\u0430\u0440\u0440\u04cf\u0435-24.com", LatinLookAlike, "\u0435\u0445\u0430\u0440\u0440\u04cf\u0435-24", [2]string{}, ""},
		{"xn--80ak6aa92e.com", LatinLookAlike, "\u0430\u0440\u0440\u04cf\u0435", [2]string{}, ""}, // typed as xn--
		{"\u0430\u0440\u0440\u04cf\u0435.ru", OK, "", [2]string{}, "\u0430\u0440\u0440\u04cf\u0435.ru"},
		{"\u0430\u0440\u0440\u04cf\u0435.\u0440\u0444", OK, "", [2]string{}, "\u0430\u0440\u0440\u04cf\u0435.\u0440\u0444"},
		// CJK with Latin, as UTS #39 allows.
		{"\u6771\u4eac\u30bf\u30ef\u30fcabc.jp", OK, "", [2]string{}, "\u6771\u4eac\u30bf\u30ef\u30fcabc.jp"},
		{"\ud55c\uad6d\u5b57abc.kr", OK, "", [2]string{}, "\ud55c\uad6d\u5b57abc.kr"},
		{"\ud55c\uad6d\u30bf.kr", MixedScripts, "\ud55c\uad6d\u30bf", [2]string{"Hangul", "Katakana"}, ""},
		// Lengths in octets of the ASCII form.
		{long63 + ".pk", OK, "", [2]string{}, long63 + ".pk"},
		{long64 + ".pk", LabelTooLong, long64, [2]string{}, ""},
		{strings.Repeat("\u0628", 60) + ".pk", LabelTooLong, strings.Repeat("\u0628", 60), [2]string{}, ""},
		{long254, TooLong, "", [2]string{}, ""},
		{strings.Repeat("힣가쀍뷁엙콾퉑갂핳뛢쵗덇읆녋빣.", 6) + "kr", TooLong, "", [2]string{}, ""}, // 95 characters, 302 octets as xn--
	}
	for _, tt := range tests {
		h, p := Parse(tt.in)
		if p != tt.problem || h.Label != tt.label || h.Scripts != tt.scripts || h.Unicode != tt.unicode {
			t.Errorf("Parse(%q) = %+v, %v; want %v, label %q, scripts %v, unicode %q", tt.in, h, p, tt.problem, tt.label, tt.scripts, tt.unicode)
		}
	}
}

// A script met only in its digits (Arabic-Indic ٣ is of the Arabic
// script) is told apart from one met in letters, so that messages say
// "digits" of it.
func TestParseMixedDigits(t *testing.T) {
	for _, tt := range []struct {
		in      string
		scripts [2]string
		digits  [2]bool
	}{
		{"example\u0663.pk", [2]string{"Latin", "Arabic"}, [2]bool{false, true}},
		{"\u06f3example.pk", [2]string{"Arabic", "Latin"}, [2]bool{true, false}},
		{"example\u0645\u0663.pk", [2]string{"Latin", "Arabic"}, [2]bool{false, false}},
		{"example\u0967.pk", [2]string{"Latin", "Devanagari"}, [2]bool{false, true}},
	} {
		h, p := Parse(tt.in)
		if p != MixedScripts || h.Scripts != tt.scripts || h.Digits != tt.digits {
			t.Errorf("Parse(%q) = %+v, %v; want MixedScripts of %v, digits %v", tt.in, h, p, tt.scripts, tt.digits)
		}
	}
}

// Scope says why a host is not a public site's, and the address a browser
// makes of a name that ends in a number.
func TestScope(t *testing.T) {
	tests := []struct {
		in    string
		scope Scope
		addr  string
	}{
		{"www.example.pk", ScopePublic, ""},
		{"localhost", ScopeLoopback, ""},
		{"app.localhost", ScopeLoopback, ""},
		{"127.0.0.1", ScopeLoopback, "127.0.0.1"},
		{"127.1", ScopeLoopback, "127.0.0.1"},
		{"0x7f.1", ScopeLoopback, "127.0.0.1"},
		{"2130706433", ScopeLoopback, "127.0.0.1"},
		{"::1", ScopeLoopback, "::1"},
		{"::ffff:127.0.0.1", ScopeLoopback, "::ffff:127.0.0.1"},
		{"10.0.0.1", ScopePrivate, "10.0.0.1"},
		{"192.168.1.1", ScopePrivate, "192.168.1.1"},
		{"100.64.0.1", ScopePrivate, "100.64.0.1"},
		{"fd00::1", ScopePrivate, "fd00::1"},
		{"169.254.169.254", ScopeLinkLocal, "169.254.169.254"},
		{"fe80::1", ScopeLinkLocal, "fe80::1"},
		{"0.0.0.0", ScopeUnspecified, "0.0.0.0"},
		{"0", ScopeUnspecified, "0.0.0.0"},
		{"::", ScopeUnspecified, "::"},
		{"224.0.0.1", ScopeMulticast, "224.0.0.1"},
		{"192.0.2.1", ScopeSpecial, "192.0.2.1"},
		{"255.255.255.255", ScopeSpecial, "255.255.255.255"},
		{"2001:db8::1", ScopeSpecial, "2001:db8::1"},
		{"203.99.48.7", ScopePublicIP, "203.99.48.7"},
		{"1.2.3", ScopePublicIP, "1.2.0.3"},
		{"1.2.3.4.5", ScopeNumeric, ""},
		{"intranet", ScopeSingleLabel, ""},
		{"printer.local", ScopeLocalDomain, ""},
		{"db.internal", ScopeLocalDomain, ""},
		{"router.home.arpa", ScopeLocalDomain, ""},
		// Reserved names (RFC 6761, RFC 7686), in any case.
		{"example.invalid", ScopeSpecialName, ""},
		{"www.example.TEST", ScopeSpecialName, ""},
		{"tunnels.demo.example", ScopeSpecialName, ""},
		{"expyuzz4wqqyqhjn.onion", ScopeSpecialName, ""},
		{"example.localhost", ScopeLoopback, ""},
		// .alt (RFC 9476) and the example second-level names (RFC 2606
		// §3) with their subdomains were public (tester, issue 13).
		{"x.alt", ScopeSpecialName, ""},
		{"example.com", ScopeSpecialName, ""},
		{"foo.Example.COM", ScopeSpecialName, ""},
		{"tunnels.demo.example.net", ScopeSpecialName, ""},
		{"www.example.org", ScopeSpecialName, ""},
		{"test.pk", ScopePublic, ""},
		{"myexample.com", ScopePublic, ""},
		{"example.com.pk", ScopePublic, ""},
		{"example.pk", ScopePublic, ""},
		{"alt.pk", ScopePublic, ""},
	}
	for _, tt := range tests {
		h, p := Parse(tt.in)
		if p != OK {
			t.Errorf("Parse(%q): %v", tt.in, p)
			continue
		}
		sc, a := h.Scope()
		var want netip.Addr
		if tt.addr != "" {
			want = netip.MustParseAddr(tt.addr)
		}
		if sc != tt.scope || a != want {
			t.Errorf("Parse(%q).Scope() = %v, %v; want %v, %v", tt.in, sc, a, tt.scope, want)
		}
	}
}
