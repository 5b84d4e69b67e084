package netpolicy

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "14.1.104.7", want: "14.1.104.7/32"},
		{in: " 14.1.104.0/24 ", want: "14.1.104.0/24"},
		{in: "2001:dd8:1c::1", want: "2001:dd8:1c::1/128"},
		{in: "2001:DD8:1C::/48", want: "2001:dd8:1c::/48"},
		{in: "::ffff:14.1.104.7", want: "14.1.104.7/32"},
		{in: "::ffff:14.1.104.0/120", want: "14.1.104.0/24"},
		{in: "::ffff:0:0/95", err: "IPv4-mapped prefix shorter than /96"},
		{in: "14.1.104.5/24", err: "host bits set; did you mean 14.1.104.0/24?"},
		{in: "2001:dd8:1c::1/48", err: "did you mean 2001:dd8:1c::/48?"},
		{in: "fe80::1%eth0", err: "IPv6 zone"},
		{in: "fe80::1%eth0/64", err: "IPv6 zone"},
		// Only an IPv6 address has a zone (tester).
		{in: "14.1.104.0/24%", err: "is not an IP address or prefix"},
		{in: "14.1.104.7%eth0", err: "is not an IP address or prefix"},
		{in: "PTCL 100%", err: "is not an IP address or prefix"},
		{in: "", err: "empty address"},
		{in: "14.1.104", err: "is not an IP address or prefix"},
		{in: "14.1.104.0/33", err: "is not an IP address or prefix"},
		{in: "example.com", err: "is not an IP address or prefix"},
		{in: "0.0.0.0/0", want: "0.0.0.0/0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePrefix(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParsePrefix(%q) error = %v, want containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil || p.String() != tt.want {
				t.Fatalf("ParsePrefix(%q) = %v, %v; want %s", tt.in, p, err, tt.want)
			}
		})
	}
}

func TestPolicyCheck(t *testing.T) {
	tests := []struct {
		in, err string // err "" means accepted
	}{
		{"14.1.104.0/24", ""},
		{"14.1.104.9", ""},
		{"2001:dd8:1c::/48", ""},
		{"2001:dd8:1c:5::/64", ""},
		{"::ffff:14.1.104.9", ""},
		{"0.0.0.0/0", "broader than this category allows: use prefixes of /24 or longer"},
		{"::/0", "broader than this category allows: use prefixes of /48 or longer"},
		{"14.1.104.0/22", "/24 or longer"},
		{"2001:dd8::/32", "/48 or longer"},
		// IPv4 special-purpose registry, one address from each block.
		{"0.1.2.3", `"this network"`},
		{"10.1.2.3", "private address space (10.0.0.0/8, RFC 1918)"},
		{"::ffff:10.1.2.3", "private address space (10.0.0.0/8, RFC 1918)"},
		{"100.64.1.1", "carrier-grade NAT"},
		{"127.0.0.1", "loopback"},
		{"169.254.10.10", "link-local"},
		{"172.20.0.0/24", "private address space (172.16.0.0/12"},
		{"192.0.0.9", "IETF protocol assignment"},
		{"192.0.2.10", "TEST-NET-1"},
		{"192.31.196.1", "AS112"},
		{"192.52.193.1", "AMT"},
		{"192.88.99.1", "6to4 relay"},
		{"192.168.1.0/24", "private address space (192.168.0.0/16"},
		{"192.175.48.1", "AS112 direct delegation"},
		{"198.18.0.1", "benchmarking"},
		{"198.19.255.0/24", "benchmarking"},
		{"198.51.100.7", "TEST-NET-2"},
		{"203.0.113.0/29", "TEST-NET-3"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"240.0.0.1", "reserved address space"},
		{"255.255.255.255", "limited broadcast"},
		// IPv6 special-purpose registry.
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"64:ff9b::a00:1", "NAT64"},
		{"64:ff9b:1::/48", "local-use IPv4/IPv6 translation"},
		{"100::/64", "discard-only"},
		{"100:0:0:1::/64", "dummy IPv6 prefix"},
		{"2001:0:1::/48", "Teredo"},
		{"2001:2::/48", "benchmarking"},
		{"2001:10::/48", "IETF protocol assignment"},
		{"2001:db8:1::/48", "documentation address space (2001:db8::/32"},
		{"2002:e01:6801::/48", "6to4 relay"},
		{"2620:4f:8000::/48", "AS112"},
		{"3fff:1::/48", "documentation address space (3fff::/20"},
		{"5f00:1::/48", "segment routing"},
		{"fd12:3456:789a::/48", "unique local"},
		{"fe80::/64", "link-local"},
		{"ff02::1", "multicast"},
		{"4000::/48", "outside IPv6 global unicast"},
		{"::2", "outside IPv6 global unicast"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := DefaultPolicy.Check(tt.in)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want accepted", tt.in, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Check(%q) = %v, want error containing %q", tt.in, err, tt.err)
			}
		})
	}
}

// A broad prefix that merely overlaps special space is refused even when a
// looser policy lets its length through.
func TestPolicyOverlap(t *testing.T) {
	loose := Policy{MinBitsV4: 0, MinBitsV6: 0}
	for _, in := range []string{"0.0.0.0/0", "8.0.0.0/5", "::/0", "2000::/3"} {
		if _, err := loose.Check(in); err == nil || !strings.Contains(err.Error(), "overlaps") {
			t.Errorf("Check(%q) = %v, want an overlap error", in, err)
		}
	}
}

func TestBoundsAndRangeKey(t *testing.T) {
	tests := []struct{ p, first, last string }{
		{"14.1.104.0/22", "14.1.104.0", "14.1.107.255"},
		{"14.1.104.7/32", "14.1.104.7", "14.1.104.7"},
		{"0.0.0.0/0", "0.0.0.0", "255.255.255.255"},
		{"2001:dd8:1c::/48", "2001:dd8:1c::", "2001:dd8:1c:ffff:ffff:ffff:ffff:ffff"},
		{"::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	}
	for _, tt := range tests {
		f, l := Bounds(netip.MustParsePrefix(tt.p))
		if f.String() != tt.first || l.String() != tt.last {
			t.Errorf("Bounds(%s) = %s, %s; want %s, %s", tt.p, f, l, tt.first, tt.last)
		}
	}
	// Range keys must order and overlap exactly as the addresses do.
	a1, a2 := RangeKey(netip.MustParsePrefix("14.1.104.0/22"))
	b1, b2 := RangeKey(netip.MustParsePrefix("14.1.105.0/24"))
	c1, _ := RangeKey(netip.MustParsePrefix("14.1.108.0/24"))
	if !(a1 <= b2 && b1 <= a2) {
		t.Error("overlapping prefixes do not overlap as range keys")
	}
	if c1 <= a2 {
		t.Error("disjoint prefixes overlap as range keys")
	}
	v6, _ := RangeKey(netip.MustParsePrefix("2001:dd8:1c::/48"))
	if len(v6) != 32 || len(a1) != 32 {
		t.Errorf("range keys must be 32 hex digits, got %q and %q", v6, a1)
	}
}

func TestSpace(t *testing.T) {
	s := NewSpace([]netip.Prefix{
		netip.MustParsePrefix("14.1.104.0/23"),
		netip.MustParsePrefix("14.1.106.0/23"), // adjacent: merges with the one above
		netip.MustParsePrefix("27.0.184.0/22"),
		netip.MustParsePrefix("2001:dd8:1c::/48"),
	})
	tests := []struct {
		p    string
		want bool
	}{
		{"14.1.104.0/24", true},
		{"14.1.105.0/24", true},
		{"14.1.104.0/22", true}, // spans the two merged halves
		{"14.1.108.0/24", false},
		{"14.1.100.0/22", false},
		{"27.0.187.255/32", true},
		{"27.0.188.0/32", false},
		{"1.1.1.1/32", false},
		{"2001:dd8:1c:1::/64", true},
		{"2001:dd8:1d::/48", false},
	}
	for _, tt := range tests {
		if got := s.Contains(netip.MustParsePrefix(tt.p)); got != tt.want {
			t.Errorf("Contains(%s) = %v, want %v", tt.p, got, tt.want)
		}
	}
	if s.Len() != 3 {
		t.Errorf("Len = %d, want 3 merged ranges", s.Len())
	}
}

func TestPakistan(t *testing.T) {
	pk := Pakistan()
	if pk.Len() < 100 {
		t.Fatalf("Pakistan space has %d ranges; the embedded data did not load", pk.Len())
	}
	for _, in := range []string{"14.1.104.0/24", "27.255.0.1/32", "2001:dd8:1c::/48"} {
		if !pk.Contains(netip.MustParsePrefix(in)) {
			t.Errorf("%s should be Pakistani", in)
		}
	}
	for _, in := range []string{"8.8.8.0/24", "2001:4860::/48"} {
		if pk.Contains(netip.MustParsePrefix(in)) {
			t.Errorf("%s should not be Pakistani", in)
		}
	}
}

func TestParsePrefixList(t *testing.T) {
	got, err := ParsePrefixList(strings.NewReader("# comment\n14.1.104.0/22\n\n27.0.184.0/22, PTCL\n2001:dd8:1c::/48 # v6\n"))
	if err != nil || len(got) != 3 {
		t.Fatalf("ParsePrefixList = %v, %v", got, err)
	}
	if _, err := ParsePrefixList(strings.NewReader("14.1.104.0/22\nbogus\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad line error = %v, want one naming line 2", err)
	}
	// Issue 11 §4: a BOM before the first line (Notepad, Excel) and CRLF
	// line ends read like plain LF text; errors count lines as editors do.
	for _, tt := range []struct{ in, err string }{
		{"\ufeff14.1.104.0/22\r\n2001:dd8:1c::/48\r\n", ""},
		{"\ufeff# PTCL\r\n14.1.104.0/22\r\n", ""},
		{"\ufeff14.1.104.0/22\r\n\r\n# c\r\nbogus\r\n", "line 4: \"bogus\" is not an IP address"},
		{"\ufeffbogus\n", "line 1: \"bogus\" is not"},
		{"\xff\xfe1\x004\x00", "UTF-16"},
	} {
		got, err := ParsePrefixList(strings.NewReader(tt.in))
		switch {
		case tt.err == "" && (err != nil || len(got) == 0 || got[0].String() != "14.1.104.0/22"):
			t.Errorf("ParsePrefixList(%q) = %v, %v; want 14.1.104.0/22 first", tt.in, got, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParsePrefixList(%q) error = %v; want …%s…", tt.in, err, tt.err)
		}
	}
}

func TestNormalizeMobile(t *testing.T) {
	tests := []struct{ in, want string }{
		// National and international prefixes.
		{"03001234567", "923001234567"},
		{"3001234567", "923001234567"},
		{"+923001234567", "923001234567"},
		{"00923001234567", "923001234567"},
		{"923451234567", "923451234567"},
		// Issue 11 §4 and §3: a "(0)" trunk digit and RFC 3966 tel URIs.
		{"+92 (0)300 1234567", "923001234567"},
		{"+92(0)3001234567", "923001234567"},
		{"0092 (0) 300 1234567", "923001234567"},
		{"9203001234567", "923001234567"},
		{"tel:+92-300-1234567", "923001234567"},
		{"tel:+923001234567", "923001234567"},
		{"TEL:+92.300.123.4567", "923001234567"},
		// Separators.
		{"0300-1234567", "923001234567"},
		{"+92 300 1234567", "923001234567"},
		{"(0333) 123-4567", "923331234567"},
		{"0300.123.4567", "923001234567"},
		{"0300/1234567", "923001234567"},
		{"  0300 1234567\n", "923001234567"},
		{"0300\u00a01234567", "923001234567"},        // no-break space
		{"0300\u20131234567", "923001234567"},        // en dash
		{"\u200e0300-1234567\u200f", "923001234567"}, // LRM/RLM from Urdu text
		// Digits of other scripts, issue 11 §4: Urdu (Extended Arabic-Indic).
		{"۰۳۰۰۱۲۳۴۵۶۸", "923001234568"},
		{"+۹۲ ۳۰۰ ۱۲۳۴۵۶۷", "923001234567"},
		{"٠٣٠٠١٢٣٤٥٦٧", "923001234567"}, // Arabic-Indic
		{"०३००१२३४५६७", "923001234567"}, // Devanagari
		{"０３００１２３４５６７", "923001234567"}, // fullwidth
		{"＋９２３００１２３４５６７", "923001234567"},
		{"𝟎𝟑𝟎𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕", "923001234567"}, // mathematical bold
		{"𝟶𝟹𝟶𝟶𝟷𝟸𝟹𝟺𝟻𝟼𝟽", "923001234567"}, // mathematical monospace, the fifth run of its block
		// Tester's findings: "+" inside brackets; ZWNJ, soft hyphen and other
		// format characters (Cf) ignored.
		{"(+92) 300 1234567", "923001234567"},
		{"(+92)-300-1234567", "923001234567"},
		{"[+92] 300 1234567", "923001234567"},
		{"0300‌1234567", "923001234567"},   // ZWNJ
		{"0300­1234567", "923001234567"},   // soft hyphen
		{"⁨0300-1234567⁩", "923001234567"}, // first-strong isolate
		{"؜۰۳۰۰‍۱۲۳۴۵۶۷", "923001234567"},  // ALM, ZWJ
		// Refused: digits of two scripts, a number split over lines, "+"
		// after a digit or twice.
		{"0300۱۲۳۴۵۶۷", ""},
		{"03۰۰1234567", ""},
		{"０３００1234567", ""},
		{"0300\n1234567", ""},
		{"0300\r\n1234567", ""},
		{"0300\u20281234567", ""},
		{"(+92) +300 1234567", ""},
		{"(0)+92 300 1234567", ""},
		// Every mobile range libphonenumber knows, at its edges.
		{"03101234567", "923101234567"},
		{"03291234567", "923291234567"},
		{"03391234567", "923391234567"},
		{"03491234567", "923491234567"},
		{"03551234567", "923551234567"},
		{"03641234567", "923641234567"},
		{"03791234567", "923791234567"},
		// Refused: wrong lengths.
		{"0300123456", ""},
		{"030012345678", ""},
		{"+9230012345678", ""},
		{"92300123456", ""},
		// Refused: not a mobile number.
		{"042-35761234", ""}, // a Lahore landline
		{"04235761234", ""},
		{"+92 42 35761234", ""},
		{"+92 (0)42 3576 1234", ""},
		{"03381234567", ""}, // unassigned 3XX codes
		{"03501234567", ""},
		{"03601234567", ""},
		{"03801234567", ""},
		{"03991234567", ""},
		{"0800 12345", ""},
		// Refused: other countries.
		{"+1 300 1234567", ""},
		{"+44 300 123 4567", ""},
		{"0044 3001234567", ""},
		{"+91 9876543210", ""},
		{"tel:+1-300-123-4567", ""},
		// Refused: letters and junk.
		{"03OO1234567", ""},
		{"0300+1234567", ""},
		{"++923001234567", ""},
		{"03001234567 ext 5", ""},
		{"03001234567x5", ""},
		{"tel:+92-300-1234567;ext=5", ""},
		{"tel:03001234567", ""},
		{"sip:+923001234567@example.net", ""},
		{"0300*1234567", ""},
		{"0300_1234567", ""},
		{"03001234567\x00", ""},
		{"\xff03001234567", ""},
		{"²³⁰⁰1234567", ""}, // superscripts are not decimal digits
		{"+", ""},
		{"tel:", ""},
		{"", ""},
		{strings.Repeat("0", 200), ""},
	}
	for _, tt := range tests {
		got, err := NormalizeMobile(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NormalizeMobile(%q) = %q, want an error", tt.in, got)
			} else if !strings.Contains(err.Error(), "03XXXXXXXXX") || !strings.Contains(err.Error(), "not a Pakistani mobile number") {
				t.Errorf("NormalizeMobile(%q) error %q does not say what is allowed", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeMobile(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// The error says why, so the applicant knows what to fix.
func TestNormalizeMobileSaysWhy(t *testing.T) {
	tests := []struct{ in, why string }{
		{"042-35761234", "not in a Pakistani mobile range"},
		{"+1 300 1234567", "country code is not Pakistan's"},
		{"03OO1234567", "letters"},
		{"0300123456", "9 digits"},
		{"tel:03001234567", "tel:+92"},
		{"0300۱۲۳۴۵۶۷", "mixes digits of two scripts"},
		{"0300\n1234567", "split over two lines"},
	}
	for _, tt := range tests {
		if _, err := NormalizeMobile(tt.in); err == nil || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("NormalizeMobile(%q) error = %v, want it to say %q", tt.in, err, tt.why)
		}
	}
}

// TestMobileRangesMatchLibphonenumber checks isPKMobile against
// libphonenumber (github.com/nyaruka/phonenumbers, linked only into this
// test) for every three-digit code 100–999 after the trunk 0: the library's PK
// metadata is the reference for which codes are mobile.
func TestMobileRangesMatchLibphonenumber(t *testing.T) {
	for code := 100; code < 1000; code++ {
		for _, rest := range []string{"0000000", "1234567", "9999999"} {
			nsn := fmt.Sprintf("%03d%s", code, rest)
			n, err := phonenumbers.Parse("0"+nsn, "PK")
			if err != nil {
				t.Fatalf("phonenumbers.Parse(0%s): %v", nsn, err)
			}
			want := phonenumbers.IsValidNumberForRegion(n, "PK") && phonenumbers.GetNumberType(n) == phonenumbers.MOBILE
			if got := isPKMobile(nsn); got != want {
				t.Errorf("isPKMobile(%s) = %v, libphonenumber says mobile = %v", nsn, got, want)
			}
			_, err = NormalizeMobile("0" + nsn)
			if (err == nil) != want {
				t.Errorf("NormalizeMobile(0%s) error = %v, libphonenumber says mobile = %v", nsn, err, want)
			}
		}
	}
}

// Every Unicode decimal digit is read by its value: the runs of ten start
// at a zero, so digit k of a run is read as k.
func TestDigitValueEveryScript(t *testing.T) {
	runs := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !unicode.IsDigit(r) || (unicode.IsDigit(r-1) && digitValue(r-1) != 9) {
			continue
		}
		runs++
		for k := range rune(10) {
			if !unicode.IsDigit(r+k) || digitValue(r+k) != byte(k) {
				t.Fatalf("U+%04X: digit %d of the run starting at U+%04X reads as %d", r+k, k, r, digitValue(r+k))
			}
		}
	}
	if runs < 60 {
		t.Fatalf("found %d runs of decimal digits; Unicode 15 has over 60", runs)
	}
}

// digitValue is the value FoldDigits gives the digit r.
func digitValue(r rune) byte { return byte(r - digitZero(r)) }

// FoldDigits reads any one script's digits, drops format characters, and
// refuses two scripts in one number.
func TestFoldDigits(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"۳۵۲۰۲-۱۲۳۴۵۶۷-۱", "35202-1234567-1", ""},
		{"\u200f۱۲۳\u00ad۴", "1234", ""},
		{"٣٠", "30", ""},
		{"abc 12", "abc 12", ""},
		{"1۲", "", "mixes digits of two scripts"},
		{"٣۳", "", "mixes digits of two scripts"}, // Arabic-Indic and Urdu three
	} {
		got, err := FoldDigits(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("FoldDigits(%q) = %q, %v; want an error saying %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("FoldDigits(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// ContainingKeys plus "starts inside" must find exactly the overlapping
// prefixes: checked against netip.Prefix.Overlaps for pairs of prefixes.
func TestContainingKeys(t *testing.T) {
	ps := []string{"14.1.104.0/24", "14.1.104.0/22", "14.1.105.7/32", "14.1.0.0/16", "14.0.0.0/8", "0.0.0.0/0",
		"14.1.106.0/23", "27.0.184.0/24", "2001:dd8:1c::/48", "2001:dd8::/32", "2001:dd8:1c:5::/64", "::/0"}
	for _, a := range ps {
		for _, b := range ps {
			pa, pb := netip.MustParsePrefix(a), netip.MustParsePrefix(b)
			if pa.Addr().Is4() != pb.Addr().Is4() {
				continue
			}
			bf, bl := RangeKey(pb)
			af, al := RangeKey(pa)
			found := bf >= af && bf <= al
			for _, k := range ContainingKeys(pa) {
				found = found || k == bf && bl >= af // the store's condition
			}
			if found != pa.Overlaps(pb) {
				t.Errorf("query %s, stored %s: found %v, overlaps %v", a, b, found, pa.Overlaps(pb))
			}
		}
	}
	// Masks that coincide are probed once: 14.1.104.7 has 10 distinct starts.
	if n := len(ContainingKeys(netip.MustParsePrefix("14.1.104.7/32"))); n != 10 {
		t.Errorf("14.1.104.7/32 has %d distinct containing starts, want 10", n)
	}
}

// An operator's address space is public space: special-purpose prefixes
// are refused at their line; repeats and nested prefixes are reported.
func TestParseOperatorSpace(t *testing.T) {
	for _, tt := range []struct{ name, in, err string }{
		{"private, the tester's example", "14.1.104.0/22\n# c\n10.0.0.0/8\n", "line 3: 10.0.0.0/8 is private address space (10.0.0.0/8, RFC 1918)"},
		{"loopback address", "127.0.0.1\n", "line 1: 127.0.0.1/32 is loopback"},
		{"overlapping private space", "8.0.0.0/6\n", "line 1: 8.0.0.0/6 overlaps private address space"},
		{"documentation IPv6", "2001:dd8:1c::/48\r\n2001:db8::/32\r\n", "line 2: 2001:db8::/32 is documentation"},
		{"outside IPv6 global unicast", "4000::/16\n", "line 1: 4000::/16 is outside IPv6 global unicast"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseOperatorSpace(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "public addresses only") {
				t.Fatalf("= %v; want an error saying %q", err, tt.err)
			}
		})
	}
	ps, notes, err := ParseOperatorSpace(strings.NewReader("14.1.104.0/22\n2001:dd8:1c::/48\n14.1.105.0/24\n\n14.1.104.0/22\n39.32.0.0/11\n2001:dd8:1c:5::/64\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "14.1.104.0/22 2001:dd8:1c::/48 14.1.105.0/24 39.32.0.0/11 2001:dd8:1c:5::/64" {
		t.Errorf("prefixes = %v; want each once, in file order", got)
	}
	want := []string{
		"line 3: 14.1.105.0/24 lies inside 14.1.104.0/22 from line 1",
		"line 5: 14.1.104.0/22 repeats line 1; loaded once",
		"line 7: 2001:dd8:1c:5::/64 lies inside 2001:dd8:1c::/48 from line 2",
	}
	if strings.Join(notes, "|") != strings.Join(want, "|") {
		t.Errorf("notes = %q; want %q", notes, want)
	}
	if ps, notes, err := ParseOperatorSpace(strings.NewReader("\ufeff# nothing yet\r\n")); err != nil || len(ps) != 0 || len(notes) != 0 {
		t.Errorf("comments only = %v, %v, %v; want an empty list", ps, notes, err)
	}
}

// ParseWhole takes thousands grouping as people write it, in any one
// script, and refuses what is not a whole number.
func TestParseWhole(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		err  string // "" when accepted
	}{
		{"10000", 10000, ""},
		{"10,000", 10000, ""},
		{"۱۰٬۰۰۰", 10000, ""},
		{"۱۰,۰۰۰", 10000, ""},
		{"10 000", 10000, ""},
		{"10\u00a0000", 10000, ""},
		{"10\u202f000", 10000, ""},
		{"10'000", 10000, ""},
		{"1,00,000", 100000, ""},
		{"5,242,880", 5242880, ""},
		{" 48 ", 48, ""},
		{"-5", -5, ""},
		{"۱۰۰00", 0, "two scripts"},
		{"1,0000", 0, "whole number"},
		{"10,00", 0, "whole number"},
		{",000", 0, "whole number"},
		{"10,", 0, "whole number"},
		{"10.000", 0, "whole number"},
		{"1e4", 0, "whole number"},
		{"", 0, "whole number"},
	} {
		got, err := ParseWhole(tt.in)
		if tt.err == "" && (err != nil || got != tt.want) || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ParseWhole(%q) = %d, %v; want %d, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}
