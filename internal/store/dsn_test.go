package store_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/store"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/t5pg?sslmode=disable", "postgres://postgres@127.0.0.1:5432/t5pg?sslmode=disable"},
		{"postgres://postgres:hunter2@127.0.0.1:5432/t5pg", "postgres://postgres:PASSWORD@127.0.0.1:5432/t5pg"},
		{"postgresql://u:hun%40ter2@db/x?sslmode=disable", "postgresql://u:PASSWORD@db/x?sslmode=disable"},
		{"postgres://postgres@127.0.0.1:5432/t5pg?sslmode=disable&password=hunter2", "postgres://postgres@127.0.0.1:5432/t5pg?sslmode=disable&password=PASSWORD"},
		{"postgres://postgres@127.0.0.1/t5pg?password=hunter2&sslmode=disable", "postgres://postgres@127.0.0.1/t5pg?password=PASSWORD&sslmode=disable"},
		{"postgres://h/db?PASSWORD=hunter2", "postgres://h/db?PASSWORD=PASSWORD"},
		{"host=127.0.0.1 user=postgres password=hunter2 dbname=t5pg sslmode=disable", "host=127.0.0.1 user=postgres password=PASSWORD dbname=t5pg sslmode=disable"},
		{"host=h password = 'hunter 2\\' x' dbname=t", "host=h password = PASSWORD dbname=t"},
		{"connect: failed to connect to `host=h user=u password=hunter2`: refused", "connect: failed to connect to `host=h user=u password=PASSWORD`: refused"},
		{"psql 'postgres://a:hunter2@h/db' -c x", "psql 'postgres://a:PASSWORD@h/db' -c x"},
		{"ipreg-data/ipreg.db", "ipreg-data/ipreg.db"},
	} {
		got := store.Redact(tc.in)
		if got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "hunter") {
			t.Errorf("Redact(%q) = %q keeps the password", tc.in, got)
		}
	}
}

func TestDSNForms(t *testing.T) {
	for _, tc := range []struct {
		dsn, db, renamed string
		postgres         bool
	}{
		{"postgres://u:pw@h:5432/t5pg?sslmode=disable", "t5pg", "postgres://u:pw@h:5432/t5pg_demo?sslmode=disable", true},
		{"postgresql://h/t5pg", "t5pg", "postgresql://h/t5pg_demo", true},
		{"host=127.0.0.1 user=postgres password=hunter2 dbname=t5pg sslmode=disable", "t5pg",
			"host=127.0.0.1 user=postgres password=hunter2 dbname=t5pg_demo sslmode=disable", true},
		{"host=h user=u", "", "host=h user=u dbname=_demo", true},
		{"ipreg-data/ipreg.db", "", "", false},
		{"a=b.db", "", "", false},
		{"sqlite://x.db", "", "", false},
	} {
		if got := store.IsPostgres(tc.dsn); got != tc.postgres {
			t.Errorf("IsPostgres(%q) = %v, want %v", tc.dsn, got, tc.postgres)
		}
		if !tc.postgres {
			continue
		}
		if got := store.DatabaseName(tc.dsn); got != tc.db {
			t.Errorf("DatabaseName(%q) = %q, want %q", tc.dsn, got, tc.db)
		}
		if got := store.WithDatabase(tc.dsn, tc.db+"_demo"); got != tc.renamed {
			t.Errorf("WithDatabase(%q) = %q, want %q", tc.dsn, got, tc.renamed)
		}
	}
}

// TestOpenKeywordDSN: libpq's keyword/value form is PostgreSQL, never an
// SQLite file named after the whole string (password included); an error
// never repeats the password.
func TestOpenKeywordDSN(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, dsn := range []string{
		// Nothing listens on port 1: the connection fails, as PostgreSQL's.
		"host=127.0.0.1 port=1 user=postgres password=hunter2 dbname=t5pg sslmode=disable connect_timeout=2",
		"host=127.0.0.1 user=postgres passwd=hunter2 dbname=t5pg",
	} {
		db, err := store.Open(context.Background(), dsn)
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", dsn)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) = %v: the error repeats the password", dsn, err)
		}
		t.Logf("Open(%q) = %v", dsn, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("Open of a connection string created %q", e.Name())
	}
}
