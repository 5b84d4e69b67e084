package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
)

// sortedBench is the benchmark data in feed order, decoded afresh from a
// snapshot, as the agent gets it: the decoder lays the strings out in
// file order, which is what Build then reads (entries made in random order
// put every prefix string in another cache line and slow Build down by
// half). Only the file is kept between benchmarks: it holds no pointers,
// so it does not slow the garbage collector the sync benchmarks measure.
func sortedBench(b *testing.B) []feed.Entry {
	bench.snap.Do(func() {
		es := genEntries()
		keys := make([]string, len(es))
		idx := make([]int, len(es))
		for i, e := range es {
			keys[i], idx[i] = e.Key(), i
		}
		slices.SortFunc(idx, func(x, y int) int { return strings.Compare(keys[x], keys[y]) })
		sorted := make([]feed.Entry, 0, len(es))
		for _, i := range idx {
			sorted = append(sorted, es[i])
		}
		var err error
		if bench.snapshot, err = feed.EncodeSnapshot(feed.Header{SessionID: "s1", Version: 1}, sorted); err != nil {
			panic(err)
		}
	})
	es, err := feed.DecodeSnapshot(bench.snapshot, "s1", 1)
	if err != nil {
		b.Fatal(err)
	}
	return es
}

// BenchmarkColdStart: an agent without state takes a 1,100,000-entry
// snapshot over HTTP: download, hash, verify, decode, build, swap.
func BenchmarkColdStart(b *testing.B) {
	es := sortedBench(b)
	fx := newFixture(&testing.T{})
	defer fx.srv.Close()
	fx.a.cfg.Now, fx.reg.now = time.Now, time.Now()
	fx.a.cfg.Timeout = time.Minute
	n := fx.reg.publish(&testing.T{}, "s1", 1, es, nil)
	b.ReportMetric(float64(len(fx.reg.files[n.Snapshot.URL[len("files/"):]]))/1e6, "MB-snapshot")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := New(fx.a.cfg)
		if err := a.Sync(context.Background(), fx.reg.note); err != nil {
			b.Fatal(err)
		}
		if a.Table().Len() != len(es) {
			b.Fatal("wrong size")
		}
	}
}

// BenchmarkDelta: an agent holding 1,100,000 entries applies a delta of
// 1 % (5,500 removals and 5,500 additions), while lookups go on; the new
// table is swapped in atomically. Reported per delta, and the slowest
// lookup seen during the applies.
func BenchmarkDelta(b *testing.B) {
	es := sortedBench(b)
	fx := newFixture(&testing.T{})
	defer fx.srv.Close()
	fx.a.cfg.Now, fx.reg.now = time.Now, time.Now()
	fx.a.cfg.Timeout, fx.a.cfg.MaxDeltas = time.Minute, 1<<30
	fx.reg.publish(&testing.T{}, "s1", 1, es, nil)
	if err := fx.a.Sync(context.Background(), fx.reg.note); err != nil {
		b.Fatal(err)
	}
	// Build b.N deltas, each removing 5,500 entries and adding 5,500 new ones.
	cur := es
	deltas := map[int64][]feed.Op{}
	for v := int64(2); v <= int64(b.N)+1; v++ {
		var ops []feed.Op
		for k := 0; k < 5500; k++ {
			ops = append(ops, feed.Op{Op: "remove", Entry: cur[(int(v)*7919+k*197)%len(cur)]})
		}
		for k := 0; k < 5500; k++ {
			e := feed.Entry{Prefix: fmt.Sprintf("2401:%x:%x::/48", v, k), Reg: "VPN-2026-900000", Cat: "company_vpn", Until: until}
			ops = append(ops, feed.Op{Op: "add", Entry: e})
		}
		sort.Slice(ops, func(i, j int) bool { return ops[i].Key() < ops[j].Key() })
		ops = slices.CompactFunc(ops, func(x, y feed.Op) bool { return x.Key() == y.Key() })
		next, err := merge(cur, ops)
		if err != nil {
			b.Fatal(err)
		}
		deltas[v], cur = ops, next
	}
	var notes []string
	for v := int64(2); v <= int64(b.N)+1; v++ {
		fx.reg.now = fx.reg.now.Add(time.Millisecond)
		fx.reg.publish(&testing.T{}, "s1", v, cur[:0], deltas) // the snapshot is not used: deltas are
		notes = append(notes, fx.reg.note)
	}
	// Lookups run throughout; record the slowest.
	probes := make([]netip.Addr, 0, 1<<16)
	for i := 0; i < 1<<16; i++ {
		probes = append(probes, netip.MustParsePrefix(es[(i*7919)%len(es)].Prefix).Addr())
	}
	es, cur, deltas = nil, nil, nil // what the agent would not hold
	runtime.GC()
	stop := make(chan struct{})
	var slowest atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			t0 := time.Now()
			fx.a.Check(probes[i%len(probes)])
			if d := int64(time.Since(t0)); d > slowest.Load() {
				slowest.Store(d)
			}
		}
	}()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	took := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := fx.a.Sync(context.Background(), notes[i]); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	b.ReportMetric(float64(ru1.Minflt-ru0.Minflt)/float64(b.N), "faults/delta")
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1e3, "ms-p50")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1e3, "ms-max")
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(slowest.Load())/1e3, "µs-slowest-lookup")
}

// BenchmarkBatchCheck: POST /v1/check over loopback in batches of 1,000
// addresses (JSON), from GOMAXPROCS×2 clients on the same cores as the
// agent; reported as addresses per second. Half the addresses are hits.
//
// The client's own cost counts against the agent here, so it is measured
// twice: with net/http's default 4 KB connection buffers, and with 64 KB
// ones, as a client made for bulk checks would set them (with 4 KB, each
// 92 KB answer takes the client a dozen reads).
func BenchmarkBatchCheck(b *testing.B) {
	a, bodies := batchBench(b)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	for _, c := range []struct {
		name string
		tr   *http.Transport
		buf  int
	}{
		{"client=default-buffers", &http.Transport{MaxIdleConnsPerHost: 64}, 8 << 10},
		{"client=64KiB-buffers", &http.Transport{MaxIdleConnsPerHost: 64, WriteBufferSize: 64 << 10, ReadBufferSize: 64 << 10}, 64 << 10},
	} {
		b.Run(c.name, func(b *testing.B) {
			client := &http.Client{Transport: c.tr}
			defer c.tr.CloseIdleConnections()
			// One batch read back first: the answers are right, not only fast.
			res, err := client.Post(srv.URL+"/v1/check", "application/json", bytes.NewReader(bodies[0]))
			if err != nil {
				b.Fatal(err)
			}
			var answers []struct{ Allowed bool }
			err = json.NewDecoder(res.Body).Decode(&answers)
			res.Body.Close()
			if allowed := countAllowed(answers); err != nil || len(answers) != 1000 || allowed != 500 {
				b.Fatalf("%d answers, %d allowed (want 1,000 and 500): %v", len(answers), allowed, err)
			}
			var next atomic.Int64
			b.SetParallelism(2)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, c.buf)
				for pb.Next() {
					res, err := client.Post(srv.URL+"/v1/check", "application/json", bytes.NewReader(bodies[next.Add(1)%64]))
					if err != nil {
						b.Error(err)
						return
					}
					for err == nil {
						_, err = res.Body.Read(buf)
					}
					res.Body.Close()
					if err != io.EOF || res.StatusCode != 200 {
						b.Errorf("status %d: %v", res.StatusCode, err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "addresses/s")
		})
	}
}

func countAllowed(answers []struct{ Allowed bool }) int {
	n := 0
	for _, a := range answers {
		n += boolInt(a.Allowed)
	}
	return n
}

// batchBench is an agent holding the benchmark table, as the agent holds
// it (decoded from a snapshot), and 64 request bodies of 1,000 IPv4
// addresses, half of them hits, each drawn at random. It keeps none of the
// test data that holds pointers (the generated entries, the probe lists of
// the lookup benchmarks): an agent does not have them, and every garbage
// collection during the benchmark would mark them.
func batchBench(b *testing.B) (*Agent, [][]byte) {
	es := sortedBench(b)
	a := New(Config{Registry: &url.URL{}, TrustKeys: []ed25519.PublicKey{}})
	t := Build(es)
	a.table.Store(t)
	a.state.Store(&state{Timestamp: time.Now()})
	r := rand.New(rand.NewPCG(44, 44))
	var bodies [][]byte
	for i := 0; i < 64; i++ {
		var addrs []string
		for j := 0; j < 1000; j++ {
			var ip netip.Addr
			if j%2 == 0 { // inside a random IPv4 entry
				for !ip.Is4() {
					p := netip.MustParsePrefix(es[r.IntN(len(es))].Prefix)
					if !p.Addr().Is4() {
						continue
					}
					b4 := p.Addr().As4()
					if p.Bits() == 24 {
						b4[3] = byte(r.IntN(256))
					}
					ip = netip.AddrFrom4(b4)
				}
			} else { // a random address in no entry
				for !ip.IsValid() || t.Contains(ip) {
					ip = netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
				}
			}
			addrs = append(addrs, ip.String())
		}
		body, _ := json.Marshal(addrs)
		bodies = append(bodies, body)
	}
	runtime.GC()
	return a, bodies
}

// BenchmarkBatchHandler is BenchmarkBatchCheck's server side alone: the
// handler called directly, one goroutine, no client and no network.
func BenchmarkBatchHandler(b *testing.B) {
	a, bodies := batchBench(b)
	h := a.Handler()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("POST", "/v1/check", bytes.NewReader(bodies[i%64]))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "addresses/s")
}
