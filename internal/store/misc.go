package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/registry"
)

func (t *tx) Settings(ctx context.Context) (registry.Settings, error) {
	var v sql.NullString
	err := t.queryRow(ctx, `SELECT value FROM settings WHERE id = 1`).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return registry.Settings{}, fmt.Errorf("settings: %w", err)
	}
	return decodeSettings(v)
}

// decodeSettings reads the settings row's value; no row (NULL) is the
// defaults.
func decodeSettings(v sql.NullString) (registry.Settings, error) {
	// Start from the defaults so a setting added in a later release has a
	// value on databases saved before it existed. Unmarshal, here or in a
	// caller decoding a partial update into what this returns, reuses a
	// slice's backing array: never hand out the defaults' own.
	s := registry.DefaultSettings
	s.Holidays = slices.Clone(s.Holidays)
	s.EligibilityRules = registry.CloneEligibilityRules(s.EligibilityRules)
	if !v.Valid {
		return s, nil
	}
	// Unmarshal decodes a list's elements into those already there, so a
	// member a saved rule leaves out would keep a default rule's value:
	// saved rules are decoded into an empty list; the defaults stay only
	// for rows saved before the rules existed.
	defaults := s.EligibilityRules
	s.EligibilityRules = nil
	if err := json.Unmarshal([]byte(v.String), &s); err != nil {
		return registry.Settings{}, fmt.Errorf("settings: %w", err)
	}
	if s.EligibilityRules == nil {
		s.EligibilityRules = defaults
	}
	return s, nil
}

func (t *tx) PutSettings(ctx context.Context, s registry.Settings) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("put settings: %w", err)
	}
	if _, err := t.exec(ctx, `INSERT INTO settings (id, value) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET value = excluded.value`, string(b)); err != nil {
		return fmt.Errorf("put settings: %w", err)
	}
	return nil
}

// AppendAudit adds e to the chain. In a write transaction the entries wait
// in the transaction and are stored together just before it commits
// (flushAudit): on SQLite sealed after the chain's head there and then
// (the one writer holds the database anyway); on PostgreSQL put in
// audit_pending, taking no lock, and sealed by the sealer once the
// transaction has committed (auditseal.go). Outside a transaction e is
// stored at once (and, on PostgreSQL, sealed before AppendAudit returns).
func (t *tx) AppendAudit(ctx context.Context, e *audit.Entry) error {
	e.At = e.At.UTC().Truncate(time.Microsecond) // the precision stored
	t.audit = append(t.audit, e)
	if t.inTx {
		return nil
	}
	return t.flushAudit(ctx)
}

// flushAudit stores the entries appended since the last flush. On SQLite
// one statement takes the head for all of them, one inserts them, one
// moves the head; on PostgreSQL one INSERT puts them in audit_pending.
func (t *tx) flushAudit(ctx context.Context) error {
	es := t.audit
	if len(es) == 0 {
		return nil
	}
	t.audit = nil
	if t.d == postgresDialect {
		if err := t.insertPending(ctx, es); err != nil {
			return err
		}
		if !t.inTx {
			return t.sealed(ctx)
		}
		t.pending = true
		return nil
	}
	var seq int64
	var prev string
	if err := t.queryRow(ctx, `UPDATE audit_head SET seq = seq + ? WHERE id = 1 RETURNING seq, hash`, len(es)).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	prevSeq := seq - int64(len(es))
	// A transaction with thousands of entries (an import) is inserted in
	// chunks: one statement may carry at most 65,535 parameters on
	// PostgreSQL and 32,766 on SQLite.
	const chunk = auditChunk
	for len(es) > chunk {
		if err := t.insertAudit(ctx, es[:chunk], &prevSeq, &prev); err != nil {
			return err
		}
		es = es[chunk:]
	}
	args := make([]any, 0, 9*len(es)+1)
	vals := make([]string, 0, len(es))
	for _, e := range es {
		e.Seal(prevSeq, prev)
		prevSeq, prev = e.Seq, e.Hash
		args = append(args, e.Seq, tm(e.At), e.ActorID, e.Action, e.ObjectType, e.ObjectID, e.Detail, e.PrevHash, e.Hash)
		vals = append(vals, "(?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	insert := `INSERT INTO audit_log (seq, at, actor_id, action, object_type, object_id, detail, prev_hash, hash) VALUES ` + strings.Join(vals, ", ")
	if _, err := t.exec(ctx, insert, args...); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	if _, err := t.exec(ctx, `UPDATE audit_head SET hash = ? WHERE id = 1`, prev); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

// auditChunk is how many audit entries one INSERT carries (9 parameters each).
const auditChunk = 2000

// insertAudit seals and inserts es after *prevSeq and *prev, advancing
// them; the caller holds the head and moves it after the last chunk.
func (t *tx) insertAudit(ctx context.Context, es []*audit.Entry, prevSeq *int64, prev *string) error {
	args := make([]any, 0, 9*len(es))
	vals := make([]string, 0, len(es))
	for _, e := range es {
		e.Seal(*prevSeq, *prev)
		*prevSeq, *prev = e.Seq, e.Hash
		args = append(args, e.Seq, tm(e.At), e.ActorID, e.Action, e.ObjectType, e.ObjectID, e.Detail, e.PrevHash, e.Hash)
		vals = append(vals, "(?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	if _, err := t.exec(ctx, `INSERT INTO audit_log (seq, at, actor_id, action, object_type, object_id, detail, prev_hash, hash) VALUES `+
		strings.Join(vals, ", "), args...); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

func (t *tx) AuditHead(ctx context.Context) (int64, string, error) {
	if err := t.flushAudit(ctx); err != nil {
		return 0, "", err
	}
	if err := t.sealed(ctx); err != nil {
		return 0, "", err
	}
	var seq int64
	var hash string
	if err := t.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&seq, &hash); err != nil {
		return 0, "", fmt.Errorf("audit head: %w", err)
	}
	return seq, hash, nil
}

func (t *tx) AuditEntries(ctx context.Context, afterSeq int64, limit int) ([]audit.Entry, error) {
	if err := t.flushAudit(ctx); err != nil {
		return nil, err
	}
	if err := t.sealed(ctx); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, `SELECT seq, at, actor_id, action, object_type, object_id, detail, prev_hash, hash
		FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("audit entries: %w", err)
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var e audit.Entry
		var at string
		if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.Action, &e.ObjectType, &e.ObjectID, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("audit entries: %w", err)
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *tx) countBy(ctx context.Context, q string, args ...any) (map[string]int, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

func (t *tx) Stats(ctx context.Context, now time.Time) (*registry.Stats, error) {
	st := &registry.Stats{
		ApplicationsByState:   map[registry.State]int{},
		ActiveByCategory:      map[registry.Category]int{},
		RegistrationsByStatus: map[registry.RegStatus]int{},
		AppealsByState:        map[registry.AppealState]int{},
	}
	m, err := t.countBy(ctx, `SELECT state, COUNT(*) FROM applications GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	for k, v := range m {
		st.ApplicationsByState[registry.State(k)] = v
	}
	// Imported registrations' applications (approved, kind new) are not
	// applications the regulator received or decided in ipreg: they are
	// left out of the application counts, as from the monthly statistics
	// (registry.StatsFacts), and counted in the registrations only. Taken
	// off by one query over the imported registrations (import_key's
	// index) rather than a lookup per application of the whole table.
	imported, err := t.countBy(ctx, `SELECT a.state, COUNT(*) FROM registrations r JOIN applications a ON a.id = r.application_id
		WHERE r.import_key IS NOT NULL GROUP BY a.state`)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	importedAll := 0
	for k, v := range imported {
		importedAll += v
		if st.ApplicationsByState[registry.State(k)] -= v; st.ApplicationsByState[registry.State(k)] <= 0 {
			delete(st.ApplicationsByState, registry.State(k))
		}
	}
	if m, err = t.countBy(ctx, `SELECT status, COUNT(*) FROM registrations GROUP BY status`); err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	for k, v := range m {
		st.RegistrationsByStatus[registry.RegStatus(k)] = v
	}
	if m, err = t.countBy(ctx, `SELECT category, COUNT(*) FROM registrations WHERE status = 'active' GROUP BY category`); err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	for k, v := range m {
		st.ActiveByCategory[registry.Category(k)] = v
	}
	if m, err = t.countBy(ctx, `SELECT i.kind, COUNT(*) FROM registration_items i JOIN registrations r ON r.number = i.registration_number
		WHERE r.status = 'active' GROUP BY i.kind`); err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	st.ActiveAddresses, st.ActiveMobileNumbers = m["ip"], m["msisdn"]
	if m, err = t.countBy(ctx, `SELECT state, COUNT(*) FROM appeals GROUP BY state`); err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	for k, v := range m {
		st.AppealsByState[registry.AppealState(k)] = v
	}
	st.ApplicationsByKind, st.ApprovedByKindLast30Days = map[registry.AppKind]int{}, map[registry.AppKind]int{}
	if m, err = t.countBy(ctx, `SELECT kind, COUNT(*) FROM applications GROUP BY kind`); err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	for k, v := range m {
		st.ApplicationsByKind[registry.AppKind(k)] = v
	}
	// Every imported application is of kind new.
	if st.ApplicationsByKind[registry.KindNew] -= importedAll; st.ApplicationsByKind[registry.KindNew] <= 0 {
		delete(st.ApplicationsByKind, registry.KindNew)
	}
	// An imported application's decided_at is the old allowlist's
	// approval date, which may fall in the last 30 days: not counted.
	if m, err = t.countBy(ctx, `SELECT a.kind, COUNT(*) FROM applications a WHERE a.state = 'approved' AND a.decided_at >= ?
		AND NOT EXISTS (SELECT 1 FROM registrations r WHERE r.application_id = a.id AND r.import_key IS NOT NULL) GROUP BY a.kind`,
		tm(now.AddDate(0, 0, -30))); err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	for k, v := range m {
		st.ApprovedByKindLast30Days[registry.AppKind(k)] = v
	}

	rows, err := t.query(ctx, `SELECT submitted_at, decided_at, state, sla_due_at FROM applications
		WHERE decided_at >= ? AND state IN ('approved', 'rejected') AND submitted_at <> ''`, tm(now.AddDate(0, 0, -30)))
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	defer rows.Close()
	var hours []float64
	approved, inSLA := 0, 0
	for rows.Next() {
		var sub, dec, state, due string
		if err := rows.Scan(&sub, &dec, &state, &due); err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
		hours = append(hours, parseTime(dec).Sub(parseTime(sub)).Hours())
		if due != "" && !parseTime(dec).After(parseTime(due)) {
			inSLA++
		}
		if state == string(registry.StateApproved) {
			approved++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	st.DecisionsLast30Days = len(hours)
	if n := len(hours); n > 0 {
		sort.Float64s(hours)
		st.MedianDecisionHours = hours[n/2]
		if n%2 == 0 {
			st.MedianDecisionHours = (hours[n/2-1] + hours[n/2]) / 2
		}
		st.ApprovedShareLast30Days = float64(approved) / float64(n)
		st.DecidedWithinSLALast30Days = float64(inSLA) / float64(n)
	}
	return st, nil
}

// AddFeedChange implements registry.Tx. In a write transaction the change
// waits in the transaction and is numbered with the transaction's other
// changes just before it commits (flushFeed), in one statement: the
// feed-change serial's row lock, which keeps the feed's sequence in commit
// order, is then held for the end of the transaction only, not from an
// approval's first change through the rest of its work (issue 14: on
// PostgreSQL every approval waited on that row). Outside a transaction it
// is written at once.
func (t *tx) AddFeedChange(ctx context.Context, target, op string, e feed.Entry, at time.Time) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("feed change: %w", err)
	}
	t.feed = append(t.feed, []any{int64(0), target, op, e.Key(), string(b), tm(at)})
	if t.inTx {
		return nil
	}
	return t.flushFeed(ctx)
}

// flushFeed numbers and inserts the feed changes added since the last
// flush.
func (t *tx) flushFeed(ctx context.Context) error {
	rows := t.feed
	if len(rows) == 0 {
		return nil
	}
	t.feed = nil
	last, err := t.reserve(ctx, "feed-change", len(rows))
	if err != nil {
		return fmt.Errorf("feed change: %w", err)
	}
	for i, r := range rows {
		r[0] = last - int64(len(rows)) + 1 + int64(i)
	}
	if err := t.bulkInsert(ctx, "feed_changes", "seq, target, op, entry_key, entry, created_at", 6, rows); err != nil {
		return fmt.Errorf("feed change: %w", err)
	}
	return nil
}
