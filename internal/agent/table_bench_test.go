package agent

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gaissmai/bart"
	"go4.org/netipx"

	"github.com/ipreg/ipreg/internal/feed"
)

// The data set: 500,000 IPv4 /32s, 500,000 IPv4 /24s and 100,000
// IPv6 /48s at random, probed with 1,000,000 random addresses, hits and
// misses separately (random probes defeat the caches, as real traffic does).
var bench struct {
	gen                 sync.Once
	entries             []feed.Entry
	once                sync.Once
	hits4, miss4, hits6 []netip.Addr
	table               *Table

	// The other implementations, built only for BenchmarkLookup, so that
	// the other benchmarks' garbage collector does not mark them too.
	others sync.Once
	bart   *bart.Table[int]
	lite   *bart.Lite
	ipset  *netipx.IPSet

	snap     sync.Once
	snapshot []byte // the entries as a snapshot file
}

const nProbes = 1_000_000

var floorSink uint64

// benchEntries keeps the generated data set for the table benchmarks.
func benchEntries() {
	bench.gen.Do(func() { bench.entries = genEntries() })
}

// genEntries generates the data set.
func genEntries() []feed.Entry {
	var entries []feed.Entry
	{
		r := rand.New(rand.NewPCG(42, 42))
		seen := map[netip.Prefix]bool{}
		add := func(p netip.Prefix) {
			if seen[p] {
				return
			}
			seen[p] = true
			entries = append(entries, feed.Entry{Prefix: p.String(), Reg: fmt.Sprintf("VPN-2026-%06d", len(entries)%999999), Cat: "company_vpn", Until: until})
		}
		for len(seen) < 500_000 {
			add(netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}), 32))
		}
		for len(seen) < 1_000_000 {
			add(netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.IntN(256)), byte(r.IntN(256)), 0}), 24))
		}
		for len(seen) < 1_100_000 {
			var b [16]byte
			b[0], b[1] = 0x24, byte(r.IntN(256))
			b[2], b[3], b[4], b[5] = byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))
			add(netip.PrefixFrom(netip.AddrFrom16(b), 48))
		}
	}
	return entries
}

// benchData adds the table and the probes.
func benchData(tb testing.TB) {
	benchEntries()
	bench.once.Do(func() {
		r := rand.New(rand.NewPCG(43, 43))
		bench.table = Build(bench.entries)
		for len(bench.hits4) < nProbes {
			p := netip.MustParsePrefix(bench.entries[r.IntN(1_000_000)].Prefix)
			a := p.Addr().As4()
			if p.Bits() == 24 {
				a[3] = byte(r.IntN(256))
			}
			bench.hits4 = append(bench.hits4, netip.AddrFrom4(a))
		}
		for len(bench.miss4) < nProbes {
			a := netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
			if !bench.table.Contains(a) {
				bench.miss4 = append(bench.miss4, a)
			}
		}
		for len(bench.hits6) < nProbes {
			p := netip.MustParsePrefix(bench.entries[1_000_000+r.IntN(100_000)].Prefix)
			b := p.Addr().As16()
			for i := 6; i < 16; i++ {
				b[i] = byte(r.IntN(256))
			}
			bench.hits6 = append(bench.hits6, netip.AddrFrom16(b))
		}
	})
}

func BenchmarkLookup(b *testing.B) {
	benchData(b)
	bench.others.Do(func() {
		bench.bart = &bart.Table[int]{}
		bench.lite = &bart.Lite{}
		var sb netipx.IPSetBuilder
		for i, e := range bench.entries {
			p := netip.MustParsePrefix(e.Prefix)
			bench.bart.Insert(p, i)
			bench.lite.Insert(p)
			sb.AddPrefix(p)
		}
		bench.ipset, _ = sb.IPSet()
	})
	sets := []struct {
		name   string
		probes []netip.Addr
		want   bool
	}{{"ipv4-hit", bench.hits4, true}, {"ipv4-miss", bench.miss4, false}, {"ipv6-hit", bench.hits6, true}}
	impls := []struct {
		name string
		fn   func(netip.Addr) bool
	}{
		{"ipreg", bench.table.Contains},
		{"bart.Table", func(a netip.Addr) bool { _, ok := bench.bart.Lookup(a); return ok }},
		{"bart.Lite", bench.lite.Contains},
		{"netipx.IPSet", bench.ipset.Contains},
	}
	for _, s := range sets {
		for _, im := range impls {
			b.Run(s.name+"/"+im.name, func(b *testing.B) {
				n := 0
				for i := 0; i < b.N; i++ {
					if im.fn(s.probes[i%nProbes]) == s.want {
						n++
					}
				}
				if n != b.N {
					b.Fatalf("%d of %d answers wrong", b.N-n, b.N)
				}
			})
		}
	}
	// IPv4 hits split by their /24: allowed whole by one entry, or only
	// partly or by several. (Both read the code and the chunk's head; the
	// old layout answered a whole /24 from the code alone, and needed a
	// second, dependent access for the others.)
	var whole, inside []netip.Addr
	for _, a := range bench.hits4 {
		b4 := a.As4()
		x := binary.BigEndian.Uint32(b4[:])
		c, k := bench.table.code(x)
		if s := bench.table.slotsOf(x >> 16)[k]; c == codeOne && s.lo == 0 && s.hi == 255 {
			whole = append(whole, a)
		} else {
			inside = append(inside, a)
		}
	}
	for _, s := range []struct {
		name   string
		probes []netip.Addr
	}{{"ipv4-hit/ipreg-whole-24", whole}, {"ipv4-hit/ipreg-inside-24", inside}} {
		b.Run(s.name, func(b *testing.B) {
			n := 0
			for i := 0; i < b.N; i++ {
				if bench.table.Contains(s.probes[i%len(s.probes)]) {
					n++
				}
			}
			if n != b.N {
				b.Fatalf("%d of %d answers wrong", b.N-n, b.N)
			}
		})
	}

	// The machine's floor, in the same run: one read per probe at the
	// word of the 4 MiB code table a miss reads, and nothing else (no
	// branch, no popcount). A miss cannot cost less than this.
	b.Run("ipv4-miss/floor-one-read", func(b *testing.B) {
		codes := bench.table.codes
		var sum uint64
		for i := 0; i < b.N; i++ {
			a := bench.miss4[i%nProbes].As4()
			x := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8
			sum += codes[(x>>16)*8+(x>>13)&7]
		}
		floorSink = sum
	})
	// With the answer (registration, prefix, category) the API returns.
	b.Run("ipv4-hit/ipreg-entry", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok := bench.table.Lookup(bench.hits4[i%nProbes]); !ok {
				b.Fatal("miss")
			}
		}
	})
}

// BenchmarkLookupBatch: 1,000-address batches (half IPv4 hits, half
// misses, from the lookup benchmark's random probes), looked up and their
// entries' records read, as POST /v1/check does: one address at a time,
// and in lookupBatch's steps with prefetching. Reported per address.
func BenchmarkLookupBatch(b *testing.B) {
	benchData(b)
	t := bench.table
	batches := make([][]netip.Addr, 1000)
	for i := range batches {
		for j := 0; j < 1000; j++ {
			if k := (i*1000 + j) % nProbes; j%2 == 0 {
				batches[i] = append(batches[i], bench.hits4[k])
			} else {
				batches[i] = append(batches[i], bench.miss4[k])
			}
		}
	}
	vals := make([]int, 1000)
	for _, m := range []struct {
		name string
		fn   func([]netip.Addr, []int)
	}{
		{"one-at-a-time", func(addrs []netip.Addr, vals []int) {
			for i, a := range addrs {
				vals[i] = t.lookup(a)
			}
		}},
		{"batch", t.lookupBatch},
	} {
		b.Run(m.name, func(b *testing.B) {
			hits := 0
			for i := 0; i < b.N; i++ {
				m.fn(batches[i%len(batches)], vals)
				for _, v := range vals {
					if v >= 0 && t.es.rec(uint32(v)).until > 0 {
						hits++
					}
				}
			}
			if hits != b.N*500 {
				b.Fatalf("%d hits in %d batches; want 500 each", hits, b.N)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/address")
		})
	}
}

// BenchmarkBuild measures building the table from 1,100,000 entries, and
// reports the lookup structure's size per prefix (entries' own metadata,
// which the agent keeps anyway, excluded and reported separately).
func BenchmarkBuild(b *testing.B) {
	benchData(b)
	b.ResetTimer()
	var t *Table
	for i := 0; i < b.N; i++ {
		t = Build(bench.entries)
	}
	b.StopTimer()
	n := float64(len(bench.entries))
	lookup, spans := t.structBytes()
	b.ReportMetric(float64(lookup)/n, "B/prefix")
	b.ReportMetric(float64(lookup-4<<20)/n, "B/prefix-beyond-4MiB")
	b.ReportMetric(float64(spans)/n, "spansB/prefix")
	b.ReportMetric(heapOf(func() any { return Build(bench.entries) })/n, "heapB/prefix-total")
	b.ReportMetric(heapOf(func() any {
		var t bart.Table[int]
		for i, e := range bench.entries {
			t.Insert(netip.MustParsePrefix(e.Prefix), i)
		}
		return &t
	})/n, "bartTableB/prefix")
	b.ReportMetric(heapOf(func() any {
		var t bart.Lite
		for _, e := range bench.entries {
			t.Insert(netip.MustParsePrefix(e.Prefix))
		}
		return &t
	})/n, "bartLiteB/prefix")
}

// heapOf returns the heap a value built by mk keeps alive.
func heapOf(mk func() any) float64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	v := mk()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(v)
	return float64(m1.HeapAlloc) - float64(m0.HeapAlloc)
}

// BenchmarkBuildSorted builds from entries in feed (key) order, as the
// agent always does (snapshots and merged deltas are sorted), so the sort
// is skipped.
func BenchmarkBuildSorted(b *testing.B) {
	es := sortedBench(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Build(es)
	}
}

// BenchmarkApply applies a 1 % delta (5,500 removals, 5,500 additions) to
// the 1,100,000-entry table directly: the table's share of BenchmarkDelta,
// without download, decoding and the concurrent lookups.
func BenchmarkApply(b *testing.B) {
	es := sortedBench(b)
	tab := Build(es)
	ops := onePercent(es)
	// Each round applies to the newest table, as the agent does, the delta
	// and then its inverse.
	inverse := slices.Clone(ops)
	for i := range inverse {
		inverse[i].Op = map[string]string{"add": "remove", "remove": "add"}[inverse[i].Op]
	}
	// The decoded entries (a million strings) are not the agent's to
	// keep: every collection during the applies would mark them.
	es = nil
	runtime.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := ops
		if i%2 == 1 {
			d = inverse
		}
		var err error
		if tab, err = tab.Apply(d); err != nil {
			b.Fatal(err)
		}
	}
}

// onePercent is a delta of 1 % of the benchmark entries: 5,500 random
// removals and 5,500 additions, in feed order.
func onePercent(es []feed.Entry) []feed.Op {
	r := rand.New(rand.NewPCG(3, 3))
	var ops []feed.Op
	for k := 0; k < 5500; k++ {
		ops = append(ops, feed.Op{Op: "remove", Entry: es[r.IntN(len(es))]})
	}
	for k := 0; k < 5500; k++ {
		var p netip.Prefix
		if k%2 == 0 {
			p = netip.PrefixFrom(netip.AddrFrom16([16]byte{0x24, 0x01, byte(k >> 8), byte(k)}), 48)
		} else {
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{100, 64 + byte(k>>14), byte(k >> 6), byte(k << 2)}), 30)
		}
		ops = append(ops, feed.Op{Op: "add", Entry: feed.Entry{Prefix: p.String(), Reg: "VPN-2026-900000", Cat: "company_vpn", Until: until}})
	}
	slices.SortFunc(ops, func(x, y feed.Op) int { return strings.Compare(x.Key(), y.Key()) })
	return slices.CompactFunc(ops, func(x, y feed.Op) bool { return x.Key() == y.Key() })
}
