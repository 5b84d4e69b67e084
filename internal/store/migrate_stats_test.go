package store_test

import (
	"context"
	"testing"

	"github.com/ipreg/ipreg/internal/store/storetest"
)

// Migration 0027 marks every month the rollup built before the month-end
// rule was fixed, so that it is rebuilt instead of kept as final, and
// leaves a month already marked as it was.
func TestMigrationMarksBuiltMonthsForRebuild(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, kind)
			q := func(s string) {
				t.Helper()
				if _, err := db.SQL().ExecContext(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			// The database as 0026 left it: two months built, one of them
			// already marked by an import.
			q(`DELETE FROM schema_version WHERE version = 27`)
			q(`INSERT INTO stats_months (month, figures, built_at) VALUES ('2026-09', '{}', '2026-10-01T00:00:00.000000Z'), ('2026-10', '{}', '2026-11-01T00:00:00.000000Z')`)
			q(`INSERT INTO stats_dirty (month, marked_at) VALUES ('2026-10', '2026-11-15T10:00:00.000000Z')`)
			applied, err := db.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(applied) != 1 {
				t.Fatalf("migrations applied: %v; want 0027 alone", applied)
			}
			rows, err := db.SQL().QueryContext(ctx, `SELECT month, marked_at FROM stats_dirty ORDER BY month`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			got := map[string]string{}
			for rows.Next() {
				var m, at string
				if err := rows.Scan(&m, &at); err != nil {
					t.Fatal(err)
				}
				got[m] = at
			}
			if len(got) != 2 || got["2026-09"] == "" || got["2026-10"] != "2026-11-15T10:00:00.000000Z" {
				t.Errorf("marked months %v; want 2026-09 marked and 2026-10 as it was", got)
			}
		})
	}
}
