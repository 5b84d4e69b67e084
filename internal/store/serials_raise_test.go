package store_test

import (
	"context"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// RaiseSerials only raises: a serial below the given value goes up to it,
// one above stays, a missing one is created; the next number taken is
// above all.
func TestRaiseSerials(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, kind)
			if err := db.Write(ctx, func(tx registry.Tx) error {
				for range 5 {
					if _, err := tx.NextSerial(ctx, "registration-2026"); err != nil {
						return err
					}
				}
				for range 50 {
					if _, err := tx.NextSerial(ctx, "registration-2025"); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			n, err := db.RaiseSerials(ctx, map[string]int64{"registration-2026": 41, "registration-2025": 7, "registration-2024": 3})
			if err != nil || n != 2 {
				t.Fatalf("RaiseSerials = %d, %v; want 2 raised", n, err)
			}
			got, err := db.Serials(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string]int64{"registration-2026": 41, "registration-2025": 50, "registration-2024": 3} {
				if got[name] != want {
					t.Errorf("%s = %d, want %d", name, got[name], want)
				}
			}
			var next int64
			db.Write(ctx, func(tx registry.Tx) error {
				next, err = tx.NextSerial(ctx, "registration-2026")
				return err
			})
			if next != 42 {
				t.Errorf("next registration-2026 = %d (%v), want 42", next, err)
			}
		})
	}
}

// SkipRegistrationNumbers moves every year's registration serial on by
// the gap, and starts this year's at the gap when it has none; other
// serials stay.
func TestSkipRegistrationNumbers(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, kind)
			if err := db.Write(ctx, func(tx registry.Tx) error {
				for _, name := range []string{"registration-2025", "registration-2025", "registration-2025", "other"} {
					if _, err := tx.NextSerial(ctx, name); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			got, err := db.SkipRegistrationNumbers(ctx, 2026, 10000)
			if err != nil {
				t.Fatal(err)
			}
			if got["registration-2025"] != 10003 || got["registration-2026"] != 10000 || len(got) != 2 {
				t.Errorf("after the skip = %v; want registration-2025 at 10003 and registration-2026 at 10000", got)
			}
			all, _ := db.Serials(ctx)
			if all["other"] != 1 {
				t.Errorf("another serial moved: %v", all)
			}
		})
	}
}
