package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"

	"github.com/ipreg/ipreg/internal/store"
)

// TestSQLiteCommitsAreDurable checks that no write transaction returns
// before its commit is on disk: every connection of the pool runs with
// synchronous=NORMAL (1), which writes a commit's WAL frames without an
// fsync, and every Write waits for an fsync of the WAL that begins after
// its commit (walSync). The fsync is watched: when it begins the write's
// row is already committed (a reader sees it) and the Write has not
// returned. Four connections are held at once, so the pool opens more
// than one; it fails with synchronous=FULL's pragma or without the wait.
func TestSQLiteCommitsAreDurable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "durable.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wg, taken sync.WaitGroup
	var mu sync.Mutex
	got := map[int]int{}
	start := make(chan struct{})
	taken.Add(4)
	for range 4 {
		wg.Go(func() {
			conn, err := db.SQL().Conn(ctx)
			taken.Done()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			<-start // every connection taken before any is given back
			var level int
			if err := conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&level); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got[level]++
			mu.Unlock()
		})
	}
	taken.Wait()
	close(start)
	wg.Wait()
	if len(got) != 1 || got[1] != 4 {
		t.Errorf("PRAGMA synchronous on 4 connections: %v (level: count), want 1 (NORMAL) on all, its commits made durable by walSync", got)
	}

	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE marks (n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	// A second handle reads what is committed, whatever db's pool holds.
	reader, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var returned atomic.Int64 // the last Write that returned
	var seen []string         // what each fsync found when it began
	if !store.SetWALFsync(db, func(f *os.File) error {
		var n int64
		err := reader.QueryRowContext(ctx, `SELECT coalesce(max(n), 0) FROM marks`).Scan(&n)
		seen = append(seen, fmt.Sprintf("committed %d, returned %d, %v", n, returned.Load(), err))
		if !strings.HasSuffix(f.Name(), "durable.db-wal") {
			t.Errorf("fsync of %s, want the database's -wal file", f.Name())
		}
		return f.Sync()
	}) {
		t.Fatal("no WAL sync on SQLite")
	}
	for n := int64(1); n <= 3; n++ {
		before := len(seen)
		err := db.Write(ctx, func(tx registry.Tx) error {
			return store.Exec(ctx, tx, `INSERT INTO marks (n) VALUES (?)`, n)
		})
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("committed %d, returned %d, <nil>", n, n-1)
		if len(seen) != before+1 || seen[len(seen)-1] != want {
			t.Fatalf("write %d returned after the fsyncs %q, want one that began after its commit and before it returned (%q)", n, seen[before:], want)
		}
		returned.Store(n)
	}
}

// TestSQLiteFilesOwnerOnly: the database and its -wal and -shm files are
// readable by their owner alone (they hold personal data), on a new
// database and on one an older version left 0644 (tester, issue 14).
func TestSQLiteFilesOwnerOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ipreg.db")
	check := func(when string) {
		t.Helper()
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			st, err := os.Stat(p)
			if err != nil {
				t.Errorf("%s: %v", when, err)
				continue
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s has mode %v, want -rw-------", when, filepath.Base(p), st.Mode().Perm())
			}
		}
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	check("a new database")
	db.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Chmod(p, 0o644)
	}
	db, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check("a database left 0644")
}
