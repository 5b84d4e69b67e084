package registry

import "net/netip"

// Test-only aliases, so the external test package can build prefixes.
type NetipPrefix = netip.Prefix

func MustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

var CleanFilename = cleanFilename
