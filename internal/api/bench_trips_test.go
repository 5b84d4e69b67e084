package api_test

import (
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/store/storetest"
)

// pgTrips and pgPings count the round trips the process makes to
// PostgreSQL, and pgx's liveness pings among them, while a benchmark runs
// with IPREG_BENCH_PG_TRIPS=1 (countTrips, storetest.TripCounter).
var pgTrips, pgPings interface{ Load() int64 } = new(atomic.Int64), new(atomic.Int64)

// countTrips, when IPREG_BENCH_PG_TRIPS is set and kind is PostgreSQL,
// points IPREG_TEST_POSTGRES_URL at a counting proxy in front of the real
// server for the rest of b. It reports whether it did: the proxy's extra
// hop slows every query, so rates from such a run are not comparable.
// IPREG_BENCH_PG_DELAY (a Go duration, such as 500us) makes the proxy
// hold each of the client's writes back that long: PostgreSQL on another
// machine.
func countTrips(b *testing.B, kind string) bool {
	if kind != "postgres" || os.Getenv("IPREG_BENCH_PG_TRIPS") == "" {
		return false
	}
	base := os.Getenv("IPREG_TEST_POSTGRES_URL")
	if base == "" {
		base = storetest.DefaultPostgresURL
	}
	tc, proxied := storetest.CountTrips(b, base)
	if d := os.Getenv("IPREG_BENCH_PG_DELAY"); d != "" {
		var err error
		if tc.Delay, err = time.ParseDuration(d); err != nil {
			b.Fatalf("IPREG_BENCH_PG_DELAY: %v", err)
		}
	}
	pgTrips, pgPings = &tc.Trips, &tc.Pings
	b.Setenv("IPREG_TEST_POSTGRES_URL", proxied)
	return true
}
