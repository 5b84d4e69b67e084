package store_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// Migration 0028 blanks what an operator confirmed (checked_items, which
// holds the subscriber id) for the accounts erased before EraseAccount
// blanked it too (tester t10), and leaves every other account's.
func TestMigrationBlanksErasedCheckedItems(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, kind)
			at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
			err := db.Write(ctx, func(tx registry.Tx) error {
				if err := tx.CreateOperator(ctx, &registry.Operator{ID: "ptcl", Name: "PTCL", Kind: registry.OperatorFixed, CreatedAt: at}); err != nil {
					return err
				}
				for id, email := range map[string]string{"acc_gone": registry.ErasedEmailPrefix + "usr_acc_gone" + registry.ErasedEmailDomain, "acc_here": "here@example.com"} {
					if err := tx.CreateAccount(ctx, &registry.Account{ID: id, Kind: registry.KindIndividual, CreatedAt: at}); err != nil {
						return err
					}
					if err := tx.CreateUser(ctx, &registry.User{ID: "usr_" + id, Email: email, Role: registry.RoleApplicant, AccountID: id, CreatedAt: at}); err != nil {
						return err
					}
					if err := tx.CreateApplication(ctx, &registry.Application{ID: "app_" + id, AccountID: id, Kind: registry.KindNew,
						Category: registry.CategoryCompany, OperatorID: "ptcl", Addresses: []netip.Prefix{netip.MustParsePrefix("14.1.104.0/24")},
						VPN: registry.VPN{Protocol: "wireguard"}, State: registry.StateApproved, CheckedItems: "ptcl|PTCL-" + id + "|14.1.104.0/24",
						CreatedAt: at, UpdatedAt: at}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL().ExecContext(ctx, `DELETE FROM schema_version WHERE version = 28`); err != nil {
				t.Fatal(err)
			}
			if applied, err := db.Migrate(ctx); err != nil || len(applied) != 1 {
				t.Fatalf("migrations applied: %v, %v; want 0028 alone", applied, err)
			}
			err = db.Read(ctx, func(tx registry.Tx) error {
				for id, want := range map[string]string{"app_acc_gone": "", "app_acc_here": "ptcl|PTCL-acc_here|14.1.104.0/24"} {
					a, err := tx.Application(ctx, id, false)
					if err != nil {
						return err
					}
					if a.CheckedItems != want {
						t.Errorf("%s: checked items %q, want %q", id, a.CheckedItems, want)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
