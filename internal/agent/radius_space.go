package agent

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/ipreg/ipreg/internal/netpolicy"
)

// BindSpace is the address space RADIUS bindings may lie in: Pakistan's
// (the registry's own rules: RIR delegations to Pakistan, no
// special-purpose space) and the operator's own pools
// (--radius-allow-prefixes), such as a carrier-grade NAT range that its
// enforcement point sees before translation. A binding outside it would
// let a NAS, or anyone holding the shared secret, allowlist any address
// (8.8.8.8, a competitor's range) under a registered number.
type BindSpace struct {
	country *netpolicy.Space
	pools   *netpolicy.Space
}

// Subscribers get at most a /24 (IPv4) or a /48 (IPv6, RFC 6177): the
// registry's default breadth limit (netpolicy.DefaultPolicy). A broader
// Framed-IPv6-Prefix or Delegated-IPv6-Prefix is refused whatever its space.
var bindPolicy = netpolicy.DefaultPolicy

// neverBound are ranges no subscriber's address lies in, which even the
// operator's pools may not include: "this network", loopback, link-local,
// multicast and reserved space (RFC 6890).
var neverBound = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/3"), // multicast, reserved (240/4) and the broadcast address
	netip.MustParsePrefix("::/127"),      // unspecified and loopback
	netip.MustParsePrefix("::ffff:0:0/96"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// NewBindSpace returns Pakistan's address space plus pools. A pool that
// overlaps space no subscriber can hold (loopback, link-local, multicast,
// reserved) is an error naming it.
func NewBindSpace(pools []netip.Prefix) (*BindSpace, error) {
	var problems []string
	for _, p := range pools {
		for _, n := range neverBound {
			if p.Overlaps(n) {
				problems = append(problems, fmt.Sprintf("%s overlaps %s, which no subscriber's address lies in", p, n))
				break
			}
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return &BindSpace{country: netpolicy.Pakistan(), pools: netpolicy.NewSpace(pools)}, nil
}

// tooBroad says why p is broader than a subscriber's, or nil.
func tooBroad(p netip.Prefix) error {
	min := bindPolicy.MinBitsV4
	if p.Addr().Is6() {
		min = bindPolicy.MinBitsV6
	}
	if p.Bits() < min {
		return fmt.Errorf("%s is broader than a subscriber's (/%d at most)", p, min)
	}
	return nil
}

// Accept returns nil if p may be bound, else why not.
func (s *BindSpace) Accept(p netip.Prefix) error {
	if err := tooBroad(p); err != nil {
		return err
	}
	if s.pools.Contains(p) {
		return nil
	}
	if _, err := bindPolicy.Check(p.String()); err != nil {
		return err
	}
	if !s.country.Contains(p) {
		return fmt.Errorf("%s is outside Pakistan's address space and the operator's pools (--radius-allow-prefixes)", p)
	}
	return nil
}

// ParseAllowPrefixes reads --radius-allow-prefixes: a comma-separated list
// of prefixes ("100.64.0.0/10,2400:fc00::/32"), or a file with one prefix
// per line (# comments allowed).
func ParseAllowPrefixes(v string) ([]netip.Prefix, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var list []netip.Prefix
	var listErr error
	for _, f := range strings.Split(v, ",") {
		p, err := netpolicy.ParsePrefix(f)
		if err != nil {
			listErr = err
			break
		}
		list = append(list, p)
	}
	if listErr == nil {
		return list, nil
	}
	f, err := os.Open(v)
	if err != nil {
		return nil, fmt.Errorf("neither a comma-separated list of prefixes (%v) nor a readable file (%v)", listErr, err)
	}
	defer f.Close()
	ps, err := netpolicy.ParsePrefixList(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v, err)
	}
	return ps, nil
}
