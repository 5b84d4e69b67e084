package store_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
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

// BenchmarkOverlaps measures the overlap search of one application as the
// table grows from 10,000 to 200,000 stored addresses: one /32 (probes=1)
// and eight /32s, as a full application lists (probes=8), in one call.
// Index probes, not a scan, so the time should stay flat with the size.
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
				for _, items := range []int{1, 8} {
					b.Run(fmt.Sprintf("items=%d/probes=%d", size, items), func(b *testing.B) {
						ps := make([]netip.Prefix, items)
						for i := 0; i < b.N; i++ {
							// Probe addresses inside the filled space, from another application.
							for j := range ps {
								n := ((i*items + j) * 7919) % size
								ps[j] = netip.PrefixFrom(netip.AddrFrom4([4]byte{39, byte(32 + n>>16), byte(n >> 8), byte(n)}), 32)
							}
							err := db.Read(ctx, func(tx registry.Tx) error {
								sets, err := tx.Overlaps(ctx, "app_probe", "acc_probe", ps, nil)
								for j, os := range sets {
									if err == nil && len(os.Listed) != 1 {
										err = fmt.Errorf("%s: %d overlaps, want 1", ps[j], len(os.Listed))
									}
								}
								return err
							})
							if err != nil {
								b.Fatal(err)
							}
						}
					})
				}
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

// TestIdentityMigrationKeepsExistingDuplicates runs the account identity
// migration over a database from before it that already holds two
// accounts with one CNIC or NTN: it must not fail, the oldest account of
// each keeps the key, the later ones keep working without it, and no new
// account can join them.
func TestIdentityMigrationKeepsExistingDuplicates(t *testing.T) {
	files, _ := filepath.Glob("migrations/*_account_identity.sql")
	if len(files) != 1 {
		t.Fatalf("account identity migration: found %v", files)
	}
	src, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			db := storetest.Open(t, kind)
			ctx := context.Background()
			// Back to the schema before the migration.
			for _, q := range []string{"DROP INDEX accounts_identity", "ALTER TABLE accounts DROP COLUMN identity_key"} {
				if _, err := db.SQL().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			rows := []struct{ id, kind, cnic, ntn, created string }{
				{"acc_i2", "individual", "35202-1234567-1", "", "2026-01-02T00:00:00.000000Z"},
				{"acc_i1", "individual", "35202-1234567-1", "", "2026-01-01T00:00:00.000000Z"},
				{"acc_i3", "individual", "35202-1234567-1", "", "2026-01-03T00:00:00.000000Z"},
				{"acc_i4", "individual", "35202-7654321-1", "", "2026-01-03T00:00:00.000000Z"},
				{"acc_c1", "company", "35202-1234567-1", "1234567-8", "2026-01-01T00:00:00.000000Z"},
				{"acc_c2", "company", "35202-1234567-1", "1234567", "2026-01-01T00:00:00.000000Z"}, // same time: by id
				{"acc_c3", "company", "35202-1234567-1", "35202-1234567-1", "2026-01-01T00:00:00.000000Z"},
				{"acc_c4", "company", "35202-1234567-1", "", "2026-01-01T00:00:00.000000Z"},
				{"acc_c5", "company", "35202-1234567-1", "", "2026-01-01T00:00:00.000000Z"},
			}
			ins := "INSERT INTO accounts (id, kind, name, cnic, mobile, ntn, created_at) VALUES ($1, $2, 'Holder', $3, '923001234567', $4, $5)"
			if kind == "sqlite" {
				ins = strings.NewReplacer("$1", "?", "$2", "?", "$3", "?", "$4", "?", "$5", "?").Replace(ins)
			}
			for _, r := range rows {
				if _, err := db.SQL().ExecContext(ctx, ins, r.id, r.kind, r.cnic, r.ntn, r.created); err != nil {
					t.Fatal(err)
				}
			}
			// The migration's statements, as Migrate splits them.
			var lines []string
			for _, l := range strings.Split(string(src), "\n") {
				if i := strings.Index(l, "--"); i >= 0 {
					l = l[:i]
				}
				lines = append(lines, l)
			}
			for _, stmt := range strings.Split(strings.Join(lines, "\n"), ";\n") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := db.SQL().ExecContext(ctx, stmt); err != nil {
					t.Fatalf("migration over existing duplicates: %v\n%s", err, stmt)
				}
			}
			want := map[string]string{"acc_i1": "individual:3520212345671", "acc_i2": "", "acc_i3": "", "acc_i4": "individual:3520276543211",
				"acc_c1": "company:1234567", "acc_c2": "", "acc_c3": "company:3520212345671", "acc_c4": "", "acc_c5": ""}
			got := map[string]string{}
			rs, err := db.SQL().QueryContext(ctx, "SELECT id, COALESCE(identity_key, '') FROM accounts")
			if err != nil {
				t.Fatal(err)
			}
			for rs.Next() {
				var id, key string
				if err := rs.Scan(&id, &key); err != nil {
					t.Fatal(err)
				}
				got[id] = key
			}
			rs.Close()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("identity keys after the migration:\n got %v\nwant %v", got, want)
			}
			// The keys match registry.Account.IdentityKey, so no new
			// account joins a group, old or new.
			for _, a := range []registry.Account{{Kind: registry.KindIndividual, CNIC: "3520212345671"}, {Kind: registry.KindCompany, NTN: "1234567-0"},
				{Kind: registry.KindCompany, NTN: "35202-1234567-1"}} {
				a.ID, a.Name, a.Mobile, a.CreatedAt = "acc_new", "New", "923001234567", time.Now()
				err := db.Write(ctx, func(tx registry.Tx) error { return tx.CreateAccount(ctx, &a) })
				if registry.ErrorCode(err) != registry.ECONFLICT {
					t.Errorf("new %s account with %s%s after the migration: %v, want a conflict", a.Kind, a.CNIC, a.NTN, err)
				}
			}
		})
	}
}

// migrationStatements returns the statements of the one migration file
// matching glob, split as Migrate splits them.
func migrationStatements(t *testing.T, glob string) []string {
	t.Helper()
	files, _ := filepath.Glob(glob)
	if len(files) != 1 {
		t.Fatalf("migration %s: found %v", glob, files)
	}
	src, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(src), "\n") {
		if i := strings.Index(l, "--"); i >= 0 {
			l = l[:i]
		}
		lines = append(lines, l)
	}
	var out []string
	for _, stmt := range strings.Split(strings.Join(lines, "\n"), ";\n") {
		if strings.TrimSpace(stmt) != "" {
			out = append(out, stmt)
		}
	}
	return out
}

// The check snapshot migration fills the checks opened before it: from the
// application when it is still with the check's operator, and not at all
// when it went to another operator, whose data the first must not see.
func TestCheckSnapshotMigration(t *testing.T) {
	stmts := migrationStatements(t, "migrations/*_check_snapshot.sql")
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			db := storetest.Open(t, kind)
			ctx := context.Background()
			t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
			err := db.Write(ctx, func(tx registry.Tx) error {
				if err := tx.CreateAccount(ctx, &registry.Account{ID: "acc_b", Kind: registry.KindCompany, Name: "Holder B",
					CNIC: "35202-1234567-1", NTN: "1234567-8", Mobile: "923001234567", CreatedAt: t0}); err != nil {
					return err
				}
				for _, o := range []string{"ptcl", "nayatel"} {
					if err := tx.CreateOperator(ctx, &registry.Operator{ID: o, Name: o, Kind: registry.OperatorFixed, CreatedAt: t0}); err != nil {
						return err
					}
				}
				for _, a := range []*registry.Application{
					{ID: "app_stay", OperatorID: "ptcl", SubscriberID: "PTCL-1", Addresses: []netip.Prefix{netip.MustParsePrefix("14.1.104.0/24")}},
					{ID: "app_moved", OperatorID: "nayatel", SubscriberID: "NTL-2", Addresses: []netip.Prefix{netip.MustParsePrefix("14.1.200.0/24")}},
				} {
					a.AccountID, a.Category, a.State, a.CreatedAt, a.UpdatedAt = "acc_b", registry.CategoryCompany, registry.StateReview, t0, t0
					if err := tx.CreateApplication(ctx, a); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// Back to the schema before the migration, with a PTCL check of
			// each application.
			for _, q := range []string{"DROP TABLE check_items", "ALTER TABLE checks DROP COLUMN category",
				"ALTER TABLE checks DROP COLUMN subscriber_id", "ALTER TABLE checks DROP COLUMN holder_name",
				`INSERT INTO checks (id, application_id, operator_id, state, due_at, created_at) VALUES
					('chk_stay', 'app_stay', 'ptcl', 'confirmed', '2026-11-03T09:00:00.000000Z', '2026-11-02T09:00:00.000000Z'),
					('chk_moved', 'app_moved', 'ptcl', 'confirmed', '2026-11-03T09:00:00.000000Z', '2026-11-02T09:00:00.000000Z')`} {
				if _, err := db.SQL().ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			for _, stmt := range stmts {
				if _, err := db.SQL().ExecContext(ctx, stmt); err != nil {
					t.Fatalf("migration over existing checks: %v\n%s", err, stmt)
				}
			}
			got := map[string]string{}
			db.Read(ctx, func(tx registry.Tx) error {
				cs, err := tx.ListChecks(ctx, "ptcl", "")
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cs {
					got[c.ID] = fmt.Sprintf("%s|%s|%s|%v%v", c.Category, c.SubscriberID, c.HolderName, c.Addresses, c.MobileNumbers)
				}
				return nil
			})
			want := map[string]string{"chk_stay": "company_vpn|PTCL-1|Holder B|[14.1.104.0/24][]", "chk_moved": "|||[][]"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("checks after the migration:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// TestSchemaVersionsIsTheNewestApplied: the version a backup records (the
// database's highest) and the one this program knows must be the same
// number after a migration, even when migration numbers skip; a count of
// migrations once stood in for it and refused every backup.
func TestSchemaVersionsIsTheNewestApplied(t *testing.T) {
	known, err := store.SchemaVersions()
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			db := storetest.Open(t, kind)
			var applied int
			if err := db.SQL().QueryRowContext(context.Background(), "SELECT MAX(version) FROM schema_version").Scan(&applied); err != nil {
				t.Fatal(err)
			}
			if applied != known {
				t.Errorf("database at schema version %d after migrating; SchemaVersions says %d", applied, known)
			}
		})
	}
}
