package auth

import (
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery", TestParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id", h)
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}} {
		ok, err := CheckPassword(h, tt.pw)
		if err != nil || ok != tt.want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
	if _, err := CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Error("a non-argon2id hash must be an error")
	}
	h2, _ := HashPassword("correct horse battery", TestParams)
	if h2 == h {
		t.Error("two hashes of one password must differ (random salt)")
	}
}

func TestToken(t *testing.T) {
	tok, hash, err := NewToken()
	if err != nil || !strings.HasPrefix(tok, TokenPrefix) || HashToken(tok) != hash || strings.Contains(hash, tok) {
		t.Fatalf("NewToken = %q, %q, %v", tok, hash, err)
	}
	if id := RandomID("app"); !strings.HasPrefix(id, "app_") || len(id) != 20 {
		t.Errorf("RandomID = %q", id)
	}
	if c := RandomCode(10); len(c) != 10 || strings.ContainsAny(c, "01OIL") {
		t.Errorf("RandomCode = %q", c)
	}
}

// TestGate: no more hashes run at once than the gate has slots; callers
// beyond the slots and the queue get ErrBusy at once, queued ones when
// their wait runs out, and a freed slot goes to a waiting caller.
func TestGate(t *testing.T) {
	for _, tt := range []struct {
		name          string
		slots, queue  int
		callers       int
		wantBusyFirst int // callers refused while the slots are held
	}{
		{"no queue", 2, 0, 32, 30},
		{"queue of 4", 2, 4, 32, 26},
		{"one slot", 1, 0, 5, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGate(tt.slots, tt.queue, time.Hour)
			hold := make(chan struct{})
			entered := make(chan int, tt.callers)
			g.OnEnter = func(n int) { entered <- n; <-hold }
			errs := make(chan error, tt.callers)
			for i := 0; i < tt.callers; i++ {
				go func() { errs <- g.Do(context.Background(), func() {}) }()
			}
			for i := 0; i < tt.slots; i++ {
				<-entered
			}
			for i := 0; i < tt.wantBusyFirst; i++ {
				if err := <-errs; !errors.Is(err, ErrBusy) {
					t.Fatalf("caller %d: %v, want ErrBusy", i, err)
				}
			}
			close(hold)
			for i := tt.wantBusyFirst; i < tt.callers; i++ {
				if err := <-errs; err != nil {
					t.Fatalf("caller after release: %v", err)
				}
			}
			if g.Peak() != tt.slots {
				t.Errorf("peak = %d, want %d", g.Peak(), tt.slots)
			}
		})
	}
	// A queued caller gives up when its wait runs out, or its context ends.
	g := NewGate(1, 1, time.Millisecond)
	hold := make(chan struct{})
	g.OnEnter = func(int) { <-hold }
	done := make(chan error)
	go func() { done <- g.Do(context.Background(), func() {}) }()
	for g.running.Load() == 0 {
		runtime.Gosched()
	}
	if err := g.Do(context.Background(), func() {}); !errors.Is(err, ErrBusy) {
		t.Errorf("queued past its wait: %v", err)
	}
	g.wait = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Do(ctx, func() {}); !errors.Is(err, context.Canceled) {
		t.Errorf("queued with an ended context: %v", err)
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestGateKnown: a flood of Do callers that fills the shared slots and
// queue cannot keep out a DoKnown caller, which takes the reserved slot
// (and, that one held too, waits in its own queue); Do callers never take
// the reserved slot.
func TestGateKnown(t *testing.T) {
	bg, nop := context.Background(), func() {}
	g := NewGate(2, 2, time.Hour)
	hold := make(chan struct{})
	entered := make(chan int, 16)
	g.OnEnter = func(n int) { entered <- n; <-hold }
	errs := make(chan error, 16)
	for i := 0; i < 4; i++ { // two run, two queue
		go func() { errs <- g.Do(bg, nop) }()
	}
	<-entered
	<-entered
	for g.queued.Load() < 2 {
		runtime.Gosched()
	}
	if err := g.Do(bg, nop); !errors.Is(err, ErrBusy) {
		t.Fatalf("Do past the shared queue: %v, want ErrBusy", err)
	}
	go func() { errs <- g.DoKnown(bg, nop) }()
	if n := <-entered; n != 3 {
		t.Errorf("the known caller entered with %d running, want 3 (the reserved slot)", n)
	}
	if err := g.Do(bg, nop); !errors.Is(err, ErrBusy) {
		t.Errorf("Do with only the reserved slot taken by a known caller: %v, want ErrBusy", err)
	}
	for i := 0; i < 2; i++ { // the known queue
		go func() { errs <- g.DoKnown(bg, nop) }()
	}
	for g.knownQueued.Load() < 2 {
		runtime.Gosched()
	}
	if err := g.DoKnown(bg, nop); !errors.Is(err, ErrBusy) {
		t.Errorf("DoKnown past its own queue: %v, want ErrBusy", err)
	}
	close(hold)
	for i := 0; i < 7; i++ {
		if err := <-errs; err != nil {
			t.Errorf("caller after release: %v", err)
		}
	}
	if g.Peak() != 3 {
		t.Errorf("peak = %d, want 3", g.Peak())
	}
}

func TestGateSlots(t *testing.T) {
	if n := GateSlots(DefaultParams); n < 1 || n > Cores() {
		t.Errorf("GateSlots = %d with %d cores", n, Cores())
	}
	// ipreg serve runs a P more than the cores (cmd/ipreg, serveProcs):
	// hashes still take one core each, no more at once than the cores.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(Cores() + 3))
	if n := GateSlots(DefaultParams); n > Cores() {
		t.Errorf("GateSlots = %d with GOMAXPROCS %d, more than the %d cores", n, runtime.GOMAXPROCS(0), Cores())
	}
	old := debug.SetMemoryLimit(4 * 19 << 20) // room for one 19 MiB hash
	defer debug.SetMemoryLimit(old)
	if n := GateSlots(DefaultParams); n != 1 {
		t.Errorf("GateSlots under a 76 MiB limit = %d, want 1", n)
	}
}
