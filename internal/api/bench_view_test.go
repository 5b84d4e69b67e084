package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/netpolicy"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// BenchmarkPendingApplicationView is a reviewer's GET of a pending
// application whose operator has a national operator's address space
// loaded: all of Pakistan's delegated prefixes (netpolicy.PakistanPrefixes),
// against which every view checks the application's addresses afresh.
// The applicant's own GET of it runs beside, as "applicant". With
// IPREG_BENCH_PG_TRIPS=1 each reports PostgreSQL round trips a view
// (pg-trips/op, countTrips).
func BenchmarkPendingApplicationView(b *testing.B) {
	for _, kind := range storetest.Kinds {
		b.Run(kind, func(b *testing.B) {
			counting := countTrips(b, kind)
			ctx := context.Background()
			db := storetest.Open(b, kind)
			docs, err := docstore.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			svc := registry.NewService(db, registry.Config{Hashing: auth.TestParams, Documents: docs, DemoWithoutTOTP: true})
			if err := svc.EnsureDemo(ctx, "demo-password-1"); err != nil {
				b.Fatal(err)
			}
			space := netpolicy.PakistanPrefixes()
			if err := svc.LoadOperatorPrefixes(ctx, registry.System, "ptcl", space); err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(api.New(svc, slog.New(slog.DiscardHandler), api.Config{}).Handler())
			b.Cleanup(srv.Close)
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
			tok := benchApplicant(b, srv.URL, c, "view")
			submitOne(b, srv.URL, c, tok, 1)
			m := post(b, c, srv.URL+"/api/v1/login", "", map[string]string{"email": "reviewer@demo.test", "password": "demo-password-1"}, 200)
			rev, _ := m["token"].(string)
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/applications?state=operator_check", nil)
			req.Header.Set("Authorization", "Bearer "+rev)
			res, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var list []map[string]any
			err = json.NewDecoder(res.Body).Decode(&list)
			res.Body.Close()
			if err != nil || len(list) != 1 {
				b.Fatalf("pending applications: %d, %v; want 1", len(list), err)
			}
			url := srv.URL + "/api/v1/applications/" + list[0]["id"].(string)
			for _, who := range []struct{ name, token string }{{"reviewer", rev}, {"applicant", tok}} {
				b.Run(who.name, func(b *testing.B) {
					trips0 := pgTrips.Load()
					b.ResetTimer()
					for range b.N {
						req, _ := http.NewRequest("GET", url, nil)
						req.Header.Set("Authorization", "Bearer "+who.token)
						res, err := c.Do(req)
						if err != nil {
							b.Fatal(err)
						}
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != http.StatusOK {
							b.Fatalf("GET = %d", res.StatusCode)
						}
					}
					if counting {
						b.ReportMetric(float64(pgTrips.Load()-trips0)/float64(b.N), "pg-trips/op")
					}
					b.ReportMetric(float64(len(space)), "prefixes")
				})
			}
		})
	}
}
