package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// Two handles on one database stand for two replicas (or ipreg admin
// beside ipreg serve). Their writes, read records and a rolled-back write
// run at once; afterwards the chain verifies, holds every committed entry
// exactly once, keeps each transaction's entries in the order appended,
// and nothing is left pending. On PostgreSQL this is the sealer's test:
// transactions put their entries in audit_pending and the two handles'
// sealers link them into the chain after each commit (auditseal.go).
func TestAuditSealing(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, kind)
			open := func() *store.DB {
				db, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				return db
			}
			a, b := open(), open()
			const workers, rounds = 4, 12
			var wg sync.WaitGroup
			for h, db := range []*store.DB{a, b} {
				for w := range workers {
					wg.Go(func() {
						for i := range rounds {
							who := fmt.Sprintf("usr_%d_%d", h, w)
							err := db.Write(ctx, func(tx registry.Tx) error {
								for part := 1; part <= 2; part++ {
									if err := tx.AppendAudit(ctx, &audit.Entry{At: time.Now(), ActorID: who, Action: "test.written",
										ObjectType: "round", ObjectID: fmt.Sprintf("%s/%d", who, i), Detail: fmt.Sprint(part)}); err != nil {
										return err
									}
								}
								return nil
							})
							if err != nil {
								t.Error(err)
								return
							}
							if err := db.Record(ctx, &audit.Entry{At: time.Now(), ActorID: who, Action: "test.viewed",
								ObjectType: "round", ObjectID: fmt.Sprintf("%s/%d", who, i)}); err != nil {
								t.Error(err)
								return
							}
						}
					})
				}
			}
			// A write that rolls back leaves nothing, pending or sealed.
			a.Write(ctx, func(tx registry.Tx) error {
				tx.AppendAudit(ctx, &audit.Entry{At: time.Now(), Action: "test.rolledback", ObjectType: "round"})
				return errors.New("roll back")
			})
			wg.Wait()
			want := 2 * workers * rounds * 3
			es := verified(t, b)
			if len(es) != want {
				t.Fatalf("%d entries in the chain, want %d", len(es), want)
			}
			seen := map[string]int{}
			for _, e := range es {
				if e.Action == "test.rolledback" {
					t.Fatalf("a rolled-back entry is in the chain: %+v", e)
				}
				key := e.ObjectID + " " + e.Action + " " + e.Detail
				seen[key]++
				if e.Action == "test.written" && e.Detail == "2" && seen[e.ObjectID+" test.written 1"] != 1 {
					t.Fatalf("entry %d (%s part 2) precedes its transaction's part 1", e.Seq, e.ObjectID)
				}
			}
			for k, n := range seen {
				if n != 1 {
					t.Errorf("%s: %d entries, want 1", k, n)
				}
			}
			if n := pendingRows(t, a); n != 0 {
				t.Errorf("%d entries left in audit_pending after a reader's seal", n)
			}
		})
	}
}

// A kill between a PostgreSQL transaction's commit and its seal leaves its
// entries in audit_pending; the next reader (here: a process started after
// the kill, as ipreg audit verify) seals them before it reads, so the
// chain holds them and verifies.
func TestAuditSealingAfterACrash(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, "postgres")
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, func(tx registry.Tx) error {
		return tx.AppendAudit(ctx, &audit.Entry{At: time.Now(), Action: "test.before", ObjectType: "round"})
	}); err != nil {
		t.Fatal(err)
	}
	verified(t, db)
	// What a transaction that committed and was never sealed leaves.
	for i, action := range []string{"test.left.1", "test.left.2"} {
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO audit_pending (id, at, actor_id, action, object_type, object_id, detail)
			VALUES ($1, $2, '', $3, 'round', 'x', '')`, fmt.Sprintf("%020d-00000000deadbeef-%06d", time.Now().UnixNano(), i),
			time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"), action); err != nil {
			t.Fatal(err)
		}
	}
	later, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	es := verified(t, later)
	var actions []string
	for _, e := range es {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "test.before test.left.1 test.left.2" {
		t.Fatalf("chain after the restart: %s", got)
	}
	if n := pendingRows(t, later); n != 0 {
		t.Errorf("%d entries still pending", n)
	}
}

// Writes alone get their entries sealed: the sealer they kick waits a
// little (sealLinger) for more writes to seal together, then seals, with
// no reader asking. Polled, not timed: the bound is only how long to wait
// before calling it a hang.
func TestAuditSealedWithoutReaders(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, kind)
			for i := range 5 {
				if err := db.Write(ctx, func(tx registry.Tx) error {
					return tx.AppendAudit(ctx, &audit.Entry{At: time.Now(), ActorID: "usr_writer", Action: "test.written",
						ObjectType: "round", ObjectID: fmt.Sprint(i)})
				}); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(30 * time.Second)
			for pendingRows(t, db) != 0 {
				if time.Now().After(deadline) {
					t.Fatalf("%d entries still pending 30 s after the writes: no seal followed them", pendingRows(t, db))
				}
				time.Sleep(10 * time.Millisecond)
			}
			if es := verified(t, db); len(es) < 5 {
				t.Fatalf("%d entries in the chain, want at least the 5 written", len(es))
			}
		})
	}
}

// verified reads the whole chain through db and checks it.
func verified(t *testing.T, db *store.DB) []audit.Entry {
	t.Helper()
	es, err := storetest.VerifiedAudit(db)
	if err != nil {
		t.Fatalf("the chain does not verify: %v", err)
	}
	return es
}

func pendingRows(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_pending`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
