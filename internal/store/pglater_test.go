package store_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// On PostgreSQL a write transaction holds BEGIN and the statements its
// callers hold back (execLater) until the next statement that needs an
// answer, or COMMIT, and sends them together: fewer round trips, the same
// statements in the same order, and a held statement's failure never
// taken for the failure of the one it travelled with.
func TestHeldStatementsTravelWithTheNext(t *testing.T) {
	ctx := context.Background()
	tc, dsn := storetest.CountTrips(t, storetest.DSN(t, "postgres"))
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE later_t (id INT PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	ins := func(id int, later bool) store.Stmt {
		return store.Stmt{SQL: `INSERT INTO later_t (id, v) VALUES (?, 'x')`, Args: []any{id}, Later: later}
	}
	count := func() int64 {
		t.Helper()
		var n int64
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM later_t`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// No connection may be left inside a transaction, aborted or not: a
	// failed COMMIT's transaction is rolled back before its connection
	// goes back to the pool.
	noneInTx := func() {
		t.Helper()
		var n int64
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d connections idle inside a transaction", n)
		}
	}
	sel := store.Stmt{SQL: `SELECT COUNT(*) FROM later_t`, Query: true}
	upd := store.Stmt{SQL: `UPDATE later_t SET v = 'y' WHERE id IN (?, ?)`, Args: []any{1, 6}}
	// One connection, whose first use of each statement (pgx prepares
	// it: a round trip of its own, again after a failed pipeline) is made
	// before each case, so that the counts are the statements' own.
	db.SQL().SetMaxOpenConns(1)
	warm := func() {
		t.Helper()
		if _, err := store.RunStatements(ctx, db, []store.Stmt{ins(100, true), sel, ins(101, false), upd, sel,
			{SQL: `DELETE FROM later_t WHERE id >= ?`, Args: []any{100}}}); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name  string
		stmts []store.Stmt
		trips int64   // round trips, COMMIT's included
		want  []int64 // what each statement gave
		err   string  // in the error; "" for none
		// unique: the error is the unique violation of the statement
		// that was sent last (not a held one's).
		unique bool
		rows   int64 // rows in later_t afterwards
	}{
		// Nothing ran: nothing to begin or commit.
		{name: "empty", trips: 0, rows: 0},
		// An upload's shape: the lock, the document (rows affected
		// read), then an event and an audit record held until COMMIT.
		// BEGIN; the query; the INSERT; both held and COMMIT: 4, was 6.
		{name: "upload", stmts: []store.Stmt{sel, ins(1, false), ins(2, true), ins(3, true)},
			trips: 4, want: []int64{0, 1, 0, 0}, rows: 3},
		// Held statements go before a query, which sees what they wrote.
		{name: "query after held", stmts: []store.Stmt{ins(4, true), ins(5, true), sel},
			trips: 3, want: []int64{0, 0, 5}, rows: 5},
		// An executed statement carries BEGIN and the held ones, and
		// answers its own rows affected.
		{name: "exec after held", stmts: []store.Stmt{ins(6, true), upd},
			trips: 2, want: []int64{0, 2}, rows: 6},
		// A held statement's unique violation, seen when the next is
		// sent, is not that statement's: it fails the transaction, and
		// nothing of it stays.
		{name: "held fails", stmts: []store.Stmt{ins(7, true), ins(1, true), ins(8, false)},
			trips: 2, err: "an earlier statement of this transaction, held back and sent with this one (which did not run), failed: INSERT INTO later_t", rows: 6},
		// The statement sent with held ones keeps its own failure.
		{name: "sent fails", stmts: []store.Stmt{ins(9, true), ins(1, false)},
			trips: 2, err: "duplicate key", unique: true, rows: 6},
		// A held statement that fails at COMMIT fails the commit; its
		// transaction is rolled back (one more trip), not left open.
		{name: "commit fails", stmts: []store.Stmt{sel, ins(10, true), ins(2, true)},
			trips: 4, err: "commit: an earlier statement", rows: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warm()
			before := tc.Trips.Load() - tc.Pings.Load()
			got, err := store.RunStatements(ctx, db, tt.stmts)
			trips := tc.Trips.Load() - tc.Pings.Load() - before
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one saying %q", err, tt.err)
			case tt.err != "" && store.IsUnique(err) != tt.unique:
				t.Errorf("error %v: taken for a unique violation of the statement sent: %v, want %v", err, store.IsUnique(err), tt.unique)
			}
			if trips != tt.trips {
				t.Errorf("%d round trips, want %d", trips, tt.trips)
			}
			if tt.err == "" && !equal(got, tt.want) {
				t.Errorf("results %v, want %v", got, tt.want)
			}
			if n := count(); n != tt.rows {
				t.Errorf("%d rows afterwards, want %d", n, tt.rows)
			}
			noneInTx()
		})
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A COMMIT whose tag came back is done, though the connection is lost
// before the server says it is ready for the next query (as when an
// administrator ends the session at that moment): the write is answered
// as committed, for it is (tester t18: such commits were answered 500,
// and an upload's file was removed under its committed record).
func TestHeldCommitDoneBeforeTheConnectionIsLost(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, "postgres")
	cut, proxied := cutAfterCommit(t, dsn)
	db, err := store.Open(ctx, proxied)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE later_t (id INT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	cut.Store(true)
	_, err = store.RunStatements(ctx, db, []store.Stmt{
		{SQL: `SELECT COUNT(*) FROM later_t`, Query: true},
		{SQL: `INSERT INTO later_t (id) VALUES (?)`, Args: []any{1}, Later: true},
	})
	if cut.Load() {
		t.Fatal("the connection was not cut after the COMMIT")
	}
	if err != nil {
		t.Errorf("a committed write answered %v", err)
	}
	var n int
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM later_t WHERE id = 1`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d rows, want the committed one", n)
	}
}

// cutAfterCommit is a proxy in front of the server dsn names that, while
// cut is true, forwards the server's CommandComplete "COMMIT", then
// closes both connections instead of forwarding what follows (the
// ReadyForQuery), and sets cut to false.
func cutAfterCommit(t *testing.T, dsn string) (*atomic.Bool, string) {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cut := new(atomic.Bool)
	upstream := u.Host
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(s, c); s.Close() }()
			go func() {
				defer c.Close()
				defer s.Close()
				// The server's first message (the answer to the
				// start-up, SSLRequest refused with 'N' when asked)
				// has a type byte too, once authentication starts;
				// sslmode=disable sends no SSLRequest.
				r := bufio.NewReader(s)
				for {
					var hdr [5]byte
					if _, err := io.ReadFull(r, hdr[:]); err != nil {
						return
					}
					body := make([]byte, binary.BigEndian.Uint32(hdr[1:])-4)
					if _, err := io.ReadFull(r, body); err != nil {
						return
					}
					if _, err := c.Write(append(hdr[:], body...)); err != nil {
						return
					}
					if hdr[0] == 'C' && string(body) == "COMMIT\x00" && cut.CompareAndSwap(true, false) {
						return
					}
				}
			}()
		}
	}()
	u.Host = ln.Addr().String()
	return cut, u.String()
}

// A read outside a transaction whose connection the server ended (an
// administrator's pg_terminate_backend, a restart) sends its statement
// again on another connection: it had not run, and a read is the same on
// any. Every idle connection of the pool was ended too, so the retry
// meets dead ones before a live one (tester t19: a committed submission
// was answered 500 when its view read back on such a connection).
func TestReadOutlivesEndedSessions(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, "postgres")
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// The administrator's session, outside the store's pool.
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	// Five idle connections in the pool.
	var conns []*sql.Conn
	for range 5 {
		c, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.PingContext(ctx); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	var before, after int64
	err = store.ReadQueries(ctx, db, func(query func(string, ...any) (int64, error)) error {
		var err error
		if before, err = query(`SELECT pg_backend_pid()`); err != nil {
			return err
		}
		// End every other session of this database, the read's own and
		// the pool's idle ones, and wait until they are gone.
		if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
			return err
		}
		for deadline := time.Now().Add(30 * time.Second); ; {
			var n int
			if err := admin.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%d sessions still there 30 s after pg_terminate_backend", n)
			}
			time.Sleep(10 * time.Millisecond)
		}
		after, err = query(`SELECT pg_backend_pid()`)
		return err
	})
	if err != nil {
		t.Fatalf("the read failed: %v", err)
	}
	if after == before {
		t.Errorf("the second statement ran on the ended session %d", before)
	}
}
