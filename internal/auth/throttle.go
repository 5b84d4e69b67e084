package auth

import (
	"encoding/base32"
	"sync"
	"time"
)

func base32NoPad(b []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// Throttle counts failures per key (an account, a client address) in a
// sliding window and refuses further attempts once Limit is reached, until
// the oldest failure leaves the window. It is in memory, so each replica
// throttles on its own; with N replicas an attacker gets at most N×Limit tries.
type Throttle struct {
	Limit  int
	Window time.Duration

	mu    sync.Mutex
	fails map[string][]time.Time
}

// NewThrottle returns a Throttle allowing limit failures per window.
func NewThrottle(limit int, window time.Duration) *Throttle {
	return &Throttle{Limit: limit, Window: window, fails: map[string][]time.Time{}}
}

// Wait returns how long key must wait before another attempt (0 if none).
func (t *Throttle) Wait(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	fs := t.prune(key, now)
	if len(fs) < t.Limit {
		return 0
	}
	return fs[len(fs)-t.Limit].Add(t.Window).Sub(now)
}

// Fail records a failure for key.
func (t *Throttle) Fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fails[key] = append(t.prune(key, now), now)
	if len(t.fails) > 100_000 {
		// Bound memory under a spray of keys: drop windows that have passed.
		for k := range t.fails {
			if len(t.prune(k, now)) == 0 {
				delete(t.fails, k)
			}
		}
	}
}

// Reset forgets key's failures (after a successful login).
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

func (t *Throttle) prune(key string, now time.Time) []time.Time {
	fs := t.fails[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= t.Window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.fails, key)
		return nil
	}
	t.fails[key] = fs
	return fs
}
