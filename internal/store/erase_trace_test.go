package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

// After an erasure the SQLite files hold none of the account's personal
// data: not in free pages or free space inside pages of the database
// (secure_delete), not in the WAL's frames of earlier writes (truncated
// after the erasure). Tester t11 found an erased holder's name, CNIC and
// e-mail address in both with strings(1).
func TestSQLiteErasureLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ipreg.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	secrets := []string{"Zarghuna Tareen Traders", "35202-7777777-7", "zarghuna.tareen@example.com.pk", "PTCL-SECRET-4242"}
	err = db.Write(ctx, func(tx registry.Tx) error {
		if err := tx.CreateOperator(ctx, &registry.Operator{ID: "ptcl", Name: "PTCL", Kind: registry.OperatorFixed, CreatedAt: at}); err != nil {
			return err
		}
		if err := tx.CreateAccount(ctx, &registry.Account{ID: "acc_z", Kind: registry.KindIndividual, Name: secrets[0], CNIC: secrets[1], Mobile: "923009999999", CreatedAt: at}); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, &registry.User{ID: "usr_z", Email: secrets[2], Role: registry.RoleApplicant, AccountID: "acc_z", PasswordHash: "hash", CreatedAt: at}); err != nil {
			return err
		}
		return tx.CreateApplication(ctx, &registry.Application{ID: "app_z", AccountID: "acc_z", Kind: registry.KindNew, Category: registry.CategoryCompany,
			OperatorID: "ptcl", SubscriberID: secrets[3], VPN: registry.VPN{Protocol: "wireguard"}, State: registry.StateDraft, CreatedAt: at, UpdatedAt: at})
	})
	if err != nil {
		t.Fatal(err)
	}
	// More writes after, as a live registry has: the erased rows' pages
	// are rewritten, not dropped.
	for i := range 20 {
		err := db.Write(ctx, func(tx registry.Tx) error {
			return tx.UpdateUser(ctx, &registry.User{ID: "usr_z", Email: secrets[2], Role: registry.RoleApplicant, AccountID: "acc_z", PasswordHash: "hash" + string(rune('a'+i)), CreatedAt: at})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Write(ctx, func(tx registry.Tx) error { return tx.EraseAccount(ctx, "acc_z", at) }); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // no WAL left: nothing in it
		}
		for _, s := range secrets {
			if n := bytes.Count(b, []byte(s)); n > 0 {
				t.Errorf("%s holds %q %d times after the erasure", filepath.Base(f), s, n)
			}
		}
	}
}
