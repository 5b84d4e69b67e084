package agent

import (
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// Expiry takes the lapsed holders and stopped sessions in order of time,
// in batches (second field report, item 5a): a renewed holder survives
// its first expiry, every lapsed one goes however many lapse at once, and
// the schedule does not keep entries past their time.
func TestBindingsExpireIncremental(t *testing.T) {
	clk := &clock{t: time.Now().Truncate(time.Second)}
	b := newBindings(clk.Now)
	nas := NAS{Addr: "10.9.9.1"}
	const n = 3*expiryBatch + 7
	claim := func(i int, number string, expires time.Time) {
		b.Claim(Claim{Number: number, NAS: nas, Session: "s" + strconv.Itoa(i), Start: clk.Now(), Timed: true,
			Expires: expires, Prefixes: []netip.Prefix{holderPrefix(i)}, Bind: []bool{number != ""}})
	}
	t0 := clk.Now()
	for i := range n {
		number := ""
		if i%3 == 0 {
			number = numberA
		}
		claim(i, number, t0.Add(10*time.Minute))
	}
	b.Stop(nas, "gone", t0, t0.Add(10*time.Minute))
	b.Stop(nas, "renewed", t0, t0.Add(10*time.Minute))
	clk.Add(5 * time.Minute)
	for i := 0; i < n; i += 2 { // renewed: every second session
		claim(i, map[bool]string{true: numberA, false: ""}[i%3 == 0], clk.Now().Add(10*time.Minute))
	}
	b.Stop(nas, "renewed", clk.Now(), clk.Now().Add(10*time.Minute))
	if got := b.Expire(); got != 0 {
		t.Fatalf("Expire before any timeout ended %d", got)
	}
	clk.Add(5*time.Minute + time.Second) // past the first expiry
	wantEnded := 0
	for i := 1; i < n; i += 2 {
		if i%3 == 0 {
			wantEnded++
		}
	}
	if got := b.Expire(); got != wantEnded {
		t.Errorf("first expiry ended %d bindings, want %d", got, wantEnded)
	}
	for i := range n {
		_, _, ok := b.Lookup(holderPrefix(i).Addr())
		if want := i%2 == 0 && i%3 == 0; ok != want {
			t.Errorf("session %d bound = %v after the first expiry, want %v", i, ok, want)
		}
	}
	if r := b.Claim(Claim{NAS: nas, Session: "renewed", Start: clk.Now(), Timed: true, Expires: clk.Now().Add(time.Minute),
		Prefixes: []netip.Prefix{holderPrefix(n)}, Bind: []bool{false}}); r.Ignored != outcomeStoppedSession {
		t.Errorf("a session whose Stop was renewed is no longer stopped after its first Stop's time")
	}
	if r := b.Claim(Claim{NAS: nas, Session: "gone", Start: clk.Now(), Timed: true, Expires: clk.Now().Add(time.Minute),
		Prefixes: []netip.Prefix{holderPrefix(n + 1)}, Bind: []bool{false}}); r.Ignored != "" {
		t.Errorf("a session stopped past its time is still ignored: %s", r.Ignored)
	}
	clk.Add(10 * time.Minute)
	b.Expire()
	if b.t.Size() != 0 || len(b.stopped)+len(b.quiet) != 0 || len(b.bySession) != 0 || b.Len() != 0 {
		t.Errorf("after every timeout: %d holders, %d+%d stopped, %d sessions, %d bound", b.t.Size(), len(b.stopped), len(b.quiet), len(b.bySession), b.Len())
	}
	if len(b.exp) != 0 {
		t.Errorf("%d expiries still scheduled after every timeout", len(b.exp))
	}
}

// Stops that ended nothing are kept compact (second field report, item
// 5c) and decide what full records did: a later packet of the session is
// ignored, by the NAS-Identifier rule of NAS.matches; a second NAS behind
// the same address with its own NAS-Identifier and the same id has a
// stop of its own; an Accounting-On of the NAS forgets them.
func TestBindingsQuietStops(t *testing.T) {
	clk := &clock{t: time.Now().Truncate(time.Second)}
	b := newBindings(clk.Now)
	bras1, bras2, bare := NAS{Addr: "10.9.9.1", Identifier: "bras-1"}, NAS{Addr: "10.9.9.1", Identifier: "bras-2"}, NAS{Addr: "10.9.9.1"}
	other := NAS{Addr: "10.9.9.2", Identifier: "bras-1"}
	claim := func(nas NAS, session string) string {
		return b.Claim(Claim{NAS: nas, Session: session, Start: clk.Now(), Timed: true, Expires: clk.Now().Add(time.Minute),
			Prefixes: []netip.Prefix{holderPrefix(int(clk.Now().Unix() % 1000))}, Bind: []bool{false}}).Ignored
	}
	until := clk.Now().Add(10 * time.Minute)
	b.Stop(bras1, "q", clk.Now(), until)
	if len(b.quiet) != 1 || len(b.stopped) != 0 {
		t.Fatalf("a Stop that ended nothing: %d quiet, %d full records", len(b.quiet), len(b.stopped))
	}
	for _, tt := range []struct {
		nas     NAS
		session string
		want    string
	}{
		{bras1, "q", outcomeStoppedSession},
		{bare, "q", outcomeStoppedSession}, // no NAS-Identifier: the same NAS
		{bras2, "q", ""},                   // another NAS behind the address
		{other, "q", ""},                   // another address
		{bras1, "r", ""},                   // another session
	} {
		clk.Add(time.Second)
		if got := claim(tt.nas, tt.session); got != tt.want {
			t.Errorf("%v %q: ignored %q, want %q", tt.nas, tt.session, got, tt.want)
		}
	}
	b.Stop(bras2, "q", clk.Now(), until)
	if len(b.quiet)+len(b.stopped) != 2 {
		t.Errorf("the second NAS's Stop: %d quiet, %d full records", len(b.quiet), len(b.stopped))
	}
	clk.Add(time.Second)
	if got := claim(bras2, "q"); got != outcomeStoppedSession {
		t.Errorf("the second NAS's stopped session: ignored %q", got)
	}
	b.EndNAS(bras1, clk.Now(), clk.Now().Add(10*time.Minute))
	clk.Add(time.Second)
	if got := claim(bras1, "q"); got != "" {
		t.Errorf("after the NAS's Accounting-On: ignored %q", got)
	}
	if got := claim(bras2, "q"); got != outcomeStoppedSession {
		t.Errorf("the other NAS's stop after the first's Accounting-On: ignored %q", got)
	}
}
