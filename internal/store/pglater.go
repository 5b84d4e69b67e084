package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL write transactions send what needs no answer with what does.
//
// Each statement through database/sql is a round trip: the client sends
// it, then waits for the server's answer. Most of a filing's statements
// need none before the transaction goes on: BEGIN, and the INSERTs of its
// event, its audit record and its rows, whose only possible answer is an
// error that fails the whole transaction anyway. pgConn holds those back
// and sends them in one pipeline (pgx's Batch, one Sync) with the next
// statement that needs its answer, or with COMMIT: an upload's BEGIN,
// lock, document, event, audit record and COMMIT took six round trips and
// take four, a submission's ten statements after its reads three. What
// the server runs, and in what order, is what it ran before; only the
// moment a failure of a held-back statement is seen moves, to the
// statement it is sent with (BENCHMARKS.md, thirteenth session).
//
// A statement is held back only when its caller says so (execLater) and
// a transaction is open; everything else goes to pgx's database/sql
// driver as before.

// laterKey marks a context whose ExecContext may be held back (execLater).
type laterKey struct{}

// pgConnector makes pgConns over pgx's database/sql connector.
type pgConnector struct{ inner driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := dc.(*stdlib.Conn)
	if !ok {
		return dc, nil
	}
	return &pgConn{Conn: sc}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.inner.Driver() }

// pgConn is pgx's database/sql connection with held-back statements. The
// methods it does not override (Prepare, Ping, ResetSession, which
// discards a connection left inside a transaction, …) are stdlib.Conn's.
type pgConn struct {
	*stdlib.Conn
	tx *pgTx // the transaction pgConn runs, nil outside one
}

// held is a statement not yet sent.
type held struct {
	sql  string
	args []any
}

// pgTx is a transaction with the default options: BEGIN and the held-back
// statements wait in held for the next statement sent, or for COMMIT.
type pgTx struct {
	c    *pgConn
	ctx  context.Context // BeginTx's, as stdlib keeps it for COMMIT
	held []held
	// begun: BEGIN has been sent. Until then a rollback sends nothing,
	// and a commit of a transaction that ran nothing sends nothing.
	begun bool
}

func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx holds BEGIN back for a transaction with the default options;
// others (an isolation level, read only) begin as stdlib begins them.
func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if opts != (driver.TxOptions{}) {
		return c.Conn.BeginTx(ctx, opts)
	}
	if c.Conn.Conn().IsClosed() {
		return nil, driver.ErrBadConn
	}
	c.tx = &pgTx{c: c, ctx: ctx, held: []held{{sql: "begin"}}}
	return c.tx, nil
}

// ExecContext holds the statement back when its context asks for it
// (execLater) inside a transaction; it is sent with the held ones when
// some are waiting; otherwise stdlib sends it alone.
func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	t := c.tx
	if t == nil {
		return c.Conn.ExecContext(ctx, query, args)
	}
	if ctx.Value(laterKey{}) != nil {
		t.held = append(t.held, held{query, plainArgs(args)})
		return laterResult{}, nil
	}
	if len(t.held) == 0 {
		return c.Conn.ExecContext(ctx, query, args)
	}
	tag, err := t.send(ctx, held{query, plainArgs(args)})
	if err != nil {
		return nil, err
	}
	return driver.RowsAffected(tag.RowsAffected()), nil
}

// QueryContext sends the held statements first: the query must see what
// they wrote. stdlib then runs it (its rows type is its own), a second
// round trip, so a transaction's first query costs what it did with BEGIN.
func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if t := c.tx; t != nil && len(t.held) > 0 {
		if _, err := t.send(ctx, held{}); err != nil {
			return nil, err
		}
	}
	return c.Conn.QueryContext(ctx, query, args)
}

// send sends the held statements and last (unless its sql is empty) in
// one pipeline and returns last's command tag. A held statement's
// failure is returned as a laterError: it is not last's, and must not be
// taken for it (a unique violation of an event's INSERT is no conflict of
// the statement that follows). After any failure the transaction is
// aborted on the server, and the caller's rollback ends it.
//
// Once every statement's result has arrived, each ran as its result says,
// whatever happens to the connection after: a COMMIT whose tag came back
// is done, though the server was stopped before it could say it was
// ready for the next query (tester t18: such commits were answered 500,
// and an upload's file removed under its committed record). pgx closes
// the connection then, and database/sql does not use it again.
func (t *pgTx) send(ctx context.Context, last held) (tag pgconn.CommandTag, err error) {
	var b pgx.Batch
	for _, h := range t.held {
		b.Queue(h.sql, h.args...)
	}
	if last.sql != "" {
		b.Queue(last.sql, last.args...)
	}
	queued := t.held
	t.held = nil
	if len(queued) > 0 && queued[0].sql == "begin" {
		t.begun = true
	}
	br := t.c.Conn.Conn().SendBatch(ctx, &b)
	defer br.Close()
	for _, h := range queued {
		if _, err := br.Exec(); err != nil {
			return tag, heldFailed(h.sql, err)
		}
	}
	if last.sql != "" {
		return br.Exec()
	}
	return tag, nil
}

// heldFailed is the error of a held statement that did not run as sent:
// a laterError when the server refused it, the sending's own failure
// (the connection lost, the pipeline not prepared) otherwise, which is
// no one statement's.
func heldFailed(sql string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && !isFatal(pe) {
		return laterError{sql: sql, err: err}
	}
	return fmt.Errorf("send this transaction's held-back statements: %w", err)
}

// isFatal reports whether the server ended the session (FATAL or PANIC):
// then no statement failed, the connection did.
func isFatal(pe *pgconn.PgError) bool { return pe.Severity == "FATAL" || pe.Severity == "PANIC" }

// Commit sends the held statements and COMMIT in one round trip; a
// transaction that sent nothing has nothing to commit.
func (t *pgTx) Commit() error {
	t.c.tx = nil
	if !t.begun && len(t.held) == 1 {
		return nil // only BEGIN waits: nothing ran
	}
	tag, err := t.send(t.ctx, held{sql: "commit"})
	if err != nil {
		t.abandon()
		return err
	}
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Rollback drops what was never sent and rolls back what was.
func (t *pgTx) Rollback() error {
	t.c.tx = nil
	t.held = nil
	if !t.begun {
		return nil
	}
	if _, err := t.c.Conn.Conn().Exec(t.ctx, "rollback"); err != nil {
		// As pgx's own rollback: the connection's state is unknown, and
		// database/sql must not hand it out again.
		t.c.Conn.Conn().Close(context.WithoutCancel(t.ctx))
		return err
	}
	return nil
}

// abandon ends a transaction whose COMMIT failed: rolled back if the
// server still holds it open (aborted by a held statement's failure), so
// that the connection goes back to the pool usable; closed if even that
// fails (stdlib's ResetSession would discard it then anyway).
func (t *pgTx) abandon() {
	conn := t.c.Conn.Conn()
	if conn.IsClosed() || conn.PgConn().TxStatus() == 'I' {
		return
	}
	if _, err := conn.Exec(context.WithoutCancel(t.ctx), "rollback"); err != nil {
		conn.Close(context.WithoutCancel(t.ctx))
	}
}

// laterResult is the result of a held-back statement: nothing is known
// of it yet, and execLater's callers ask nothing of it.
type laterResult struct{}

func (laterResult) LastInsertId() (int64, error) { return 0, errLaterResult }
func (laterResult) RowsAffected() (int64, error) { return 0, errLaterResult }

var errLaterResult = errors.New("store: a held-back statement has no result yet (execLater)")

// laterError is the failure of a statement held back and sent later. It
// does not unwrap to the server's error, so that the statement it was
// sent with is not taken to have failed for that reason.
type laterError struct {
	sql string
	err error
}

func (e laterError) Error() string {
	return fmt.Sprintf("an earlier statement of this transaction, held back and sent with this one (which did not run), failed: %s: %v", firstWords(e.sql), e.err)
}

// firstWords is the start of a statement, to name it in an error without
// its whole text.
func firstWords(q string) string {
	const most = 40
	if len(q) > most {
		return q[:most] + "…"
	}
	return q
}

// plainArgs is stdlib's conversion of database/sql's arguments.
func plainArgs(args []driver.NamedValue) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}

// execLater runs q as exec does, except that on PostgreSQL inside a
// write transaction it may be held back and sent with the next statement
// that needs an answer, or with COMMIT (pgConn). Its error, if it fails
// there, comes from that statement or from the commit instead, and is no
// *pgconn.PgError: use it only where any failure simply fails the
// transaction and no result (rows affected) is read.
func (t *tx) execLater(ctx context.Context, q string, args ...any) error {
	if t.inTx && t.d == postgresDialect {
		ctx = context.WithValue(ctx, laterKey{}, true)
	}
	_, err := t.exec(ctx, q, args...)
	return err
}
