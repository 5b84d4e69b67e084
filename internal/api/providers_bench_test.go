package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// BenchmarkProviders measures the public register through HTTP, as JSON
// and as CSV, with 500 providers on it (far more than a regulator
// licenses: the figure bounds the page's cost, it is not a target). One
// op is one GET read to its end.
func BenchmarkProviders(b *testing.B) {
	const n = 500
	for _, kind := range storetest.Kinds {
		b.Run(kind, func(b *testing.B) {
			db := storetest.Open(b, kind)
			svc := registry.NewService(db, registry.Config{Hashing: auth.TestParams})
			ctx := context.Background()
			for i := range n {
				name, lic, date, status := fmt.Sprintf("Provider %03d (Pvt) Ltd", i), fmt.Sprintf("PTA/VPN/2025/%04d", i), "2025-03-14", "active"
				site := fmt.Sprintf("https://provider%03d.example.pk", i)
				in := registry.ProviderInput{Name: &name, LicenceNumber: &lic, LicenceDate: &date, Status: &status, Website: &site}
				if _, err := svc.AddProvider(ctx, registry.System, in); err != nil {
					b.Fatal(err)
				}
			}
			srv := httptest.NewServer(api.New(svc, slog.New(slog.DiscardHandler), api.Config{}).Handler())
			b.Cleanup(srv.Close)
			for _, path := range []string{"/api/v1/providers", "/api/v1/providers.csv"} {
				b.Run(path[len("/api/v1/"):], func(b *testing.B) {
					for b.Loop() {
						res, err := http.Get(srv.URL + path)
						if err != nil {
							b.Fatal(err)
						}
						nb, _ := io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != 200 || nb < n*50 {
							b.Fatalf("%s: %d, %d bytes", path, res.StatusCode, nb)
						}
					}
				})
			}
		})
	}
}
