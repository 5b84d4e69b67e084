package agent

import (
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// holderPrefix is the i-th address of 39.32.0.0/11 (Pakistan's space).
func holderPrefix(i int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{39, 32 + byte(i>>16), byte(i >> 8), byte(i)}), 32)
}

// BenchmarkBindingsExpireStall measures what periodic expiry costs
// lookups: n unregistered sessions lapse at once while one bound session
// keeps lookups on the lock; it reports the longest Lookup seen while
// Expire runs (max-lookup-µs: on a busy machine it includes the lookup
// goroutine's time off the CPU), the 99.9th percentile, and Expire's own
// time (expire-ms).
func BenchmarkBindingsExpireStall(b *testing.B) {
	for _, n := range []int{100_000, 500_000} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			var worst, expire time.Duration
			var lat []time.Duration
			for range b.N {
				b.StopTimer()
				t0 := time.Now()
				var now atomic.Int64
				now.Store(t0.UnixNano())
				bs := newBindings(func() time.Time { return time.Unix(0, now.Load()) })
				nas := NAS{Addr: "10.9.9.1"}
				for i := range n {
					bs.Claim(Claim{NAS: nas, Session: "s" + strconv.Itoa(i), Start: t0, Timed: true, Expires: t0.Add(time.Minute),
						Prefixes: []netip.Prefix{holderPrefix(i)}, Bind: []bool{false}})
				}
				bound := netip.MustParsePrefix("39.36.3.1/32")
				bs.Claim(Claim{Number: numberA, NAS: nas, Session: "bound", Start: t0, Timed: true, Expires: t0.Add(time.Hour),
					Prefixes: []netip.Prefix{bound}, Bind: []bool{true}})
				runtime.GC()
				now.Store(t0.Add(2 * time.Minute).UnixNano())
				b.StartTimer()
				done := make(chan time.Duration)
				go func() { s := time.Now(); bs.Expire(); done <- time.Since(s) }()
			look:
				for {
					select {
					case d := <-done:
						expire = max(expire, d)
						break look
					default:
					}
					s := time.Now()
					if _, _, ok := bs.Lookup(bound.Addr()); !ok {
						b.Fatal("the bound session lapsed")
					}
					d := time.Since(s)
					worst = max(worst, d)
					lat = append(lat, d)
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(worst.Microseconds()), "max-lookup-µs")
			b.ReportMetric(float64(lat[len(lat)*999/1000].Microseconds()), "p99.9-lookup-µs")
			b.ReportMetric(float64(expire.Milliseconds()), "expire-ms")
		})
	}
}
