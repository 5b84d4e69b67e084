package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/store"
)

// TestSeedApplications: the seed drops the seeded tables' secondary indexes
// for its load, so it must leave every one of them as the migrations made it,
// and every row it says it wrote must be there. 1,000 applications: about a
// second per database.
func TestSeedApplications(t *testing.T) {
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dsn := DSN(t, kind)
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			raw, err := openRaw(dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			pg := store.IsPostgres(dsn)
			now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC).Format(time.RFC3339)
			for _, op := range [][2]string{{"ptcl", "fixed"}, {"jazz", "mobile"}} {
				q := `INSERT INTO operators (id, name, kind, created_at) VALUES (?, ?, ?, ?)`
				if pg {
					q = `INSERT INTO operators (id, name, kind, created_at) VALUES ($1, $2, $3, $4)`
				}
				if _, err := raw.ExecContext(ctx, q, op[0], op[0], op[1], now); err != nil {
					t.Fatal(err)
				}
			}
			tables := []string{"accounts", "applications", "items", "registrations", "registration_items", "events", "documents", "checks"}
			indexes := func() [][2]string {
				c, err := raw.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				ix, err := secondaryIndexes(ctx, c, pg, tables)
				if err != nil {
					t.Fatal(err)
				}
				return ix
			}
			before := indexes()
			if len(before) == 0 {
				t.Fatal("no secondary index found on the seeded tables: the listing query is wrong")
			}
			seeded := SeedApplications(t, dsn, 1000, time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
			if after := indexes(); !slices.Equal(before, after) {
				t.Errorf("indexes after the seed differ from the migrations'\nbefore %q\nafter  %q", before, after)
			}
			for _, c := range []struct {
				table string
				want  int
			}{
				{"accounts", seeded.Accounts}, {"applications", seeded.Applications}, {"items", seeded.Items},
				{"registrations", seeded.Registrations}, {"events", seeded.Events}, {"documents", seeded.Documents},
				{"checks", seeded.Checks},
			} {
				var n int
				if err := raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+c.table).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != c.want || n == 0 {
					t.Errorf("%s holds %d rows, the seed says it wrote %d", c.table, n, c.want)
				}
			}
			// Every registration item belongs to a registration: the
			// PostgreSQL load ran without foreign-key triggers.
			var orphans int
			if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM registration_items i
				LEFT JOIN registrations r ON r.number = i.registration_number WHERE r.number IS NULL`).Scan(&orphans); err != nil {
				t.Fatal(err)
			}
			if orphans != 0 {
				t.Errorf("%d registration items name no registration", orphans)
			}
		})
	}
}
