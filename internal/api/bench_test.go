package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/loadtest"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// BenchmarkSubmitApplication measures filing an application through the
// HTTP API: POST /api/v1/applications (validate, fee, store a draft), three
// document uploads (sniff, seal with AES-256-GCM, fsync, record), then
// POST …/submit (revalidate, fee, documents, flags with overlap queries,
// operator check, SLA), each one transaction with its audit entries. One op
// is all five requests. Applicants are created before the timer and file perApplicant
// applications each, as a large account would; the fee rule reads the
// account's holdings, so its cost grows with the account, not the registry.
// The parallel variant runs GOMAXPROCS×4 concurrent clients (8 on two
// cores), or IPREG_BENCH_CLIENTS of them (benchClients).
//
// Besides applications a second it reports the registry's CPU time per
// application (cpu-ms/op: the test process's user and system time, which
// holds the HTTP server, the registry and SQLite, not PostgreSQL's
// server): on a shared machine whose cores are busy with other work the
// rate swings with the neighbours' load, the CPU an application costs much
// less. With IPREG_BENCH_PG_TRIPS=1 it also reports PostgreSQL round
// trips per application (pg-trips/op, counted by a proxy: countTrips),
// whose rates are then not comparable with a run without it.
func BenchmarkSubmitApplication(b *testing.B) {
	const perApplicant = 50
	for _, kind := range storetest.Kinds {
		b.Run(kind, func(b *testing.B) {
			counting := countTrips(b, kind)
			base, client := benchServer(b, kind)
			// Sub-benchmarks run several rounds on one server: every round
			// needs fresh applicants and fresh addresses.
			var n, who atomic.Int64
			pool := func(b *testing.B, count int) []string {
				toks := make([]string, count)
				for i := range toks {
					toks[i] = benchApplicant(b, base, client, fmt.Sprintf("a%d", who.Add(1)))
				}
				return toks
			}
			b.Run("serial", func(b *testing.B) {
				toks := pool(b, b.N/perApplicant+1)
				cpu0, trips0, pings0 := cpuTime(), pgTrips.Load(), pgPings.Load()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					submitOne(b, base, client, toks[i/perApplicant], n.Add(1))
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "apps/s")
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
				if counting {
					b.ReportMetric(float64(pgTrips.Load()-trips0)/float64(b.N), "pg-trips/op")
					b.ReportMetric(float64(pgPings.Load()-pings0)/float64(b.N), "pg-pings/op")
				}
			})
			b.Run("parallel", func(b *testing.B) {
				clients := benchClients(b)
				toks := pool(b, b.N/perApplicant+1)
				var next atomic.Int64
				var wg sync.WaitGroup
				cpu0, trips0, pings0 := cpuTime(), pgTrips.Load(), pgPings.Load()
				b.ResetTimer()
				for range clients {
					wg.Go(func() {
						for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
							submitOne(b, base, client, toks[i/perApplicant], n.Add(1))
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "apps/s")
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
				// The name's -N is GOMAXPROCS, not the clients (tester t20).
				b.ReportMetric(float64(clients), "clients")
				if counting {
					b.ReportMetric(float64(pgTrips.Load()-trips0)/float64(b.N), "pg-trips/op")
					b.ReportMetric(float64(pgPings.Load()-pings0)/float64(b.N), "pg-pings/op")
				}
			})
		})
	}
}

// benchClients is how many clients the parallel variant runs at once:
// IPREG_BENCH_CLIENTS, or 4 × GOMAXPROCS (8 on two cores) as
// b.RunParallel's default would. A number of its own lets the code before
// and after a change run the same clients with a different GOMAXPROCS
// (-test.cpu): ipreg serve runs a P more than the cores (cmd/ipreg,
// serveProcs), and the code before it did not.
func benchClients(b *testing.B) int {
	v := os.Getenv("IPREG_BENCH_CLIENTS")
	if v == "" {
		return 4 * runtime.GOMAXPROCS(0)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("IPREG_BENCH_CLIENTS=%q: give the number of clients, 1 or more, such as 64", v)
	}
	return n
}

// cpuTime is the user and system CPU time the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchServer(b *testing.B, kind string) (string, *http.Client) {
	db := storetest.Open(b, kind)
	// Real password hashing costs are irrelevant here: logins happen
	// outside the timed loop.
	docs, err := docstore.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	svc := registry.NewService(db, registry.Config{Hashing: auth.TestParams, Documents: docs, DemoWithoutTOTP: true})
	if err := svc.EnsureDemo(context.Background(), "demo-password-1"); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api.New(svc, slog.New(slog.DiscardHandler), api.Config{}).Handler())
	b.Cleanup(srv.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	b.Cleanup(tr.CloseIdleConnections)
	return srv.URL, &http.Client{Transport: tr}
}

// post fails the benchmark with Error, not Fatal: it runs in RunParallel's
// goroutines too, where FailNow is not allowed.
func post(b *testing.B, c *http.Client, url, token string, body any, want int) map[string]any {
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(body)
	req, _ := http.NewRequest("POST", url, &buf)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return nil
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		b.Errorf("POST %s = %d: %s", url, res.StatusCode, data)
		return nil
	}
	var m map[string]any
	json.Unmarshal(data, &m)
	return m
}

func benchApplicant(b *testing.B, base string, c *http.Client, name string) string {
	email := name + "@bench.example.pk"
	_, ntn := identityFor(email) // one company account per NTN
	post(b, c, base+"/api/v1/signup", "", map[string]string{"email": email, "password": "benchmark password", "kind": "company",
		"name": "Bench " + name, "cnic": "35202-1234567-1", "mobile": "03001234567", "ntn": ntn}, 201)
	m := post(b, c, base+"/api/v1/login", "", map[string]string{"email": email, "password": "benchmark password"}, 200)
	tok, _ := m["token"].(string)
	return tok
}

// submitOne files application i with two host addresses from Pakistani
// space (39.32.0.0/11), distinct per application so that overlap checks
// search a growing table rather than hit one row.
func submitOne(b *testing.B, base string, c *http.Client, token string, i int64) {
	a1 := fmt.Sprintf("39.%d.%d.%d", 32+(i>>15)&31, (i>>7)&255, (i&127)*2)
	a2 := fmt.Sprintf("39.%d.%d.%d", 32+(i>>15)&31, (i>>7)&255, (i&127)*2+1)
	app := post(b, c, base+"/api/v1/applications", token, map[string]any{
		"category": "company_vpn", "operator_id": "ptcl", "subscriber_id": fmt.Sprintf("PTCL-%d", i),
		"addresses": []string{a1, a2}, "vpn": map[string]any{"protocol": "ipsec", "endpoints": []string{"vpn.example.com"}},
		"purpose": "Branch offices reach the head office over IPsec.",
	}, 201)
	if id, ok := app["id"].(string); ok {
		for _, r := range registry.RequiredDocuments(registry.CategoryCompany) {
			upload(b, c, base+"/api/v1/applications/"+id+"/documents", token, string(r.Kinds[0]))
		}
		post(b, c, base+"/api/v1/applications/"+id+"/submit", token, map[string]any{}, 200)
	}
}

// benchPDF is a one-page scan-sized document: 200 KiB, as a phone's PDF
// scan of a CNIC side typically is, made as a scanner makes it (the load
// generator's: a compressed image, binary bytes). It used to be a page of
// text ("scan scan …"), with no line break in 200 KiB: mime/multipart
// looks for the boundary's "\r" backwards through every chunk it reads,
// which in that text it never found, a cost a real scan does not have
// (BENCHMARKS.md, thirteenth session).
var benchPDF = func() []byte {
	b, err := loadtest.ScanPDF(200<<10, 1)
	if err != nil {
		panic(err)
	}
	return b
}()

// uploadBodies holds each kind's multipart body, made once: building a
// 200 KiB body for every upload was the load generator's work, not the
// server's, and took CPU from it in this one process.
var uploadBodies sync.Map // kind → *uploadBody

type uploadBody struct {
	contentType string
	body        []byte
}

func upload(b *testing.B, c *http.Client, url, token, kind string) {
	v, ok := uploadBodies.Load(kind)
	if !ok {
		ct, body := testbin.Multipart(kind, kind+".pdf", benchPDF)
		v, _ = uploadBodies.LoadOrStore(kind, &uploadBody{ct, body})
	}
	u := v.(*uploadBody)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(u.body))
	req.Header.Set("Content-Type", u.contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	defer res.Body.Close()
	// Read to the end, as a browser does, so that the connection is
	// used again: closing an unread answer made every upload a new TCP
	// connection (and in production a new TLS handshake).
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		b.Errorf("upload %s = %d: %s", kind, res.StatusCode, data)
	}
}
