// Package hostname holds the rules for the host and port of an address
// the registry writes into links or shows as one: --public-url (the start
// of every link mailed out) and a licensed provider's website (linked
// from the public register). One set of rules, so that both refuse the
// same look-alike and malformed names.
package hostname

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Problem is what is wrong with a host, for the caller to word in its own
// place (a flag's error, a form field's message).
type Problem int

const (
	OK Problem = iota
	// IPZone: an IPv6 literal with a zone (%eth0), which names an
	// interface of one machine only.
	IPZone
	// TrailingDot: a DNS name ending in "." (absolute form), or in one of
	// the dots IDNA maps to it (。．｡), which links and certificates do
	// not use.
	TrailingDot
	// Invalid: not a DNS name under the IDNA Lookup profile (UTS #46,
	// RFC 5891): letters, digits and inner hyphens in each label, no "_",
	// no empty label, at most 253 characters.
	Invalid
	// Unusual: a valid name not written as the profile writes it (full-width
	// letters, upper case in a non-ASCII name): links must show the host
	// people know (not ｅｖｉｌ.com, which browsers turn into evil.com).
	// Host.Want is the name to write instead.
	Unusual
	// MixedScripts: a label mixes letters of scripts that browsers do not
	// show together (UTS #39, "highly restrictive"): the way look-alike
	// names are made (pаypal.pk with a Cyrillic а). Host.Label is the
	// label (decoded, when typed as xn--), Host.Scripts the first two
	// scripts met in it.
	MixedScripts
	// LatinLookAlike: a label all in Cyrillic letters that look like
	// Latin ones (аррӏе, ехаmрlе), under a top-level domain that is not
	// Cyrillic: one script, so MixedScripts lets it pass, yet it reads as
	// a Latin name. Browsers show such a label as xn-- (Chromium's IDN
	// spoof check, "made of Latin-alike Cyrillic"). Host.Label is the
	// label.
	LatinLookAlike
	// LabelTooLong: a label longer than 63 octets in its ASCII (xn--)
	// form (RFC 1035 §2.3.4); Host.Label is the label as typed.
	LabelTooLong
	// TooLong: a name longer than 253 octets in its ASCII form.
	TooLong
)

// Host is a host checked by Parse.
type Host struct {
	// IP is set when the host is an IP literal (without zone).
	IP netip.Addr
	// ASCII is a DNS name's ASCII (xn--) form, in lower case; "" for an
	// IP literal.
	ASCII string
	// Unicode is a DNS name with each xn-- label decoded, in lower case:
	// the form links and pages show; "" for an IP literal.
	Unicode string
	// Want, for Unusual, is the name as it should be written.
	Want string
	// Label, for MixedScripts and LabelTooLong, is the label at fault.
	Label string
	// Scripts, for MixedScripts, names the first two scripts mixed in
	// Label (Go's unicode script names: "Latin", "Cyrillic", …).
	Scripts [2]string
	// Digits, for MixedScripts, says of each of Scripts whether Label
	// holds only digits of it (example٣: Arabic-Indic digits, whose
	// Unicode script is Arabic), so that a message says "digits", not
	// "letters".
	Digits [2]bool
}

// IsIP reports whether the host is an IP literal.
func (h Host) IsIP() bool { return h.IP.IsValid() }

// Public reports whether the host can be a public site's: a DNS name
// of Scope ScopePublic.
func (h Host) Public() bool {
	sc, _ := h.Scope()
	return sc == ScopePublic
}

// Scope is where a host can be reached from: the public internet
// (ScopePublic) or, for the others, why not, as a person should be told.
type Scope int

const (
	// ScopePublic: a DNS name that can name a public web site.
	ScopePublic Scope = iota
	// ScopeLoopback: 127.0.0.0/8, ::1, "localhost" and names under
	// .localhost (RFC 6761 §6.3): the machine itself.
	ScopeLoopback
	// ScopePrivate: RFC 1918, carrier-grade NAT (RFC 6598) and IPv6
	// unique local addresses.
	ScopePrivate
	// ScopeLinkLocal: 169.254.0.0/16, fe80::/10.
	ScopeLinkLocal
	// ScopeUnspecified: 0.0.0.0/8 and ::.
	ScopeUnspecified
	// ScopeMulticast: 224.0.0.0/4, ff00::/8.
	ScopeMulticast
	// ScopeSpecial: other special-purpose addresses (documentation,
	// benchmarking, reserved, broadcast; IPv6 outside global unicast).
	ScopeSpecial
	// ScopePublicIP: an IP address that is public, but not a name.
	ScopePublicIP
	// ScopeSingleLabel: a name of one label ("intranet"), which resolves
	// only through a local search domain.
	ScopeSingleLabel
	// ScopeLocalDomain: a name under a top-level label kept for local
	// networks (.local for mDNS, .internal, .home.arpa, …).
	ScopeLocalDomain
	// ScopeNumeric: a name whose last label is a number (RFC 3696 §2),
	// which browsers take for an IPv4 address but which is not a valid
	// one ("1.2.3.4.5").
	ScopeNumeric
	// ScopeSpecialName: a name under a top-level label reserved so that it
	// never names a site on the internet (SpecialTLDs): .test, .example,
	// .invalid (RFC 6761 §6.2, 6.4, 6.5), .onion (RFC 7686, reached only
	// through Tor) and .alt (RFC 9476, for name systems other than the
	// DNS); or under a second-level name reserved for examples
	// (SpecialDomains: example.com, example.net, example.org, RFC 2606
	// §3). Host.Reserved says which. .localhost is ScopeLoopback.
	ScopeSpecialName
)

// SpecialTLDs are the top-level labels of ScopeSpecialName, and
// SpecialDomains its second-level names. Only the provider's website is
// held to them: --public-url may be a test deployment's
// (https://ipreg.test), and takes any name.
var (
	SpecialTLDs    = []string{"test", "example", "invalid", "onion", "alt"}
	SpecialDomains = []string{"example.com", "example.net", "example.org"}
)

// Reserved returns the reserved name a name of ScopeSpecialName is
// under: its top-level label ("test", "alt") or its second-level name
// ("example.com"); "" for any other host.
func (h Host) Reserved() string {
	if h.IsIP() {
		return ""
	}
	if tld := h.TLD(); slices.Contains(SpecialTLDs, tld) {
		return tld
	}
	for _, d := range SpecialDomains {
		if h.ASCII == d || strings.HasSuffix(h.ASCII, "."+d) {
			return d
		}
	}
	return ""
}

// TLD is the last label of a DNS name (in its ASCII form), "" for an IP.
func (h Host) TLD() string {
	if h.IsIP() {
		return ""
	}
	return h.ASCII[strings.LastIndexByte(h.ASCII, '.')+1:]
}

// localTLDs are top-level labels used only inside local networks:
// .local (mDNS, RFC 6762), .internal (ICANN's private-use TLD), .home.arpa
// (RFC 8375), and ones common on home and office routers.
var localTLDs = []string{"local", "internal", "localdomain", "lan", "home", "corp", "intranet", "private"}

var specialIPv4 = []netip.Prefix{
	netip.MustParsePrefix("192.0.0.0/24"), netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("240.0.0.0/4"),
}

var (
	cgnat          = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork    = netip.MustParsePrefix("0.0.0.0/8")
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	documentation6 = netip.MustParsePrefix("2001:db8::/32")
)

// Scope says where h can be reached from, and the IP address a browser
// reads it as: h.IP, or for a name that ends in a number the IPv4 address
// browsers make of it (WHATWG URL's IPv4 parser: "127.1" is 127.0.0.1,
// "0x7f.1" too).
func (h Host) Scope() (Scope, netip.Addr) {
	if h.IsIP() {
		return ipScope(h.IP), h.IP
	}
	name := h.ASCII
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return ScopeLoopback, netip.Addr{}
	}
	labels := strings.Split(name, ".")
	if last := labels[len(labels)-1]; last != "" && endsInNumber(last) {
		if a, ok := whatwgIPv4(labels); ok {
			return ipScope(a), a
		}
		return ScopeNumeric, netip.Addr{}
	}
	switch {
	case len(labels) < 2:
		return ScopeSingleLabel, netip.Addr{}
	case slices.Contains(localTLDs, labels[len(labels)-1]) || strings.HasSuffix(name, ".home.arpa"):
		return ScopeLocalDomain, netip.Addr{}
	case h.Reserved() != "":
		return ScopeSpecialName, netip.Addr{}
	}
	return ScopePublic, netip.Addr{}
}

func ipScope(a netip.Addr) Scope {
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return ScopeLoopback
	case a.IsUnspecified() || a.Is4() && thisNetwork.Contains(a):
		return ScopeUnspecified
	case a.IsPrivate() || cgnat.Contains(a):
		return ScopePrivate
	case a.IsMulticast():
		return ScopeMulticast
	case a.IsLinkLocalUnicast():
		return ScopeLinkLocal
	case a.Is4() && (a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || slices.ContainsFunc(specialIPv4, func(p netip.Prefix) bool { return p.Contains(a) })),
		a.Is6() && (!globalUnicast6.Contains(a) || documentation6.Contains(a)):
		return ScopeSpecial
	}
	return ScopePublicIP
}

// endsInNumber is WHATWG URL's "ends in a number" test of a host's last
// label: all decimal digits, or 0x followed by hex digits.
func endsInNumber(l string) bool {
	if !strings.ContainsFunc(l, func(r rune) bool { return r < '0' || r > '9' }) {
		return true
	}
	if rest, ok := strings.CutPrefix(l, "0x"); ok {
		return !strings.ContainsFunc(rest, func(r rune) bool { return !strings.ContainsRune("0123456789abcdef", r) })
	}
	return false
}

// whatwgIPv4 is WHATWG URL's IPv4 parser: one to four parts, each
// decimal, 0x-hex or 0-octal; the last fills the remaining bytes.
func whatwgIPv4(parts []string) (netip.Addr, bool) {
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		base := 10
		switch {
		case strings.HasPrefix(p, "0x"):
			p, base = p[2:], 16
			if p == "" {
				p = "0"
			}
		case len(p) > 1 && p[0] == '0':
			p, base = p[1:], 8
		}
		n, err := strconv.ParseUint(p, base, 64)
		if err != nil {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		v |= n << (8 * (3 - i))
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// Parse checks h, a URL's host without port and without the brackets of
// an IPv6 literal (url.URL.Hostname): an IP literal without zone, or a DNS
// name valid under the IDNA Lookup profile and written as it writes it,
// whose labels are at most 63 octets and the whole at most 253 (in the
// ASCII form), that passes the IDNA Registration profile once mapped (so
// a label typed as xn-- is decoded and checked like one typed in
// Unicode), whose every label is in one script (MixedScripts), and none
// of whose labels is Cyrillic made to look Latin (LatinLookAlike).
func Parse(h string) (Host, Problem) {
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return Host{}, IPZone
		}
		return Host{IP: a}, OK
	}
	if strings.HasSuffix(h, ".") || strings.ContainsFunc(lastRune(h), isIDNADot) {
		return Host{}, TrailingDot
	}
	ascii, err := idna.Lookup.ToASCII(h)
	if err != nil || h == "" || slices.Contains(strings.Split(ascii, "."), "") {
		// A label that mixes scripts fails here when one of them is
		// written right to left (the Bidi rule, RFC 5893): say so, as
		// for any other mix, rather than only "not valid".
		for _, l := range strings.FieldsFunc(strings.ToLower(h), isIDNADot) {
			if sc, digits, mixed := mixedScripts(l); mixed {
				return Host{Label: l, Scripts: sc, Digits: digits}, MixedScripts
			}
		}
		return Host{}, Invalid
	}
	for i, l := range strings.Split(ascii, ".") {
		if len(l) > 63 {
			return Host{Label: labelAt(h, i)}, LabelTooLong
		}
	}
	if len(ascii) > 253 {
		return Host{}, TooLong
	}
	uni, err := idna.Lookup.ToUnicode(ascii)
	if err != nil || uni != strings.ToLower(h) && ascii != strings.ToLower(h) {
		return Host{Want: uni}, Unusual
	}
	if _, err := idna.Registration.ToASCII(uni); err != nil {
		return Host{}, Invalid
	}
	labels := strings.Split(uni, ".")
	for _, l := range labels {
		if sc, digits, mixed := mixedScripts(l); mixed {
			return Host{Label: l, Scripts: sc, Digits: digits}, MixedScripts
		}
	}
	if tld := labels[len(labels)-1]; !cyrillicTLD(tld) {
		for _, l := range labels {
			if latinLookAlike(l) {
				return Host{Label: l}, LatinLookAlike
			}
		}
	}
	return Host{ASCII: ascii, Unicode: uni}, OK
}

// isIDNADot reports whether r separates labels: "." and the dots UTS #46
// maps to it (。．｡).
func isIDNADot(r rune) bool { return r == '.' || r == '。' || r == '．' || r == '｡' }

// lastRune is h's last character, or "".
func lastRune(h string) string {
	_, n := utf8.DecodeLastRuneInString(h)
	return h[len(h)-n:]
}

// labelAt is the i-th dot-separated label of h, for a message (the IDNA
// label separators 。．｡ count as dots).
func labelAt(h string, i int) string {
	ls := strings.FieldsFunc(h, isIDNADot)
	if i < len(ls) {
		return ls[i]
	}
	return h
}

// cjk are the combinations of scripts UTS #39's "highly restrictive"
// level allows in one label besides a single script: Japanese, Chinese
// with Bopomofo, and Korean, each with Latin.
var cjk = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"},
	{"Latin", "Han", "Bopomofo"},
	{"Latin", "Han", "Hangul"},
}

// mixedScripts reports whether label mixes scripts beyond what UTS #39's
// "highly restrictive" level allows (Common and Inherited characters, such
// as digits, hyphens and combining marks, belong to every script), and
// the first two scripts met. Go's unicode tables give each character's
// Script property (not Script_Extensions, which Go does not ship), so a
// character used by several scripts counts for the one Unicode assigns.
func mixedScripts(label string) (scripts [2]string, digits [2]bool, mixed bool) {
	var seen []string
	onlyDigits := map[string]bool{} // a script met only in its digits
	for _, r := range label {
		if unicode.In(r, unicode.Common, unicode.Inherited) {
			continue
		}
		s := scriptOf(r)
		if s == "" {
			continue
		}
		if !slices.Contains(seen, s) {
			seen = append(seen, s)
			onlyDigits[s] = true
		}
		onlyDigits[s] = onlyDigits[s] && unicode.Is(unicode.Nd, r)
	}
	if len(seen) < 2 {
		return scripts, digits, false
	}
	for _, set := range cjk {
		if !slices.ContainsFunc(seen, func(s string) bool { return !slices.Contains(set, s) }) {
			return scripts, digits, false
		}
	}
	return [2]string{seen[0], seen[1]}, [2]bool{onlyDigits[seen[0]], onlyDigits[seen[1]]}, true
}

// latinAlikeCyrillic are the Cyrillic letters that look like Latin ones
// (а as a, р as p, ѕ as s, ӏ as l, …), as Chromium's IDN spoof check
// lists them, in lower case (a name is checked mapped, so ь stands for
// Ь too).
const latinAlikeCyrillic = "аысԁеԍһіюјӏорԗԛѕԝхуъьҽпгѵѡ"

// latinLookAlike reports whether label has Cyrillic letters and all of
// them are in latinAlikeCyrillic (digits and hyphens aside): a label a
// reader takes for a Latin one.
func latinLookAlike(label string) bool {
	seen := false
	for _, r := range label {
		if !unicode.Is(unicode.Cyrillic, r) {
			continue
		}
		if !strings.ContainsRune(latinAlikeCyrillic, r) {
			return false
		}
		seen = true
	}
	return seen
}

// cyrillicTLDs are the ASCII top-level domains of countries that write in
// Cyrillic, where a Cyrillic label is expected (as Chromium's list).
var cyrillicTLDs = []string{"bg", "by", "kz", "pyc", "ru", "su", "ua", "uz"}

// cyrillicTLD reports whether tld (decoded) is one where Cyrillic names
// are the norm: one of cyrillicTLDs, or written in Cyrillic itself (рф).
func cyrillicTLD(tld string) bool {
	return slices.Contains(cyrillicTLDs, tld) || strings.ContainsFunc(tld, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) })
}

// scriptOf is the name of r's script in Go's unicode.Scripts, or "".
func scriptOf(r rune) string {
	for name, t := range unicode.Scripts {
		if unicode.Is(t, r) {
			return name
		}
	}
	return ""
}

// ValidPort says whether p, a URL's port, is a TCP port number: 1 to
// 65535 (RFC 6335), written in decimal digits only.
func ValidPort(p string) bool {
	if p == "" || strings.ContainsFunc(p, func(r rune) bool { return r < '0' || r > '9' }) {
		return false
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}
