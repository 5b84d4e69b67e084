package registry

import (
	"context"
	"net/netip"
	"time"
)

// Test-only aliases, so the external test package can build prefixes.
type NetipPrefix = netip.Prefix

func MustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

var CleanFilename = cleanFilename

// InspectPDF checks a PDF within budget, so tests can run out of time
// without waiting.
func InspectPDF(ctx context.Context, b []byte, budget time.Duration) error {
	return inspectPDF(ctx, b, budget)
}
