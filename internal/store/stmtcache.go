package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"time"

	"modernc.org/sqlite"
)

// The SQLite driver prepares, runs and finalises a statement for every
// query it is given as text, and database/sql keeps no statement cache of
// its own: profiles of filing showed about 30 % of the registry's CPU in
// SQLite's parser and code generator. stmtConnector wraps the driver's
// connections so that each keeps the statements it has prepared, keyed by
// their text, and runs a query it has seen before on the prepared
// statement. The queries here are a fixed set (those with an IN list vary
// with its length), so a connection's cache stays small; it is capped all
// the same (stmtCacheSize), past which statements are prepared once and
// finalised as before. PostgreSQL needs none of this: pgx keeps its own
// per-connection cache of prepared statements (QueryExecModeCacheStatement,
// its default).
type stmtConnector struct {
	driver.Connector // sqlite.NewConnector's
}

// stmtCacheSize bounds the statements one connection keeps prepared.
const stmtCacheSize = 256

// newStmtConnector opens SQLite's dsn through the driver's own connector
// (which registers nothing process-wide), its connections caching statements.
func newStmtConnector(dsn string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return stmtConnector{c}, nil
}

func (c stmtConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &stmtConn{conn: conn, stmts: map[string]*cachedStmt{}}, nil
}

// sqliteConn is what the SQLite driver's connection offers and stmtConn
// passes on.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type cachedStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	// busy while its rows are open: a statement runs one query at a time,
	// so the same text asked for again meanwhile (a query inside another's
	// loop) gets a statement of its own.
	busy bool
}

// stmtConn is one SQLite connection with its prepared statements. database/sql
// uses a connection from one goroutine at a time, so it needs no lock.
type stmtConn struct {
	conn  driver.Conn
	stmts map[string]*cachedStmt
}

func (c *stmtConn) inner() (sqliteConn, error) {
	sc, ok := c.conn.(sqliteConn)
	if !ok {
		return nil, errors.New("sqlite: the driver's connection lacks a method the statement cache needs")
	}
	return sc, nil
}

// prepared returns the statement for query and a function to call when
// the caller is done with it (which finalises it unless it is cached).
func (c *stmtConn) prepared(ctx context.Context, query string) (*cachedStmt, func(), error) {
	if cs, ok := c.stmts[query]; ok && !cs.busy {
		cs.busy = true
		return cs, func() { cs.busy = false }, nil
	}
	sc, err := c.inner()
	if err != nil {
		return nil, nil, err
	}
	st, err := sc.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	typed, ok := st.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		st.Close()
		return nil, nil, errors.New("sqlite: the driver's statement lacks the context methods the statement cache needs")
	}
	cs := &cachedStmt{stmt: typed, busy: true}
	if _, taken := c.stmts[query]; taken || len(c.stmts) >= stmtCacheSize {
		return cs, func() { cs.stmt.Close() }, nil
	}
	c.stmts[query] = cs
	return cs, func() { cs.busy = false }, nil
}

func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, done, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	defer done()
	return cs.stmt.ExecContext(ctx, args)
}

func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, done, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		done()
		return nil, err
	}
	return &stmtRows{Rows: rows, done: done}, nil
}

func (c *stmtConn) Prepare(query string) (driver.Stmt, error) { return c.conn.Prepare(query) }

func (c *stmtConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	sc, err := c.inner()
	if err != nil {
		return nil, err
	}
	return sc.PrepareContext(ctx, query)
}

func (c *stmtConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *stmtConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	sc, err := c.inner()
	if err != nil {
		return nil, err
	}
	wait, ok := busyTimeoutFor(ctx)
	if !ok {
		return sc.BeginTx(ctx, opts)
	}
	// This BEGIN waits for the write lock wait, not the busy timeout the
	// connection keeps for its other statements (beginWaiting), which is
	// set again at once: a BEGIN IMMEDIATE that got the lock holds it,
	// and later statements of its transaction never wait for it.
	if err := setBusyTimeout(ctx, sc, wait); err != nil {
		return nil, err
	}
	t, err := sc.BeginTx(ctx, opts)
	if rerr := setBusyTimeout(context.WithoutCancel(ctx), sc, sqliteBusyTimeout); rerr != nil {
		if t != nil {
			t.Rollback()
		}
		// The connection would fail its statements at once: not used again.
		return nil, errors.Join(driver.ErrBadConn, rerr)
	}
	return t, err
}

// setBusyTimeout sets the connection's busy timeout.
func setBusyTimeout(ctx context.Context, sc sqliteConn, d time.Duration) error {
	if _, err := sc.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", d.Milliseconds()), nil); err != nil {
		return fmt.Errorf("set the busy timeout: %w", err)
	}
	return nil
}

func (c *stmtConn) Ping(ctx context.Context) error {
	sc, err := c.inner()
	if err != nil {
		return err
	}
	return sc.Ping(ctx)
}

func (c *stmtConn) ResetSession(ctx context.Context) error {
	sc, err := c.inner()
	if err != nil {
		return err
	}
	return sc.ResetSession(ctx)
}

func (c *stmtConn) IsValid() bool {
	sc, err := c.inner()
	return err == nil && sc.IsValid()
}

// Close finalises the cached statements before the connection: SQLite
// refuses to close a connection that still has statements.
func (c *stmtConn) Close() error {
	var errs []error
	for q, cs := range c.stmts {
		errs = append(errs, cs.stmt.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.conn.Close())
	return errors.Join(errs...)
}

// stmtRows hands its statement back to the cache when closed.
type stmtRows struct {
	driver.Rows
	done func()
}

func (r *stmtRows) Close() error {
	err := r.Rows.Close()
	if r.done != nil {
		r.done()
		r.done = nil
	}
	return err
}

// The column type methods are passed on for Rows.ColumnTypes.
func (r *stmtRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *stmtRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *stmtRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}
