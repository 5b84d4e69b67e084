package store

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/ipreg/ipreg/internal/registry"
)

// OverlapsPlan returns the plan the database makes for the statement of
// Overlaps (EXPLAIN on PostgreSQL, EXPLAIN QUERY PLAN on SQLite), a step
// a line.
func OverlapsPlan(ctx context.Context, db *DB, except string, prefixes []netip.Prefix, mobiles []string) (string, error) {
	t := &tx{q: db.db, d: db.d, db: db}
	q, args, err := t.overlapQuery(except, prefixes, mobiles)
	if err != nil {
		return "", err
	}
	return t.explain(ctx, q, args)
}

func (t *tx) explain(ctx context.Context, q string, args []any) (string, error) {
	explain := "EXPLAIN QUERY PLAN "
	if t.d.numbered {
		explain = "EXPLAIN (COSTS OFF) "
	}
	rows, err := t.query(ctx, explain+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		// SQLite: id, parent, notused, detail; PostgreSQL: one line.
		fmt.Fprintf(&b, "%s\n", vals[len(vals)-1])
	}
	return b.String(), rows.Err()
}

// ExecForTest runs one statement of a test's fixture (? placeholders).
func ExecForTest(ctx context.Context, db *DB, q string, args ...any) error {
	_, err := db.db.ExecContext(ctx, db.d.rebind(q), args...)
	return err
}

// BackendPIDs runs n statements in one Read of db and returns the
// PostgreSQL backend that answered each (pg_backend_pid).
func BackendPIDs(ctx context.Context, db *DB, n int) ([]int, error) {
	var pids []int
	err := db.Read(ctx, func(rt registry.Tx) error {
		t := rt.(*tx)
		for range n {
			var pid int
			if err := t.queryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
				return err
			}
			pids = append(pids, pid)
		}
		return nil
	})
	return pids, err
}

// QueueSize is how many reads and transactions of a PostgreSQL handle
// hold a connection at once (connQueue).
const QueueSize = pgMaxConns - pgReservedConns

// PendingInvitationsPlan returns the plan of PendingInvitationsPage's page.
func PendingInvitationsPlan(ctx context.Context, db *DB, offset, limit int) (string, error) {
	t := &tx{q: db.db, d: db.d, db: db}
	return t.explain(ctx, pendingPageQuery, []any{limit, offset})
}

// SetWALFsync replaces the fsync of db's WAL (SQLite) with f, which gets
// the file and must sync it or fail; false on PostgreSQL.
func SetWALFsync(db *DB, f func(*os.File) error) bool {
	if db.wal == nil {
		return false
	}
	db.wal.fsync = f
	return true
}

// Exec runs q in tx, a transaction of Write.
func Exec(ctx context.Context, t registry.Tx, q string, args ...any) error {
	_, err := t.(*tx).q.ExecContext(ctx, q, args...)
	return err
}

// Stmt is one statement of RunStatements: held back (execLater) when
// Later, read (its first column, an integer) when Query, else executed.
type Stmt struct {
	SQL          string
	Args         []any
	Later, Query bool
}

// RunStatements runs stmts in one write transaction, as the store's
// methods run theirs, and returns what each gave: rows affected, the
// integer read, or 0 for a held statement. It stops at the first error.
func RunStatements(ctx context.Context, db *DB, stmts []Stmt) ([]int64, error) {
	var out []int64
	err := db.inTx(ctx, func(t *tx) error {
		for _, s := range stmts {
			switch {
			case s.Later:
				if err := t.execLater(ctx, s.SQL, s.Args...); err != nil {
					return err
				}
				out = append(out, 0)
			case s.Query:
				var n int64
				if err := t.queryRow(ctx, s.SQL, s.Args...).Scan(&n); err != nil {
					return err
				}
				out = append(out, n)
			default:
				res, err := t.exec(ctx, s.SQL, s.Args...)
				if err != nil {
					return err
				}
				n, err := res.RowsAffected()
				if err != nil {
					return err
				}
				out = append(out, n)
			}
		}
		return nil
	})
	return out, err
}

// IsUnique is isUnique: err is a unique violation.
func IsUnique(err error) bool { return isUnique(err) }

// ReadQueries runs fn in a read outside a transaction, as DB.Read runs
// the registry's reads; query returns the integer its statement reads.
func ReadQueries(ctx context.Context, db *DB, fn func(query func(q string, args ...any) (int64, error)) error) error {
	t, done := db.reader()
	defer done()
	return fn(func(q string, args ...any) (int64, error) {
		var n int64
		err := t.queryRow(ctx, q, args...).Scan(&n)
		return n, err
	})
}
