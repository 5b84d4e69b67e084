package store_test

import (
	"context"
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
