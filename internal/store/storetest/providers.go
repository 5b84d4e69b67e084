package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

func sampleProvider(id, name, licence string) *registry.Provider {
	return &registry.Provider{ID: id, Name: name, LicenceNumber: licence, LicenceDate: "2025-03-14",
		Status: registry.ProviderActive, Website: "https://" + id + ".example.pk", CreatedAt: t0, UpdatedAt: t0, Revision: 1}
}

// The register of licensed VPN providers: a provider reads back as
// written (its revision and a Unicode website too), a licence number is unique on create and on update (and a
// refused update changes nothing), an unknown id is ENOTFOUND, a failed
// transaction leaves no provider behind, and the list is in the same
// order on both databases (by name regardless of case, then licence).
func testProviders(t *testing.T, db *store.DB) {
	ctx := context.Background()
	a := sampleProvider("prv_a", "zeta Networks", "PTA/VPN/2025/001")
	b := sampleProvider("prv_b", "Alpha Tunnels", "PTA/VPN/2025/002")
	c := sampleProvider("prv_c", "alpha tunnels", "PTA/VPN/2024/009")
	u := sampleProvider("prv_u", "محفوظ نیٹ ورکس", "PTA/VPN/2025/003")
	// Names equal ignoring case go by licence number, whichever is
	// written in capitals (SORT-1 before SORT-9); Urdu names, which have
	// no case, by name and then by licence number too.
	e1 := sampleProvider("prv_e1", "apple", "SORT-1")
	e9 := sampleProvider("prv_e9", "aPPLE", "SORT-9")
	e0 := sampleProvider("prv_e0", "APPLE", "SORT-5")
	u2 := sampleProvider("prv_u2", "محفوظ نیٹ ورکس", "PTA/VPN/2025/000")
	u3 := sampleProvider("prv_u3", "امن نیٹ", "PTA/VPN/2025/999")
	u.Website = "https://مثال.پاکستان/vpn" // an IDN website, stored in its Unicode form
	c.Website, c.Status = "", registry.ProviderSuspended
	write(t, db, func(tx registry.Tx) error {
		for _, p := range []*registry.Provider{e9, a, b, c, u, e1, u2, e0, u3} {
			if err := tx.CreateProvider(ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error {
		return tx.CreateProvider(ctx, sampleProvider("prv_d", "Other", "PTA/VPN/2025/001"))
	}), registry.ECONFLICT)

	// A transaction that fails after creating keeps nothing.
	errLater := errors.New("a later step failed")
	if err := db.Write(ctx, func(tx registry.Tx) error {
		if err := tx.CreateProvider(ctx, sampleProvider("prv_gone", "Gone", "PTA/VPN/2025/099")); err != nil {
			return err
		}
		return errLater
	}); !errors.Is(err, errLater) {
		t.Fatalf("Write = %v, want the step's error", err)
	}

	db.Read(ctx, func(tx registry.Tx) error {
		got, err := tx.Provider(ctx, "prv_u", false)
		if err != nil || !reflect.DeepEqual(got, u) {
			t.Errorf("Provider = %+v, %v; want %+v", got, err, u)
		}
		_, err = tx.Provider(ctx, "prv_gone", false)
		wantCode(t, err, registry.ENOTFOUND)
		_, err = tx.Provider(ctx, "prv_none", false)
		wantCode(t, err, registry.ENOTFOUND)
		return nil
	})

	// An update to another provider's licence number is refused whole.
	changed := *a
	changed.Name, changed.LicenceNumber = "Renamed", b.LicenceNumber
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error { return tx.UpdateProvider(ctx, &changed) }), registry.ECONFLICT)
	changed = *a
	changed.Name, changed.Status, changed.Website, changed.LicenceDate = "Zeta Networks", registry.ProviderRevoked, "", "2024-12-31"
	changed.UpdatedAt, changed.Revision = t0.Add(time.Hour), 2
	write(t, db, func(tx registry.Tx) error {
		p, err := tx.Provider(ctx, "prv_a", true)
		if err != nil || p.Name != "zeta Networks" {
			t.Errorf("after the refused update: %+v, %v", p, err)
		}
		return tx.UpdateProvider(ctx, &changed)
	})
	missing := sampleProvider("prv_none", "None", "PTA/VPN/2025/050")
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error { return tx.UpdateProvider(ctx, missing) }), registry.ENOTFOUND)

	db.Read(ctx, func(tx registry.Tx) error {
		got, err := tx.Provider(ctx, "prv_a", false)
		if err != nil || !reflect.DeepEqual(got, &changed) {
			t.Errorf("after update: %+v, %v; want %+v", got, err, &changed)
		}
		ps, err := tx.ListProviders(ctx)
		if err != nil {
			return err
		}
		var ids []string
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		// "Alpha Tunnels" and "alpha tunnels" tie without case, so the
		// licence number decides (2024/009 before 2025/002), not which
		// one has capitals. Urdu names sort after Latin ones.
		if want := []string{"prv_c", "prv_b", "prv_e1", "prv_e0", "prv_e9", "prv_a", "prv_u3", "prv_u2", "prv_u"}; !reflect.DeepEqual(ids, want) {
			t.Errorf("ListProviders = %v, want %v", ids, want)
		}
		return nil
	})
}
