package agent

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// BenchmarkBindingsMemory measures what the bindings keep in memory per
// 100,000 unregistered sessions (each one address's newest claim and one
// stopped session, as an operator's unregistered subscribers leave them),
// built as packets arrive: a NAS address and Acct-Session-Id of their own
// per packet. It reports the live heap per 100,000 sessions
// (heap-B/100k) after a GC, with the bindings still referenced.
func BenchmarkBindingsMemory(b *testing.B) {
	const n = 100_000
	var per float64
	for range b.N {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		t0 := time.Now()
		bs := newBindings(func() time.Time { return t0 })
		for i := range n {
			// As nasID and the packet give them: fresh strings each time.
			nas := NAS{Addr: netip.AddrFrom4([4]byte{10, 9, 9, 1}).String(), Identifier: fmt.Sprint("bras-", 1)}
			session := fmt.Sprintf("%016X", 0x4F2A000000000000+i)
			bs.Claim(Claim{NAS: nas, Session: session, Start: t0, Timed: true, Expires: t0.Add(15 * time.Minute),
				Prefixes: []netip.Prefix{holderPrefix(i)}, Bind: []bool{false}})
			stopped := fmt.Sprintf("%016X", 0x5F2A000000000000+i)
			bs.Stop(nas, stopped, t0, t0.Add(15*time.Minute))
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		per = float64(after.HeapAlloc-before.HeapAlloc) * 100_000 / n
		runtime.KeepAlive(bs)
		b.StartTimer()
	}
	b.ReportMetric(per, "heap-B/100k")
	b.ReportMetric(per/100_000, "heap-B/session")
}
