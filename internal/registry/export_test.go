package registry

import (
	"context"
	"github.com/ipreg/ipreg/internal/auth"
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
	return inspectPDF(ctx, b, budget, pdfGate)
}

// SetThreadCPU puts f in place of the clock of a PDF parse's CPU time,
// until the test ends.
func SetThreadCPU(t interface{ Cleanup(func()) }, f func() (time.Duration, bool)) {
	old := threadCPU
	threadCPU = f
	t.Cleanup(func() { threadCPU = old })
}

// OSThreadCPU is the real clock SetThreadCPU replaces.
var OSThreadCPU = osThreadCPU

// SetPDFGate puts g in place of the gate PDF checks queue at, until the
// test ends.
func SetPDFGate(t interface{ Cleanup(func()) }, g *auth.Gate) {
	old := pdfGate
	pdfGate = g
	t.Cleanup(func() { pdfGate = old })
}

// HoldPDFSlot takes account's PDF check slot in s until release, and makes
// s's other uploads for it wait only briefly. Call it before s serves
// uploads.
func HoldPDFSlot(s *Service, account string) (release func()) {
	s.pdfSlots.wait = 10 * time.Millisecond
	release, err := s.pdfSlots.acquire(context.Background(), account)
	if err != nil {
		panic(err)
	}
	return release
}

// CertificatePDFFor is the outbox's certificatePDF: no actor.
func CertificatePDFFor(s *Service, ctx context.Context, number string) ([]byte, error) {
	return s.certificatePDF(ctx, number)
}

// AddEventForTest adds a timeline event to an application as the parts
// that own it will (appeals, amendments), with its messages, in one
// transaction.
func (s *Service) AddEventForTest(ctx context.Context, actor *User, applicationID, typ, note string) error {
	return s.store.Write(ctx, func(tx Tx) error {
		a, err := tx.Application(ctx, applicationID, true)
		if err != nil {
			return err
		}
		return s.event(ctx, tx, actor, a, typ, note)
	})
}
