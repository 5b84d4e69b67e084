// Package netpolicy holds ipreg's rules for what may be registered: parsing and
// canonicalising addresses, prefixes and Pakistani mobile numbers, rejecting
// special-purpose space, and testing membership in an address space (the
// country's, or an operator's).
//
// Everything here is pure: no I/O except Space loaders that read an io.Reader.
package netpolicy

import "net/netip"

// special is one entry of the IANA special-purpose address registries (plus
// multicast, which IANA lists in its own registry). Ranges are checked in
// order, so more specific entries stand before the blocks that contain them.
type special struct {
	prefix netip.Prefix
	what   string // human description, used in error messages
	ref    string // defining document
}

func mustSpecial(p, what, ref string) special {
	return special{prefix: netip.MustParsePrefix(p), what: what, ref: ref}
}

// specialV4 follows the IANA IPv4 Special-Purpose Address Registry and the
// multicast and reserved (class E) blocks.
var specialV4 = []special{
	mustSpecial("0.0.0.0/8", `"this network" address space`, "RFC 791"),
	mustSpecial("10.0.0.0/8", "private address space", "RFC 1918"),
	mustSpecial("100.64.0.0/10", "shared address space for carrier-grade NAT", "RFC 6598"),
	mustSpecial("127.0.0.0/8", "loopback address space", "RFC 1122"),
	mustSpecial("169.254.0.0/16", "link-local address space", "RFC 3927"),
	mustSpecial("172.16.0.0/12", "private address space", "RFC 1918"),
	mustSpecial("192.0.0.0/24", "IETF protocol assignment space", "RFC 6890"),
	mustSpecial("192.0.2.0/24", "documentation address space (TEST-NET-1)", "RFC 5737"),
	mustSpecial("192.31.196.0/24", "AS112 anycast space", "RFC 7535"),
	mustSpecial("192.52.193.0/24", "AMT relay anycast space", "RFC 7450"),
	mustSpecial("192.88.99.0/24", "deprecated 6to4 relay anycast space", "RFC 7526"),
	mustSpecial("192.168.0.0/16", "private address space", "RFC 1918"),
	mustSpecial("192.175.48.0/24", "AS112 direct delegation space", "RFC 7534"),
	mustSpecial("198.18.0.0/15", "benchmarking address space", "RFC 2544"),
	mustSpecial("198.51.100.0/24", "documentation address space (TEST-NET-2)", "RFC 5737"),
	mustSpecial("203.0.113.0/24", "documentation address space (TEST-NET-3)", "RFC 5737"),
	mustSpecial("224.0.0.0/4", "multicast address space", "RFC 5771"),
	mustSpecial("255.255.255.255/32", "the limited broadcast address", "RFC 919"),
	mustSpecial("240.0.0.0/4", "reserved address space", "RFC 1112"),
}

// specialV6 follows the IANA IPv6 Special-Purpose Address Registry. Anything
// outside global unicast (2000::/3) is refused afterwards as reserved.
var specialV6 = []special{
	mustSpecial("::/128", "the unspecified address", "RFC 4291"),
	mustSpecial("::1/128", "the loopback address", "RFC 4291"),
	mustSpecial("::ffff:0:0/96", "IPv4-mapped address space", "RFC 4291"),
	mustSpecial("64:ff9b::/96", "the IPv4/IPv6 translation (NAT64) prefix", "RFC 6052"),
	mustSpecial("64:ff9b:1::/48", "local-use IPv4/IPv6 translation space", "RFC 8215"),
	mustSpecial("100::/64", "discard-only address space", "RFC 6666"),
	mustSpecial("100:0:0:1::/64", "dummy IPv6 prefix space", "RFC 9780"),
	mustSpecial("2001::/32", "Teredo relay space", "RFC 4380"),
	mustSpecial("2001:2::/48", "benchmarking address space", "RFC 5180"),
	mustSpecial("2001::/23", "IETF protocol assignment space", "RFC 2928"),
	mustSpecial("2001:db8::/32", "documentation address space", "RFC 3849"),
	mustSpecial("2002::/16", "6to4 relay space", "RFC 3056"),
	mustSpecial("2620:4f:8000::/48", "AS112 direct delegation space", "RFC 7534"),
	mustSpecial("3fff::/20", "documentation address space", "RFC 9637"),
	mustSpecial("5f00::/16", "segment routing (SRv6) SID space", "RFC 9602"),
	mustSpecial("fc00::/7", "unique local address space", "RFC 4193"),
	mustSpecial("fe80::/10", "link-local address space", "RFC 4291"),
	mustSpecial("ff00::/8", "multicast address space", "RFC 4291"),
}

var globalUnicastV6 = netip.MustParsePrefix("2000::/3")

// specialFor reports the special-purpose range that p lies inside or
// overlaps. inside is true when p lies wholly within the range.
func specialFor(p netip.Prefix) (s special, inside, found bool) {
	table := specialV4
	if p.Addr().Is6() {
		table = specialV6
	}
	// First pass: the most specific range that contains p, so that the
	// message names, say, Teredo rather than the IETF block around it.
	for _, s := range table {
		if s.prefix.Bits() <= p.Bits() && s.prefix.Contains(p.Addr()) {
			return s, true, true
		}
	}
	for _, s := range table {
		if s.prefix.Overlaps(p) {
			return s, false, true
		}
	}
	return special{}, false, false
}
