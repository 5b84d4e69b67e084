package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

// Run runs the conformance suite against stores made by open.
func Run(t *testing.T, open func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"Users", testUsers},
		{"AccountIdentity", testAccountIdentity},
		{"Tokens", testTokens},
		{"Operators", testOperators},
		{"Applications", testApplications},
		{"ApplicationFilters", testApplicationFilters},
		{"QueueKeyset", testQueueKeyset},
		{"OverlapsAndHeld", testOverlapsAndHeld},
		{"OverlapLimit", testOverlapLimit},
		{"OverlapsModel", testOverlapsModel},
		{"OverlapsEdges", testOverlapsEdges},
		{"OverlapsOneSnapshot", testOverlapsOneSnapshot},
		{"Checks", testChecks},
		{"Registrations", testRegistrations},
		{"Revocations", testRevocations},
		{"SerialConcurrent", testSerialConcurrent},
		{"AuditChain", testAuditChain},
		{"Rollback", testRollback},
		{"Settings", testSettings},
		{"Documents", testDocuments},
		{"Stats", testStats},
		{"MigrateTwice", testMigrateTwice},
		{"AuthAttempts", testAuthAttempts},
		{"AuthAttemptsConcurrent", testAuthAttemptsConcurrent},
		{"EndPasswordResets", testEndPasswordResets},
		{"Appeals", testAppeals},
		{"AppealDeadlines", testAppealDeadlines},
		{"Escalations", testEscalations},
		{"EraseAccount", testEraseAccount},
		{"RegistrationChanges", testRegistrationChanges},
		{"JobLeases", testJobLeases},
		{"JobLeaseConcurrent", testJobLeaseConcurrent},
		{"Outbox", testOutbox},
		{"OutboxClaimConcurrent", testOutboxClaimConcurrent},
		{"StatsMonthly", testStatsMonthly},
		{"Providers", testProviders},
		{"Notices", testNotices},
		{"Import", testImport},
		{"Invitations", testInvitations},
		{"InvitationsInBulkAndPaged", testInvitationsInBulkAndPaged},
		{"NoticeFeedOrder", testNoticeFeedOrder},
		{"ApplicationView", testApplicationView},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

var t0 = time.Date(2026, 11, 27, 9, 30, 0, 123456000, time.UTC)

func write(t *testing.T, db *store.DB, fn func(tx registry.Tx) error) {
	t.Helper()
	if err := db.Write(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code registry.Code) {
	t.Helper()
	if registry.ErrorCode(err) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func fixture(t *testing.T, db *store.DB, accounts ...string) {
	t.Helper()
	ctx := context.Background()
	write(t, db, func(tx registry.Tx) error {
		for _, id := range accounts {
			if err := tx.CreateAccount(ctx, &registry.Account{ID: id, Kind: registry.KindCompany, Name: "Holder " + id,
				CNIC: "35202-1234567-1", Mobile: "923001234567", CreatedAt: t0}); err != nil {
				return err
			}
		}
		for _, o := range []registry.Operator{{ID: "ptcl", Name: "PTCL", Kind: registry.OperatorFixed}, {ID: "jazz", Name: "Jazz", Kind: registry.OperatorMobile}} {
			o.CreatedAt = t0
			if err := tx.CreateOperator(ctx, &o); err != nil {
				return err
			}
		}
		return nil
	})
}

func pfx(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

// One individual account per CNIC, one company account per NTN, held by
// the database even against concurrent writers.
func testAccountIdentity(t *testing.T, db *store.DB) {
	ctx := context.Background()
	n := 0
	create := func(kind registry.AccountKind, cnic, ntn string) error {
		n++
		return db.Write(ctx, func(tx registry.Tx) error {
			return tx.CreateAccount(ctx, &registry.Account{ID: fmt.Sprintf("acc_%d", n), Kind: kind, Name: "Holder",
				CNIC: cnic, NTN: ntn, Mobile: "923001234567", CreatedAt: t0})
		})
	}
	for _, tt := range []struct {
		name      string
		kind      registry.AccountKind
		cnic, ntn string
		want      registry.Code // "" for created
	}{
		{"an individual", registry.KindIndividual, "35202-1234567-1", "", ""},
		{"the same CNIC again", registry.KindIndividual, "35202-1234567-1", "", registry.ECONFLICT},
		{"the same CNIC with an NTN", registry.KindIndividual, "35202-1234567-1", "1111111-1", registry.ECONFLICT},
		{"another CNIC", registry.KindIndividual, "35202-1234567-2", "", ""},
		{"a company whose authorised person is that individual", registry.KindCompany, "35202-1234567-1", "1234567-8", ""},
		{"a second company of the same person", registry.KindCompany, "35202-1234567-1", "7654321-0", ""},
		{"the first company's NTN again", registry.KindCompany, "61101-7654321-3", "1234567-8", registry.ECONFLICT},
		{"that NTN without its check digit", registry.KindCompany, "61101-7654321-3", "1234567", registry.ECONFLICT},
		{"a company with a CNIC as NTN", registry.KindCompany, "61101-7654321-3", "35202-1234567-1", ""},
		{"companies without an NTN (older accounts)", registry.KindCompany, "61101-7654321-3", "", ""},
		{"and another", registry.KindCompany, "61101-7654321-3", "", ""},
	} {
		err := create(tt.kind, tt.cnic, tt.ntn)
		if registry.ErrorCode(err) != tt.want && !(tt.want == "" && err == nil) {
			t.Errorf("%s: error %v, want code %q", tt.name, err, tt.want)
		}
	}
	db.Read(ctx, func(tx registry.Tx) error {
		for key, want := range map[string]bool{"individual:3520212345671": true, "company:1234567": true,
			"company:3520212345671": true, "individual:3520212345679": false, "": false} {
			if got, err := tx.AccountIdentityTaken(ctx, key); err != nil || got != want {
				t.Errorf("AccountIdentityTaken(%q) = %v, %v; want %v", key, got, err, want)
			}
		}
		return nil
	})
	// Concurrent sign-ups with one CNIC: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Write(ctx, func(tx registry.Tx) error {
				return tx.CreateAccount(ctx, &registry.Account{ID: fmt.Sprintf("acc_race_%d", i), Kind: registry.KindIndividual,
					Name: "Racer", CNIC: "42101-7777777-7", Mobile: "923001234567", CreatedAt: t0})
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case registry.ErrorCode(err) == registry.ECONFLICT:
				conflicts++
			default:
				t.Errorf("concurrent create: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != 7 {
		t.Errorf("8 concurrent accounts with one CNIC: %d created, %d conflicts; want 1 and 7", wins, conflicts)
	}
}

func testUsers(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	u := &registry.User{ID: "usr_a", Email: "a@example.pk", Role: registry.RoleApplicant, AccountID: "acc_a", PasswordHash: "h", CreatedAt: t0}
	write(t, db, func(tx registry.Tx) error { return tx.CreateUser(ctx, u) })
	dup := *u
	dup.ID = "usr_b"
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error { return tx.CreateUser(ctx, &dup) }), registry.ECONFLICT)
	// An operator user made under ipreg serve --demo: the mark is kept.
	op := &registry.User{ID: "usr_op", Email: "op@ptcl.pk", Role: registry.RoleOperator, OperatorID: "ptcl", PasswordHash: "h", CreatedAt: t0, MadeInDemo: true}
	write(t, db, func(tx registry.Tx) error { return tx.CreateUser(ctx, op) })

	db.Read(ctx, func(tx registry.Tx) error {
		got, err := tx.UserByEmail(ctx, "a@example.pk")
		if err != nil || *got != *u {
			t.Errorf("UserByEmail = %+v, %v; want %+v", got, err, u)
		}
		got, err = tx.User(ctx, "usr_op")
		if err != nil || got.OperatorID != "ptcl" || got.AccountID != "" || !got.MadeInDemo {
			t.Errorf("User(op) = %+v, %v", got, err)
		}
		_, err = tx.User(ctx, "usr_none")
		wantCode(t, err, registry.ENOTFOUND)
		acc, err := tx.Account(ctx, "acc_a")
		if err != nil || acc.Name != "Holder acc_a" || !acc.CreatedAt.Equal(t0) {
			t.Errorf("Account = %+v, %v", acc, err)
		}
		return nil
	})
	u.Disabled, u.PasswordHash, u.Lang, u.EmailVerifiedAt = true, "h2", "ur", t0.Add(time.Hour)
	write(t, db, func(tx registry.Tx) error { return tx.UpdateUser(ctx, u) })
	db.Read(ctx, func(tx registry.Tx) error {
		got, _ := tx.User(ctx, "usr_a")
		if !got.Disabled || got.PasswordHash != "h2" || got.Lang != "ur" || !got.EmailVerifiedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("UpdateUser not stored: %+v", got)
		}
		us, err := tx.ListUsers(ctx)
		if err != nil || len(us) != 2 {
			t.Errorf("ListUsers = %d users, %v", len(us), err)
		}
		return nil
	})
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error { return tx.UpdateUser(ctx, &registry.User{ID: "usr_none"}) }), registry.ENOTFOUND)
	// UpdateUser stores a changed e-mail (the registry rewrites stored
	// addresses into their normal form), and refuses one another user has.
	u.Email = "zo\u00eb@xn--bcher-kva.example"
	write(t, db, func(tx registry.Tx) error { return tx.UpdateUser(ctx, u) })
	db.Read(ctx, func(tx registry.Tx) error {
		if got, err := tx.UserByEmail(ctx, "zo\u00eb@xn--bcher-kva.example"); err != nil || got.ID != "usr_a" {
			t.Errorf("UserByEmail(new e-mail) = %+v, %v; want usr_a", got, err)
		}
		_, err := tx.UserByEmail(ctx, "a@example.pk")
		wantCode(t, err, registry.ENOTFOUND)
		return nil
	})
	u.Email = op.Email
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error { return tx.UpdateUser(ctx, u) }), registry.ECONFLICT)
}

func testTokens(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	write(t, db, func(tx registry.Tx) error {
		for _, u := range []string{"usr_a", "usr_b"} {
			if err := tx.CreateUser(ctx, &registry.User{ID: u, Email: u + "@x.pk", Role: registry.RoleReviewer, PasswordHash: "h", CreatedAt: t0}); err != nil {
				return err
			}
		}
		for i, k := range []registry.Token{
			{ID: "tok_1", UserID: "usr_a", Kind: registry.TokenSession, Name: "login", Hash: "h1", ExpiresAt: t0.Add(time.Hour)},
			{ID: "tok_2", UserID: "usr_a", Kind: registry.TokenAPI, Name: "script", Hash: "h2", ExpiresAt: t0.Add(-time.Hour)},
			{ID: "tok_3", UserID: "usr_b", Kind: registry.TokenAPI, Name: "other", Hash: "h3", ExpiresAt: t0.Add(time.Hour)},
		} {
			k.CreatedAt = t0.Add(time.Duration(i) * time.Second)
			if err := tx.CreateToken(ctx, &k); err != nil {
				return err
			}
		}
		return nil
	})
	db.Read(ctx, func(tx registry.Tx) error {
		k, err := tx.TokenByHash(ctx, "h2")
		if err != nil || k.ID != "tok_2" || k.Kind != registry.TokenAPI || !k.ExpiresAt.Equal(t0.Add(-time.Hour)) {
			t.Errorf("TokenByHash = %+v, %v", k, err)
		}
		ks, err := tx.ListTokens(ctx, "usr_a")
		if err != nil || len(ks) != 2 || ks[0].ID != "tok_1" {
			t.Errorf("ListTokens = %v, %v", ks, err)
		}
		// TokenSession is the three reads in one: the same token, user
		// and settings (the defaults, none stored yet).
		k, u, set, err := tx.TokenSession(ctx, "h3")
		wantK, _ := tx.TokenByHash(ctx, "h3")
		wantU, _ := tx.User(ctx, "usr_b")
		wantS, _ := tx.Settings(ctx)
		if err != nil || !reflect.DeepEqual(k, wantK) || !reflect.DeepEqual(u, wantU) || !reflect.DeepEqual(set, wantS) {
			t.Errorf("TokenSession = %+v, %+v, %+v, %v; want %+v, %+v, %+v", k, u, set, err, wantK, wantU, wantS)
		}
		_, _, _, err = tx.TokenSession(ctx, "h_none")
		wantCode(t, err, registry.ENOTFOUND)
		return nil
	})
	// Stored settings come with the session too.
	write(t, db, func(tx registry.Tx) error {
		set := registry.DefaultSettings
		set.DocumentMaxBytes = 3 << 20
		return tx.PutSettings(ctx, set)
	})
	db.Read(ctx, func(tx registry.Tx) error {
		_, _, set, err := tx.TokenSession(ctx, "h1")
		if err != nil || set.DocumentMaxBytes != 3<<20 {
			t.Errorf("TokenSession's settings = %+v, %v; want DocumentMaxBytes %d", set, err, 3<<20)
		}
		return nil
	})
	// Deleting another user's token is not found, and deletes nothing.
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error { return tx.DeleteToken(ctx, "usr_a", "tok_3") }), registry.ENOTFOUND)
	write(t, db, func(tx registry.Tx) error {
		n, err := tx.DeleteExpiredTokens(ctx, t0)
		if n != 1 {
			t.Errorf("DeleteExpiredTokens = %d, want 1", n)
		}
		return err
	})
	db.Read(ctx, func(tx registry.Tx) error {
		_, err := tx.TokenByHash(ctx, "h2")
		wantCode(t, err, registry.ENOTFOUND)
		_, err = tx.TokenByHash(ctx, "h3")
		return err
	})

	// Scope and expiry change in place; a user's tokens go together.
	write(t, db, func(tx registry.Tx) error {
		k := &registry.Token{ID: "tok_4", UserID: "usr_b", Kind: registry.TokenSession, Name: "login", Hash: "h4",
			CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute), Scope: registry.ScopeTOTPEnrolment}
		if err := tx.CreateToken(ctx, k); err != nil {
			return err
		}
		got, err := tx.TokenByHash(ctx, "h4")
		if err != nil || got.Scope != registry.ScopeTOTPEnrolment {
			t.Errorf("scoped token = %+v, %v", got, err)
		}
		k.Scope, k.ExpiresAt = "", t0.Add(12*time.Hour)
		if err := tx.UpdateToken(ctx, k); err != nil {
			return err
		}
		got, err = tx.TokenByHash(ctx, "h4")
		if err != nil || got.Scope != "" || !got.ExpiresAt.Equal(t0.Add(12*time.Hour)) {
			t.Errorf("updated token = %+v, %v", got, err)
		}
		wantCode(t, tx.UpdateToken(ctx, &registry.Token{ID: "tok_none"}), registry.ENOTFOUND)
		if err := tx.DeleteUserTokens(ctx, "usr_b"); err != nil {
			return err
		}
		ks, err := tx.ListTokens(ctx, "usr_b")
		if err != nil || len(ks) != 0 {
			t.Errorf("after DeleteUserTokens = %v, %v", ks, err)
		}
		if ks, _ := tx.ListTokens(ctx, "usr_a"); len(ks) != 1 {
			t.Errorf("DeleteUserTokens touched another user's tokens: %v", ks)
		}
		return nil
	})

	// Password resets: found by hash, used once.
	write(t, db, func(tx registry.Tx) error {
		r := &registry.PasswordReset{ID: "rst_1", UserID: "usr_a", Hash: "rh", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := tx.CreatePasswordReset(ctx, r); err != nil {
			return err
		}
		got, err := tx.PasswordResetByHash(ctx, "rh")
		if err != nil || got.UserID != "usr_a" || !got.ExpiresAt.Equal(t0.Add(time.Hour).Truncate(time.Microsecond)) || !got.UsedAt.IsZero() {
			t.Errorf("PasswordResetByHash = %+v, %v", got, err)
		}
		for _, want := range []bool{true, false} {
			if ok, err := tx.UsePasswordReset(ctx, "rst_1", t0); err != nil || ok != want {
				t.Errorf("UsePasswordReset = %v, %v; want %v", ok, err, want)
			}
		}
		_, err = tx.PasswordResetByHash(ctx, "nope")
		wantCode(t, err, registry.ENOTFOUND)
		return nil
	})

	// TOTP: the secret and enabling round-trip; a step is accepted once.
	write(t, db, func(tx registry.Tx) error {
		u, err := tx.User(ctx, "usr_a")
		if err != nil {
			return err
		}
		u.TOTPSecret, u.TOTPEnabledAt = "JBSWY3DPEHPK3PXP", t0
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		for _, c := range []struct {
			step int64
			want bool
		}{{100, true}, {100, false}, {99, false}, {101, true}} {
			if ok, err := tx.UseTOTPStep(ctx, "usr_a", c.step); err != nil || ok != c.want {
				t.Errorf("UseTOTPStep(%d) = %v, %v; want %v", c.step, ok, err, c.want)
			}
		}
		u, err = tx.UserByEmail(ctx, "usr_a@x.pk")
		if err != nil || u.TOTPSecret != "JBSWY3DPEHPK3PXP" || !u.TOTPEnabledAt.Equal(t0.Truncate(time.Microsecond)) || u.TOTPLastStep != 101 || !u.TOTPEnabled() {
			t.Errorf("user with TOTP = %+v, %v", u, err)
		}
		return nil
	})
}

func testOperators(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db)
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error {
		return tx.CreateOperator(ctx, &registry.Operator{ID: "ptcl", Name: "again", Kind: registry.OperatorFixed, CreatedAt: t0})
	}), registry.ECONFLICT)
	db.Read(ctx, func(tx registry.Tx) error {
		if v, err := tx.OperatorPrefixesVersion(ctx, "ptcl"); v != 0 || err != nil {
			t.Errorf("OperatorPrefixesVersion before any load = %d, %v; want 0", v, err)
		}
		return nil
	})
	write(t, db, func(tx registry.Tx) error {
		if err := tx.SetOperatorPrefixes(ctx, "ptcl", pfx("14.1.104.0/22", "2001:dd8:1c::/48")); err != nil {
			return err
		}
		// Loading again replaces, it does not add.
		ps := make([]netip.Prefix, 0, 1200)
		for i := 0; i < 1200; i++ {
			ps = append(ps, netip.PrefixFrom(netip.AddrFrom4([4]byte{39, byte(i >> 8), byte(i), 0}), 24))
		}
		return tx.SetOperatorPrefixes(ctx, "ptcl", append(ps, ps[0])) // a duplicate is ignored
	})
	db.Read(ctx, func(tx registry.Tx) error {
		o, err := tx.Operator(ctx, "ptcl")
		if err != nil || o.PrefixCount != 1200 || o.Name != "PTCL" {
			t.Errorf("Operator = %+v, %v", o, err)
		}
		ps, err := tx.OperatorPrefixes(ctx, "ptcl")
		if err != nil || len(ps) != 1200 {
			t.Errorf("OperatorPrefixes = %d, %v", len(ps), err)
		}
		// Each load counts, so a kept copy of the space knows it is stale.
		if v, err := tx.OperatorPrefixesVersion(ctx, "ptcl"); v != 2 || err != nil {
			t.Errorf("OperatorPrefixesVersion after two loads = %d, %v; want 2", v, err)
		}
		_, err = tx.OperatorPrefixesVersion(ctx, "none")
		wantCode(t, err, registry.ENOTFOUND)
		os, err := tx.ListOperators(ctx)
		if err != nil || len(os) != 2 || os[0].ID != "ptcl" || os[1].ID != "jazz" {
			t.Errorf("ListOperators = %v, %v (want fixed before mobile)", os, err)
		}
		_, err = tx.Operator(ctx, "none")
		wantCode(t, err, registry.ENOTFOUND)
		return nil
	})
}

func sampleApp(id, account string) *registry.Application {
	return &registry.Application{
		ID: id, AccountID: account, Kind: registry.KindNew, Category: registry.CategoryCompany, OperatorID: "ptcl", SubscriberID: "PTCL-001",
		Addresses: pfx("14.1.104.0/24", "2001:dd8:1c::/48", "14.1.105.7/32"),
		VPN:       registry.VPN{Protocol: "wireguard", Endpoints: []string{"vpn.example.com"}},
		Purpose:   "Remote access for staff — دور دراز رسائی", State: registry.StateDraft,
		Flags: []registry.Flag{{Code: registry.FlagOutsideCountry, Item: "1.1.1.1/32", Detail: "x"},
			{Code: registry.FlagOverlap, Item: "14.1.105.7/32", Detail: "y", With: &registry.FlagSubject{Item: "14.1.105.0/24",
				AccountID: "acc_z", OperatorID: "ptcl", ApplicationID: "app_z", State: registry.StateApproved, Registration: "VPN-2026-000009"}}},
		Fee:       registry.Fee{Due: true, AmountPKR: 10000, Reason: "r"},
		CreatedAt: t0, UpdatedAt: t0,
	}
}

// testApplicationView: ApplicationView reads what Application, Settings,
// Operator and OperatorPrefixesVersion read, in one; an application of no
// operator has none found; no such application is ENOTFOUND.
func testApplicationView(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	none := sampleApp("app_2", "acc_a")
	none.OperatorID, none.SubscriberID = "", ""
	write(t, db, func(tx registry.Tx) error {
		if err := tx.CreateApplication(ctx, sampleApp("app_1", "acc_a")); err != nil {
			return err
		}
		return tx.CreateApplication(ctx, none)
	})
	check := func(id string) {
		t.Helper()
		db.Read(ctx, func(tx registry.Tx) error {
			a, v, err := tx.ApplicationView(ctx, id)
			if err != nil {
				t.Fatalf("ApplicationView(%s): %v", id, err)
			}
			want, err := tx.Application(ctx, id, false)
			if err != nil {
				t.Fatal(err)
			}
			var wantView registry.ViewTarget
			if wantView.Settings, err = tx.Settings(ctx); err != nil {
				t.Fatal(err)
			}
			if want.OperatorID != "" {
				o, err := tx.Operator(ctx, want.OperatorID)
				if err != nil {
					t.Fatal(err)
				}
				wantView.Operator.Found, wantView.Operator.Name = true, o.Name
				if wantView.Operator.PrefixesVersion, err = tx.OperatorPrefixesVersion(ctx, want.OperatorID); err != nil {
					t.Fatal(err)
				}
			}
			if !reflect.DeepEqual(a, want) || !reflect.DeepEqual(v, wantView) {
				t.Errorf("ApplicationView(%s) = %+v, %+v;\nwant %+v, %+v", id, a, v, want, wantView)
			}
			return nil
		})
	}
	check("app_1")
	check("app_2")
	// Saved settings and a loaded space (version 1, then 2).
	set := registry.DefaultSettings
	set.DocumentMaxBytes = 3 << 20
	write(t, db, func(tx registry.Tx) error {
		if err := tx.PutSettings(ctx, set); err != nil {
			return err
		}
		if err := tx.SetOperatorPrefixes(ctx, "ptcl", pfx("14.1.0.0/16")); err != nil {
			return err
		}
		return tx.SetOperatorPrefixes(ctx, "ptcl", pfx("14.1.0.0/16", "39.32.0.0/11"))
	})
	check("app_1")
	db.Read(ctx, func(tx registry.Tx) error {
		_, v, err := tx.ApplicationView(ctx, "app_1")
		if err != nil || v.Settings.DocumentMaxBytes != 3<<20 || v.Operator.PrefixesVersion != 2 || v.Operator.Name != "PTCL" {
			t.Errorf("ApplicationView after saved settings and two loads = %+v, %v; want 3 MiB documents, PTCL at version 2", v, err)
		}
		_, _, err = tx.ApplicationView(ctx, "app_none")
		wantCode(t, err, registry.ENOTFOUND)
		return nil
	})
}

func testApplications(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	a := sampleApp("app_1", "acc_a")
	write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, a) })
	var got *registry.Application
	db.Read(ctx, func(tx registry.Tx) error {
		var err error
		got, err = tx.Application(ctx, "app_1", false)
		if err != nil {
			t.Fatal(err)
		}
		return nil
	})
	if got.HolderName != "Holder acc_a" {
		t.Errorf("HolderName = %q", got.HolderName)
	}
	got.HolderName = ""
	// An overlap flag keeps the other application's facts (what
	// Application.ForViewer needs); compared by value, then aliased so
	// that the printed comparison below sees one pointer.
	if len(got.Flags) != 2 || got.Flags[1].With == nil || *got.Flags[1].With != *a.Flags[1].With {
		t.Fatalf("flags round trip: got %+v, want %+v", got.Flags, a.Flags)
	}
	got.Flags[1].With = a.Flags[1].With
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", a) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, a)
	}
	// A draft without an operator stores NULL and reads back empty.
	b := &registry.Application{ID: "app_2", AccountID: "acc_a", Category: registry.CategoryMobile, State: registry.StateDraft,
		MobileNumbers: []string{"923001234567", "923331234567"}, CreatedAt: t0, UpdatedAt: t0}
	write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, b) })
	// Update replaces the items.
	a.Addresses = pfx("27.0.184.0/24")
	a.State, a.SubmittedAt, a.SLADueAt = registry.StateOperatorCheck, t0.Add(time.Hour), t0.Add(9*time.Hour)
	write(t, db, func(tx registry.Tx) error { return tx.UpdateApplication(ctx, a) })
	db.Read(ctx, func(tx registry.Tx) error {
		got, err := tx.Application(ctx, "app_1", false)
		if err != nil || len(got.Addresses) != 1 || got.Addresses[0].String() != "27.0.184.0/24" || got.State != registry.StateOperatorCheck || !got.SLADueAt.Equal(t0.Add(9*time.Hour)) {
			t.Errorf("after update = %+v, %v", got, err)
		}
		got, err = tx.Application(ctx, "app_2", false)
		if err != nil || got.OperatorID != "" || !slices.Equal(got.MobileNumbers, b.MobileNumbers) {
			t.Errorf("mobile draft = %+v, %v", got, err)
		}
		_, err = tx.Application(ctx, "app_none", false)
		wantCode(t, err, registry.ENOTFOUND)
		return nil
	})
	write(t, db, func(tx registry.Tx) error {
		for _, typ := range []string{"created", "submitted"} {
			if err := tx.AddEvent(ctx, &registry.Event{ApplicationID: "app_1", At: t0, ActorID: "usr_a", ActorRole: registry.RoleApplicant, Type: typ}); err != nil {
				return err
			}
		}
		return nil
	})
	db.Read(ctx, func(tx registry.Tx) error {
		es, err := tx.Events(ctx, "app_1")
		if err != nil || len(es) != 2 || es[0].Type != "created" || es[1].Type != "submitted" {
			t.Errorf("Events = %+v, %v", es, err)
		}
		return nil
	})
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error {
		return tx.UpdateApplication(ctx, &registry.Application{ID: "app_none", AccountID: "acc_a", State: registry.StateDraft})
	}), registry.ENOTFOUND)

	// Items read under the lock are rewritten only when they changed
	// (the store skips the rewrite otherwise): every sequence of updates
	// in one transaction leaves the last items given, and an update of
	// the state alone keeps them.
	numbers := func(want ...string) {
		t.Helper()
		db.Read(ctx, func(tx registry.Tx) error {
			got, err := tx.Application(ctx, "app_2", false)
			if err != nil || !slices.Equal(got.MobileNumbers, want) {
				t.Errorf("numbers = %v, %v; want %v", got.MobileNumbers, err, want)
			}
			return nil
		})
	}
	write(t, db, func(tx registry.Tx) error {
		b, err := tx.Application(ctx, "app_2", true)
		if err != nil {
			return err
		}
		b.MobileNumbers = []string{"923001111111"}
		if err := tx.UpdateApplication(ctx, b); err != nil {
			return err
		}
		b.MobileNumbers = []string{"923001234567", "923331234567"} // back to what was read
		return tx.UpdateApplication(ctx, b)
	})
	numbers("923001234567", "923331234567")
	write(t, db, func(tx registry.Tx) error {
		b, err := tx.Application(ctx, "app_2", true)
		if err != nil {
			return err
		}
		b.MobileNumbers = []string{"923002222222", "923003333333"}
		return tx.UpdateApplication(ctx, b)
	})
	numbers("923002222222", "923003333333")
	write(t, db, func(tx registry.Tx) error {
		b, err := tx.Application(ctx, "app_2", true)
		if err != nil {
			return err
		}
		b.State = registry.StateOperatorCheck
		return tx.UpdateApplication(ctx, b)
	})
	numbers("923002222222", "923003333333")
	// Read without the lock, an application's items are rewritten
	// whatever they are.
	write(t, db, func(tx registry.Tx) error {
		b, err := tx.Application(ctx, "app_2", false)
		if err != nil {
			return err
		}
		b.MobileNumbers = []string{"923004444444"}
		return tx.UpdateApplication(ctx, b)
	})
	numbers("923004444444")
}

func testApplicationFilters(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a", "acc_b")
	write(t, db, func(tx registry.Tx) error {
		for i, spec := range []struct {
			id, acc string
			state   registry.State
			due     time.Duration
			flag    string
		}{
			{"app_1", "acc_a", registry.StateReview, 5 * time.Hour, registry.FlagOverlap},
			{"app_2", "acc_a", registry.StateReview, 1 * time.Hour, ""},
			{"app_3", "acc_b", registry.StateReview, 3 * time.Hour, registry.FlagOperatorDisputed},
			{"app_4", "acc_b", registry.StateDraft, 0, ""},
		} {
			a := sampleApp(spec.id, spec.acc)
			a.Addresses = pfx(fmt.Sprintf("14.1.%d.0/24", 104+i))
			a.State, a.Flags = spec.state, nil
			if spec.flag != "" {
				a.Flags = []registry.Flag{{Code: spec.flag, Detail: "d"}}
			}
			if spec.due != 0 {
				a.SubmittedAt, a.SLADueAt = t0, t0.Add(spec.due)
			}
			a.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
			if err := tx.CreateApplication(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(f registry.AppFilter) []string {
		var out []string
		db.Read(ctx, func(tx registry.Tx) error {
			as, err := tx.ListApplications(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range as {
				if len(a.Addresses) != 1 {
					t.Errorf("%s listed without its items", a.ID)
				}
				out = append(out, a.ID)
			}
			return nil
		})
		return out
	}
	for _, tt := range []struct {
		name string
		f    registry.AppFilter
		want []string
	}{
		{"all newest first", registry.AppFilter{}, []string{"app_4", "app_3", "app_2", "app_1"}},
		{"account", registry.AppFilter{AccountID: "acc_a"}, []string{"app_2", "app_1"}},
		{"queue by SLA", registry.AppFilter{States: []registry.State{registry.StateReview}, OrderBySLA: true}, []string{"app_2", "app_3", "app_1"}},
		{"flag", registry.AppFilter{Flag: registry.FlagOperatorDisputed}, []string{"app_3"}},
		{"overdue", registry.AppFilter{OverdueBefore: t0.Add(4 * time.Hour), OrderBySLA: true}, []string{"app_2", "app_3"}},
		{"operator and category", registry.AppFilter{OperatorID: "ptcl", Category: registry.CategoryCompany, States: []registry.State{registry.StateDraft}}, []string{"app_4"}},
		{"limit", registry.AppFilter{Limit: 1}, []string{"app_4"}},
		{"no match", registry.AppFilter{Category: registry.CategoryMobile}, nil},
	} {
		if got := ids(tt.f); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// testQueueKeyset pages through a queue whose applications tie on SLA due
// time and on submission time (so only the ID orders them), a few at a time
// by After, and gets exactly the whole queue in order: nothing skipped,
// nothing twice, on every page size.
func testQueueKeyset(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	const n = 23
	write(t, db, func(tx registry.Tx) error {
		for i := range n {
			// IDs in an order unlike the queue's, ties in threes and fives.
			a := sampleApp(fmt.Sprintf("app_k%02d", (i*7)%n), "acc_a")
			a.Addresses = pfx(fmt.Sprintf("14.1.%d.0/24", 104+i))
			a.State, a.Flags = registry.StateReview, nil
			a.SubmittedAt = t0.Add(time.Duration(i%3) * time.Minute)
			a.SLADueAt = t0.Add(time.Duration(i%5) * time.Hour)
			if i == n-1 {
				a.State = registry.StateDraft // not in the queue
			}
			if err := tx.CreateApplication(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	list := func(f registry.AppFilter) ([]string, error) {
		var out []string
		err := db.Read(ctx, func(tx registry.Tx) error {
			as, err := tx.ListApplications(ctx, f)
			for _, a := range as {
				out = append(out, a.ID)
			}
			return err
		})
		return out, err
	}
	queue := registry.AppFilter{States: []registry.State{registry.StateReview}, OrderBySLA: true}
	all, err := list(queue)
	if err != nil || len(all) != n-1 {
		t.Fatalf("whole queue = %v, %v; want %d applications", all, err, n-1)
	}
	for _, size := range []int{1, 2, 4, 7, n} {
		var paged []string
		f := queue
		f.Limit = size
		for range n + 1 {
			page, err := list(f)
			if err != nil {
				t.Fatalf("page of %d after %q: %v", size, f.After, err)
			}
			paged = append(paged, page...)
			if len(page) < size {
				break
			}
			f.After = page[len(page)-1]
		}
		if !slices.Equal(paged, all) {
			t.Errorf("pages of %d = %v, want %v", size, paged, all)
		}
	}
	f := queue
	f.After = "app_nobody"
	_, err = list(f)
	wantCode(t, err, registry.EINVALID)
}

func testOverlapsAndHeld(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a", "acc_b")
	mk := func(id, acc string, state registry.State, addrs ...string) {
		a := sampleApp(id, acc)
		a.State, a.Addresses = state, pfx(addrs...)
		write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, a) })
	}
	mk("app_a1", "acc_a", registry.StateReview, "14.1.104.0/24", "14.1.200.1/32")
	mk("app_a2", "acc_a", registry.StateDraft, "27.0.184.0/24")
	mk("app_a3", "acc_a", registry.StateApproved, "2001:dd8:1c::/48")
	mk("app_a4", "acc_a", registry.StateRejected, "36.255.32.0/24")
	// A rejection under appeal still counts as applied for; a decided
	// appeal's does not.
	mk("app_a5", "acc_a", registry.StateRejected, "36.255.33.0/24")
	mk("app_a6", "acc_a", registry.StateRejected, "36.255.34.0/24")
	for _, ap := range []struct {
		id, app string
		state   registry.AppealState
	}{{"apl_5", "app_a5", registry.AppealPending}, {"apl_6", "app_a6", registry.AppealUpheld}} {
		write(t, db, func(tx registry.Tx) error {
			return tx.CreateAppeal(ctx, &registry.Appeal{ID: ap.id, ApplicationID: ap.app, AccountID: "acc_a", RejectedAt: t0, RejectedBy: "usr_rev",
				Statement: "Please look again", State: ap.state, SubmittedBy: "usr_acc_a", SubmittedAt: t0, SLADueAt: t0.Add(time.Hour)})
		})
	}
	write(t, db, func(tx registry.Tx) error {
		return tx.CreateRegistration(ctx, &registry.Registration{Number: "VPN-2026-000001", ApplicationID: "app_a3", AccountID: "acc_a", Addresses: pfx("2001:dd8:1c::/48"),
			Category: registry.CategoryCompany, OperatorID: "ptcl", Status: registry.RegActive, ValidFrom: t0, ValidUntil: t0.AddDate(1, 0, 0),
			VerificationCode: "ABC", CreatedAt: t0})
	})
	overlaps := func(except, p string) []string {
		var out []string
		db.Read(ctx, func(tx registry.Tx) error {
			os, err := overlapsOne(ctx, tx, except, "acc_b", netip.MustParsePrefix(p), "")
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range os.Listed {
				out = append(out, o.Item+"@"+o.ApplicationID+"@"+o.Registration+"@"+o.AccountID+"@"+o.OperatorID+"@"+string(o.State))
			}
			return nil
		})
		return out
	}
	const a1, a3 = "@app_a1@@acc_a@ptcl@review", "@app_a3@VPN-2026-000001@acc_a@ptcl@approved"
	cases := []struct {
		except, p string
		want      []string
	}{
		{"app_b1", "14.1.104.128/25", []string{"14.1.104.0/24" + a1}},                                                         // inside a pending /24
		{"app_b1", "14.1.104.0/23", []string{"14.1.104.0/24" + a1}},                                                           // contains it
		{"app_b1", "14.1.200.1/32", []string{"14.1.200.1/32" + a1}},                                                           // exact host
		{"app_b1", "14.1.200.2/32", nil},                                                                                      // neighbour
		{"app_b1", "27.0.184.0/24", nil},                                                                                      // drafts hold nothing
		{"app_b1", "36.255.32.0/24", nil},                                                                                     // nor rejections
		{"app_b1", "36.255.33.0/24", []string{"36.255.33.0/24@app_a5@@acc_a@ptcl@rejected"}},                                  // but a rejection under appeal does
		{"app_b1", "36.255.34.0/24", nil},                                                                                     // and not after the appeal's decision
		{"app_b1", "2001:dd8:1c:ff::/64", []string{"2001:dd8:1c::/48" + a3}},                                                  // active registration
		{"app_a1", "14.1.104.0/24", nil},                                                                                      // the application itself
		{"app_a2", "14.1.104.0/24", []string{"14.1.104.0/24" + a1}},                                                           // another of the same account
		{"", "0.0.0.0/0", []string{"14.1.104.0/24" + a1, "14.1.200.1/32" + a1, "36.255.33.0/24@app_a5@@acc_a@ptcl@rejected"}}, // v4 never matches v6
	}
	for _, tt := range cases {
		if got := overlaps(tt.except, tt.p); !slices.Equal(got, tt.want) {
			t.Errorf("Overlaps(except %s, %s) = %v, want %v", tt.except, tt.p, got, tt.want)
		}
	}
	// One call searches a whole application: every prefix asked of
	// app_b1 at once, with an item that overlaps nothing between them and
	// the same prefix twice, answers each as it answers alone.
	var ps []netip.Prefix
	var want [][]string
	for _, tt := range cases {
		if tt.except == "app_b1" {
			ps = append(ps, netip.MustParsePrefix(tt.p), netip.MustParsePrefix("192.0.2.0/24"))
			want = append(want, tt.want, nil)
		}
	}
	ps = append(ps, ps[0])
	want = append(want, want[0])
	db.Read(ctx, func(tx registry.Tx) error {
		sets, err := tx.Overlaps(ctx, "app_b1", "acc_b", ps, nil)
		if err != nil || len(sets) != len(ps) {
			t.Fatalf("Overlaps of %d prefixes = %d sets, %v", len(ps), len(sets), err)
		}
		for i, os := range sets {
			var got []string
			for _, o := range os.Listed {
				got = append(got, o.Item+"@"+o.ApplicationID+"@"+o.Registration+"@"+o.AccountID+"@"+o.OperatorID+"@"+string(o.State))
			}
			if !slices.Equal(got, want[i]) || os.Others != len(want[i]) || os.Own != 0 {
				t.Errorf("Overlaps of %d prefixes, item %d (%s) = %v (own %d, others %d), want %v", len(ps), i, ps[i], got, os.Own, os.Others, want[i])
			}
		}
		if sets, err := tx.Overlaps(ctx, "app_b1", "acc_b", nil, nil); err != nil || len(sets) != 0 {
			t.Errorf("Overlaps of no item = %v, %v", sets, err)
		}
		return nil
	})
	db.Read(ctx, func(tx registry.Tx) error {
		// app_a1's two addresses (pending) + app_a3's one (active registration).
		if n, err := tx.HeldItems(ctx, "acc_a", ""); err != nil || n != 3 {
			t.Errorf("HeldItems = %d, %v; want 3", n, err)
		}
		if n, _ := tx.HeldItems(ctx, "acc_a", "app_a1"); n != 1 {
			t.Errorf("HeldItems except app_a1 = %d, want 1", n)
		}
		return nil
	})
	write(t, db, func(tx registry.Tx) error {
		r, err := tx.Registration(ctx, "VPN-2026-000001", true)
		if err != nil {
			return err
		}
		r.Status = registry.RegExpired
		return tx.UpdateRegistration(ctx, r)
	})
	if got := overlaps("app_b1", "2001:dd8:1c::/48"); got != nil {
		t.Errorf("an expired registration still overlaps: %v", got)
	}
	// Mobile numbers overlap by equality.
	m := &registry.Application{ID: "app_m", AccountID: "acc_a", Category: registry.CategoryMobile, OperatorID: "jazz",
		MobileNumbers: []string{"923001234567"}, State: registry.StateOperatorCheck, CreatedAt: t0, UpdatedAt: t0}
	write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, m) })
	db.Read(ctx, func(tx registry.Tx) error {
		os, err := overlapsOne(ctx, tx, "app_b1", "acc_b", netip.Prefix{}, "923001234567")
		if err != nil || len(os.Listed) != 1 || os.Listed[0].ApplicationID != "app_m" || os.Listed[0].OperatorID != "jazz" || os.Listed[0].AccountID != "acc_a" ||
			os.Own != 0 || os.Others != 1 {
			t.Errorf("mobile Overlaps = %+v, %v", os, err)
		}
		if os, _ = overlapsOne(ctx, tx, "app_m", "acc_a", netip.Prefix{}, "923001234567"); len(os.Listed) != 0 || os.Own+os.Others != 0 {
			t.Errorf("an application overlaps itself: %+v", os)
		}
		os, _ = overlapsOne(ctx, tx, "app_b1", "acc_b", netip.Prefix{}, "923001234568")
		if len(os.Listed) != 0 {
			t.Errorf("another number overlaps: %v", os)
		}
		// Numbers come after the prefixes, each with its own set.
		sets, err := tx.Overlaps(ctx, "app_b1", "acc_b", pfx("14.1.200.1/32", "14.1.200.2/32"), []string{"923001234568", "923001234567"})
		if err != nil || len(sets) != 4 || len(sets[0].Listed) != 1 || len(sets[1].Listed) != 0 || len(sets[2].Listed) != 0 ||
			len(sets[3].Listed) != 1 || sets[3].Listed[0].Item != "923001234567" || sets[3].Listed[0].ApplicationID != "app_m" {
			t.Errorf("Overlaps of two prefixes and two numbers = %+v, %v", sets, err)
		}
		return nil
	})
}

// testOverlapLimit: the account's own items and other accounts' are
// listed up to registry.OverlapLimit each, own first, and counted in full,
// so many overlaps with others never push out the account's own.
func testOverlapLimit(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a", "acc_b")
	// app_a* of acc_a sort before app_z* of acc_b.
	mk := func(id, acc string, n int) {
		a := sampleApp(id, acc)
		a.State, a.Addresses = registry.StateReview, nil
		for i := range n {
			a.Addresses = append(a.Addresses, netip.PrefixFrom(netip.AddrFrom4([4]byte{14, 1, 150, byte(i + 1)}), 32))
		}
		write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, a) })
	}
	mk("app_a1", "acc_a", registry.OverlapLimit+5)
	mk("app_z1", "acc_b", 2)
	for _, tt := range []struct {
		account             string
		wantOwn, wantOthers int
		wantListed          []string // application of each listed item, in order
	}{
		// acc_b asks: its own two first, then acc_a's up to the limit.
		{"acc_b", 2, registry.OverlapLimit + 5, append([]string{"app_z1", "app_z1"}, slices.Repeat([]string{"app_a1"}, registry.OverlapLimit)...)},
		// acc_a asks: its own, cut at the limit, then acc_b's.
		{"acc_a", registry.OverlapLimit + 5, 2, append(slices.Repeat([]string{"app_a1"}, registry.OverlapLimit), "app_z1", "app_z1")},
		// Nobody's own.
		{"acc_c", 0, registry.OverlapLimit + 7, append(slices.Repeat([]string{"app_a1"}, registry.OverlapLimit), "app_z1", "app_z1")[:registry.OverlapLimit]},
	} {
		db.Read(ctx, func(tx registry.Tx) error {
			os, err := overlapsOne(ctx, tx, "app_probe", tt.account, netip.MustParsePrefix("14.1.150.0/24"), "")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range os.Listed {
				got = append(got, o.ApplicationID)
			}
			if os.Own != tt.wantOwn || os.Others != tt.wantOthers || !slices.Equal(got, tt.wantListed) {
				t.Errorf("Overlaps as %s = own %d, others %d, listed %v; want %d, %d, %v", tt.account, os.Own, os.Others, got,
					tt.wantOwn, tt.wantOthers, tt.wantListed)
			}
			return nil
		})
	}
}

func testChecks(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	a := sampleApp("app_1", "acc_a")
	a.State = registry.StateOperatorCheck
	// What the operator was asked: the application as it was when the
	// check was opened.
	asked := func(c *registry.Check) *registry.Check {
		c.Category, c.SubscriberID, c.HolderName, c.Addresses = a.Category, a.SubscriberID, "Holder acc_a", a.Addresses
		return c
	}
	write(t, db, func(tx registry.Tx) error {
		if err := tx.CreateApplication(ctx, a); err != nil {
			return err
		}
		for _, c := range []*registry.Check{
			asked(&registry.Check{ID: "chk_1", ApplicationID: "app_1", OperatorID: "ptcl", State: registry.CheckPending, DueAt: t0.Add(48 * time.Hour), CreatedAt: t0}),
			asked(&registry.Check{ID: "chk_2", ApplicationID: "app_1", OperatorID: "ptcl", State: registry.CheckPending, DueAt: t0.Add(time.Hour), CreatedAt: t0}),
			{ID: "chk_3", ApplicationID: "app_1", OperatorID: "jazz", State: registry.CheckConfirmed, DueAt: t0, CreatedAt: t0,
				Category: registry.CategoryMobile, SubscriberID: "JAZZ-9", HolderName: "Holder acc_a", MobileNumbers: []string{"923001234567", "923001234568"}},
		} {
			if err := tx.CreateCheck(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	db.Read(ctx, func(tx registry.Tx) error {
		cs, err := tx.ListChecks(ctx, "ptcl", registry.CheckPending)
		if err != nil || len(cs) != 2 || cs[0].ID != "chk_2" || len(cs[0].Addresses) != 3 || cs[0].HolderName != "Holder acc_a" || cs[0].SubscriberID != "PTCL-001" {
			t.Errorf("ListChecks = %d checks, %v: %+v", len(cs), err, cs)
		}
		cs, _ = tx.ListChecks(ctx, "jazz", "")
		if len(cs) != 1 || cs[0].SubscriberID != "JAZZ-9" || cs[0].Category != registry.CategoryMobile ||
			len(cs[0].Addresses) != 0 || fmt.Sprint(cs[0].MobileNumbers) != "[923001234567 923001234568]" {
			t.Errorf("ListChecks(jazz) = %+v, want its own snapshot", cs)
		}
		cs, _ = tx.DueChecks(ctx, t0.Add(2*time.Hour))
		if len(cs) != 1 || cs[0].ID != "chk_2" {
			t.Errorf("DueChecks = %+v", cs)
		}
		cs, _ = tx.ApplicationChecks(ctx, "app_1")
		if len(cs) != 3 {
			t.Errorf("ApplicationChecks = %d, want 3", len(cs))
		}
		return nil
	})
	write(t, db, func(tx registry.Tx) error {
		c, err := tx.Check(ctx, "chk_1", true)
		if err != nil {
			return err
		}
		c.State, c.AnsweredAt, c.AnsweredBy, c.Note = registry.CheckDisputed, t0.Add(time.Minute), "usr_op", "not our subscriber"
		return tx.UpdateCheck(ctx, c)
	})
	db.Read(ctx, func(tx registry.Tx) error {
		c, err := tx.Check(ctx, "chk_1", false)
		if err != nil || c.State != registry.CheckDisputed || c.Note != "not our subscriber" || !c.AnsweredAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("Check after update = %+v, %v", c, err)
		}
		_, err = tx.Check(ctx, "chk_none", false)
		wantCode(t, err, registry.ENOTFOUND)
		return nil
	})

	// The application is returned, moved to another operator and edited
	// (another subscriber, other addresses): every check still shows what
	// its operator was asked, never the new data.
	write(t, db, func(tx registry.Tx) error {
		a.State, a.OperatorID, a.SubscriberID, a.Addresses = registry.StateReturned, "jazz", "JAZZ-777", pfx("14.1.200.0/24")
		return tx.UpdateApplication(ctx, a)
	})
	db.Read(ctx, func(tx registry.Tx) error {
		for _, st := range []registry.CheckState{"", registry.CheckPending, registry.CheckDisputed} {
			cs, err := tx.ListChecks(ctx, "ptcl", st)
			if err != nil || len(cs) == 0 {
				t.Fatalf("ListChecks(ptcl, %q) = %v, %v", st, cs, err)
			}
			for _, c := range cs {
				if c.SubscriberID != "PTCL-001" || c.HolderName != "Holder acc_a" || c.Category != registry.CategoryCompany ||
					fmt.Sprint(c.Addresses) != "[14.1.104.0/24 2001:dd8:1c::/48 14.1.105.7/32]" || len(c.MobileNumbers) != 0 {
					t.Errorf("ListChecks(ptcl, %q): %s = %+v, want what PTCL was asked", st, c.ID, c)
				}
			}
		}
		for _, id := range []string{"chk_1", "chk_2"} {
			if c, err := tx.Check(ctx, id, false); err != nil || c.SubscriberID != "PTCL-001" || fmt.Sprint(c.Addresses) != "[14.1.104.0/24 2001:dd8:1c::/48 14.1.105.7/32]" {
				t.Errorf("Check(%s) = %+v, %v, want what PTCL was asked", id, c, err)
			}
		}
		cs, err := tx.ApplicationChecks(ctx, "app_1")
		if err != nil || len(cs) != 3 {
			t.Fatalf("ApplicationChecks = %v, %v", cs, err)
		}
		for _, c := range cs {
			if c.SubscriberID == "JAZZ-777" || strings.Contains(fmt.Sprint(c.Addresses), "14.1.200.0") {
				t.Errorf("ApplicationChecks: %s shows the application's new data: %+v", c.ID, c)
			}
		}
		return nil
	})
}

func testRegistrations(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a", "acc_b")
	for i, acc := range []string{"acc_a", "acc_b"} {
		a := sampleApp(fmt.Sprintf("app_%d", i), acc)
		a.State = registry.StateApproved
		r := &registry.Registration{Number: fmt.Sprintf("VPN-2026-%06d", i+1), ApplicationID: a.ID, AccountID: acc, Addresses: a.Addresses,
			Category: registry.CategoryCompany, OperatorID: "ptcl", Status: registry.RegActive, ValidFrom: t0,
			ValidUntil: t0.AddDate(0, 0, 30*(i+1)), VerificationCode: "CODE", CreatedAt: t0.Add(time.Duration(i) * time.Second),
			IssuedAt: t0.Add(time.Duration(i) * time.Second)}
		write(t, db, func(tx registry.Tx) error {
			if err := tx.CreateApplication(ctx, a); err != nil {
				return err
			}
			return tx.CreateRegistration(ctx, r)
		})
	}
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error {
		return tx.CreateRegistration(ctx, &registry.Registration{Number: "VPN-2026-000001", ApplicationID: "app_1", AccountID: "acc_a",
			Category: registry.CategoryCompany, OperatorID: "ptcl", Status: registry.RegActive, ValidFrom: t0, ValidUntil: t0, VerificationCode: "X", CreatedAt: t0})
	}), registry.ECONFLICT)
	db.Read(ctx, func(tx registry.Tx) error {
		r, err := tx.Registration(ctx, "VPN-2026-000001", false)
		if err != nil || r.HolderName != "Holder acc_a" || len(r.Addresses) != 3 || r.VerificationCode != "CODE" {
			t.Errorf("Registration = %+v, %v", r, err)
		}
		rs, _ := tx.ListRegistrations(ctx, registry.RegFilter{AccountID: "acc_b"})
		if len(rs) != 1 || rs[0].Number != "VPN-2026-000002" {
			t.Errorf("ListRegistrations(acc_b) = %+v", rs)
		}
		rs, _ = tx.DueExpiries(ctx, t0.AddDate(0, 0, 31))
		if len(rs) != 1 || rs[0].Number != "VPN-2026-000001" {
			t.Errorf("DueExpiries = %+v", rs)
		}
		_, err = tx.Registration(ctx, "VPN-2026-999999", false)
		wantCode(t, err, registry.ENOTFOUND)
		return nil
	})
	write(t, db, func(tx registry.Tx) error {
		r, _ := tx.Registration(ctx, "VPN-2026-000001", true)
		r.Status, r.EndedAt, r.EndReason = registry.RegSurrendered, t0.Add(time.Hour), "closed office"
		r.IssuedAt = t0.Add(30 * time.Minute) // a reissued certificate
		return tx.UpdateRegistration(ctx, r)
	})
	db.Read(ctx, func(tx registry.Tx) error {
		rs, _ := tx.ListRegistrations(ctx, registry.RegFilter{Status: registry.RegActive})
		if len(rs) != 1 {
			t.Errorf("active registrations = %d, want 1", len(rs))
		}
		r, _ := tx.Registration(ctx, "VPN-2026-000001", false)
		if r.EndReason != "closed office" || !r.EndedAt.Equal(t0.Add(time.Hour)) || !r.IssuedAt.Equal(t0.Add(30*time.Minute)) {
			t.Errorf("ended registration = %+v", r)
		}
		return nil
	})
}

func testRevocations(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	a := sampleApp("app_1", "acc_a")
	write(t, db, func(tx registry.Tx) error {
		if err := tx.CreateUser(ctx, &registry.User{ID: "usr_r", Email: "r@x.pk", Role: registry.RoleReviewer, PasswordHash: "h", CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.CreateApplication(ctx, a); err != nil {
			return err
		}
		return tx.CreateRegistration(ctx, &registry.Registration{Number: "VPN-2026-000001", ApplicationID: "app_1", AccountID: "acc_a",
			Category: registry.CategoryCompany, OperatorID: "ptcl", Status: registry.RegActive, ValidFrom: t0, ValidUntil: t0.AddDate(1, 0, 0),
			VerificationCode: "C", CreatedAt: t0})
	})
	rev := &registry.Revocation{ID: "rev_1", RegistrationNumber: "VPN-2026-000001", Reason: "misuse", State: registry.RevocationPending, ProposedBy: "usr_r", ProposedAt: t0}
	write(t, db, func(tx registry.Tx) error { return tx.CreateRevocation(ctx, rev) })
	second := *rev
	second.ID = "rev_2"
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error { return tx.CreateRevocation(ctx, &second) }), registry.ECONFLICT)
	rev.State, rev.DecidedBy, rev.DecidedAt = registry.RevocationCancelled, "usr_r", t0.Add(time.Minute)
	write(t, db, func(tx registry.Tx) error { return tx.UpdateRevocation(ctx, rev) })
	// Once the first is no longer pending, a new proposal is allowed.
	write(t, db, func(tx registry.Tx) error { return tx.CreateRevocation(ctx, &second) })
	db.Read(ctx, func(tx registry.Tx) error {
		rs, err := tx.ListRevocations(ctx, registry.RevocationPending)
		if err != nil || len(rs) != 1 || rs[0].ID != "rev_2" {
			t.Errorf("pending revocations = %+v, %v", rs, err)
		}
		r, err := tx.Revocation(ctx, "rev_1", false)
		if err != nil || r.State != registry.RevocationCancelled || !r.DecidedAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("Revocation = %+v, %v", r, err)
		}
		all, _ := tx.ListRevocations(ctx, "")
		if len(all) != 2 {
			t.Errorf("all revocations = %d", len(all))
		}
		return nil
	})
}

func testSerialConcurrent(t *testing.T, db *store.DB) {
	ctx := context.Background()
	const workers, each = 8, 15
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				err := db.Write(ctx, func(tx registry.Tx) error {
					v, err := tx.NextSerial(ctx, "registration-2026")
					if err != nil {
						return err
					}
					mu.Lock()
					got = append(got, v)
					mu.Unlock()
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	slices.Sort(got)
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("serials are not 1..%d without gaps or repeats: %v", workers*each, got)
		}
	}
	write(t, db, func(tx registry.Tx) error {
		v, err := tx.NextSerial(ctx, "registration-2027")
		if v != 1 {
			t.Errorf("a new series starts at %d, want 1", v)
		}
		return err
	})
}

func verifyAudit(db *store.DB) error {
	_, err := VerifiedAudit(db)
	return err
}

// VerifiedAudit reads db's whole audit chain and checks it, returning its
// entries in order or the first break.
func VerifiedAudit(db *store.DB) ([]audit.Entry, error) {
	ctx := context.Background()
	var es []audit.Entry
	err := db.Read(ctx, func(tx registry.Tx) error {
		seq, hash, err := tx.AuditHead(ctx)
		if err != nil {
			return err
		}
		if es, err = tx.AuditEntries(ctx, 0, 100000); err != nil {
			return err
		}
		v := audit.NewVerifier()
		for _, e := range es {
			if err := v.Next(e); err != nil {
				return err
			}
		}
		return v.Finish(seq, hash)
	})
	return es, err
}

func testAuditChain(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				err := db.Write(ctx, func(tx registry.Tx) error {
					return tx.AppendAudit(ctx, &audit.Entry{At: time.Now(), ActorID: fmt.Sprintf("usr_%d", w), Action: "application.viewed",
						ObjectType: "application", ObjectID: fmt.Sprintf("app_%d", i), Detail: `{"n":1}`})
				})
				if err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	if err := verifyAudit(db); err != nil {
		t.Fatalf("concurrent appends broke the chain: %v", err)
	}
	// A rolled-back append leaves no trace and no gap.
	db.Write(ctx, func(tx registry.Tx) error {
		tx.AppendAudit(ctx, &audit.Entry{At: time.Now(), Action: "x", ObjectType: "y"})
		return errors.New("roll back")
	})
	if err := verifyAudit(db); err != nil {
		t.Fatalf("after a rollback: %v", err)
	}
	// Tampering, each on a fresh copy of the situation, must be detected.
	for _, tt := range []struct{ name, sql, want string }{
		{"changed", `UPDATE audit_log SET actor_id = 'usr_x' WHERE seq = 10`, "entry 10"},
		{"removed", `DELETE FROM audit_log WHERE seq = 20`, "entry 21 follows entry 19"},
		{"reordered", `UPDATE audit_log SET seq = -1 WHERE seq = 30; UPDATE audit_log SET seq = 30 WHERE seq = 31; UPDATE audit_log SET seq = 31 WHERE seq = -1`, "entry 30"},
		{"truncated", `DELETE FROM audit_log WHERE seq > 55`, "removed from the end"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sqlDB := db.SQL()
			conn, err := sqlDB.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			tx, err := conn.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback() // undo the tampering for the next case
			for _, stmt := range strings.Split(tt.sql, "; ") {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
			rows, err := tx.QueryContext(ctx, `SELECT seq, at, actor_id, action, object_type, object_id, detail, prev_hash, hash FROM audit_log ORDER BY seq`)
			if err != nil {
				t.Fatal(err)
			}
			v := audit.NewVerifier()
			var verr error
			for rows.Next() {
				var e audit.Entry
				var at string
				rows.Scan(&e.Seq, &at, &e.ActorID, &e.Action, &e.ObjectType, &e.ObjectID, &e.Detail, &e.PrevHash, &e.Hash)
				e.At, _ = time.Parse("2006-01-02T15:04:05.000000Z", at)
				if verr == nil {
					verr = v.Next(e)
				}
			}
			rows.Close()
			if verr == nil {
				var seq int64
				var hash string
				tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash)
				verr = v.Finish(seq, hash)
			}
			if verr == nil || !strings.Contains(verr.Error(), tt.want) {
				t.Fatalf("verify after %s = %v, want %q", tt.name, verr, tt.want)
			}
		})
	}
}

func testRollback(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	err := db.Write(ctx, func(tx registry.Tx) error {
		if err := tx.CreateApplication(ctx, sampleApp("app_1", "acc_a")); err != nil {
			return err
		}
		return registry.Errorf(registry.EINVALID, "late failure")
	})
	wantCode(t, err, registry.EINVALID)
	db.Read(ctx, func(tx registry.Tx) error {
		_, err := tx.Application(ctx, "app_1", false)
		wantCode(t, err, registry.ENOTFOUND)
		n, _ := tx.HeldItems(ctx, "acc_a", "")
		if n != 0 {
			t.Errorf("items of a rolled-back application remain: %d", n)
		}
		return nil
	})
}

func testSettings(t *testing.T, db *store.DB) {
	ctx := context.Background()
	db.Read(ctx, func(tx registry.Tx) error {
		s, err := tx.Settings(ctx)
		if err != nil || !reflect.DeepEqual(s, registry.DefaultSettings) {
			t.Errorf("Settings on a new store = %+v, %v; want the defaults", s, err)
		}
		// The API decodes a partial PUT into what Settings returned: on a
		// store with none saved, that must not write into the defaults'
		// own holiday list (it once did, and a refused PUT left every
		// later reader of the defaults with its dates).
		if err := json.Unmarshal([]byte(`{"holidays":[{"date":"","name":"x"}]}`), &s); err != nil {
			t.Fatal(err)
		}
		return nil
	})
	if h := registry.DefaultSettings.Holidays; len(h) != 14 || h[0].Date != "2026-02-05" {
		t.Fatalf("decoding into the settings of a new store changed the default holidays: %v", registry.DefaultSettings.Holidays)
	}
	s := registry.DefaultSettings
	s.FeeThreshold, s.SLAWorkingHours = 7, 16
	write(t, db, func(tx registry.Tx) error { return tx.PutSettings(ctx, s) })
	s.MaxItems = 10
	s.AppealDays = 14
	// A shorter holiday list replaces the longer one (reading it must not
	// reuse, and so overwrite, the defaults' list).
	s.Holidays = []registry.Holiday{{Date: "2026-12-25", Name: "Quaid-e-Azam Day"}}
	write(t, db, func(tx registry.Tx) error { return tx.PutSettings(ctx, s) })
	db.Read(ctx, func(tx registry.Tx) error {
		got, err := tx.Settings(ctx)
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Errorf("Settings = %+v, %v; want %+v", got, err, s)
		}
		return nil
	})
	if h := registry.DefaultSettings.Holidays; len(h) != 14 || h[0].Date != "2026-02-05" {
		t.Errorf("reading settings changed the default holidays: %v", registry.DefaultSettings.Holidays)
	}
	testSettingsEligibilityRules(t, db)
}

// testSettingsEligibilityRules: the questionnaire's rules are kept with
// the settings, and decoding a partial update into what Settings returned
// never writes into the default rules (the holidays' trap above).
func testSettingsEligibilityRules(t *testing.T, db *store.DB) {
	ctx := context.Background()
	defaults := registry.CloneEligibilityRules(registry.DefaultEligibilityRules)
	db.Read(ctx, func(tx registry.Tx) error {
		s, err := tx.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(`{"eligibility_rules":[{"code":"x","who":["company"],"advice":["y"]}]}`), &s); err != nil {
			t.Fatal(err)
		}
		return nil
	})
	if !reflect.DeepEqual(registry.DefaultEligibilityRules, defaults) {
		t.Fatalf("decoding into the settings changed the default eligibility rules: %+v", registry.DefaultEligibilityRules)
	}
	var s registry.Settings
	db.Read(ctx, func(tx registry.Tx) error { s, _ = tx.Settings(ctx); return nil })
	s.EligibilityRules = []registry.EligibilityRule{
		{Code: "provider", LicensedProvider: []string{"yes"}, Outcome: registry.OutcomeNotNeeded, Advice: []string{"check_provider_register"}},
		{Code: "everyone_else", Outcome: registry.OutcomeApply, Who: []string{"freelancer", "individual_mobile"}, Category: registry.CategoryMobile},
	}
	write(t, db, func(tx registry.Tx) error { return tx.PutSettings(ctx, s) })
	db.Read(ctx, func(tx registry.Tx) error {
		got, err := tx.Settings(ctx)
		if err != nil || !reflect.DeepEqual(got.EligibilityRules, s.EligibilityRules) {
			t.Errorf("EligibilityRules = %+v, %v; want %+v", got.EligibilityRules, err, s.EligibilityRules)
		}
		return nil
	})
}

func testStats(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	for i, st := range []registry.State{registry.StateApproved, registry.StateApproved, registry.StateRejected, registry.StateReview} {
		a := sampleApp(fmt.Sprintf("app_%d", i), "acc_a")
		// Decided 1, 2 and 3 hours after submission: two within the SLA.
		a.State, a.SubmittedAt, a.SLADueAt = st, t0, t0.Add(150*time.Minute)
		if st != registry.StateReview {
			a.DecidedAt = t0.Add(time.Duration(i+1) * time.Hour)
		}
		write(t, db, func(tx registry.Tx) error {
			if err := tx.CreateApplication(ctx, a); err != nil {
				return err
			}
			if st != registry.StateApproved {
				return nil
			}
			return tx.CreateRegistration(ctx, &registry.Registration{Number: fmt.Sprintf("VPN-2026-%06d", i+1), ApplicationID: a.ID,
				AccountID: "acc_a", Addresses: a.Addresses, Category: registry.CategoryCompany, OperatorID: "ptcl", Status: registry.RegActive,
				ValidFrom: t0, ValidUntil: t0.AddDate(1, 0, 0), VerificationCode: "C", CreatedAt: t0})
		})
	}
	db.Read(ctx, func(tx registry.Tx) error {
		st, err := tx.Stats(ctx, t0.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if st.ApplicationsByState[registry.StateApproved] != 2 || st.ApplicationsByState[registry.StateReview] != 1 ||
			st.ActiveByCategory[registry.CategoryCompany] != 2 || st.ActiveAddresses != 6 || st.DecisionsLast30Days != 3 ||
			st.MedianDecisionHours != 2 || st.ApprovedShareLast30Days < 0.66 || st.ApprovedShareLast30Days > 0.67 ||
			st.DecidedWithinSLALast30Days < 0.66 || st.DecidedWithinSLALast30Days > 0.67 || len(st.AppealsByState) != 0 {
			t.Errorf("Stats = %+v", st)
		}
		return nil
	})
}

func testMigrateTwice(t *testing.T, db *store.DB) {
	applied, err := db.Migrate(context.Background())
	if err != nil || len(applied) != 0 {
		t.Fatalf("a second Migrate applied %v, %v; want nothing", applied, err)
	}
}

func testDocuments(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	write(t, db, func(tx registry.Tx) error {
		for _, id := range []string{"app_1", "app_2", "app_3"} {
			if err := tx.CreateApplication(ctx, sampleApp(id, "acc_a")); err != nil {
				return err
			}
		}
		return tx.CreateUser(ctx, &registry.User{ID: "usr_rev", Email: "rev@x.test", Role: registry.RoleReviewer, PasswordHash: "x", CreatedAt: t0})
	})
	doc := func(id, app string, kind registry.DocumentKind, at time.Time) *registry.Document {
		return &registry.Document{ID: id, ApplicationID: app, Kind: kind, Filename: "scan ۱.pdf", ContentType: "application/pdf",
			Size: 1234, SHA256: strings.Repeat("ab", 32), UploadedAt: at, UploadedBy: "usr_a"}
	}
	d1 := doc("doc_1", "app_1", registry.DocCNICFront, t0)
	write(t, db, func(tx registry.Tx) error {
		for _, d := range []*registry.Document{d1, doc("doc_2", "app_1", registry.DocCNICBack, t0.Add(time.Second)),
			doc("doc_3", "app_2", registry.DocCNICFront, t0), doc("doc_4", "app_3", registry.DocCNICFront, t0)} {
			if err := tx.CreateDocument(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error { return tx.CreateDocument(ctx, d1) }), registry.ECONFLICT)
	db.Read(ctx, func(tx registry.Tx) error {
		got, err := tx.Document(ctx, "doc_1")
		if err != nil || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", d1) {
			t.Errorf("round trip:\n got %+v, %v\nwant %+v", got, err, d1)
		}
		ds, err := tx.ListDocuments(ctx, "app_1")
		if err != nil || len(ds) != 2 || ds[0].ID != "doc_1" || ds[1].ID != "doc_2" {
			t.Errorf("ListDocuments = %v, %v", ds, err)
		}
		_, err = tx.Document(ctx, "doc_none")
		wantCode(t, err, registry.ENOTFOUND)
		return nil
	})
	// UploadTarget is Application, the count of its documents and
	// Settings in one: with the defaults, then with saved settings.
	uploadTarget := func(id string, docs int) {
		t.Helper()
		db.Read(ctx, func(tx registry.Tx) error {
			a, n, set, err := tx.UploadTarget(ctx, id)
			if err != nil {
				t.Fatalf("UploadTarget(%s): %v", id, err)
			}
			want, err := tx.Application(ctx, id, false)
			if err != nil {
				t.Fatal(err)
			}
			wantSet, err := tx.Settings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, want) || n != docs || !reflect.DeepEqual(set, wantSet) {
				t.Errorf("UploadTarget(%s) = %+v, %d documents, %+v;\nwant %+v, %d, %+v", id, a, n, set, want, docs, wantSet)
			}
			_, _, _, err = tx.UploadTarget(ctx, "app_none")
			wantCode(t, err, registry.ENOTFOUND)
			return nil
		})
	}
	uploadTarget("app_1", 2)
	// AddDocument adds while the application holds fewer than most.
	write(t, db, func(tx registry.Tx) error {
		added, err := tx.AddDocument(ctx, doc("doc_5", "app_1", registry.DocCNICBack, t0.Add(2*time.Second)), 3)
		if err != nil || !added {
			t.Errorf("AddDocument with 2 of 3 held = %v, %v; want added", added, err)
		}
		added, err = tx.AddDocument(ctx, doc("doc_6", "app_1", registry.DocCNICBack, t0.Add(3*time.Second)), 3)
		if err != nil || added {
			t.Errorf("AddDocument with 3 of 3 held = %v, %v; want refused", added, err)
		}
		return nil
	})
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error { _, err := tx.AddDocument(ctx, d1, 10); return err }), registry.ECONFLICT)
	db.Read(ctx, func(tx registry.Tx) error {
		ds, err := tx.ListDocuments(ctx, "app_1")
		if err != nil || len(ds) != 3 || ds[2].ID != "doc_5" || fmt.Sprintf("%+v", ds[2]) != fmt.Sprintf("%+v", doc("doc_5", "app_1", registry.DocCNICBack, t0.Add(2*time.Second))) {
			t.Errorf("after AddDocument: %+v, %v", ds, err)
		}
		return nil
	})
	write(t, db, func(tx registry.Tx) error { return tx.DeleteDocument(ctx, "doc_5") })
	set := registry.DefaultSettings
	set.DocumentMaxBytes = 3 << 20
	write(t, db, func(tx registry.Tx) error {
		a, err := tx.Application(ctx, "app_3", true)
		if err != nil {
			return err
		}
		a.Addresses = []netip.Prefix{netip.MustParsePrefix("39.32.0.0/30"), netip.MustParsePrefix("39.32.0.8/32")}
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		return tx.PutSettings(ctx, set)
	})
	uploadTarget("app_3", 1)
	uploadTarget("app_2", 1)
	write(t, db, func(tx registry.Tx) error { return tx.DeleteDocument(ctx, "doc_2") })
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error { return tx.DeleteDocument(ctx, "doc_2") }), registry.ENOTFOUND)

	// Purges: app_1 decided long ago, app_2 withdrawn long ago (no
	// decision time), app_3 decided recently.
	write(t, db, func(tx registry.Tx) error {
		for id, set := range map[string]func(a *registry.Application){
			"app_1": func(a *registry.Application) {
				a.State, a.DecidedAt, a.UpdatedAt = registry.StateRejected, t0, t0.AddDate(0, 0, 400)
			},
			"app_2": func(a *registry.Application) { a.State, a.UpdatedAt = registry.StateWithdrawn, t0 },
			"app_3": func(a *registry.Application) { a.State, a.DecidedAt = registry.StateApproved, t0.AddDate(0, 0, 300) },
		} {
			a, err := tx.Application(ctx, id, true)
			if err != nil {
				return err
			}
			set(a)
			if err := tx.UpdateApplication(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	cutoff := t0.AddDate(0, 0, 100)
	write(t, db, func(tx registry.Tx) error {
		due, err := tx.DuePurges(ctx, cutoff, 10)
		if err != nil {
			return err
		}
		var ids []string
		for _, d := range due {
			ids = append(ids, d.ID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, []string{"doc_1", "doc_3"}) {
			t.Errorf("DuePurges = %v, want doc_1 and doc_3", ids)
		}
		for _, want := range []bool{true, false} {
			ok, err := tx.MarkDocumentPurged(ctx, "doc_1", cutoff)
			if err != nil || ok != want {
				t.Errorf("MarkDocumentPurged = %v, %v; want %v", ok, err, want)
			}
		}
		due, err = tx.DuePurges(ctx, cutoff, 10)
		if err != nil || len(due) != 1 || due[0].ID != "doc_3" {
			t.Errorf("DuePurges after marking = %v, %v", due, err)
		}
		d, err := tx.Document(ctx, "doc_1")
		if err != nil || !d.PurgedAt.Equal(cutoff.Truncate(time.Microsecond)) {
			t.Errorf("purged document = %+v, %v", d, err)
		}
		// Every record's id, the purged one too; not the deleted one.
		if ids, err := tx.DocumentIDs(ctx); err != nil || !slices.Equal(ids, []string{"doc_1", "doc_3", "doc_4"}) {
			t.Errorf("DocumentIDs = %v, %v; want doc_1, doc_3, doc_4", ids, err)
		}
		return nil
	})

	// Accesses come from the audit log: staff reads of the application
	// and its documents, nothing else.
	write(t, db, func(tx registry.Tx) error {
		for _, e := range []audit.Entry{
			{At: t0, ActorID: "usr_rev", Action: "application.viewed", ObjectType: "application", ObjectID: "app_1"},
			{At: t0.Add(time.Minute), ActorID: "usr_rev", Action: "document.viewed", ObjectType: "application", ObjectID: "app_1", Detail: `{"document":"doc_1","kind":"cnic_front"}`},
			{At: t0, ActorID: "usr_rev", Action: "application.viewed", ObjectType: "application", ObjectID: "app_2"},
			{At: t0, ActorID: "usr_a", Action: "application.submitted", ObjectType: "application", ObjectID: "app_1"},
		} {
			if err := tx.AppendAudit(ctx, &e); err != nil {
				return err
			}
		}
		return nil
	})
	db.Read(ctx, func(tx registry.Tx) error {
		as, err := tx.Accesses(ctx, "app_1")
		if err != nil || len(as) != 2 {
			t.Fatalf("Accesses = %+v, %v", as, err)
		}
		if as[0].Action != "application.viewed" || as[0].ActorRole != registry.RoleReviewer || !as[0].At.Equal(t0.Truncate(time.Microsecond)) ||
			as[1].Action != "document.viewed" || as[1].DocumentKind != registry.DocCNICFront {
			t.Errorf("Accesses = %+v", as)
		}
		return nil
	})
}

// testAuthAttempts: a bucket counts attempts in a window opened by its
// first; refunds and clears take attempts back; an ended window starts
// again at 1; login clients are remembered and forgotten.
func testAuthAttempts(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	win := 15 * time.Minute
	end := t0.Add(win).Truncate(time.Microsecond)
	reserve := func(bucket string, at time.Time, wantN int, wantEnd time.Time) {
		t.Helper()
		write(t, db, func(tx registry.Tx) error {
			n, e, err := tx.ReserveAttempt(ctx, bucket, at, win)
			if err != nil || n != wantN || !e.Equal(wantEnd) {
				t.Errorf("ReserveAttempt(%s, %v) = %d, %v, %v; want %d, %v", bucket, at, n, e, err, wantN, wantEnd)
			}
			return nil
		})
	}
	for i := 1; i <= 3; i++ {
		reserve("b", t0.Add(time.Duration(i)*time.Minute), i, end.Add(time.Minute))
	}
	reserve("other", t0, 1, end)
	write(t, db, func(tx registry.Tx) error {
		// A refund for a window that is not the bucket's current one does nothing.
		if err := tx.RefundAttempt(ctx, "b", end); err != nil {
			return err
		}
		return tx.RefundAttempt(ctx, "b", end.Add(time.Minute))
	})
	reserve("b", t0.Add(4*time.Minute), 3, end.Add(time.Minute))
	// The window ends: counting starts again at 1 in a new window.
	later := t0.Add(win + time.Minute)
	reserve("b", later, 1, later.Add(win).Truncate(time.Microsecond))
	write(t, db, func(tx registry.Tx) error { return tx.ClearAttempts(ctx, "b") })
	reserve("b", later, 1, later.Add(win).Truncate(time.Microsecond))

	write(t, db, func(tx registry.Tx) error {
		if err := tx.CreateUser(ctx, &registry.User{ID: "usr_a", Email: "a@x.pk", Role: registry.RoleApplicant, AccountID: "acc_a", PasswordHash: "h", CreatedAt: t0}); err != nil {
			return err
		}
		if at, err := tx.LoginClientSeen(ctx, "usr_a", "c1"); err != nil || !at.IsZero() {
			t.Errorf("LoginClientSeen before any login = %v, %v", at, err)
		}
		for _, at := range []time.Time{t0, later} {
			if err := tx.RememberLoginClient(ctx, "usr_a", "c1", at); err != nil {
				return err
			}
		}
		if at, err := tx.LoginClientSeen(ctx, "usr_a", "c1"); err != nil || !at.Equal(later.Truncate(time.Microsecond)) {
			t.Errorf("LoginClientSeen = %v, %v; want %v", at, err, later)
		}
		if at, _ := tx.LoginClientSeen(ctx, "usr_a", "c2"); !at.IsZero() {
			t.Errorf("another client is seen: %v", at)
		}
		// Ended windows ("other", ended at t0+15m) and clients seen before
		// the cutoff go; the open window of "b" and a recent client stay.
		if err := tx.RememberLoginClient(ctx, "usr_a", "c3", t0); err != nil {
			return err
		}
		n, err := tx.DeleteStaleAttempts(ctx, later, t0.Add(time.Minute))
		if err != nil || n != 2 {
			t.Errorf("DeleteStaleAttempts = %d, %v; want 2", n, err)
		}
		if at, _ := tx.LoginClientSeen(ctx, "usr_a", "c3"); !at.IsZero() {
			t.Errorf("an old client stayed: %v", at)
		}
		return nil
	})
	reserve("b", later, 2, later.Add(win).Truncate(time.Microsecond))
	reserve("other", later, 1, later.Add(win).Truncate(time.Microsecond))
}

// testAuthAttemptsConcurrent: 21 parallel reservations of one bucket each
// get a distinct count, 1 to 21, so a limit of 5 lets exactly 5 through.
func testAuthAttemptsConcurrent(t *testing.T, db *store.DB) {
	ctx := context.Background()
	const n = 21
	counts := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Write(ctx, func(tx registry.Tx) error {
				c, _, err := tx.ReserveAttempt(ctx, "login", t0, 15*time.Minute)
				counts <- c
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(counts)
	var got []int
	for c := range counts {
		got = append(got, c)
	}
	slices.Sort(got)
	for i, c := range got {
		if c != i+1 {
			t.Fatalf("counts = %v, want 1 to %d once each", got, n)
		}
	}
}

// testEndPasswordResets: ending a user's resets marks every unused one
// used, leaves other users' alone, and counts what it ended.
func testEndPasswordResets(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	write(t, db, func(tx registry.Tx) error {
		for _, u := range []string{"usr_a", "usr_b"} {
			if err := tx.CreateUser(ctx, &registry.User{ID: u, Email: u + "@x.pk", Role: registry.RoleApplicant, AccountID: "acc_a", PasswordHash: "h", CreatedAt: t0}); err != nil {
				return err
			}
		}
		for i, u := range []string{"usr_a", "usr_a", "usr_a", "usr_b"} {
			r := &registry.PasswordReset{ID: fmt.Sprintf("rst_%d", i), UserID: u, Hash: fmt.Sprintf("h%d", i), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
			if err := tx.CreatePasswordReset(ctx, r); err != nil {
				return err
			}
		}
		if ok, err := tx.UsePasswordReset(ctx, "rst_0", t0); err != nil || !ok {
			t.Fatalf("UsePasswordReset = %v, %v", ok, err)
		}
		if n, err := tx.EndPasswordResets(ctx, "usr_a", t0.Add(time.Minute)); err != nil || n != 2 {
			t.Errorf("EndPasswordResets = %d, %v; want 2", n, err)
		}
		for i, wantUsed := range []bool{true, true, true, false} {
			r, err := tx.PasswordResetByHash(ctx, fmt.Sprintf("h%d", i))
			if err != nil || r.UsedAt.IsZero() == wantUsed {
				t.Errorf("reset %d after EndPasswordResets = %+v, %v; used %v wanted", i, r, err, wantUsed)
			}
		}
		return nil
	})
}

func testAppeals(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a", "acc_b")
	mk := func(id, app, acc string, rejected time.Time, due time.Duration) *registry.Appeal {
		return &registry.Appeal{ID: id, ApplicationID: app, AccountID: acc, RejectedAt: rejected, RejectedBy: "usr_rev",
			Statement: "Please look again — دوبارہ دیکھیں", State: registry.AppealPending, SubmittedBy: "usr_" + acc,
			SubmittedAt: t0.Add(time.Hour), SLADueAt: t0.Add(due), HolderName: "Holder " + acc}
	}
	for _, id := range []string{"app_1", "app_2"} {
		a := sampleApp(id, "acc_a")
		if id == "app_2" {
			a.AccountID = "acc_b"
		}
		a.State, a.DecidedAt = registry.StateRejected, t0
		write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, a) })
	}
	a1 := mk("apl_1", "app_1", "acc_a", t0, 40*time.Hour)
	write(t, db, func(tx registry.Tx) error { return tx.CreateAppeal(ctx, a1) })
	// One appeal per rejection; a later rejection of the same application is another.
	err := db.Write(ctx, func(tx registry.Tx) error { return tx.CreateAppeal(ctx, mk("apl_x", "app_1", "acc_a", t0, time.Hour)) })
	wantCode(t, err, registry.ECONFLICT)
	a3 := mk("apl_3", "app_1", "acc_a", t0.Add(48*time.Hour), 100*time.Hour)
	write(t, db, func(tx registry.Tx) error { return tx.CreateAppeal(ctx, a3) })
	a2 := mk("apl_2", "app_2", "acc_b", t0, 2*time.Hour)
	write(t, db, func(tx registry.Tx) error { return tx.CreateAppeal(ctx, a2) })

	db.Read(ctx, func(tx registry.Tx) error {
		got, err := tx.Appeal(ctx, "apl_1", false)
		if err != nil || !reflect.DeepEqual(got, a1) {
			t.Errorf("Appeal = %+v, %v; want %+v", got, err, a1)
		}
		_, err = tx.Appeal(ctx, "apl_nope", false)
		wantCode(t, err, registry.ENOTFOUND)
		return nil
	})
	write(t, db, func(tx registry.Tx) error {
		a, err := tx.Appeal(ctx, "apl_1", true)
		if err != nil {
			return err
		}
		a.State, a.DecidedBy, a.DecidedAt, a.Outcome, a.Note = registry.AppealOverturned, "usr_sup", t0.Add(3*time.Hour), registry.OutcomeReturn, "fix it"
		a1 = a
		return tx.UpdateAppeal(ctx, a)
	})
	ids := func(as []*registry.Appeal) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    registry.AppealFilter
		want []string
	}{
		{"all by due time", registry.AppealFilter{}, []string{"apl_2", "apl_1", "apl_3"}},
		{"pending", registry.AppealFilter{State: registry.AppealPending}, []string{"apl_2", "apl_3"}},
		{"overturned", registry.AppealFilter{State: registry.AppealOverturned}, []string{"apl_1"}},
		{"application", registry.AppealFilter{ApplicationID: "app_1"}, []string{"apl_1", "apl_3"}},
		{"account", registry.AppealFilter{AccountID: "acc_b"}, []string{"apl_2"}},
		// apl_1 is past due too, but decided.
		{"overdue", registry.AppealFilter{OverdueBefore: t0.Add(50 * time.Hour)}, []string{"apl_2"}},
		{"limit", registry.AppealFilter{Limit: 1}, []string{"apl_2"}},
	} {
		db.Read(ctx, func(tx registry.Tx) error {
			got, err := tx.ListAppeals(ctx, tc.f)
			if err != nil || !slices.Equal(ids(got), tc.want) {
				t.Errorf("%s: ListAppeals = %v, %v; want %v", tc.name, ids(got), err, tc.want)
			}
			if tc.name == "overturned" && len(got) == 1 && !reflect.DeepEqual(got[0], a1) {
				t.Errorf("updated appeal = %+v, want %+v", got[0], a1)
			}
			return nil
		})
	}
	db.Read(ctx, func(tx registry.Tx) error {
		st, err := tx.Stats(ctx, t0)
		if err != nil || st.AppealsByState[registry.AppealPending] != 2 || st.AppealsByState[registry.AppealOverturned] != 1 {
			t.Errorf("Stats appeals = %v, %v", st.AppealsByState, err)
		}
		return nil
	})
}

func testEscalations(t *testing.T, db *store.DB) {
	ctx := context.Background()
	due := t0.Add(8 * time.Hour)
	db.Read(ctx, func(tx registry.Tx) error {
		at, err := tx.Escalated(ctx, "app_1", due)
		if err != nil || !at.IsZero() {
			t.Errorf("Escalated before = %s, %v", at, err)
		}
		return nil
	})
	var first, second bool
	write(t, db, func(tx registry.Tx) (err error) {
		first, err = tx.MarkEscalated(ctx, "app_1", due, t0.Add(9*time.Hour))
		return
	})
	write(t, db, func(tx registry.Tx) (err error) {
		second, err = tx.MarkEscalated(ctx, "app_1", due, t0.Add(10*time.Hour))
		return
	})
	if !first || second {
		t.Fatalf("MarkEscalated = %v then %v; want true then false", first, second)
	}
	// Another due time (resubmitted with a new SLA) escalates again.
	var other bool
	write(t, db, func(tx registry.Tx) (err error) {
		other, err = tx.MarkEscalated(ctx, "app_1", due.Add(time.Hour), t0.Add(10*time.Hour))
		return
	})
	if !other {
		t.Fatal("MarkEscalated for a new due time = false")
	}
	db.Read(ctx, func(tx registry.Tx) error {
		at, err := tx.Escalated(ctx, "app_1", due)
		if err != nil || !at.Equal(t0.Add(9*time.Hour)) {
			t.Errorf("Escalated = %s, %v; want the first time", at, err)
		}
		return nil
	})
	// Concurrent markers (replicas): exactly one wins.
	var wg sync.WaitGroup
	wins := make(chan bool, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var won bool
			err := db.Write(ctx, func(tx registry.Tx) (err error) { won, err = tx.MarkEscalated(ctx, "app_c", due, t0); return })
			if err != nil {
				t.Error(err)
			}
			wins <- won
		}()
	}
	wg.Wait()
	close(wins)
	n := 0
	for w := range wins {
		if w {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d concurrent MarkEscalated won; want 1", n)
	}
}

// EraseAccount blanks one account's personal data and ends its users'
// credentials, and nothing of another account; AuditEntriesAbout finds the
// entries of the objects named, each once.
func testEraseAccount(t *testing.T, db *store.DB) {
	ctx := context.Background()
	write(t, db, func(tx registry.Tx) error {
		for _, id := range []string{"acc_a", "acc_b"} {
			if err := tx.CreateAccount(ctx, &registry.Account{ID: id, Kind: registry.KindIndividual, Name: "Holder " + id,
				CNIC: map[string]string{"acc_a": "35202-1234567-1", "acc_b": "35202-1234567-2"}[id], Mobile: "923001234567", CreatedAt: t0}); err != nil {
				return err
			}
			if err := tx.CreateUser(ctx, &registry.User{ID: "usr_" + id, Email: id + "@example.com", Role: registry.RoleApplicant,
				AccountID: id, PasswordHash: "hash", CreatedAt: t0}); err != nil {
				return err
			}
			if err := tx.CreateToken(ctx, &registry.Token{ID: "tok_" + id, UserID: "usr_" + id, Kind: registry.TokenSession, Name: "login",
				Hash: "h_" + id, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
				return err
			}
			if err := tx.RememberLoginClient(ctx, "usr_"+id, "client", t0); err != nil {
				return err
			}
		}
		if err := tx.CreateOperator(ctx, &registry.Operator{ID: "ptcl", Name: "PTCL", Kind: registry.OperatorFixed, CreatedAt: t0}); err != nil {
			return err
		}
		for _, id := range []string{"acc_a", "acc_b"} {
			a := sampleApp("app_"+id, id)
			a.State = registry.StateOperatorCheck
			a.CheckedItems = "ptcl|" + a.SubscriberID + "|14.1.104.0/24" // what an operator confirmed: the subscriber id too
			if err := tx.CreateApplication(ctx, a); err != nil {
				return err
			}
			if err := tx.CreateCheck(ctx, &registry.Check{ID: "chk_" + id, ApplicationID: a.ID, OperatorID: "ptcl", State: registry.CheckConfirmed,
				DueAt: t0, CreatedAt: t0, Category: a.Category, SubscriberID: a.SubscriberID, HolderName: "Holder " + id, Addresses: a.Addresses}); err != nil {
				return err
			}
			for _, obj := range [][2]string{{"account", id}, {"application", "app_" + id}, {"user", "usr_" + id}} {
				if err := tx.AppendAudit(ctx, &audit.Entry{At: t0, ActorID: "usr_" + id, Action: "x.y", ObjectType: obj[0], ObjectID: obj[1]}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	// Messages to acc_a's e-mail go with it; acc_b's, and the SMS to the
	// mobile number both accounts give, stay, unless the SMS is about
	// acc_a's application (its key says so, tester t11).
	write(t, db, func(tx registry.Tx) error {
		for i, to := range []string{"acc_a@example.com", "acc_b@example.com", "923001234567", "923001234567", "923001234567"} {
			ch := registry.ChannelEmail
			if i >= 2 {
				ch = registry.ChannelSMS
			}
			key := fmt.Sprintf("k%d", i)
			switch i {
			case 3:
				key = "app:app_acc_a:approved:1:sms"
			case 4:
				key = "app:app_acc_b:approved:1:sms"
			}
			if _, err := tx.EnqueueMessage(ctx, &registry.Message{ID: fmt.Sprintf("msg_%d", i), Key: key, Channel: ch,
				Template: "approved", Recipient: to, Lang: "en", Data: map[string]string{}, State: registry.MessagePending,
				NextAt: t0, CreatedAt: t0, StartedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	write(t, db, func(tx registry.Tx) error { return tx.EraseAccount(ctx, "acc_a", t0) })
	db.Read(ctx, func(tx registry.Tx) error {
		ms, err := tx.ListMessages(ctx, "", 10)
		var to []string
		for _, m := range ms {
			to = append(to, m.Recipient)
		}
		slices.Sort(to)
		var keys []string
		for _, m := range ms {
			keys = append(keys, m.Key)
		}
		slices.Sort(keys)
		if err != nil || !slices.Equal(to, []string{"923001234567", "923001234567", "acc_b@example.com"}) || !slices.Equal(keys, []string{"app:app_acc_b:approved:1:sms", "k1", "k2"}) {
			t.Errorf("messages after erasing acc_a: to %v, keys %v (%v); want acc_b's, the shared number's and acc_b's application's", to, keys, err)
		}
		return nil
	})
	err := db.Write(ctx, func(tx registry.Tx) error { return tx.EraseAccount(ctx, "acc_none", t0) })
	wantCode(t, err, registry.ENOTFOUND)

	db.Read(ctx, func(tx registry.Tx) error {
		a, err := tx.Account(ctx, "acc_a")
		if err != nil || a.Name != "" || a.CNIC != "" || a.Mobile != "" || a.NTN != "" {
			t.Errorf("erased account = %+v, %v", a, err)
		}
		if taken, err := tx.AccountIdentityTaken(ctx, (&registry.Account{Kind: registry.KindIndividual, CNIC: "35202-1234567-1"}).IdentityKey()); taken || err != nil {
			t.Errorf("the erased account's CNIC is still taken (%v)", err)
		}
		u, err := tx.User(ctx, "usr_acc_a")
		if err != nil || !registry.ErasedEmail(u.Email) || !strings.Contains(u.Email, "usr_acc_a") || u.PasswordHash != "" || !u.Disabled || u.TOTPSecret != "" {
			t.Errorf("erased user = %+v, %v", u, err)
		}
		if _, err := tx.UserByEmail(ctx, "acc_a@example.com"); registry.ErrorCode(err) != registry.ENOTFOUND {
			t.Errorf("the erased e-mail still finds a user: %v", err)
		}
		if _, err := tx.TokenByHash(ctx, "h_acc_a"); registry.ErrorCode(err) != registry.ENOTFOUND {
			t.Errorf("the erased user's token remains: %v", err)
		}
		if seen, err := tx.LoginClientSeen(ctx, "usr_acc_a", "client"); !seen.IsZero() || err != nil {
			t.Errorf("the erased user's login client remains: %v, %v", seen, err)
		}
		app, err := tx.Application(ctx, "app_acc_a", false)
		if err != nil || app.SubscriberID != "" || app.CheckedItems != "" || app.Purpose != "" || len(app.VPN.Endpoints) != 0 || app.HolderName != "" || len(app.Addresses) != 3 || app.State != registry.StateOperatorCheck {
			t.Errorf("erased application = %+v, %v", app, err)
		}
		c, err := tx.Check(ctx, "chk_acc_a", false)
		if err != nil || c.SubscriberID != "" || c.HolderName != "" || len(c.Addresses) != 3 {
			t.Errorf("erased check = %+v, %v", c, err)
		}
		// The other account is untouched.
		b, _ := tx.Account(ctx, "acc_b")
		ub, _ := tx.User(ctx, "usr_acc_b")
		appB, _ := tx.Application(ctx, "app_acc_b", false)
		cb, _ := tx.Check(ctx, "chk_acc_b", false)
		if _, err := tx.TokenByHash(ctx, "h_acc_b"); err != nil || b.Name != "Holder acc_b" || ub.Email != "acc_b@example.com" || ub.Disabled ||
			appB.SubscriberID != "PTCL-001" || appB.CheckedItems != "ptcl|PTCL-001|14.1.104.0/24" || cb.HolderName != "Holder acc_b" {
			t.Errorf("another account changed: %+v %+v %+v %+v (%v)", b, ub, appB, cb, err)
		}

		es, err := tx.AuditEntriesAbout(ctx, []registry.AuditObject{{Type: "account", ID: "acc_a"}, {Type: "application", ID: "app_acc_a"}, {Type: "user", ID: "usr_acc_a"}, {Type: "account", ID: "acc_a"}})
		if err != nil || len(es) != 3 {
			t.Fatalf("AuditEntriesAbout = %+v, %v", es, err)
		}
		for i, e := range es {
			if e.ActorID != "usr_acc_a" || i > 0 && es[i-1].Seq >= e.Seq {
				t.Errorf("AuditEntriesAbout[%d] = %+v", i, e)
			}
		}
		return nil
	})
	if err := verifyAudit(db); err != nil {
		t.Errorf("audit chain after erasing: %v", err)
	}
}

// testRegistrationChanges: a registration's items are its own (updates
// replace them, its applications stay as they were); a renewal or an
// amendment names its registration, at most one is open per registration,
// and the registration it changes is neither an overlap of it nor (for a
// renewal, which replaces the items) counted twice as held.
func testRegistrationChanges(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a", "acc_b")
	const num = "VPN-2026-000001"
	orig := sampleApp("app_1", "acc_a")
	orig.State, orig.Addresses = registry.StateApproved, pfx("14.1.104.0/24", "14.1.105.7/32")
	write(t, db, func(tx registry.Tx) error {
		if err := tx.CreateApplication(ctx, orig); err != nil {
			return err
		}
		return tx.CreateRegistration(ctx, &registry.Registration{Number: num, ApplicationID: "app_1", AccountID: "acc_a",
			Addresses: orig.Addresses, Category: registry.CategoryCompany, OperatorID: "ptcl", Status: registry.RegActive,
			ValidFrom: t0, ValidUntil: t0.AddDate(1, 0, 0), VerificationCode: "C", CreatedAt: t0, IssuedAt: t0})
	})
	// Giving up an item changes the registration, not its application.
	write(t, db, func(tx registry.Tx) error {
		r, err := tx.Registration(ctx, num, true)
		if err != nil {
			return err
		}
		r.Addresses = pfx("14.1.104.0/24")
		return tx.UpdateRegistration(ctx, r)
	})
	db.Read(ctx, func(tx registry.Tx) error {
		r, err := tx.Registration(ctx, num, false)
		if err != nil || !slices.Equal(r.Addresses, pfx("14.1.104.0/24")) {
			t.Errorf("registration after giving up = %+v, %v", r, err)
		}
		a, err := tx.Application(ctx, "app_1", false)
		if err != nil || len(a.Addresses) != 2 {
			t.Errorf("the approved application changed with its registration: %+v, %v", a, err)
		}
		// The given-up address no longer overlaps anything.
		os, err := overlapsOne(ctx, tx, "app_probe", "acc_b", netip.MustParsePrefix("14.1.105.7/32"), "")
		if err != nil || len(os.Listed) != 0 {
			t.Errorf("a given-up address still overlaps: %+v, %v", os, err)
		}
		if n, _ := tx.HeldItems(ctx, "acc_a", ""); n != 1 {
			t.Errorf("HeldItems after giving up = %d, want 1", n)
		}
		return nil
	})
	ren := sampleApp("app_r", "acc_a")
	ren.Kind, ren.ForRegistration, ren.State = registry.KindRenewal, num, registry.StateReview
	ren.Addresses = pfx("14.1.104.0/24", "14.1.106.0/24")
	write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, ren) })
	second := sampleApp("app_x", "acc_a")
	second.Kind, second.ForRegistration, second.GivenUp = registry.KindAmendment, num, []string{"14.1.105.7/32"}
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error { return tx.CreateApplication(ctx, second) }), registry.ECONFLICT)
	db.Read(ctx, func(tx registry.Tx) error {
		got, err := tx.Application(ctx, "app_r", false)
		if err != nil || got.Kind != registry.KindRenewal || got.ForRegistration != num {
			t.Errorf("renewal read back as %+v, %v", got, err)
		}
		as, err := tx.ListApplications(ctx, registry.AppFilter{ForRegistration: num})
		if err != nil || len(as) != 1 || as[0].ID != "app_r" {
			t.Errorf("ListApplications(ForRegistration) = %v, %v", as, err)
		}
		// The renewal's unchanged item is not an overlap with the
		// registration it renews; it is for anyone else.
		os, _ := overlapsOne(ctx, tx, "app_r", "acc_a", netip.MustParsePrefix("14.1.104.0/24"), "")
		if len(os.Listed) != 0 {
			t.Errorf("a renewal overlaps its own registration: %+v", os.Listed)
		}
		os, _ = overlapsOne(ctx, tx, "app_b", "acc_b", netip.MustParsePrefix("14.1.104.0/24"), "")
		if os.Others != 2 {
			t.Errorf("another account sees %d overlaps (%+v), want 2: the registration and the pending renewal", os.Others, os.Listed)
		}
		// Held: the renewal's 2 replace the registration's 1.
		if n, _ := tx.HeldItems(ctx, "acc_a", "app_probe"); n != 3 {
			t.Errorf("HeldItems = %d, want 3 (registration 1 + pending renewal 2)", n)
		}
		if n, _ := tx.HeldItems(ctx, "acc_a", "app_r"); n != 0 {
			t.Errorf("HeldItems except the renewal = %d, want 0: the renewal replaces the registration's items", n)
		}
		return nil
	})
	// Once the renewal is decided, an amendment may open.
	ren.State, ren.DecidedAt = registry.StateApproved, t0.Add(time.Hour)
	write(t, db, func(tx registry.Tx) error { return tx.UpdateApplication(ctx, ren) })
	write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, second) })
	db.Read(ctx, func(tx registry.Tx) error {
		got, err := tx.Application(ctx, "app_x", false)
		if err != nil || got.Kind != registry.KindAmendment || !slices.Equal(got.GivenUp, []string{"14.1.105.7/32"}) {
			t.Errorf("amendment read back as %+v, %v", got, err)
		}
		// The amendment's items overlap its registration's? Left out too.
		os, _ := overlapsOne(ctx, tx, "app_x", "acc_a", netip.MustParsePrefix("14.1.104.0/24"), "")
		for _, o := range os.Listed {
			if o.Registration == num {
				t.Errorf("an amendment overlaps its own registration: %+v", o)
			}
		}
		// An amendment adds to its registration: it is still held.
		if n, _ := tx.HeldItems(ctx, "acc_a", "app_x"); n != 1 {
			t.Errorf("HeldItems except the amendment = %d, want 1", n)
		}
		st, err := tx.Stats(ctx, t0.Add(2*time.Hour))
		if err != nil || st.ApplicationsByKind[registry.KindRenewal] != 1 || st.ApplicationsByKind[registry.KindAmendment] != 1 ||
			st.ApplicationsByKind[registry.KindNew] != 1 || st.ApprovedByKindLast30Days[registry.KindRenewal] != 1 || st.ActiveAddresses != 1 {
			t.Errorf("Stats = %+v, %v", st, err)
		}
		return nil
	})
}

// A job's row is claimed by one runner at a time: not before it is due,
// not while another's lease lasts, and taken over once that lease ends;
// the runner whose lease was taken over can no longer record its run.
func testJobLeases(t *testing.T, db *store.DB) {
	ctx := context.Background()
	claim := func(runner string, now time.Time) *registry.JobState {
		t.Helper()
		var j *registry.JobState
		write(t, db, func(tx registry.Tx) error {
			var err error
			j, err = tx.ClaimJob(ctx, "sweep", runner, now, now.Add(10*time.Minute))
			return err
		})
		return j
	}
	finish := func(runner string, r registry.JobRun) bool {
		t.Helper()
		var ok bool
		write(t, db, func(tx registry.Tx) error {
			var err error
			ok, err = tx.FinishJob(ctx, "sweep", runner, r)
			return err
		})
		return ok
	}
	if j := claim("a", t0); j != nil {
		t.Fatalf("claimed a job without a row: %+v", j)
	}
	write(t, db, func(tx registry.Tx) error { return tx.EnsureJob(ctx, "sweep", t0.Add(time.Minute), t0.Add(time.Hour)) })
	// A second EnsureJob keeps the row as it is, unless its next run is
	// later than the latest it gives.
	write(t, db, func(tx registry.Tx) error { return tx.EnsureJob(ctx, "sweep", t0.Add(time.Hour), t0.Add(2*time.Hour)) })
	write(t, db, func(tx registry.Tx) error { return tx.EnsureJob(ctx, "other", t0.Add(time.Hour), t0.Add(2*time.Hour)) })
	write(t, db, func(tx registry.Tx) error {
		return tx.EnsureJob(ctx, "other", t0.Add(3*time.Hour), t0.Add(30*time.Minute))
	})
	if j := claim("a", t0); j != nil {
		t.Fatalf("claimed a job before it was due: %+v", j)
	}
	j := claim("a", t0.Add(time.Minute))
	if j == nil || j.RunningBy != "a" || !j.LeaseUntil.Equal(t0.Add(11*time.Minute)) || !j.NextRunAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("claim when due = %+v", j)
	}
	if j := claim("b", t0.Add(5*time.Minute)); j != nil {
		t.Fatalf("b claimed the job during a's lease: %+v", j)
	}
	renew := func(runner string, now, until time.Time) bool {
		t.Helper()
		var ok bool
		write(t, db, func(tx registry.Tx) error {
			var err error
			ok, err = tx.RenewJobLease(ctx, "sweep", runner, now, until)
			return err
		})
		return ok
	}
	// Only the holder renews, and only a lease that has not run out.
	if renew("b", t0.Add(5*time.Minute), t0.Add(20*time.Minute)) {
		t.Fatal("b renewed a's lease")
	}
	if !renew("a", t0.Add(5*time.Minute), t0.Add(15*time.Minute)) {
		t.Fatal("a could not renew its lease")
	}
	if j := claim("b", t0.Add(11*time.Minute)); j != nil {
		t.Fatalf("b claimed the job during a's renewed lease: %+v", j)
	}
	if !renew("a", t0.Add(14*time.Minute), t0.Add(11*time.Minute)) {
		t.Fatal("a could not renew its lease a second time")
	}
	if renew("a", t0.Add(11*time.Minute), t0.Add(30*time.Minute)) {
		t.Fatal("a renewed a lease that had run out")
	}
	// a's lease ends (a crashed or hung): b takes the job over.
	if j := claim("b", t0.Add(11*time.Minute)); j == nil || j.RunningBy != "b" {
		t.Fatalf("b did not take over the expired lease: %+v", j)
	}
	if finish("a", registry.JobRun{StartedAt: t0.Add(time.Minute), FinishedAt: t0.Add(12 * time.Minute), NextRunAt: t0.Add(2 * time.Minute)}) {
		t.Fatal("a recorded a run after its lease was taken over")
	}
	if !finish("b", registry.JobRun{StartedAt: t0.Add(11 * time.Minute), FinishedAt: t0.Add(12 * time.Minute), Duration: 1500 * time.Millisecond,
		Items: 3, Err: "database went away", NextRunAt: t0.Add(13 * time.Minute)}) {
		t.Fatal("b could not record its run")
	}
	var states []*registry.JobState
	read := func() *registry.JobState {
		t.Helper()
		if err := db.Read(ctx, func(tx registry.Tx) error {
			var err error
			states, err = tx.JobStates(ctx)
			return err
		}); err != nil || len(states) != 2 || states[0].Name != "other" || states[1].Name != "sweep" {
			t.Fatalf("JobStates = %v, %v", states, err)
		}
		return states[1]
	}
	st := read()
	if !states[0].NextRunAt.Equal(t0.Add(30 * time.Minute)) {
		t.Errorf("a shortened schedule did not bring the next run forward: %s", states[0].NextRunAt)
	}
	if st.RunningBy != "" || !st.LeaseUntil.IsZero() || st.LastResult != "failed" || st.LastError != "database went away" ||
		st.FailedAttempts != 1 || st.Runs != 1 || st.Failures != 1 || st.Items != 3 || st.LastItems != 3 ||
		st.LastDuration != 1500*time.Millisecond || !st.NextRunAt.Equal(t0.Add(13*time.Minute)) ||
		!st.StartedAt.Equal(t0.Add(11*time.Minute)) || !st.FinishedAt.Equal(t0.Add(12*time.Minute)) {
		t.Fatalf("after a failed run: %+v", st)
	}
	// Asked to run now: due at once; the claim clears the request.
	write(t, db, func(tx registry.Tx) error { return tx.RequestJobRun(ctx, "sweep", "usr_admin", t0.Add(12*time.Minute)) })
	if st := read(); st.RunRequestedBy != "usr_admin" || !st.NextRunAt.Equal(t0.Add(12*time.Minute)) {
		t.Fatalf("after a run request: %+v", st)
	}
	if j := claim("c", t0.Add(12*time.Minute)); j == nil || j.RunRequestedBy != "" || j.FailedAttempts != 1 {
		t.Fatalf("claim after a run request = %+v", j)
	}
	// Asked again while c runs: c's finish makes it due at once instead
	// of at its next time.
	write(t, db, func(tx registry.Tx) error { return tx.RequestJobRun(ctx, "sweep", "usr_admin", t0.Add(12*time.Minute)) })
	if !finish("c", registry.JobRun{StartedAt: t0.Add(12 * time.Minute), FinishedAt: t0.Add(14 * time.Minute), NextRunAt: t0.Add(20 * time.Minute)}) {
		t.Fatal("c could not record its run")
	}
	if st := read(); st.LastResult != "ok" || st.LastError != "" || st.FailedAttempts != 0 || st.Runs != 2 || st.Failures != 1 ||
		!st.NextRunAt.Equal(t0.Add(14*time.Minute)) {
		t.Fatalf("after a successful run with a request pending: %+v", st)
	}
	err := db.Write(ctx, func(tx registry.Tx) error { return tx.RequestJobRun(ctx, "nonesuch", "usr_admin", t0) })
	wantCode(t, err, registry.ENOTFOUND)

	// job_runs keeps the runs recorded (not a's, taken over), with the due
	// time each served, and drops a job's runs older than JobRunsKept when
	// it records the next.
	runs := func() []registry.JobRunRecord {
		t.Helper()
		var rs []registry.JobRunRecord
		if err := db.Read(ctx, func(tx registry.Tx) error {
			var err error
			rs, err = tx.JobRuns(ctx, "sweep")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return rs
	}
	rs := runs()
	if len(rs) != 2 || rs[0].Runner != "b" || rs[0].Result != "failed" || rs[0].Items != 3 || !rs[0].StartedAt.Equal(t0.Add(11*time.Minute)) ||
		rs[1].Runner != "c" || rs[1].Result != "ok" || !rs[1].FinishedAt.Equal(t0.Add(14*time.Minute)) {
		t.Fatalf("JobRuns = %+v", rs)
	}
	later := t0.Add(registry.JobRunsKept + 13*time.Minute)
	if j := claim("d", later); j == nil {
		t.Fatal("d could not claim the job")
	}
	if !finish("d", registry.JobRun{DueAt: t0.Add(14 * time.Minute), StartedAt: later, FinishedAt: later, NextRunAt: later.Add(time.Hour)}) {
		t.Fatal("d could not record its run")
	}
	if rs := runs(); len(rs) != 2 || rs[0].Runner != "c" || rs[1].Runner != "d" || !rs[1].DueAt.Equal(t0.Add(14*time.Minute)) {
		t.Fatalf("JobRuns after a week = %+v", rs)
	}
}

// Many runners claiming one due job at once: exactly one gets it.
func testJobLeaseConcurrent(t *testing.T, db *store.DB) {
	ctx := context.Background()
	write(t, db, func(tx registry.Tx) error { return tx.EnsureJob(ctx, "sweep", t0, t0.Add(time.Hour)) })
	const runners = 8
	var wg sync.WaitGroup
	won := make(chan string, runners)
	errs := make(chan error, runners)
	for i := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runner := fmt.Sprintf("r%d", i)
			err := db.Write(ctx, func(tx registry.Tx) error {
				j, err := tx.ClaimJob(ctx, "sweep", runner, t0.Add(time.Second), t0.Add(time.Minute))
				if j != nil {
					won <- runner
				}
				return err
			})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(won)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var winners []string
	for w := range won {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("winners = %v, want exactly one", winners)
	}
}

// testAppealDeadlines: an application keeps the appeal deadline fixed at
// its rejection; FixAppealDeadlines writes decided_at plus the days given
// only into rejected applications that have none, and leaves the rest.
func testAppealDeadlines(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	stored := t0.Add(30 * 24 * time.Hour)
	write(t, db, func(tx registry.Tx) error {
		for _, id := range []string{"app_kept", "app_legacy", "app_review"} {
			a := sampleApp(id, "acc_a")
			a.State, a.DecidedAt = registry.StateRejected, t0
			switch id {
			case "app_kept":
				a.AppealDeadline = stored
			case "app_review":
				a.State, a.DecidedAt = registry.StateReview, time.Time{}
			}
			if err := tx.CreateApplication(ctx, a); err != nil {
				return err
			}
		}
		n, err := tx.FixAppealDeadlines(ctx, 10)
		if err != nil || n != 1 {
			t.Errorf("FixAppealDeadlines = %d, %v; want 1 (the legacy rejection)", n, err)
		}
		return nil
	})
	db.Read(ctx, func(tx registry.Tx) error {
		for id, want := range map[string]time.Time{"app_kept": stored, "app_legacy": t0.AddDate(0, 0, 10), "app_review": {}} {
			a, err := tx.Application(ctx, id, false)
			if err != nil || !a.AppealDeadline.Equal(want.Truncate(time.Microsecond)) {
				t.Errorf("%s: appeal deadline %s, %v; want %s", id, a.AppealDeadline, err, want)
			}
		}
		return nil
	})
}

// overlapsOne searches the overlaps of one item, a prefix or (when p is
// the zero prefix) a mobile number, as the single-item tests ask.
func overlapsOne(ctx context.Context, tx registry.Tx, except, account string, p netip.Prefix, mobile string) (registry.OverlapSet, error) {
	var ps []netip.Prefix
	var ms []string
	if p.IsValid() {
		ps = []netip.Prefix{p}
	} else {
		ms = []string{mobile}
	}
	sets, err := tx.Overlaps(ctx, except, account, ps, ms)
	if err != nil {
		return registry.OverlapSet{}, err
	}
	return sets[0], nil
}

// overlapModel is what Overlaps must answer, computed in Go from the
// rows a test wrote: which applications and registrations hold their
// items against an application, and netip's own test of overlap.
type overlapModel struct {
	apps    []*registry.Application
	appeals map[string][]registry.AppealState // by application
	regs    []*registry.Registration
}

type modelItem struct {
	registry.Overlap
	position int
	prefix   netip.Prefix // zero for a mobile number
}

// held lists the items held against except: pending applications and
// rejected ones with a pending appeal other than except, and active
// registrations other than except's own and the one except renews or
// amends.
func (m *overlapModel) held(except string) []modelItem {
	changes := ""
	for _, a := range m.apps {
		if a.ID == except && (a.Kind == registry.KindRenewal || a.Kind == registry.KindAmendment) {
			changes = a.ForRegistration
		}
	}
	var out []modelItem
	add := func(o registry.Overlap, addrs []netip.Prefix, nums []string) {
		for i, p := range addrs {
			o.Item = p.String()
			out = append(out, modelItem{o, i, p})
		}
		for i, n := range nums {
			o.Item = n
			out = append(out, modelItem{o, len(addrs) + i, netip.Prefix{}})
		}
	}
	for _, a := range m.apps {
		pending := slices.Contains([]registry.State{registry.StateOperatorCheck, registry.StateReview, registry.StateReturned}, a.State) ||
			a.State == registry.StateRejected && slices.Contains(m.appeals[a.ID], registry.AppealPending)
		if a.ID != except && pending {
			add(registry.Overlap{AccountID: a.AccountID, OperatorID: a.OperatorID, ApplicationID: a.ID, State: a.State}, a.Addresses, a.MobileNumbers)
		}
	}
	for _, r := range m.regs {
		if r.Status == registry.RegActive && r.ApplicationID != except && r.Number != changes {
			add(registry.Overlap{AccountID: r.AccountID, OperatorID: r.OperatorID, ApplicationID: r.ApplicationID, State: registry.StateApproved,
				Registration: r.Number}, r.Addresses, r.MobileNumbers)
		}
	}
	return out
}

// overlaps answers Overlaps from the model: own first, each side by
// application ID and position, cut at OverlapLimit and counted in full.
func (m *overlapModel) overlaps(except, account string, prefixes []netip.Prefix, mobiles []string) []registry.OverlapSet {
	held := m.held(except)
	out := make([]registry.OverlapSet, len(prefixes)+len(mobiles))
	for n := range out {
		var sides [2][]modelItem
		for _, h := range held {
			var hit bool
			if n < len(prefixes) {
				hit = h.prefix.IsValid() && h.prefix.Overlaps(prefixes[n])
			} else {
				hit = !h.prefix.IsValid() && h.Item == mobiles[n-len(prefixes)]
			}
			if hit {
				side := 0
				if h.AccountID == account {
					side = 1
				}
				sides[side] = append(sides[side], h)
			}
		}
		for _, side := range []int{1, 0} {
			hs := sides[side]
			slices.SortFunc(hs, func(a, b modelItem) int {
				if c := strings.Compare(a.ApplicationID, b.ApplicationID); c != 0 {
					return c
				}
				return a.position - b.position
			})
			if side == 1 {
				out[n].Own = len(hs)
			} else {
				out[n].Others = len(hs)
			}
			for _, h := range hs[:min(len(hs), registry.OverlapLimit)] {
				out[n].Listed = append(out[n].Listed, h.Overlap)
			}
		}
	}
	return out
}

func overlapSetString(os registry.OverlapSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "own %d, others %d:", os.Own, os.Others)
	for _, o := range os.Listed {
		fmt.Fprintf(&b, " %s@%s@%s@%s@%s@%s", o.Item, o.ApplicationID, o.Registration, o.AccountID, o.OperatorID, o.State)
	}
	return b.String()
}

// testOverlapsModel: over a seeded random fixture of applications in
// every state (appeals pending and decided), registrations in every
// status, renewals and amendments, IPv4 and IPv6 prefixes from /0 to
// /128 packed into a small space, and mobile numbers, Overlaps of a whole
// application answers for each item what it answers for that item alone,
// and both what the model computes.
func testOverlapsModel(t *testing.T, db *store.DB) {
	ctx := context.Background()
	accounts := []string{"acc_a", "acc_b", "acc_c"}
	fixture(t, db, accounts...)
	rng := rand.New(rand.NewPCG(20261130, 1))
	broad := false // /20 and shorter, /40 and shorter: asked, but only stored below
	randV4 := func() netip.Prefix {
		bits := []int{22, 23, 24, 24, 25, 28, 30, 31, 32, 32, 32}[rng.IntN(11)]
		if broad && rng.IntN(15) == 0 {
			bits = []int{0, 8, 16, 20}[rng.IntN(4)]
		}
		n := rng.IntN(2048) // 14.1.104.0/21
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{14, 1, byte(104 + n>>8), byte(n)}), bits).Masked()
	}
	randV6 := func() netip.Prefix {
		// 2001:dd8:1c::/47, dense enough to overlap; never near ::ffff:0:0/96.
		bits := []int{46, 47, 48, 48, 56, 64, 64, 120, 127, 128, 128}[rng.IntN(11)]
		if broad && rng.IntN(15) == 0 {
			bits = []int{16, 32, 40}[rng.IntN(3)]
		}
		a := [16]byte{0x20, 0x01, 0x0d, 0xd8, 0x00, 0x1c | byte(rng.IntN(2)), byte(rng.IntN(4)), byte(rng.IntN(4)), 0, 0, 0, 0, 0, 0, 0, byte(rng.IntN(4))}
		return netip.PrefixFrom(netip.AddrFrom16(a), bits).Masked()
	}
	randPrefix := func() netip.Prefix {
		if rng.IntN(3) == 0 {
			return randV6()
		}
		return randV4()
	}
	randMobile := func() string { return fmt.Sprintf("9230012345%02d", rng.IntN(12)) }
	// Distinct within an item list, as validation leaves them.
	randItems := func(maxAddrs, maxNums int) ([]netip.Prefix, []string) {
		var ps []netip.Prefix
		var ms []string
		for range rng.IntN(maxAddrs + 1) {
			if p := randPrefix(); !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
		for range rng.IntN(maxNums + 1) {
			if m := randMobile(); !slices.Contains(ms, m) {
				ms = append(ms, m)
			}
		}
		return ps, ms
	}
	m := &overlapModel{appeals: map[string][]registry.AppealState{}}
	states := []registry.State{registry.StateDraft, registry.StateOperatorCheck, registry.StateReview, registry.StateReturned,
		registry.StateApproved, registry.StateApproved, registry.StateRejected, registry.StateRejected, registry.StateWithdrawn}
	// IDs in an order unrelated to creation, so that ordering by ID is seen.
	ids := rng.Perm(40)
	appealN := 0
	for _, i := range ids {
		a := sampleApp(fmt.Sprintf("app_%02d", i), accounts[rng.IntN(len(accounts))])
		a.Flags, a.Fee = nil, registry.Fee{}
		a.State = states[rng.IntN(len(states))]
		a.Addresses, a.MobileNumbers = randItems(6, 2)
		if rng.IntN(4) == 0 {
			a.OperatorID = "jazz"
		}
		write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, a) })
		m.apps = append(m.apps, a)
		if a.State == registry.StateRejected {
			// None, one decided, one pending, or a decided one then a pending one.
			var aps []registry.AppealState
			switch rng.IntN(5) {
			case 1:
				aps = []registry.AppealState{registry.AppealUpheld}
			case 2:
				aps = []registry.AppealState{registry.AppealOverturned}
			case 3:
				aps = []registry.AppealState{registry.AppealPending}
			case 4:
				aps = []registry.AppealState{registry.AppealUpheld, registry.AppealPending}
			}
			for k, st := range aps {
				appealN++
				ap := &registry.Appeal{ID: fmt.Sprintf("apl_%d", appealN), ApplicationID: a.ID, AccountID: a.AccountID, RejectedAt: t0.Add(time.Duration(k) * time.Hour),
					RejectedBy: "usr_rev", Statement: "Please look again", State: st, SubmittedBy: "usr_" + a.AccountID, SubmittedAt: t0, SLADueAt: t0.Add(time.Hour)}
				write(t, db, func(tx registry.Tx) error { return tx.CreateAppeal(ctx, ap) })
				m.appeals[a.ID] = append(m.appeals[a.ID], st)
			}
		}
	}
	// Every approved application has a registration in any status, holding
	// what it approved less some given up, or more once amended.
	regStatus := []registry.RegStatus{registry.RegActive, registry.RegActive, registry.RegActive, registry.RegExpired, registry.RegRevoked, registry.RegSurrendered}
	for _, a := range slices.Clone(m.apps) {
		if a.State != registry.StateApproved {
			continue
		}
		r := &registry.Registration{Number: fmt.Sprintf("VPN-2026-%06d", len(m.regs)+1), ApplicationID: a.ID, AccountID: a.AccountID,
			Category: a.Category, OperatorID: a.OperatorID, Status: regStatus[rng.IntN(len(regStatus))], ValidFrom: t0, ValidUntil: t0.AddDate(1, 0, 0),
			VerificationCode: fmt.Sprintf("C%d", len(m.regs)), CreatedAt: t0, IssuedAt: t0}
		for _, p := range a.Addresses {
			if rng.IntN(5) > 0 {
				r.Addresses = append(r.Addresses, p)
			}
		}
		if rng.IntN(4) == 0 {
			if p := randPrefix(); !slices.Contains(r.Addresses, p) {
				r.Addresses = append(r.Addresses, p)
			}
		}
		r.MobileNumbers = a.MobileNumbers
		write(t, db, func(tx registry.Tx) error { return tx.CreateRegistration(ctx, r) })
		m.regs = append(m.regs, r)
		// A renewal or amendment of it, open or decided, keeping some of
		// its items and adding others.
		if rng.IntN(3) == 0 {
			continue
		}
		c := sampleApp(fmt.Sprintf("app_c%02d", len(m.regs)), a.AccountID)
		c.Flags, c.Fee = nil, registry.Fee{}
		c.Kind, c.ForRegistration = registry.KindRenewal, r.Number
		if rng.IntN(2) == 0 {
			c.Kind = registry.KindAmendment
		}
		c.State = []registry.State{registry.StateOperatorCheck, registry.StateReview, registry.StateReturned, registry.StateDraft, registry.StateRejected}[rng.IntN(5)]
		ps, ms := randItems(2, 1)
		c.Addresses = slices.Clone(r.Addresses)
		for _, p := range ps {
			if !slices.Contains(c.Addresses, p) {
				c.Addresses = append(c.Addresses, p)
			}
		}
		c.MobileNumbers = ms
		write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, c) })
		m.apps = append(m.apps, c)
	}
	// More than OverlapLimit hosts of 14.1.105.0/24 on each side, whoever
	// asks: two accounts' pending applications and a third's registration.
	hosts := func(from, n int) []netip.Prefix {
		var ps []netip.Prefix
		for i := range n {
			ps = append(ps, netip.PrefixFrom(netip.AddrFrom4([4]byte{14, 1, 105, byte(from + i)}), 32))
		}
		return ps
	}
	for k, acc := range accounts {
		a := sampleApp(fmt.Sprintf("app_h%d", k), acc)
		a.Flags, a.Fee = nil, registry.Fee{}
		a.State, a.Addresses = registry.StateReview, hosts(40*k+1, registry.OverlapLimit+1+k)
		if k == 2 {
			a.State = registry.StateApproved
		}
		write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, a) })
		m.apps = append(m.apps, a)
		if k == 2 {
			r := &registry.Registration{Number: "VPN-2026-900000", ApplicationID: a.ID, AccountID: acc, Category: a.Category, OperatorID: a.OperatorID,
				Status: registry.RegActive, Addresses: slices.Clone(a.Addresses), ValidFrom: t0, ValidUntil: t0.AddDate(1, 0, 0), VerificationCode: "H", CreatedAt: t0, IssuedAt: t0}
			write(t, db, func(tx registry.Tx) error { return tx.CreateRegistration(ctx, r) })
			m.regs = append(m.regs, r)
		}
	}

	check := func(name, except, account string, prefixes []netip.Prefix, mobiles []string, singles bool) {
		t.Helper()
		want := m.overlaps(except, account, prefixes, mobiles)
		db.Read(ctx, func(tx registry.Tx) error {
			got, err := tx.Overlaps(ctx, except, account, prefixes, mobiles)
			if err != nil || len(got) != len(want) {
				t.Fatalf("%s: Overlaps(except %q, %s, %v, %v) = %d sets, %v; want %d", name, except, account, prefixes, mobiles, len(got), err, len(want))
			}
			for n := range want {
				item := ""
				if n < len(prefixes) {
					item = prefixes[n].String()
				} else {
					item = mobiles[n-len(prefixes)]
				}
				if g, w := overlapSetString(got[n]), overlapSetString(want[n]); g != w {
					t.Errorf("%s: Overlaps(except %q, %s), item %d of %d (%s):\n got %s\nwant %s", name, except, account, n, len(want), item, g, w)
				}
				if !singles {
					continue
				}
				var one []registry.OverlapSet
				if n < len(prefixes) {
					one, err = tx.Overlaps(ctx, except, account, prefixes[n:n+1], nil)
				} else {
					one, err = tx.Overlaps(ctx, except, account, nil, mobiles[n-len(prefixes):n-len(prefixes)+1])
				}
				if err != nil || len(one) != 1 {
					t.Fatalf("%s: Overlaps of %s alone = %v, %v", name, item, one, err)
				}
				if g, w := overlapSetString(one[0]), overlapSetString(got[n]); g != w {
					t.Errorf("%s: Overlaps(except %q, %s) of %s alone:\n got %s\nin a batch %s", name, except, account, item, g, w)
				}
			}
			return nil
		})
	}
	// Broad prefixes, held and not: they overlap much of the rest.
	for k, b := range []struct {
		state registry.State
		p     string
	}{{registry.StateDraft, "0.0.0.0/0"}, {registry.StateWithdrawn, "14.0.0.0/8"}, {registry.StateReturned, "14.1.108.0/22"},
		{registry.StateOperatorCheck, "2001:dd8:1d::/48"}, {registry.StateDraft, "2001:dd8::/32"}} {
		a := sampleApp(fmt.Sprintf("app_b%d", k), accounts[k%len(accounts)])
		a.Flags, a.Fee = nil, registry.Fee{}
		a.State, a.Addresses = b.state, pfx(b.p)
		write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, a) })
		m.apps = append(m.apps, a)
	}
	broad = true

	// Each application asks of its own items, as addressFlags does, as
	// its own account and as another.
	for _, a := range m.apps {
		check("own items", a.ID, a.AccountID, a.Addresses, a.MobileNumbers, true)
		check("own items as another", a.ID, accounts[rng.IntN(len(accounts))], a.Addresses, a.MobileNumbers, false)
	}
	// New applications (and none at all) ask of random items, stored ones
	// among them, some repeated.
	var stored []netip.Prefix
	for _, a := range m.apps {
		stored = append(stored, a.Addresses...)
	}
	for i := range 30 {
		ps, ms := randItems(8, 3)
		for range rng.IntN(4) {
			ps = append(ps, stored[rng.IntN(len(stored))])
		}
		if len(ps) > 0 && rng.IntN(3) == 0 {
			ps = append(ps, ps[rng.IntN(len(ps))])
		}
		if len(ms) > 0 && rng.IntN(3) == 0 {
			ms = append(ms, ms[0])
		}
		rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		except := []string{"app_probe", "", m.apps[rng.IntN(len(m.apps))].ID}[i%3]
		check("random items", except, append(accounts, "acc_none")[rng.IntN(4)], ps, ms, true)
	}
	// A very large application: 100 prefixes, /128s and /32s with the most
	// containing keys, and /48s.
	var big []netip.Prefix
	for len(big) < 100 {
		p := randPrefix()
		switch rng.IntN(3) {
		case 0:
			p = netip.PrefixFrom(p.Addr(), p.Addr().BitLen())
		case 1:
			if p.Addr().Is6() {
				p = netip.PrefixFrom(p.Addr(), 48).Masked()
			}
		}
		if !slices.Contains(big, p) {
			big = append(big, p)
		}
	}
	check("100 prefixes", "app_probe", "acc_a", big, []string{randMobile(), randMobile()}, false)
	// The broadest of each family, and the /24 of the hosts.
	check("broadest", "app_probe", "acc_b", pfx("0.0.0.0/0", "2000::/3", "2001::/16", "14.1.105.0/24"), nil, true)
}

// testOverlapsEdges: the edges of an overlap search, spelled out. A
// stored prefix that contains the requested one and starts where it
// starts, the first and last address of a prefix and the ones just
// outside it, IPv4 and IPv6 never meeting, numbers after prefixes, one
// stored item matched by several requested items and by a repeated one,
// and which applications and registrations hold their items against
// which: the application itself, the registration it renews or amends,
// the registration of an approved application, expired and revoked ones.
func testOverlapsEdges(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a", "acc_b", "acc_c")
	app := func(id, acc string, state registry.State, kind registry.AppKind, reg string, items ...string) {
		a := sampleApp(id, acc)
		a.Flags, a.Fee, a.State, a.Kind, a.ForRegistration, a.Addresses = nil, registry.Fee{}, state, kind, reg, nil
		for _, s := range items {
			if p, err := netip.ParsePrefix(s); err == nil {
				a.Addresses = append(a.Addresses, p)
			} else {
				a.MobileNumbers = append(a.MobileNumbers, s)
			}
		}
		write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, a) })
	}
	reg := func(num, appID, acc string, status registry.RegStatus, items ...string) {
		r := &registry.Registration{Number: num, ApplicationID: appID, AccountID: acc, Category: registry.CategoryCompany, OperatorID: "ptcl",
			Status: status, Addresses: pfx(items...), ValidFrom: t0, ValidUntil: t0.AddDate(1, 0, 0), VerificationCode: num, CreatedAt: t0, IssuedAt: t0}
		write(t, db, func(tx registry.Tx) error { return tx.CreateRegistration(ctx, r) })
	}
	app("app_e1", "acc_a", registry.StateReview, registry.KindNew, "", "14.1.104.0/22", "14.1.200.255/32", "2001:dd8:1c::/48", "923001234567")
	app("app_e2", "acc_b", registry.StateOperatorCheck, registry.KindNew, "", "14.1.104.0/24", "2001:dd8:1c:ffff::/64", "923001234567")
	app("app_e3", "acc_a", registry.StateApproved, registry.KindNew, "", "39.32.0.0/24")
	reg("VPN-2026-000050", "app_e3", "acc_a", registry.RegActive, "39.32.0.0/24")
	app("app_e4", "acc_a", registry.StateReview, registry.KindRenewal, "VPN-2026-000050", "39.32.0.0/24", "39.32.1.0/24")
	app("app_e5", "acc_b", registry.StateApproved, registry.KindNew, "", "39.40.0.0/24")
	reg("VPN-2026-000051", "app_e5", "acc_b", registry.RegExpired, "39.40.0.0/24")
	app("app_e6", "acc_b", registry.StateApproved, registry.KindNew, "", "39.41.0.0/24")
	reg("VPN-2026-000052", "app_e6", "acc_b", registry.RegRevoked, "39.41.0.0/24")
	app("app_e7", "acc_b", registry.StateApproved, registry.KindNew, "", "39.42.0.0/24")
	reg("VPN-2026-000053", "app_e7", "acc_b", registry.RegActive, "39.42.0.0/24")
	app("app_e8", "acc_b", registry.StateReturned, registry.KindAmendment, "VPN-2026-000053", "39.42.0.0/24", "39.42.1.0/24")

	const (
		e1v4  = "14.1.104.0/22@app_e1"
		e2v4  = "14.1.104.0/24@app_e2"
		e1v6  = "2001:dd8:1c::/48@app_e1"
		e2v6  = "2001:dd8:1c:ffff::/64@app_e2"
		r50   = "39.32.0.0/24@app_e3@VPN-2026-000050"
		e4    = "39.32.0.0/24@app_e4"
		r53   = "39.42.0.0/24@app_e7@VPN-2026-000053"
		e8    = "39.42.0.0/24@app_e8"
		e1num = "923001234567@app_e1"
		e2num = "923001234567@app_e2"
	)
	type want struct {
		listed      []string // item@application[@registration], in order
		own, others int
	}
	for _, tt := range []struct {
		name, except, account string
		prefixes, mobiles     []string
		want                  []want
	}{
		{"containing prefixes starting at the same address, first and last addresses", "app_probe", "acc_c",
			[]string{"14.1.104.0/32", "14.1.104.0/24", "14.1.107.255/32", "14.1.108.0/32", "14.1.103.255/32", "14.1.104.0/24", "14.1.104.0/23", "14.0.0.0/8"}, nil,
			[]want{{[]string{e1v4, e2v4}, 0, 2}, {[]string{e1v4, e2v4}, 0, 2}, {[]string{e1v4}, 0, 1}, {}, {}, {[]string{e1v4, e2v4}, 0, 2},
				{[]string{e1v4, e2v4}, 0, 2}, {[]string{e1v4, "14.1.200.255/32@app_e1", e2v4}, 0, 3}}},
		{"IPv6 /128s at both ends, just outside, and broad", "app_probe", "acc_c",
			[]string{"2001:dd8:1c::/128", "2001:dd8:1c:ffff:ffff:ffff:ffff:ffff/128", "2001:dd8:1d::/128", "2001:dd8:1b:ffff:ffff:ffff:ffff:ffff/128", "2001:dd8::/32", "2001:dd8:1c:fffe::/64"}, nil,
			[]want{{[]string{e1v6}, 0, 1}, {[]string{e1v6, e2v6}, 0, 2}, {}, {}, {[]string{e1v6, e2v6}, 0, 2}, {[]string{e1v6}, 0, 1}}},
		{"IPv4 and IPv6 never meet", "app_probe", "acc_c", []string{"0.0.0.0/0", "2000::/3"}, nil,
			[]want{{[]string{e1v4, "14.1.200.255/32@app_e1", e2v4, r50, e4, "39.32.1.0/24@app_e4", r53, e8, "39.42.1.0/24@app_e8"}, 0, 9}, {[]string{e1v6, e2v6}, 0, 2}}},
		{"numbers after prefixes, own first", "app_probe", "acc_b", []string{"14.1.200.255/32"}, []string{"923001234568", "923001234567", "923001234567"},
			[]want{{[]string{"14.1.200.255/32@app_e1"}, 0, 1}, {}, {[]string{e2num, e1num}, 1, 1}, {[]string{e2num, e1num}, 1, 1}}},
		{"the application itself", "app_e1", "acc_a", []string{"14.1.104.0/22", "14.1.200.255/32", "2001:dd8:1c::/48"}, []string{"923001234567"},
			[]want{{[]string{e2v4}, 0, 1}, {}, {[]string{e2v6}, 0, 1}, {[]string{e2num}, 0, 1}}},
		{"a renewal and the registration it renews", "app_e4", "acc_a", []string{"39.32.0.0/24", "39.32.1.0/24"}, nil, []want{{}, {}}},
		{"an amendment and the registration it amends", "app_e8", "acc_b", []string{"39.42.0.0/24", "39.42.1.0/24"}, nil, []want{{}, {}}},
		{"the approved application of a registration", "app_e3", "acc_a", []string{"39.32.0.0/24"}, nil, []want{{[]string{e4}, 1, 0}}},
		{"anyone else sees both", "app_probe", "acc_a", []string{"39.32.0.0/23", "39.42.0.0/16"}, nil,
			[]want{{[]string{r50, e4, "39.32.1.0/24@app_e4"}, 3, 0}, {[]string{r53, e8, "39.42.1.0/24@app_e8"}, 0, 3}}},
		{"expired and revoked registrations hold nothing", "app_probe", "acc_a", []string{"39.40.0.0/24", "39.41.0.0/24"}, nil, []want{{}, {}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db.Read(ctx, func(tx registry.Tx) error {
				sets, err := tx.Overlaps(ctx, tt.except, tt.account, pfx(tt.prefixes...), tt.mobiles)
				if err != nil || len(sets) != len(tt.want) {
					t.Fatalf("Overlaps = %d sets, %v; want %d", len(sets), err, len(tt.want))
				}
				for i, os := range sets {
					var got []string
					for _, o := range os.Listed {
						s := o.Item + "@" + o.ApplicationID
						if o.Registration != "" {
							s += "@" + o.Registration
						}
						got = append(got, s)
					}
					w := tt.want[i]
					if !slices.Equal(got, w.listed) || os.Own != w.own || os.Others != w.others {
						t.Errorf("item %d (%s) = %v, own %d, others %d; want %v, %d, %d", i, append(tt.prefixes, tt.mobiles...)[i], got, os.Own, os.Others, w.listed, w.own, w.others)
					}
				}
				return nil
			})
		})
	}
}

// testOverlapsOneSnapshot: Overlaps answers from one state of the
// database. An application approved while others search keeps its items
// held throughout, first as applied for, then by its registration; read in
// two statements (the items found, then their owners), an approval
// between them hid the overlap: the application's item found but no
// longer pending, its registration's not yet there.
func testOverlapsOneSnapshot(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	p := netip.MustParsePrefix("14.1.104.0/24")
	apply := func(tx registry.Tx, i int) error {
		a := sampleApp(fmt.Sprintf("app_%04d", i), "acc_a")
		a.Flags, a.State, a.Addresses = nil, registry.StateReview, []netip.Prefix{p}
		return tx.CreateApplication(ctx, a)
	}
	write(t, db, func(tx registry.Tx) error { return apply(tx, 0) })
	// Each commit leaves p held by exactly one owner: application i is
	// approved with registration i, which is then revoked as application
	// i+1 is filed.
	const cycles = 150
	done := make(chan error, 1)
	go func() {
		for i := range cycles {
			num := fmt.Sprintf("VPN-2026-%06d", i)
			err := db.Write(ctx, func(tx registry.Tx) error {
				a, err := tx.Application(ctx, fmt.Sprintf("app_%04d", i), true)
				if err != nil {
					return err
				}
				a.State = registry.StateApproved
				if err := tx.UpdateApplication(ctx, a); err != nil {
					return err
				}
				return tx.CreateRegistration(ctx, &registry.Registration{Number: num, ApplicationID: a.ID, AccountID: "acc_a", Category: a.Category,
					OperatorID: "ptcl", Status: registry.RegActive, Addresses: a.Addresses, ValidFrom: t0, ValidUntil: t0.AddDate(1, 0, 0),
					VerificationCode: num, CreatedAt: t0, IssuedAt: t0})
			})
			if err == nil {
				err = db.Write(ctx, func(tx registry.Tx) error {
					r, err := tx.Registration(ctx, num, true)
					if err != nil {
						return err
					}
					r.Status = registry.RegRevoked
					if err := tx.UpdateRegistration(ctx, r); err != nil {
						return err
					}
					return apply(tx, i+1)
				})
			}
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	var reads, missed int
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		default:
		}
		err := db.Read(ctx, func(tx registry.Tx) error {
			sets, err := tx.Overlaps(ctx, "app_probe", "acc_b", []netip.Prefix{p}, nil)
			if err == nil && sets[0].Others != 1 {
				missed++
				if missed == 1 {
					t.Errorf("Overlaps(%s) while applications are approved = %+v; want the one holder", p, sets[0])
				}
			}
			reads++
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if missed > 0 {
		t.Errorf("%d of %d searches did not find the one holder", missed, reads)
	}
}
