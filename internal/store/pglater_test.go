package store_test

import (
	"context"
	"strings"
	"testing"

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
			trips: 2, err: "an earlier statement of this transaction failed (INSERT INTO later_t", rows: 6},
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
