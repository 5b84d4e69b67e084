package auth

import (
	"context"
	"encoding/base32"
	"errors"
	"math"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

func base32NoPad(b []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// ErrBusy is what Gate.Do returns when every hashing slot stayed taken and
// the queue was full or the wait ran out: the caller should answer "try
// again shortly" (HTTP 503 with Retry-After), not hash.
var ErrBusy = errors.New("auth: every password-hashing slot is busy")

// Gate bounds how many password hashes (argon2id: Params.Memory KiB and a
// core each) run at once in this process, so a burst of logins, sign-ups or
// resets cannot take the server's memory (32 concurrent invalid resets once
// took it from 88 MB to 328 MB). A caller that finds every slot taken waits
// in a bounded queue for a bounded time, then gets ErrBusy.
//
// One more slot, and a queue of their own, are kept for callers that
// DoKnown (a login from a client known for its account): a flood of other
// callers can fill the shared slots and queue, but not these, so it cannot
// starve an account's owner. At most Slots()+1 hashes run at once.
type Gate struct {
	slots    chan struct{}
	reserved chan struct{} // for DoKnown callers only
	maxQueue int64
	wait     time.Duration

	queued      atomic.Int64
	knownQueued atomic.Int64
	running     atomic.Int64
	peak        atomic.Int64

	// OnEnter, if set, is called as each hash starts, with the number of
	// hashes running including it; tests observe (and hold) hashes with it.
	// Set it before the gate is used.
	OnEnter func(running int)
}

// NewGate returns a gate of slots concurrent hashes, with at most queue
// callers waiting up to wait each for a slot, and one slot more with a
// queue as long for DoKnown's callers.
func NewGate(slots, queue int, wait time.Duration) *Gate {
	return &Gate{slots: make(chan struct{}, max(1, slots)), reserved: make(chan struct{}, 1),
		maxQueue: int64(max(0, queue)), wait: wait}
}

// Cores is the number of cores the process may use, as the Go runtime
// counted them when the process started: GOMAXPROCS at start, which is
// the CPUs of the process's affinity mask, lowered to its cgroup's CPU
// limit (Go 1.25), or the GOMAXPROCS environment variable. ipreg serve
// then runs one P more than that (cmd/ipreg, spareProc), for the
// goroutines blocked in fsync; work that uses a core throughout, such as
// hashing a password or parsing a PDF, is bounded by Cores, not by
// GOMAXPROCS.
func Cores() int { return cores }

var cores = runtime.GOMAXPROCS(0)

// GateSlots is the default number of concurrent hashes for p: one per
// usable core (Cores), and no more than a quarter of the Go memory
// limit (GOMEMLIMIT, when set) divided by one hash's memory.
func GateSlots(p Params) int {
	n := Cores()
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim != math.MaxInt64 && p.Memory > 0 {
		n = min(n, int(lim/4/(int64(p.Memory)*1024)))
	}
	return max(1, n)
}

var (
	processGateOnce sync.Once
	processGate     *Gate
)

// ProcessGate is the process-wide gate every registry service shares
// unless given its own: GateSlots(p) slots (and the one NewGate reserves
// for DoKnown), a queue of eight callers per slot, and two seconds' wait (a default hash takes about 50 ms a core).
// p is read on the first call only.
func ProcessGate(p Params) *Gate {
	processGateOnce.Do(func() {
		n := GateSlots(p)
		processGate = NewGate(n, 8*n, 2*time.Second)
	})
	return processGate
}

// Do runs fn (one hash) once a slot is free. It returns ErrBusy without
// running fn when the queue is full or the wait runs out, and ctx's error
// when ctx ends first.
func (g *Gate) Do(ctx context.Context, fn func()) error { return g.do(ctx, false, fn) }

// DoKnown is Do for a caller the registry trusts more (a login from a
// client known for the account): it may take the reserved slot as well as
// a shared one, and waits in its own queue, so that callers of Do cannot
// take every place it could use.
func (g *Gate) DoKnown(ctx context.Context, fn func()) error { return g.do(ctx, true, fn) }

func (g *Gate) do(ctx context.Context, known bool, fn func()) error {
	// A nil channel is never ready: Do's callers cannot take the reserved slot.
	var reserved chan struct{}
	queued := &g.queued
	if known {
		reserved, queued = g.reserved, &g.knownQueued
	}
	var held chan struct{}
	select {
	case g.slots <- struct{}{}:
		held = g.slots
	case reserved <- struct{}{}:
		held = reserved
	default:
		if queued.Add(1) > g.maxQueue {
			queued.Add(-1)
			return ErrBusy
		}
		t := time.NewTimer(g.wait)
		select {
		case g.slots <- struct{}{}:
			held = g.slots
		case reserved <- struct{}{}:
			held = reserved
		case <-t.C:
			queued.Add(-1)
			return ErrBusy
		case <-ctx.Done():
			t.Stop()
			queued.Add(-1)
			return ctx.Err()
		}
		t.Stop()
		queued.Add(-1)
	}
	defer func() {
		g.running.Add(-1)
		<-held
	}()
	n := g.running.Add(1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	if g.OnEnter != nil {
		g.OnEnter(int(n))
	}
	fn()
	return nil
}

// Queued is how many callers wait for a slot now.
func (g *Gate) Queued() int { return int(g.queued.Load() + g.knownQueued.Load()) }

// Peak is the most hashes that ran at once through g so far.
func (g *Gate) Peak() int { return int(g.peak.Load()) }

// Slots is how many hashes Do's callers may run at once (DoKnown's may
// run one more).
func (g *Gate) Slots() int { return cap(g.slots) }
