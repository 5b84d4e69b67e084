package store_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ipreg/ipreg/internal/store"
)

// TestSQLiteCommitsAreDurable checks that every connection of the pool
// runs with synchronous=FULL (2): in WAL mode NORMAL (1) skips the fsync
// at commit, so the last answered writes before a power cut are lost.
// Four connections are held at once, so the pool opens more than one.
func TestSQLiteCommitsAreDurable(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "durable.db"))
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
	if len(got) != 1 || got[2] != 4 {
		t.Errorf("PRAGMA synchronous on 4 connections: %v (level: count), want 2 (FULL) on all", got)
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
