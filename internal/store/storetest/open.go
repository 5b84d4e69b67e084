// Package storetest is the conformance suite every registry.Store passes,
// and the helpers that open a fresh SQLite or PostgreSQL store for any
// package's tests. PostgreSQL tests use IPREG_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable), create a
// database with a random name and drop it afterwards; when no server
// answers they skip, unless IPREG_TEST_STRICT=1, where they fail.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/testbin"
)

// DefaultPostgresURL is used when IPREG_TEST_POSTGRES_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// SkipOrFail skips with why, or fails under IPREG_TEST_STRICT=1.
func SkipOrFail(tb testing.TB, why string) {
	tb.Helper()
	testbin.SkipOrFail(tb, why)
}

// Kinds are the store kinds every suite runs against.
var Kinds = []string{"sqlite", "postgres"}

// DSN returns a data source name for a fresh, empty database of the kind,
// removed when the test ends.
func DSN(tb testing.TB, kind string) string {
	tb.Helper()
	switch kind {
	case "sqlite":
		return filepath.Join(tb.TempDir(), "ipreg.db")
	case "postgres":
		return postgresDSN(tb)
	}
	tb.Fatalf("unknown store kind %q", kind)
	return ""
}

// Open returns a fresh, migrated store of the kind, closed when the test ends.
func Open(tb testing.TB, kind string) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, DSN(tb, kind))
	if err != nil {
		tb.Fatalf("open %s store: %v", kind, err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatalf("migrate %s store: %v", kind, err)
	}
	return db
}

var (
	pgOnce sync.Once
	pgErr  error
)

func postgresDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("IPREG_TEST_POSTGRES_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("IPREG_TEST_POSTGRES_URL: %v", err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pgOnce.Do(func() { pgErr = admin.PingContext(ctx) })
	if pgErr != nil {
		SkipOrFail(tb, "PostgreSQL is not reachable at "+redact(base)+": "+pgErr.Error())
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "ipreg_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer a.Close()
		// FORCE ends connections a failed test may have left open.
		if _, err := a.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("IPREG_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
