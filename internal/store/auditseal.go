package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
)

// How audit entries reach the chain (issue 14).
//
// The chain (audit_log, audit_head) needs each entry's predecessor's hash,
// so whoever appends must hold the head. On SQLite that is free: one
// writer holds the database anyway, and entries are sealed inside the
// transaction that writes them (flushAudit). On PostgreSQL it was the one
// place every write transaction of every replica met: the head's row lock,
// held through two round trips and the commit's WAL flush, let one write
// commit at a time (63 % of the non-idle backends sampled under 64
// clients waited on it). So on PostgreSQL a transaction inserts its
// entries into audit_pending (no lock: they commit or roll back with the
// transaction's data) and the sealer links what has committed into the
// chain afterwards, in one short transaction for everything pending.
//
// Every reader of the log (AuditHead, AuditEntries, AuditEntriesAbout,
// Accesses) first waits for a seal of everything committed before it
// asked, so what it reads is the same as if each writer had sealed its own
// entries; a crash between a commit and its seal leaves the entries
// pending, and the next seal (the next write's, or the first reader's,
// such as ipreg audit verify) links them.

// pendingPrefix starts the ids of one flush's entries in audit_pending:
// the time (20 digits of UTC nanoseconds), then a random batch id, so that
// ids sort in time order across transactions and never collide; each
// entry adds its place in the flush.
func pendingPrefix() string {
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("%020d-%s-", time.Now().UnixNano(), hex.EncodeToString(b[:]))
}

// insertPending stores es in audit_pending (PostgreSQL), in order, without
// sealing them: no lock is taken.
func (t *tx) insertPending(ctx context.Context, es []*audit.Entry) error {
	prefix := pendingPrefix()
	for start := 0; start < len(es); start += auditChunk {
		part := es[start:min(start+auditChunk, len(es))]
		args := make([]any, 0, 7*len(part))
		vals := make([]string, 0, len(part))
		for i, e := range part {
			args = append(args, fmt.Sprintf("%s%06d", prefix, start+i), tm(e.At), e.ActorID, e.Action, e.ObjectType, e.ObjectID, e.Detail)
			vals = append(vals, "(?, ?, ?, ?, ?, ?, ?)")
		}
		if err := t.execLater(ctx, `INSERT INTO audit_pending (id, at, actor_id, action, object_type, object_id, detail) VALUES `+
			strings.Join(vals, ", "), args...); err != nil {
			return fmt.Errorf("append audit: %w", err)
		}
	}
	return nil
}

// auditSealer runs the seals of one process (PostgreSQL), one at a time:
// whoever asks while a seal runs is served by the next, which takes
// everything pending by then (group commit). Replicas' sealers take turns
// at the head's row lock; each entry is sealed by whichever deletes it
// from audit_pending first.
type auditSealer struct {
	db *DB

	mu      sync.Mutex
	asked   bool         // a seal is wanted after the one running
	waiters []chan error // told the result of the next seal to start
	running sync.WaitGroup
	busy    bool
	// hurry cuts a linger short: a reader waits for the seal.
	hurry chan struct{}
}

// sealLinger is how long a seal asked for only by writes (kick) waits
// before it starts, so that the entries of the writes committing
// meanwhile go in the same seal: one seal is five round trips and a
// commit whatever it links, and without the wait nearly every write paid
// for one of its own. Readers (wait) do not linger: they cut it short.
// The entries are durable in audit_pending throughout; only their place
// in the chain comes up to this much later.
const sealLinger = 20 * time.Millisecond

// kick asks for a seal and does not wait for it (a write that has just
// committed its entries).
func (s *auditSealer) kick() { s.ask(nil) }

// wait returns once a seal that started after the call has ended: every
// entry committed before the call is then in audit_log. Its error is the
// seal's, or ctx's.
func (s *auditSealer) wait(ctx context.Context) error {
	ch := make(chan error, 1)
	s.ask(ch)
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (s *auditSealer) ask(ch chan error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = true
	if ch != nil {
		s.waiters = append(s.waiters, ch)
		select {
		case s.hurry <- struct{}{}:
		default:
		}
	}
	if !s.busy {
		s.busy = true
		s.running.Add(1)
		go s.loop()
	}
}

func (s *auditSealer) loop() {
	defer s.running.Done()
	for {
		s.mu.Lock()
		if !s.asked {
			s.busy = false
			s.mu.Unlock()
			return
		}
		linger := len(s.waiters) == 0
		s.mu.Unlock()
		if linger {
			t := time.NewTimer(sealLinger)
			select {
			case <-t.C:
			case <-s.hurry:
			}
			t.Stop()
		}
		s.mu.Lock()
		s.asked = false
		ws := s.waiters
		s.waiters = nil
		select { // these waiters are served by this seal
		case <-s.hurry:
		default:
		}
		s.mu.Unlock()
		// Not a requester's context: a seal serves everyone waiting, and
		// one who gave up must not cancel it for the rest.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := s.db.sealAudit(ctx)
		cancel()
		for _, w := range ws {
			w <- err
		}
	}
}

// sealAudit links every entry in audit_pending into the chain, a chunk per
// transaction. Entries that commit while it runs are left for the next.
func (s *DB) sealAudit(ctx context.Context) error {
	for {
		n, err := s.sealChunk(ctx, auditChunk)
		if err != nil || n < auditChunk {
			return err
		}
	}
}

type pendingEntry struct {
	id string
	e  *audit.Entry
}

// sealChunk seals at most limit pending entries, the oldest first, and
// says how many. It takes the head's row lock before it reads the pending
// rows, so that two sealers never take the same rows (the second's read,
// a new snapshot once the lock is its, no longer sees what the first
// sealed) and the chain is never forked.
func (s *DB) sealChunk(ctx context.Context, limit int) (int, error) {
	var waiting bool
	if err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM audit_pending)`).Scan(&waiting); err != nil {
		return 0, fmt.Errorf("seal audit: %w", err)
	}
	if !waiting {
		return 0, nil
	}
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("seal audit: %w", err)
	}
	defer sqlTx.Rollback()
	t := &tx{q: sqlTx, d: s.d, db: s, inTx: true}
	var seq int64
	var prev string
	if err := t.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+t.lock(true)).Scan(&seq, &prev); err != nil {
		return 0, fmt.Errorf("seal audit: %w", err)
	}
	rows, err := t.query(ctx, `DELETE FROM audit_pending WHERE id IN (SELECT id FROM audit_pending ORDER BY id LIMIT ?)
		RETURNING id, at, actor_id, action, object_type, object_id, detail`, limit)
	if err != nil {
		return 0, fmt.Errorf("seal audit: %w", err)
	}
	var ps []pendingEntry
	for rows.Next() {
		var p pendingEntry
		var at string
		p.e = &audit.Entry{}
		if err := rows.Scan(&p.id, &at, &p.e.ActorID, &p.e.Action, &p.e.ObjectType, &p.e.ObjectID, &p.e.Detail); err != nil {
			rows.Close()
			return 0, fmt.Errorf("seal audit: %w", err)
		}
		p.e.At = parseTime(at)
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("seal audit: %w", err)
	}
	if len(ps) == 0 {
		return 0, nil // another replica's sealer took them
	}
	// RETURNING promises no order.
	slices.SortFunc(ps, func(a, b pendingEntry) int { return strings.Compare(a.id, b.id) })
	args := make([]any, 0, 9*len(ps)+2)
	vals := make([]string, 0, len(ps))
	for _, p := range ps {
		p.e.Seal(seq, prev)
		seq, prev = p.e.Seq, p.e.Hash
		e := p.e
		args = append(args, e.Seq, tm(e.At), e.ActorID, e.Action, e.ObjectType, e.ObjectID, e.Detail, e.PrevHash, e.Hash)
		vals = append(vals, "(?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	if err := t.execLater(ctx, `WITH logged AS (INSERT INTO audit_log (seq, at, actor_id, action, object_type, object_id, detail, prev_hash, hash) VALUES `+
		strings.Join(vals, ", ")+`) UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, append(args, seq, prev)...); err != nil {
		return 0, fmt.Errorf("seal audit: %w", err)
	}
	if err := sqlTx.Commit(); err != nil {
		return 0, fmt.Errorf("seal audit: commit: %w", err)
	}
	return len(ps), nil
}

// sealed returns once the entries committed so far are in the chain (on
// PostgreSQL, outside a transaction; elsewhere at once). Readers of the
// log call it first. Inside a transaction it cannot wait for the sealer
// (which might wait for rows this transaction holds); those readers read
// audit_pending beside audit_log instead (pendingAbout).
func (t *tx) sealed(ctx context.Context) error {
	if t.d != postgresDialect || t.inTx || t.db == nil {
		return nil
	}
	// The sealer needs a connection of its own: a pinned read must not
	// hold one while it waits (pinned).
	if p, ok := t.q.(*pinned); ok {
		p.release()
	}
	return t.db.sealer.wait(ctx)
}

// Record implements registry.Store: es are stored in a transaction of
// their own, for the audit entries of reads (a staff member's view of an
// application, of the queue), which write nothing else and must not wait
// behind the writes they do not touch. On SQLite the records of
// concurrent reads are written together in one transaction that goes to
// the front of the writers' queue (urgent): a read then waits for the
// write running, not for all the writes queued. On PostgreSQL they are one
// INSERT into audit_pending, sealed after. Either way they are durable
// when Record returns.
func (s *DB) Record(ctx context.Context, es ...*audit.Entry) error {
	if len(es) == 0 {
		return nil
	}
	for _, e := range es {
		e.At = e.At.UTC().Truncate(time.Microsecond)
	}
	if s.d == postgresDialect {
		t := &tx{q: s.db, d: s.d, db: s}
		if err := t.insertPending(ctx, es); err != nil {
			return err
		}
		s.sealer.kick()
		return nil
	}
	return s.records.add(ctx, s, es)
}

// recordGroup gathers the entries Record is asked to store on SQLite
// while one group's transaction runs, for the next.
type recordGroup struct {
	mu      sync.Mutex
	queue   []recordRequest
	busy    bool
	running sync.WaitGroup
}

type recordRequest struct {
	es   []*audit.Entry
	done chan error
}

func (g *recordGroup) add(ctx context.Context, db *DB, es []*audit.Entry) error {
	r := recordRequest{es: es, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, r)
	if !g.busy {
		g.busy = true
		g.running.Add(1)
		go g.loop(db)
	}
	g.mu.Unlock()
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		// The entries may still be written: a read recorded and then not
		// answered, never the reverse.
		return context.Cause(ctx)
	}
}

func (g *recordGroup) loop(db *DB) {
	defer g.running.Done()
	for {
		g.mu.Lock()
		batch := g.queue
		g.queue = nil
		if len(batch) == 0 {
			g.busy = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := db.write(ctx, true, func(t *tx) error {
			for _, r := range batch {
				t.audit = append(t.audit, r.es...)
			}
			return nil
		})
		cancel()
		for _, r := range batch {
			r.done <- err
		}
	}
}

// writerLock admits one write transaction of this process at a time on
// SQLite (see DB.writer), in order of arrival, except that an urgent one
// (a group of read records) goes before the writers waiting — but never
// twice in a row while a writer waits, so a stream of reads cannot starve
// the writes.
type writerLock struct {
	mu         sync.Mutex
	held       bool
	lastUrgent bool
	urgent     []chan struct{}
	normal     []chan struct{}
}

// lock waits for the writer's turn; the error is ctx's.
func (w *writerLock) lock(ctx context.Context, urgent bool) error {
	w.mu.Lock()
	if !w.held {
		w.held = true
		w.lastUrgent = urgent
		w.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	if urgent {
		w.urgent = append(w.urgent, ch)
	} else {
		w.normal = append(w.normal, ch)
	}
	w.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		w.mu.Lock()
		before := len(w.urgent) + len(w.normal)
		w.urgent = slices.DeleteFunc(w.urgent, func(c chan struct{}) bool { return c == ch })
		w.normal = slices.DeleteFunc(w.normal, func(c chan struct{}) bool { return c == ch })
		removed := len(w.urgent)+len(w.normal) < before
		w.mu.Unlock()
		if !removed {
			// The turn was handed over as ctx ended: pass it on.
			<-ch
			w.unlock()
		}
		return context.Cause(ctx)
	}
}

// unlock hands the turn to the next waiter, or frees it.
func (w *writerLock) unlock() {
	w.mu.Lock()
	defer w.mu.Unlock()
	var next chan struct{}
	switch {
	case len(w.urgent) > 0 && (!w.lastUrgent || len(w.normal) == 0):
		next, w.urgent = w.urgent[0], w.urgent[1:]
		w.lastUrgent = true
	case len(w.normal) > 0:
		next, w.normal = w.normal[0], w.normal[1:]
		w.lastUrgent = false
	default:
		w.held = false
		return
	}
	close(next)
}
