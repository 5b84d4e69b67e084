package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// On SQLite, write transactions of one process wait for each other
// outside the connection pool (DB.writer): however many are waiting, at
// most one holds a connection, so the pool's other connections stay free
// for reads, and every write is committed with a distinct serial.
func TestSQLiteWritersHoldOneConnection(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const writers = 24
	var inside, most atomic.Int64
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			err := db.Write(ctx, func(tx registry.Tx) error {
				n := inside.Add(1)
				defer inside.Add(-1)
				if in := int64(db.db.Stats().InUse); in > most.Load() {
					most.Store(in)
				}
				if n != 1 {
					return errors.New("two write transactions at once")
				}
				v, err := tx.NextSerial(ctx, "writer-test")
				mu.Lock()
				seen[v] = true
				mu.Unlock()
				return err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(seen) != writers {
		t.Errorf("%d distinct serials from %d writes; want one each", len(seen), writers)
	}
	if most.Load() != 1 {
		t.Errorf("%d connections in use while a write ran; want 1 (waiting writers hold none)", most.Load())
	}
}

// A write waiting for another gives up with its context, and the waiting
// left nothing held: the next write goes through.
func TestSQLiteWriterWaitEndsWithContext(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- db.Write(ctx, func(registry.Tx) error { close(started); <-release; return nil })
	}()
	<-started
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.Write(cctx, func(registry.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("a write waiting with a cancelled context = %v; want context.Canceled", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, func(tx registry.Tx) error { _, err := tx.NextSerial(ctx, "after"); return err }); err != nil {
		t.Errorf("a write after the cancelled one: %v", err)
	}
}
