package store_test

import (
	"context"
	"testing"

	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// TestHasSchema: a new database holds no registry, and asking creates
// nothing; after Migrate it holds one.
func TestHasSchema(t *testing.T) {
	ctx := context.Background()
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			db, err := store.Open(ctx, storetest.DSN(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for range 2 { // the first answer must not have made a schema
				if ok, err := db.HasSchema(ctx); ok || err != nil {
					t.Fatalf("HasSchema on a new database = %v, %v; want false", ok, err)
				}
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if ok, err := db.HasSchema(ctx); !ok || err != nil {
				t.Errorf("HasSchema after Migrate = %v, %v; want true", ok, err)
			}
		})
		// Another tool's schema_version table (older Flyway keeps one) is
		// not a registry.
		t.Run(kind+" another tool's schema_version", func(t *testing.T) {
			db, err := store.Open(ctx, storetest.DSN(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, q := range []string{`CREATE TABLE schema_version (version INTEGER NOT NULL)`, `INSERT INTO schema_version (version) VALUES (1)`} {
				if _, err := db.SQL().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if ok, err := db.HasSchema(ctx); ok || err != nil {
				t.Errorf("HasSchema beside another tool's schema_version = %v, %v; want false", ok, err)
			}
		})
	}
}
