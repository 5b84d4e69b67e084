// Package store implements registry.Store on SQLite (modernc.org/sqlite,
// embedded, the default) and PostgreSQL (jackc/pgx/v5). Both run the same
// portable SQL through database/sql; the few differences (placeholders, row
// locks, error codes, migration locking) live in dialect. One conformance
// suite (storetest) runs every test against both.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/registry"
)

type dialect struct {
	name      string
	numbered  bool   // $1 placeholders instead of ?
	forUpdate string // row-lock suffix for SELECT … FOR UPDATE
}

var (
	sqliteDialect   = &dialect{name: "sqlite"}
	postgresDialect = &dialect{name: "postgres", numbered: true, forUpdate: " FOR UPDATE"}
)

// DB is an open registry database.
type DB struct {
	db *sql.DB
	d  *dialect
	// writer, on SQLite only, admits one write transaction of this
	// process at a time (a channel of capacity 1: a ctx-aware mutex).
	// SQLite has one writer anyway (BEGIN IMMEDIATE takes the database's
	// write lock), but a transaction waiting for that lock inside the
	// driver holds a pooled connection and sleeps in SQLite's busy
	// handler, which polls with back-offs of up to 100 ms: under load
	// (64 clients, issue 14) up to seven of the eight connections were
	// writers asleep there, so every query of a read waited for a
	// connection in database/sql (a third of all blocked time in the
	// block profile), and a writer woke up to 100 ms after the lock was
	// free. Waiting here holds no connection and wakes the next writer
	// at once. Other processes (ipreg admin beside ipreg serve) still
	// meet the busy timeout. Nil on PostgreSQL, whose writers lock rows,
	// not the database. Groups of read records (Record) go first.
	writer *writerLock
	// wal, on SQLite, makes commits durable after the writer's turn
	// (walSync).
	wal *walSync
	// records groups Record's entries on SQLite (auditseal.go).
	records recordGroup
	// sealer links committed audit entries into the chain, on PostgreSQL
	// only (auditseal.go).
	sealer *auditSealer
	// lockWait, on SQLite, is how long a write transaction keeps asking
	// for the database's write lock that another process holds, past
	// the busy timeout: 0 not at all (the server's default: a request
	// fails after sqliteBusyTimeout), <0 until its context ends
	// (WaitForWriters). onLockWait, if set, is called once a write begins
	// waiting so.
	lockWait   time.Duration
	onLockWait func()
	// conns, on PostgreSQL, is the queue reads and transactions wait in
	// for a connection (connQueue).
	conns *connQueue
}

// sqliteBusyTimeout is how long SQLite itself waits for another
// connection's write lock (busy_timeout) before a statement fails with
// SQLITE_BUSY, "database is locked". A variable for the tests.
var sqliteBusyTimeout = 10 * time.Second

// WaitForWriters makes the write transactions of this handle on SQLite
// wait for another process's write instead of failing with "database is
// locked" once the busy timeout passes: for the command line (ipreg
// import beside a running ipreg serve whose own transactions, an import or
// a feed snapshot of a large registry, can take longer than the busy
// timeout). They wait up to upTo in all (SQLite's busy timeout, the last
// attempt's, may add to it), or with upTo 0 until their context ends; a
// write that waited in vain fails with an error IsLocked recognises, having
// written nothing. onWait, if not nil, is called once when a transaction
// first has to wait past the busy timeout, to tell the person why nothing
// happens. No effect on PostgreSQL, whose writers wait for each other's
// row locks anyway.
func (s *DB) WaitForWriters(upTo time.Duration, onWait func()) {
	s.lockWait, s.onLockWait = upTo, onWait
	if upTo <= 0 {
		s.lockWait = -1
	}
}

// IsLocked reports whether err is SQLite's "database is locked": another
// process held the database's write lock for longer than this handle
// waits (the busy timeout, WaitForWriters).
func IsLocked(err error) bool { return isBusy(err) }

// isBusy reports whether err is SQLite's "database is locked": another
// connection held the write lock past the busy timeout.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// beginWaiting runs begin (a BEGIN IMMEDIATE on SQLite) with ctx, or with
// WaitForWriters set, while it fails with SQLITE_BUSY, again, for as long
// as lockWait allows. Its first attempt does not wait for the lock at all
// (a busy timeout of 0 for that BEGIN, busyTimeoutFor), so that a lock
// another process holds is told at once (onLockWait), not after the busy
// timeout (10 s, during which the command said nothing and, with a shorter
// --wait, then gave up without ever saying it waited: tester, issue 13);
// later attempts wait in SQLite's busy handler, which retries every few
// milliseconds, at most a second each and never past lockWait, so that
// the bound holds and an interrupt is heard within a second.
func (s *DB) beginWaiting(ctx context.Context, begin func(context.Context) (*sql.Tx, error)) (*sql.Tx, error) {
	if s.d != sqliteDialect || s.lockWait == 0 {
		return begin(ctx)
	}
	start := time.Now()
	told := false
	for attempt := 0; ; attempt++ {
		wait := time.Duration(0)
		if attempt > 0 {
			wait = time.Second
			if s.lockWait > 0 {
				wait = min(wait, s.lockWait-time.Since(start))
			}
			wait = max(wait, time.Millisecond)
		}
		t, err := begin(context.WithValue(ctx, busyTimeoutKey{}, wait))
		if err == nil || !isBusy(err) {
			return t, err
		}
		if !told && s.onLockWait != nil {
			told = true
			s.onLockWait()
		}
		if s.lockWait > 0 && time.Since(start) >= s.lockWait {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w (waited for another process's write: %v)", err, ctx.Err())
		}
	}
}

// busyTimeoutKey is the context key of the busy timeout one BEGIN on
// SQLite waits for the write lock (beginWaiting), in place of the
// connection's sqliteBusyTimeout (stmtConn.BeginTx).
type busyTimeoutKey struct{}

// busyTimeoutFor is the busy timeout ctx asks a BEGIN to wait, if any.
func busyTimeoutFor(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Value(busyTimeoutKey{}).(time.Duration)
	return d, ok
}

var _ registry.Store = (*DB)(nil)

// Open opens the database named by dsn: a postgres:// or postgresql:// URL
// or libpq's keyword/value form (host=… dbname=…), or a path to an SQLite
// file (created if missing). It does not migrate. Its errors never repeat
// a password given in dsn (Redact).
func Open(ctx context.Context, dsn string) (*DB, error) {
	if IsPostgres(dsn) {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			// As sql.Open("pgx", dsn) reported it, at the first connection.
			return nil, fmt.Errorf("connect to postgres: %w", redactedError{err})
		}
		// pgx's database/sql driver, with held-back statements (pgConn).
		db := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
		db.SetMaxOpenConns(pgMaxConns)
		db.SetMaxIdleConns(pgMaxConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("connect to postgres: %w", redactedError{err})
		}
		d := &DB{db: db, d: postgresDialect, conns: newConnQueue(pgMaxConns - pgReservedConns)}
		d.sealer = &auditSealer{db: d, hurry: make(chan struct{}, 1)}
		return d, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite://")
	if strings.Contains(path, "=") && strings.ContainsAny(path, " \t") {
		// Not a file anyone means to create: a connection string with
		// an unknown keyword, or a typo in one. Not repeated: it may hold
		// a password in a spelling Redact does not know.
		return nil, errors.New("open database: the database given is neither a postgres:// URL, nor libpq's keyword/value form (host=… user=… dbname=…, each keyword one of libpq's), nor an SQLite file name (which has no spaces beside an =)")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
	}
	// WAL lets readers run beside the one writer; _txlock=immediate takes
	// the write lock at BEGIN, so two writers queue on busy_timeout instead
	// of deadlocking on a lock upgrade. What was answered 2xx survives a
	// power cut or a kernel crash, as on PostgreSQL (synchronous_commit=on)
	// and as the documents, which are fsynced before their record is
	// written: synchronous=NORMAL writes a commit's WAL frames without an
	// fsync, and every write transaction then waits for an fsync of the
	// WAL that began after its commit, once the next writer is let in
	// (walSync, a group commit). synchronous=FULL, which fsyncs inside
	// the commit, held the writer's turn through the disk's flush
	// (BENCHMARKS.md, "Ninth session").
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Deleted and overwritten content is zeroed, not left in free pages
	// and free space inside pages, where an erased account's name, CNIC
	// and e-mail address stayed readable in the file (tester t11).
	q.Add("_pragma", "secure_delete(1)")
	q.Set("_txlock", "immediate")
	restrictSQLiteFiles(path)
	conn, err := newStmtConnector("file:" + path + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(8)
	// As many idle as open: a connection closed for want of an idle slot
	// loses its prepared statements (stmtConn) and its page cache, and
	// the next one runs the pragmas again.
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return &DB{db: db, d: sqliteDialect, writer: &writerLock{}, wal: newWALSync(path)}, nil
}

// restrictSQLiteFiles makes the database file (created empty if it is not
// there yet, which SQLite reads as an empty database) and its -wal and
// -shm files readable by their owner alone, whatever the umask: they hold
// personal data, and SQLite creates them 0644 less the umask (its -wal
// and -shm take the database file's mode). Best effort: a file owned by
// another user keeps its mode, and the open goes on to fail or not on
// its own terms.
func restrictSQLiteFiles(path string) {
	if path == "" || strings.HasPrefix(path, ":") { // :memory:
		return
	}
	if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600); err == nil {
		f.Close()
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode().Perm() != 0o600 {
			os.Chmod(p, 0o600)
		}
	}
}

// Dialect is "sqlite" or "postgres".
func (s *DB) Dialect() string { return s.d.name }

// Close closes the database, once the seals and record groups running
// have ended.
func (s *DB) Close() error {
	if s.sealer != nil {
		s.sealer.running.Wait()
	}
	s.records.running.Wait()
	return s.db.Close()
}

// Ping checks that the database answers.
func (s *DB) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Read runs fn without a transaction; on PostgreSQL its statements share
// one connection of the pool (pinned).
func (s *DB) Read(ctx context.Context, fn func(registry.Tx) error) error {
	t, done := s.reader()
	defer done()
	return fn(t)
}

// reader returns the tx of a read outside a transaction, and what ends
// it: on PostgreSQL over a pinned connection, elsewhere over the pool.
func (s *DB) reader() (*tx, func()) {
	if s.d != postgresDialect {
		return &tx{q: s.db, d: s.d, db: s}, func() {}
	}
	p := &pinned{db: s.db, queue: s.conns}
	return &tx{q: p, d: s.d, db: s}, p.release
}

// Write runs fn in a transaction, committed only when fn returns nil.
func (s *DB) Write(ctx context.Context, fn func(registry.Tx) error) error {
	return s.inTx(ctx, func(t *tx) error { return fn(t) })
}

// inTx runs fn in a transaction, committed only when fn returns nil.
func (s *DB) inTx(ctx context.Context, fn func(*tx) error) error {
	return s.write(ctx, false, fn)
}

// write is inTx; urgent goes before the SQLite writers waiting
// (writerLock).
func (s *DB) write(ctx context.Context, urgent bool, fn func(*tx) error) error {
	t, done, err := s.begin(ctx, urgent)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { done() }()
	// A no-op once committed or rolled back; if fn panics, it gives the
	// connection back before the queue place (done) is freed.
	defer t.Rollback()
	x := &tx{q: t, d: s.d, db: s, inTx: true}
	if err := fn(x); err != nil {
		t.Rollback()
		return err
	}
	if err := x.flushFeed(ctx); err != nil {
		t.Rollback()
		return err
	}
	if err := x.flushAudit(ctx); err != nil {
		t.Rollback()
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if s.wal != nil {
		// Durable before the caller answers, but after the next writer
		// is let in (walSync).
		done()
		done = func() {}
		if err := s.wal.sync(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	if x.pending {
		s.sealer.kick()
	}
	if x.erased && s.wal != nil {
		s.forgetWAL(ctx)
	}
	return nil
}

// forgetWAL checkpoints SQLite's WAL into the database and truncates it,
// after an erasure: the WAL still holds the frames of earlier writes, the
// erased personal data among them, until later writes cycle over them
// (tester t11 found an erased e-mail address 14 times in it). With
// secure_delete on, the database file keeps none. Best effort: a reader
// still on an older snapshot makes it give up (SQLITE_BUSY), and the WAL
// is then reset at the next checkpoint that finds no reader. While a
// TRUNCATE checkpoint waits it holds off new writers, so it waits at
// most forgetWALWait, not the connections' busy_timeout (10 s): an
// account deletion must not stall every filing behind a long read.
func (s *DB) forgetWAL(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	c, err := s.db.Conn(ctx)
	if err != nil {
		return
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", forgetWALWait.Milliseconds())); err != nil {
		return
	}
	c.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", sqliteBusyTimeout.Milliseconds())); err != nil {
		// Not back to the pool with the short wait: discard it.
		c.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// forgetWALWait bounds how long forgetWAL's checkpoint waits for readers.
const forgetWALWait = 250 * time.Millisecond

// begin starts a transaction; on SQLite once this process's other write
// transactions are done (writer). done, to be called once the transaction
// is committed or rolled back, lets the next one in.
func (s *DB) begin(ctx context.Context, urgent bool) (*sql.Tx, func(), error) {
	done := func() {}
	if s.writer != nil {
		if err := s.writer.lock(ctx, urgent); err != nil {
			return nil, nil, err
		}
		done = s.writer.unlock
	}
	if s.conns != nil {
		if err := s.conns.take(ctx); err != nil {
			return nil, nil, err
		}
		done = s.conns.give
	}
	t, err := s.beginWaiting(ctx, func(ctx context.Context) (*sql.Tx, error) { return s.db.BeginTx(ctx, nil) })
	if err != nil {
		done()
		return nil, nil, err
	}
	return t, done, nil
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx implements registry.Tx over a *sql.DB or *sql.Tx.
type tx struct {
	q querier
	d *dialect
	// inTx: q is a transaction, and audit entries wait in audit until
	// it commits (AppendAudit).
	inTx  bool
	audit []*audit.Entry
	// db is the database q belongs to (its sealer); pending: this
	// transaction put entries in audit_pending (PostgreSQL), to be sealed
	// once it commits.
	db      *DB
	pending bool
	// erased: EraseAccount ran; on SQLite the write then truncates the
	// WAL (forgetWAL).
	erased bool
	// feed: feed changes waiting to be numbered and inserted at commit
	// (AddFeedChange), each row as flushFeed inserts it.
	feed [][]any
	// items: for each application this transaction read under its write
	// lock (or wrote), its addresses and numbers as they are stored
	// (itemsKey), so that UpdateApplication rewrites them only when they
	// changed: most updates (submission, decisions) change the state alone.
	items map[string]string
}

// rebind turns ? placeholders into $n for PostgreSQL. Queries here never
// contain a literal question mark. Each query's rewrite is kept
// (rebound): rewriting every statement anew was 3 % of a filing's CPU on
// PostgreSQL (BENCHMARKS.md, thirteenth session).
func (d *dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	if r, ok := rebound.Load(q); ok {
		return r.(string)
	}
	r := renumber(q)
	// Bounded: a few statements are built with as many placeholders as
	// their rows (an import's chunks), and those need not all be kept.
	if reboundCount.Load() < maxRebound {
		if _, had := rebound.LoadOrStore(q, r); !had {
			reboundCount.Add(1)
		}
	}
	return r
}

// rebound maps a query to its rewrite with $n placeholders (rebind); it
// holds at most about maxRebound of them.
var (
	rebound      sync.Map
	reboundCount atomic.Int64
)

const maxRebound = 4096

// renumber is rebind's rewrite.
func renumber(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (t *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.q.ExecContext(ctx, t.d.rebind(q), args...)
}

func (t *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.q.QueryContext(ctx, t.d.rebind(q), args...)
}

func (t *tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.q.QueryRowContext(ctx, t.d.rebind(q), args...)
}

func (t *tx) lock(forUpdate bool) string {
	if forUpdate {
		return t.d.forUpdate
	}
	return ""
}

// isUnique reports a unique-constraint violation on either database.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// notFound maps sql.ErrNoRows to the domain's ENOTFOUND.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return registry.Errorf(registry.ENOTFOUND, format, args...)
	}
	return err
}

// mustAffect turns "no row updated" into ENOTFOUND.
func mustAffect(res sql.Result, err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return registry.Errorf(registry.ENOTFOUND, format, args...)
	}
	return nil
}

// Times are stored as fixed-width UTC text so they sort as strings on both
// databases; the zero time is the empty string.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func tm(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		// Written only by tm; a failure here means the row was edited by hand.
		return time.Time{}
	}
	return t
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// SQL returns the underlying database handle, for tests and maintenance
// commands that need statements outside the registry's use cases.
func (s *DB) SQL() *sql.DB { return s.db }
