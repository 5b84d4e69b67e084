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
	// TrailingDot: a DNS name ending in "." (absolute form), which links
	// and certificates do not use.
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
)

// Host is a host checked by Parse.
type Host struct {
	// IP is set when the host is an IP literal (without zone).
	IP netip.Addr
	// ASCII is a DNS name's ASCII (xn--) form, in lower case; "" for an
	// IP literal.
	ASCII string
	// Want, for Unusual, is the name as it should be written.
	Want string
}

// IsIP reports whether the host is an IP literal.
func (h Host) IsIP() bool { return h.IP.IsValid() }

// Public reports whether a DNS name can be a public site's: at least two
// labels (no "localhost", no intranet single names) and a top-level label
// that is not all digits (RFC 3696 §2), so that "10.1" or "1.2.3", which
// browsers read as IPv4 addresses, are not taken as names.
func (h Host) Public() bool {
	if h.IsIP() || h.ASCII == "" {
		return false
	}
	labels := strings.Split(h.ASCII, ".")
	if len(labels) < 2 {
		return false
	}
	tld := labels[len(labels)-1]
	return strings.ContainsFunc(tld, func(r rune) bool { return r < '0' || r > '9' })
}

// Parse checks h, a URL's host without port and without the brackets of
// an IPv6 literal (url.URL.Hostname): an IP literal without zone, or a DNS
// name valid under the IDNA Lookup profile and written as it writes it.
func Parse(h string) (Host, Problem) {
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return Host{}, IPZone
		}
		return Host{IP: a}, OK
	}
	if strings.HasSuffix(h, ".") {
		return Host{}, TrailingDot
	}
	ascii, err := idna.Lookup.ToASCII(h)
	if err != nil || h == "" || slices.Contains(strings.Split(ascii, "."), "") || len(ascii) > 253 {
		return Host{}, Invalid
	}
	if uni, err := idna.Lookup.ToUnicode(ascii); err != nil || uni != strings.ToLower(h) && ascii != strings.ToLower(h) {
		return Host{Want: uni}, Unusual
	}
	return Host{ASCII: ascii}, OK
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
