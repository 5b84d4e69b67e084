package store_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"

	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// TestConformance runs the one suite against every store kind.
func TestConformance(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) *store.DB { return storetest.Open(t, kind) })
		})
	}
}

// BenchmarkOverlaps measures one overlap search (a /32 query) as the table
// grows from 10,000 to 200,000 stored addresses: index probes, not a scan,
// so the time should stay flat.
func BenchmarkOverlaps(b *testing.B) {
	for _, kind := range storetest.Kinds {
		b.Run(kind, func(b *testing.B) {
			db := storetest.Open(b, kind)
			ctx := context.Background()
			seed(b, db)
			stored := 0
			for _, size := range []int{10_000, 200_000} {
				for ; stored < size; stored += 100 {
					fill(b, db, stored)
				}
				if db.Dialect() == "postgres" {
					// Autovacuum would analyze the freshly filled table within
					// a minute; do it now so the planner sees its real size.
					if _, err := db.SQL().ExecContext(ctx, "ANALYZE"); err != nil {
						b.Fatal(err)
					}
				}
				b.Run(fmt.Sprintf("items=%d", size), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						// Probe an address inside the filled space, owned by another account.
						n := (i * 7919) % size
						p := netip.PrefixFrom(netip.AddrFrom4([4]byte{39, byte(32 + n>>16), byte(n >> 8), byte(n)}), 32)
						err := db.Read(ctx, func(tx registry.Tx) error {
							os, err := tx.Overlaps(ctx, "acc_other", p, "")
							if err == nil && len(os) != 1 {
								err = fmt.Errorf("%s: %d overlaps, want 1", p, len(os))
							}
							return err
						})
						if err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

func seed(b testing.TB, db *store.DB) {
	ctx := context.Background()
	err := db.Write(ctx, func(tx registry.Tx) error {
		now := time.Now()
		if err := tx.CreateAccount(ctx, &registry.Account{ID: "acc_bench", Kind: registry.KindCompany, Name: "Bench", CNIC: "x", Mobile: "x", CreatedAt: now}); err != nil {
			return err
		}
		return tx.CreateOperator(ctx, &registry.Operator{ID: "ptcl", Name: "PTCL", Kind: registry.OperatorFixed, CreatedAt: now})
	})
	if err != nil {
		b.Fatal(err)
	}
}

// fill stores one pending application with the 100 host addresses from index from.
func fill(b testing.TB, db *store.DB, from int) {
	ctx := context.Background()
	a := &registry.Application{ID: fmt.Sprintf("app_%d", from), AccountID: "acc_bench", Category: registry.CategoryCompany,
		OperatorID: "ptcl", State: registry.StateReview, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	for n := from; n < from+100; n++ {
		a.Addresses = append(a.Addresses, netip.PrefixFrom(netip.AddrFrom4([4]byte{39, byte(32 + n>>16), byte(n >> 8), byte(n)}), 32))
	}
	if err := db.Write(ctx, func(tx registry.Tx) error { return tx.CreateApplication(ctx, a) }); err != nil {
		b.Fatal(err)
	}
}
