package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ipreg/ipreg/internal/store"
)

// TestStatementCache drives SQLite's per-connection statement cache
// through the cases where a cached statement must not be reused as is: the
// same text asked for while its rows are still open (a statement runs one
// query at a time), more distinct texts than the cache holds, and a
// statement that failed. Each must give the answer an uncached run gives.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sqlDB := db.SQL()
	// One connection: every statement below meets the same cache.
	sqlDB.SetMaxOpenConns(1)
	if _, err := sqlDB.ExecContext(ctx, `CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := sqlDB.ExecContext(ctx, `INSERT INTO t (n) VALUES (?)`, i); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("nested same text", func(t *testing.T) {
		tx, err := sqlDB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		const q = `SELECT n FROM t WHERE n >= ? ORDER BY n`
		outer, err := tx.QueryContext(ctx, q, 1)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for outer.Next() {
			var n int
			if err := outer.Scan(&n); err != nil {
				t.Fatal(err)
			}
			// The same text while outer's rows are open: outer must go on
			// where it was.
			inner, err := tx.QueryContext(ctx, q, n)
			if err != nil {
				t.Fatal(err)
			}
			count := 0
			for inner.Next() {
				count++
			}
			if err := inner.Close(); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%d:%d", n, count))
		}
		if err := outer.Err(); err != nil {
			t.Fatal(err)
		}
		outer.Close()
		if want := "[1:3 2:2 3:1]"; fmt.Sprint(got) != want {
			t.Errorf("nested queries = %v, want %s", got, want)
		}
	})

	t.Run("more texts than the cache holds", func(t *testing.T) {
		for i := 0; i < 400; i++ {
			var n int
			// A distinct text each time; the limit 100+i keeps it valid.
			if err := sqlDB.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM t LIMIT %d`, 100+i)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Fatalf("query %d counted %d rows, want 3", i, n)
			}
		}
		// A cached text still answers, with new arguments.
		for i := 1; i <= 3; i++ {
			var n int
			if err := sqlDB.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE n <= ?`, i).Scan(&n); err != nil || n != i {
				t.Fatalf("count(n <= %d) = %d, %v", i, n, err)
			}
		}
	})

	t.Run("after an error", func(t *testing.T) {
		if _, err := sqlDB.ExecContext(ctx, `INSERT INTO missing (n) VALUES (?)`, 1); err == nil {
			t.Fatal("insert into a missing table succeeded")
		}
		const ins = `INSERT INTO t (n) VALUES (?)`
		// A constraint failure at step, then the same cached statement
		// succeeds with its next arguments.
		if _, err := sqlDB.ExecContext(ctx, `CREATE UNIQUE INDEX t_n ON t (n)`); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlDB.ExecContext(ctx, ins, 1); err == nil {
			t.Fatal("a duplicate passed the unique index")
		}
		if _, err := sqlDB.ExecContext(ctx, ins, 4); err != nil {
			t.Fatalf("the statement after its failure: %v", err)
		}
		var n int
		if err := sqlDB.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 4 {
			t.Fatalf("count = %d, %v; want 4", n, err)
		}
	})
}
