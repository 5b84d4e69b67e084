package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// On PostgreSQL a read's statements share one connection, and reads and
// transactions wait for a connection in ipreg's first-come queue, never in
// database/sql's pool, which hands a freed connection to a waiter chosen
// at random (issue 14: at 64 clients the pool's waits added up to 600 s in
// 30 s, and a view of a dozen statements drew a dozen times).
func TestPostgresReadsShareAConnectionAndQueueInOrder(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "postgres")

	pids, err := store.BackendPIDs(ctx, db, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pids[1:] {
		if p != pids[0] {
			t.Fatalf("one read's statements were answered by backends %v; want one backend", pids)
		}
	}

	// Four times as many reads and transactions as the queue lets in,
	// each of several statements, all at once.
	before := db.SQL().Stats()
	var wg sync.WaitGroup
	errs := make(chan error, 8*store.QueueSize)
	for range 4 * store.QueueSize {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := store.BackendPIDs(ctx, db, 4); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			errs <- db.Write(ctx, func(tx registry.Tx) error {
				for range 3 {
					if _, err := tx.Settings(ctx); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	after := db.SQL().Stats()
	if n := after.WaitCount - before.WaitCount; n != 0 {
		t.Errorf("callers waited %d times in database/sql's pool (%v in all); want none: the queue in front of it takes them in order", n, after.WaitDuration-before.WaitDuration)
	}
	if after.MaxOpenConnections-store.QueueSize < 1 {
		t.Errorf("the queue lets %d in of a pool of %d: nothing is left for the audit sealer and the serials", store.QueueSize, after.MaxOpenConnections)
	}
}

// A transaction whose function panics gives its connection back: on
// PostgreSQL it held a connection the pool never saw again, on SQLite the
// database's write lock.
func TestWritePanicReturnsTheConnection(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			db := storetest.Open(t, kind)
			for range 3 {
				func() {
					defer func() {
						if recover() == nil {
							t.Fatal("the panic did not reach the caller")
						}
					}()
					db.Write(context.Background(), func(tx registry.Tx) error {
						if _, err := tx.Settings(context.Background()); err != nil {
							return err
						}
						panic("fn fails")
					})
				}()
			}
			if n := db.SQL().Stats().InUse; n != 0 {
				t.Errorf("%d connections still in use after the panicking transactions; want 0", n)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := db.Write(ctx, func(tx registry.Tx) error {
				set, err := tx.Settings(ctx)
				if err != nil {
					return err
				}
				return tx.PutSettings(ctx, set)
			}); err != nil {
				t.Fatalf("a write after them: %v", err)
			}
		})
	}
}
