package registry_test

import (
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
	var hashes atomic.Int64
	eachStoreWith(t, func(c *Config) {
		c.HashGate = auth.NewGate(2, 16, time.Minute)
		c.HashGate.OnEnter = func(int) { hashes.Add(1) }
	}, func(t *testing.T, h *harness) {
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
