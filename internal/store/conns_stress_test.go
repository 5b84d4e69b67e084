package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// Reviewer's stress: many more pinned reads than the queue has places,
// each holding its connection while it appends an audit entry outside a
// transaction (flushAudit: insert, then wait for the sealer) and reads
// the log (sealed), beside transactions that append entries and reads'
// records (Record). Nothing may hang: sealed releases the pinned
// connection before waiting for the sealer, which needs one of its own.
func TestPostgresPinnedReadsWaitingForTheSealerDoNotHang(t *testing.T) {
	db := storetest.Open(t, "postgres")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 16*store.QueueSize)
	for i := range 4 * store.QueueSize {
		wg.Add(3)
		go func() {
			defer wg.Done()
			errs <- db.Read(ctx, func(tx registry.Tx) error {
				if _, err := tx.Settings(ctx); err != nil {
					return err
				}
				if err := tx.AppendAudit(ctx, &audit.Entry{At: time.Now(), Action: "test.read", ObjectType: "r", ObjectID: fmt.Sprint(i)}); err != nil {
					return err
				}
				if _, _, err := tx.AuditHead(ctx); err != nil {
					return err
				}
				if _, err := tx.AuditEntriesAbout(ctx, []registry.AuditObject{{Type: "r", ID: fmt.Sprint(i)}}); err != nil {
					return err
				}
				_, err := tx.Settings(ctx)
				return err
			})
		}()
		go func() {
			defer wg.Done()
			errs <- db.Write(ctx, func(tx registry.Tx) error {
				if _, err := tx.AuditEntriesAbout(ctx, []registry.AuditObject{{Type: "w", ID: fmt.Sprint(i)}}); err != nil {
					return err
				}
				return tx.AppendAudit(ctx, &audit.Entry{At: time.Now(), Action: "test.write", ObjectType: "w", ObjectID: fmt.Sprint(i)})
			})
		}()
		go func() {
			defer wg.Done()
			errs <- db.Record(ctx, &audit.Entry{At: time.Now(), Action: "test.viewed", ObjectType: "v", ObjectID: fmt.Sprint(i)})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.Read(ctx, func(tx registry.Tx) error {
		es, err := tx.AuditEntriesAbout(ctx, []registry.AuditObject{{Type: "r", ID: "0"}, {Type: "w", ID: "0"}, {Type: "v", ID: "0"}})
		n = len(es)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("entries about round 0: %d, want 3", n)
	}
}
