package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/registry"
)

// On SQLite, write transactions of one process wait for each other
// outside the connection pool (DB.writer): however many are waiting, at
// most one holds a connection, so the pool's other connections stay free
// for reads, and every write is committed with a distinct serial.
func TestSQLiteWritersHoldOneConnection(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
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
	db := openSQLite(t)
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

// The records of reads (Record) go before the writes waiting, but not
// twice in a row while a write waits: a read waits for the write running,
// and a stream of reads cannot starve the writes.
func TestWriterLockUrgentOrder(t *testing.T) {
	ctx := context.Background()
	var w writerLock
	var mu sync.Mutex
	var order []string
	enter := func(name string, urgent bool) {
		go func() {
			if err := w.lock(ctx, urgent); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			w.unlock()
		}()
	}
	queued := func(n int) {
		for {
			w.mu.Lock()
			got := len(w.urgent) + len(w.normal)
			w.mu.Unlock()
			if got == n {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	if err := w.lock(ctx, false); err != nil {
		t.Fatal(err)
	}
	enter("write1", false)
	queued(1)
	enter("write2", false)
	queued(2)
	enter("read1", true)
	queued(3)
	enter("read2", true)
	queued(4)
	w.unlock()
	for {
		mu.Lock()
		n := len(order)
		mu.Unlock()
		if n == 4 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if got := strings.Join(order, " "); got != "read1 write1 read2 write2" {
		t.Errorf("turns: %s; want read1 write1 read2 write2", got)
	}
	// A waiter whose context ends leaves the queue; the lock is free after.
	if err := w.lock(ctx, false); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := w.lock(cctx, true); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a waiter whose context ended = %v", err)
	}
	w.unlock()
	if w.held || len(w.urgent)+len(w.normal) != 0 {
		t.Errorf("after the last unlock: held %v, %d waiting", w.held, len(w.urgent)+len(w.normal))
	}
}

// On SQLite a read's record waits for the write running, not for the
// writes queued behind it; the records of reads made at once share one
// transaction; the chain verifies.
func TestSQLiteRecordGoesFirst(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	appended := func(action string) func(registry.Tx) error {
		return func(tx registry.Tx) error {
			return tx.AppendAudit(ctx, &audit.Entry{At: time.Now(), Action: action, ObjectType: "t"})
		}
	}
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		db.Write(ctx, func(tx registry.Tx) error { close(started); <-release; return appended("write.running")(tx) })
	})
	<-started
	waiting := func(n int) {
		for {
			db.writer.mu.Lock()
			got := len(db.writer.urgent) + len(db.writer.normal)
			db.writer.mu.Unlock()
			if got >= n {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	for i := range 3 {
		wg.Go(func() {
			if err := db.Write(ctx, appended(fmt.Sprintf("write.queued.%d", i))); err != nil {
				t.Error(err)
			}
		})
		waiting(i + 1)
	}
	for range 5 {
		wg.Go(func() {
			if err := db.Record(ctx, &audit.Entry{At: time.Now(), Action: "read", ObjectType: "t"}); err != nil {
				t.Error(err)
			}
		})
	}
	waiting(4) // the records' group is queued, urgent
	close(release)
	wg.Wait()
	var es []audit.Entry
	if err := db.Read(ctx, func(tx registry.Tx) error {
		var err error
		es, err = tx.AuditEntries(ctx, 0, 100)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var actions []string
	v := audit.NewVerifier()
	for _, e := range es {
		actions = append(actions, e.Action)
		if err := v.Next(e); err != nil {
			t.Fatal(err)
		}
	}
	got := strings.Join(actions, " ")
	// The first read's group may hold one to five records (the others
	// join the next group, which waits behind one write).
	if !strings.HasPrefix(got, "write.running read") || strings.Count(got, "read") != 5 || strings.Count(got, "write.queued") != 3 {
		t.Fatalf("order of the chain: %s; want the reads' records right after the running write", got)
	}
}

// openSQLite opens a migrated SQLite store in a temporary directory,
// closed when the test ends.
func openSQLite(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// Two handles on one SQLite file, as ipreg import beside a running ipreg
// serve: while one holds a write transaction longer than the busy timeout,
// the other's writes wait for it (WaitForWriters) instead of failing with
// "database is locked" (tester, issue 13), and so does its Migrate when a
// migration is pending; a Migrate with none pending only reads, and goes
// through beside the write without waiting (it took the write lock for
// each migration, applied or not). The holder lets go only once the
// waiter has said it waits (onWait), so no timing decides the outcome.
func TestSQLiteWriteWaitsForAnotherProcess(t *testing.T) {
	old := sqliteBusyTimeout
	sqliteBusyTimeout = 20 * time.Millisecond
	t.Cleanup(func() { sqliteBusyTimeout = old })
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ipreg.db")
	server, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if _, err := server.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"write", "migrate, one pending", "migrate, none pending"} {
		t.Run(step, func(t *testing.T) {
			if step == "migrate, one pending" {
				// The database as before migration 0025.
				for _, q := range []string{"DELETE FROM schema_version WHERE version = 25", "DROP INDEX invitations_pending",
					"CREATE INDEX invitations_pending ON invitations(used_at, created_at)"} {
					if _, err := server.db.ExecContext(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
			}
			cli, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			waiting := make(chan struct{})
			cli.WaitForWriters(0, func() { close(waiting) })
			held, release := make(chan struct{}), make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- server.Write(ctx, func(tx registry.Tx) error {
					if _, err := tx.NextSerial(ctx, "long-write"); err != nil {
						return err
					}
					close(held)
					<-release
					return nil
				})
			}()
			<-held
			waits := step != "migrate, none pending"
			if waits {
				go func() { <-waiting; close(release) }()
			}
			var applied []string
			switch step {
			case "write":
				err = cli.Write(ctx, func(tx registry.Tx) error { _, err := tx.NextSerial(ctx, "long-write"); return err })
			default:
				applied, err = cli.Migrate(ctx)
			}
			if err != nil {
				t.Errorf("%s beside another handle's long write = %v; want it to wait", step, err)
			}
			select {
			case <-release:
				if !waits {
					t.Errorf("%s waited for the other handle's write", step)
				}
			default:
				close(release)
				if waits && err == nil {
					t.Errorf("%s went through while the other handle held the write lock", step)
				}
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if want := map[string]int{"migrate, one pending": 1}[step]; len(applied) != want {
				t.Errorf("%s applied %v; want %d", step, applied, want)
			}
		})
	}
}

// With a bound shorter than SQLite's busy timeout, a write beside another
// process's still says at once that it waits, then gives up within the
// bound with an error IsLocked knows, having written nothing: its first
// BEGIN waited the whole busy timeout (10 s) and gave up without a word.
func TestSQLiteWaitToldWhateverTheBound(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ipreg.db")
	server, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if _, err := server.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cli, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	told := make(chan struct{})
	cli.db.SetMaxOpenConns(1) // the pragma below reads the connection that waited
	cli.WaitForWriters(50*time.Millisecond, func() { close(told) })
	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- server.Write(ctx, func(tx registry.Tx) error {
			if _, err := tx.NextSerial(ctx, "long-write"); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	// Migrate only reads: nothing is pending.
	if _, err := cli.Migrate(ctx); err != nil {
		t.Fatalf("Migrate of an up-to-date database beside a write = %v", err)
	}
	err = cli.Write(ctx, func(tx registry.Tx) error { _, err := tx.NextSerial(ctx, "other"); return err })
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !IsLocked(err) {
		t.Fatalf("write beside a write held past the bound = %v; want database is locked", err)
	}
	select {
	case <-told:
	default:
		t.Fatal("the write gave up without saying it waited")
	}
	var n int
	if err := cli.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM serials WHERE name = 'other'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("serial 'other' rows = %d, %v; want nothing written", n, err)
	}
	// The connection's own busy timeout is back: a statement outside
	// beginWaiting still waits for a lock (the pragma reads it).
	var ms int
	if err := cli.db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&ms); err != nil || ms != int(sqliteBusyTimeout.Milliseconds()) {
		t.Fatalf("busy_timeout after the wait = %d, %v; want %d", ms, err, sqliteBusyTimeout.Milliseconds())
	}
}
