package agent

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// What a request unbinds is on disk before its Accounting-Response (field
// report item 4; RFC 2866 §2): an agent killed right after answering
// (kill -9, nothing written on the way out) restarts without the binding,
// and still ignores the stopped session's and the restarted NAS's late
// packets.
func TestRADIUSUnbindingDurableBeforeAnswer(t *testing.T) {
	for _, tt := range []struct {
		name  string
		steps [][]string // status, then name, value pairs
		late  []string   // a late packet that must bind nothing after the restart
	}{
		{"Stop", [][]string{{"Stop", "Acct-Session-Id", "d1", "Acct-Session-Time", "60"}},
			[]string{"Start", "Framed-IP-Address", "39.32.4.1", "Calling-Station-Id", numberA, "Acct-Session-Id", "d1", "Acct-Delay-Time", "31"}},
		{"Accounting-On", [][]string{{"Accounting-On"}},
			[]string{"Interim-Update", "Framed-IP-Address", "39.32.4.1", "Calling-Station-Id", numberA, "Acct-Session-Id", "d1", "Acct-Session-Time", "90"}},
		{"Accounting-Off", [][]string{{"Accounting-Off"}},
			[]string{"Interim-Update", "Framed-IP-Address", "39.32.4.1", "Calling-Station-Id", numberA, "Acct-Session-Id", "d1", "Acct-Session-Time", "90"}},
		{"a newer unregistered claim", [][]string{{"Start", "Framed-IP-Address", "39.32.4.1", "Calling-Station-Id", unregistered, "Acct-Session-Id", "d2"}},
			[]string{"Interim-Update", "Framed-IP-Address", "39.32.4.1", "Calling-Station-Id", numberA, "Acct-Session-Id", "d1", "Acct-Session-Time", "90"}},
		{"an Interim-Update without the address", [][]string{{"Interim-Update", "Framed-IP-Address", "39.32.4.2", "Calling-Station-Id", numberA, "Acct-Session-Id", "d1", "Acct-Session-Time", "60"}}, nil},
		// The second field report's item 4: the session's own address,
		// now claimed for no registered number.
		{"its own Interim-Update for an unregistered number", [][]string{{"Interim-Update", "Framed-IP-Address", "39.32.4.1", "Calling-Station-Id", unregistered, "Acct-Session-Id", "d1", "Acct-Session-Time", "60"}}, nil},
		{"its own Interim-Update with a Calling-Station-Id that is no number", [][]string{{"Interim-Update", "Framed-IP-Address", "39.32.4.1", "Calling-Station-Id", "unknown", "Acct-Session-Id", "d1", "Acct-Session-Time", "60"}}, nil},
		{"its own Interim-Update with an address outside the accepted space besides", [][]string{{"Interim-Update", "Framed-IP-Address", "39.32.4.1", "Framed-IP-Address", "8.8.8.8", "Calling-Station-Id", "+1 202 555 0100", "Acct-Session-Id", "d1", "Acct-Session-Time", "60"}}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRADIUSRig(t, RADIUSOptions{})
			a := r.fx.a
			a.persistNow() // the verified table
			r.send("Start", "Framed-IP-Address", "39.32.4.1", "Calling-Station-Id", numberA, "Acct-Session-Id", "d1")
			if err := a.syncBindings(); err != nil { // the binding on disk, as the persister writes it
				t.Fatal(err)
			}
			r.clk.Add(time.Minute)
			for _, s := range tt.steps {
				r.send(s[0], s[1:]...)
			}
			r.expect("before the restart", map[string]string{"39.32.4.1": ""})
			// Killed now: nothing more is written. A new agent on the same
			// state directory.
			b := New(Config{Registry: a.cfg.Registry, TrustKeys: a.cfg.TrustKeys, StateDir: a.cfg.StateDir, MaxAge: 24 * time.Hour, Now: r.clk.Now})
			if err := b.Load(); err != nil {
				t.Fatal(err)
			}
			if _, err := b.RestoreBindings(RADIUSOptions{SessionTimeout: r.timeout}); err != nil {
				t.Fatal(err)
			}
			if ans, _ := b.Check(netip.MustParseAddr("39.32.4.1")); ans.Allowed {
				t.Fatalf("after %s and a kill, the restarted agent allows 39.32.4.1", tt.name)
			}
			if tt.late == nil {
				return
			}
			r.stop()
			r.fx.a = b
			r.listen(RADIUSOptions{})
			r.clk.Add(time.Second)
			r.send(tt.late[0], tt.late[1:]...)
			r.expect("a late packet after the restart", map[string]string{"39.32.4.1": ""})
		})
	}
}

// A request whose unbinding cannot be made durable is not answered, so
// that the NAS sends it again (RFC 2866 §2: the server "MUST NOT transmit
// any reply if it fails to record the accounting packet").
func TestRADIUSNoAnswerWhenNotDurable(t *testing.T) {
	r := newRADIUSRig(t, RADIUSOptions{})
	a := r.fx.a
	r.send("Start", "Framed-IP-Address", "39.32.4.1", "Calling-Station-Id", numberA, "Acct-Session-Id", "d1")
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o600)
	r.stop()
	a.cfg.StateDir = filepath.Join(blocker, "state") // a directory that cannot be made
	r.listen(RADIUSOptions{})
	if r.sendSecret("s3cret", "Stop", "Acct-Session-Id", "d1") {
		t.Error("a Stop that could not be persisted was answered")
	}
	if n := testutil.ToFloat64(a.metrics.rejected.WithLabelValues("persist")); n == 0 {
		t.Error("the failed persist is not counted")
	}
	// The NAS retransmits the Stop: it ends nothing more, but the
	// unbinding it made is still not on disk, so it is still not
	// answered; nor is any other request while it is not (each answer
	// says that everything unbound before it is recorded).
	if r.sendSecret("s3cret", "Stop", "Acct-Session-Id", "d1") {
		t.Error("a retransmitted Stop was answered while its unbinding is not on disk")
	}
	if r.sendSecret("s3cret", "Start", "Framed-IP-Address", "39.32.4.9", "Calling-Station-Id", numberB, "Acct-Session-Id", "d9") {
		t.Error("a request was answered while an earlier unbinding is not on disk")
	}
	// The disk back: the retransmission is answered, and the unbinding is on disk.
	r.stop()
	a.cfg.StateDir = t.TempDir()
	r.listen(RADIUSOptions{})
	r.send("Stop", "Acct-Session-Id", "d1")
	b, err := os.ReadFile(filepath.Join(a.cfg.StateDir, bindingsFile))
	if err != nil || !strings.Contains(string(b), `"ended":true`) || strings.Contains(string(b), numberA) {
		t.Errorf("after the retransmitted Stop, bindings.json = %s (%v); want d1's holder unbound", b, err)
	}
}

// BenchmarkRADIUSStopDurable measures a Stop made durable before its
// answer (Bindings.Stop, then syncBindings: write, fsync, rename of
// bindings.json) with n other sessions bound; in parallel, concurrent
// Stops share writes.
func BenchmarkRADIUSStopDurable(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		for _, parallel := range []bool{false, true} {
			b.Run(fmt.Sprintf("bindings=%d/parallel=%v", n, parallel), func(b *testing.B) {
				now := time.Now()
				a := New(Config{StateDir: b.TempDir(), Now: func() time.Time { return now }})
				claim := func(i int) {
					ip := netip.AddrFrom4([4]byte{39, 32, byte(i >> 8), byte(i)})
					a.bindings.Claim(Claim{Number: numberA, NAS: NAS{Addr: "10.9.9.1"}, Session: "s" + strconv.Itoa(i), Start: now, Timed: true,
						Expires: now.Add(time.Hour), Prefixes: []netip.Prefix{netip.PrefixFrom(ip, 32)}, Bind: []bool{true}})
				}
				for i := range n {
					claim(i)
				}
				var next atomic.Int64
				stop := func() {
					i := int(next.Add(1)) % n
					a.bindings.Stop(NAS{Addr: "10.9.9.1"}, "s"+strconv.Itoa(i), now, now.Add(time.Hour))
					if err := a.syncBindings(); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				if parallel {
					b.SetParallelism(8)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							stop()
						}
					})
				} else {
					for range b.N {
						stop()
					}
				}
			})
		}
	}
}

// bindings.json holds the registered subscribers' sessions and what ended
// their bindings, not every session of the operator: the newest claims
// and Stops of sessions that never bound anything stay in memory.
func TestRADIUSPersistsOnlyWhatBound(t *testing.T) {
	r := newRADIUSRig(t, RADIUSOptions{})
	a := r.fx.a
	r.send("Start", "Framed-IP-Address", "39.32.4.1", "Calling-Station-Id", unregistered, "Acct-Session-Id", "u1")
	r.send("Stop", "Framed-IP-Address", "39.32.4.1", "Calling-Station-Id", unregistered, "Acct-Session-Id", "u1")
	r.send("Start", "Framed-IP-Address", "39.32.4.2", "Calling-Station-Id", numberA, "Acct-Session-Id", "a1")
	r.clk.Add(time.Second)
	r.send("Start", "Framed-IP-Address", "39.32.4.2", "Calling-Station-Id", unregistered, "Acct-Session-Id", "u2")
	r.send("Start", "Framed-IP-Address", "39.32.4.3", "Calling-Station-Id", numberB, "Acct-Session-Id", "b1")
	r.send("Stop", "Acct-Session-Id", "b1")
	if err := a.syncBindings(); err != nil {
		t.Fatal(err)
	}
	st := a.bindings.State()
	var held []string
	for _, x := range st.Bindings {
		held = append(held, x.Prefix.String()+"="+x.Session)
	}
	if fmt.Sprint(held) != "[39.32.4.2/32=u2 39.32.4.3/32=b1]" {
		t.Errorf("persisted holders %v; want the unregistered claim that ended a binding and the stopped registered session", held)
	}
	if len(st.Stopped) != 1 || st.Stopped[0].Session != "b1" {
		t.Errorf("persisted stops %v; want b1 only", st.Stopped)
	}
	// In memory, u1's Stop still holds: its late Start is ignored.
	r.send("Start", "Framed-IP-Address", "39.32.4.1", "Calling-Station-Id", unregistered, "Acct-Session-Id", "u1", "Acct-Delay-Time", "5")
	if n := r.outcomes(outcomeStoppedSession); n != 1 {
		t.Errorf("stopped_session = %d", n)
	}
}
