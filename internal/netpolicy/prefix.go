package netpolicy

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
)

// ParsePrefix reads an address ("203.99.48.7", "2400:fc00::1") or a prefix
// ("203.99.48.0/24") and returns its canonical prefix: a bare address becomes
// a /32 or /128, IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes plain IPv4, and
// zones are refused. A prefix with host bits set is an error that names the
// masked form, because silently masking would register something the
// applicant did not write.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Prefix{}, fmt.Errorf("empty address: write an IPv4 or IPv6 address or prefix, such as 203.99.48.0/24")
	}
	if before, _, ok := strings.Cut(s, "%"); ok {
		// Only an IPv6 address can carry a zone; "14.1.104.0/24%" or
		// "PTCL 100%" is not an address at all (tester).
		if a, err := netip.ParseAddr(before); err == nil && a.Is6() {
			return netip.Prefix{}, fmt.Errorf("%s has an IPv6 zone; write the address without %%zone", quote(s))
		}
		return netip.Prefix{}, fmt.Errorf("%s is not an IP address or prefix: write it like 203.99.48.7, 203.99.48.0/24 or 2400:fc00::/48", quote(s))
	}
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%s is not an IP address or prefix: write it like 203.99.48.7, 203.99.48.0/24 or 2400:fc00::/48", quote(s))
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%s is not an IP address or prefix: write it like 203.99.48.7, 203.99.48.0/24 or 2400:fc00::/48", quote(s))
	}
	if p.Addr().Is4In6() {
		// ::ffff:203.99.48.0/120 is 203.99.48.0/24 written the long way.
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("%s is an IPv4-mapped prefix shorter than /96; write the IPv4 prefix instead", quote(s))
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("%s has host bits set; did you mean %s?", quote(s), m)
	}
	return p, nil
}

// quote keeps messages readable while never echoing more than a short
// fragment of hostile input back to the caller.
func quote(s string) string {
	const max = 60
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// Policy is the per-category limit on how broad a registered prefix may be.
type Policy struct {
	MinBitsV4 int // shortest IPv4 prefix accepted, default 24
	MinBitsV6 int // shortest IPv6 prefix accepted, default 48
}

// DefaultPolicy is the registry's default (README, "Address rules"): /24
// for IPv4 and /48 for IPv6.
var DefaultPolicy = Policy{MinBitsV4: 24, MinBitsV6: 48}

// Check parses s and applies the special-purpose and breadth rules. The
// error text is written for the applicant: it says what is wrong and what
// is allowed.
func (pol Policy) Check(s string) (netip.Prefix, error) {
	p, err := ParsePrefix(s)
	if err != nil {
		return p, err
	}
	if sp, inside, ok := specialFor(p); ok && inside {
		return p, fmt.Errorf("%s is %s (%s, %s) and cannot be registered", p, sp.what, sp.prefix, sp.ref)
	}
	min := pol.MinBitsV4
	if p.Addr().Is6() {
		min = pol.MinBitsV6
	}
	if p.Bits() < min {
		return p, fmt.Errorf("%s is broader than this category allows: use prefixes of /%d or longer", p, min)
	}
	if sp, _, ok := specialFor(p); ok {
		return p, fmt.Errorf("%s overlaps %s (%s, %s) and cannot be registered", p, sp.what, sp.prefix, sp.ref)
	}
	if p.Addr().Is6() && !globalUnicastV6.Contains(p.Addr()) {
		return p, fmt.Errorf("%s is outside IPv6 global unicast space (2000::/3) and cannot be registered", p)
	}
	return p, nil
}

// Bounds returns the first and last address of p.
func Bounds(p netip.Prefix) (first, last netip.Addr) {
	p = p.Masked()
	first = p.Addr()
	if first.Is4() {
		b := first.As4()
		v := binary.BigEndian.Uint32(b[:])
		host := uint32(0)
		if p.Bits() < 32 {
			host = ^uint32(0) >> p.Bits()
		}
		binary.BigEndian.PutUint32(b[:], v|host)
		return first, netip.AddrFrom4(b)
	}
	b := first.As16()
	for i := p.Bits(); i < 128; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return first, netip.AddrFrom16(b)
}

// RangeKey returns the bounds of p as fixed-width lowercase hex of the
// 16-byte form, so that stores can test overlap with plain string
// comparison (a.first <= b.last AND b.first <= a.last) on any database.
func RangeKey(p netip.Prefix) (first, last string) {
	f, l := Bounds(p)
	// As16 stores IPv4 in its mapped form (::ffff:a.b.c.d), which no
	// registrable IPv6 prefix can overlap because ::ffff:0:0/96 is refused.
	fb, lb := f.As16(), l.As16()
	return hex.EncodeToString(fb[:]), hex.EncodeToString(lb[:])
}

// ContainingKeys returns the range keys (first addresses, as RangeKey
// writes them) of every prefix strictly broader than p that contains it:
// one per shorter length. A stored prefix overlaps p exactly when it starts
// inside p or starts at one of these keys, so an overlap search is one
// index range plus a bounded set of equality probes, whatever the size of
// the table.
func ContainingKeys(p netip.Prefix) []string {
	out := make([]string, 0, p.Bits())
	seen := map[string]bool{}
	for bits := 0; bits < p.Bits(); bits++ {
		k, _ := RangeKey(netip.PrefixFrom(p.Addr(), bits).Masked())
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
