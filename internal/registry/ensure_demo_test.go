package registry_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	. "github.com/ipreg/ipreg/internal/registry"
)

// TestEnsureDemoAgainHashesNothing: on a demo database (every restart of
// ipreg serve --demo), EnsureDemo finds its users and hashes no password;
// it used to hash all twelve before finding them, seconds of every restart.
// The users stay as they were and log in (the harness's first EnsureDemo
// made them, hashing each once).
func TestEnsureDemoAgainHashesNothing(t *testing.T) {
	// One count per store: the two subtests run in parallel, and one's
	// set-up hashes the demo's passwords while the other is counting.
	var counts sync.Map // *auth.Gate → *atomic.Int64
	eachStoreWith(t, func(c *Config) {
		n := new(atomic.Int64)
		c.HashGate = auth.NewGate(2, 16, time.Minute)
		c.HashGate.OnEnter = func(int) { n.Add(1) }
		counts.Store(c.HashGate, n)
	}, func(t *testing.T, h *harness) {
		v, _ := counts.Load(h.cfg.HashGate)
		hashes := v.(*atomic.Int64)
		hashes.Store(0)
		if err := h.svc.EnsureDemo(h.ctx, "demo-password-1"); err != nil {
			t.Fatal(err)
		}
		if n := hashes.Load(); n != 0 {
			t.Errorf("EnsureDemo on a demo database hashed %d passwords; want 0", n)
		}
		h.staff("reviewer")
	})
}
