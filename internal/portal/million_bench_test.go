package portal_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// BenchmarkReviewerPages measures the reviewer's four reads over loopback
// HTTP, through the same handler ipreg serve composes (API and portal),
// with IPREG_BENCH_APPS applications in the database (default 2000, so a
// plain -bench run takes seconds; 1000000 for the figures in BENCHMARKS.md):
// the API's review queue (GET /api/v1/review/queue, its default page of 100)
// and an application in review as JSON (GET /api/v1/applications/{id}:
// record, items, timeline, documents, account, live flags, an audit entry),
// and the portal's queue page (/review) and application page
// (/applications/{id}) as HTML. Applications are written by
// storetest.SeedApplications (seed time reported once per database, "seed-s").
// Each op is one request; p50-ms and p99-ms are the percentiles of the
// op's latencies, measured by the client.
func BenchmarkReviewerPages(b *testing.B) {
	n := 2000
	if v := os.Getenv("IPREG_BENCH_APPS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("IPREG_BENCH_APPS=%q: give a whole number of applications, at least 1000", v)
		}
	}
	for _, kind := range storetest.Kinds {
		b.Run(kind, func(b *testing.B) {
			e, seeded := millionEnv(b, kind, n)
			b.Logf("%s: seeded %d applications (%v), %d items, %d registrations, %d events, %d documents, %d checks in %v",
				kind, seeded.Applications, seeded.ByState, seeded.Items, seeded.Registrations, seeded.Events, seeded.Documents, seeded.Checks, seeded.Took.Round(time.Second))
			reviewer := e.browser()
			reviewer.login("reviewer@demo.test", "demo-password-1")
			token := apiLogin(b, e.base, "reviewer@demo.test", "demo-password-1")
			apiGet := func(path string) (int, string) {
				req, _ := http.NewRequest("GET", e.base+path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				defer res.Body.Close()
				body, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(body)
			}
			pageGet := func(path string) (int, string) {
				p := reviewer.get(path)
				return p.status, p.body
			}
			ids := seeded.Review
			for _, bb := range []struct {
				name string
				get  func(string) (int, string)
				path func(i int) string
				// want is text the answer must hold: the page is the
				// real one, not an error page that happens to be fast.
				want func(i int) string
			}{
				{"api-queue", apiGet, func(int) string { return "/api/v1/review/queue" }, func(int) string { return `"state":"review"` }},
				{"api-application", apiGet, func(i int) string { return "/api/v1/applications/" + ids[i%len(ids)] },
					func(i int) string { return `"id":"` + ids[i%len(ids)] + `"` }},
				{"portal-queue", pageGet, func(int) string { return "/review" }, func(int) string { return `href="/applications/app_` }},
				{"portal-application", pageGet, func(i int) string { return "/applications/" + ids[i%len(ids)] },
					func(i int) string { return `/applications/` + ids[i%len(ids)] + `/decision` }},
			} {
				b.Run(bb.name, func(b *testing.B) {
					var lat []time.Duration
					i := 0
					for b.Loop() {
						t0 := time.Now()
						status, body := bb.get(bb.path(i))
						lat = append(lat, time.Since(t0))
						if status != http.StatusOK || !strings.Contains(body, bb.want(i)) {
							b.Fatalf("GET %s = %d, without %q: %.300s", bb.path(i), status, bb.want(i), body)
						}
						i++
					}
					slices.Sort(lat)
					q := func(p float64) float64 {
						return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
					}
					b.ReportMetric(q(0.50), "p50-ms")
					b.ReportMetric(q(0.99), "p99-ms")
					b.ReportMetric(seeded.Took.Seconds(), "seed-s")
				})
			}
		})
	}
}

// millionEnv is newEnv over a store of kind holding n seeded applications.
func millionEnv(b *testing.B, kind string, n int) (*env, storetest.Seeded) {
	ctx := context.Background()
	dsn := storetest.DSN(b, kind)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	docs, err := docstore.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	svc := registry.NewService(db, registry.Config{Hashing: auth.TestParams, Documents: docs, DemoWithoutTOTP: true,
		CertificateKeys: certificate.Keys{Dir: b.TempDir()}, PublicURL: "https://ipreg.example.pk"})
	if err := svc.EnsureDemo(ctx, "demo-password-1"); err != nil {
		b.Fatal(err)
	}
	seeded := storetest.SeedApplications(b, dsn, n, svc.Now())
	log := slog.New(slog.DiscardHandler)
	a := api.New(svc, log, api.Config{})
	p, err := portal.New(svc, log, portal.Config{Demo: true, Wrap: a.Observe, PublicURL: "https://ipreg.example.pk"})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(portal.Root(a.Handler(), p))
	b.Cleanup(srv.Close)
	return &env{t: b, base: srv.URL, svc: svc, ctx: ctx}, seeded
}

func apiLogin(b *testing.B, base, email, password string) string {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	res, err := http.Post(base+"/api/v1/login", "application/json", strings.NewReader(string(body)))
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		b.Fatalf("login %s: status %d, %v", email, res.StatusCode, err)
	}
	return out.Token
}
