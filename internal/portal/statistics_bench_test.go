package portal_test

import (
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// BenchmarkStatistics measures the public statistics over loopback HTTP
// with IPREG_BENCH_APPS applications (default 2000; 1000000 for the
// figures in BENCHMARKS.md) seeded by storetest.SeedApplications over two
// years: first one run of the stats-rollup job that builds every month
// ("rollup-s", reported once per database), then per op one anonymous
// request for the last 12 months: the API (GET /api/v1/stats?from=&to=,
// the monthly table), the API without a period (which adds the all-time
// fields its earlier clients read, scans of whole tables), the portal page
// (/statistics, chart and tables) and the CSV download.
// p50-ms and p99-ms are the percentiles of the op's latencies, measured
// by the client.
func BenchmarkStatistics(b *testing.B) {
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
			t0 := time.Now()
			months, err := e.svc.RebuildStats(e.ctx)
			rollup := time.Since(t0)
			if err != nil || months == 0 {
				b.Fatalf("rollup: %d months, %v", months, err)
			}
			b.Logf("%s: seeded %d applications, %d events in %v; the rollup built %d months in %v",
				kind, seeded.Applications, seeded.Events, seeded.Took.Round(time.Second), months, rollup.Round(time.Millisecond))
			get := func(path string) (int, string) {
				res, err := http.Get(e.base + path)
				if err != nil {
					b.Fatal(err)
				}
				defer res.Body.Close()
				body, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(body)
			}
			now := e.svc.Now().In(registry.PKT.Loc)
			period := "?from=" + now.AddDate(0, -11, 0).Format("2006-01") + "&to=" + now.Format("2006-01")
			for _, bb := range []struct{ name, path, want string }{
				{"api-stats", "/api/v1/stats" + period, `"months":[{"month":`},
				// Anonymous: the monthly table alone since the all-time
				// fields are staff-only (t1 finding 1).
				{"api-stats-alltime", "/api/v1/stats", `"months":[{"month":`},
				{"portal-statistics", "/statistics" + period, `<svg`},
				{"portal-statistics-csv", "/statistics.csv" + period, "month,category,received"},
			} {
				b.Run(bb.name, func(b *testing.B) {
					var lat []time.Duration
					for b.Loop() {
						t0 := time.Now()
						status, body := get(bb.path)
						lat = append(lat, time.Since(t0))
						if status != http.StatusOK || !strings.Contains(body, bb.want) {
							b.Fatalf("GET %s = %d, without %q: %.300s", bb.path, status, bb.want, body)
						}
					}
					slices.Sort(lat)
					q := func(p float64) float64 {
						return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
					}
					b.ReportMetric(q(0.50), "p50-ms")
					b.ReportMetric(q(0.99), "p99-ms")
					b.ReportMetric(rollup.Seconds(), "rollup-s")
				})
			}
		})
	}
}
