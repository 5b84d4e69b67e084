package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ipreg/ipreg/internal/netpolicy"
	"github.com/ipreg/ipreg/internal/registry"
)

const appCols = `a.id, a.account_id, a.category, COALESCE(a.operator_id, ''), a.subscriber_id, a.vpn_protocol, a.vpn_endpoints,
	a.purpose, a.payment_reference, a.state, a.flags, a.fee_due, a.fee_amount_pkr, a.fee_reason, a.return_note,
	a.reason_code, a.decision_note, a.registration, a.checked_items, a.created_at, a.updated_at, a.submitted_at,
	a.sla_due_at, a.decided_at, a.appeal_by, a.kind, a.for_registration, a.given_up, acc.name`

const appFrom = ` FROM applications a JOIN accounts acc ON acc.id = a.account_id`

// scanApp reads appCols, then into extra what the query selects after them.
func scanApp(sc interface{ Scan(...any) error }, extra ...any) (*registry.Application, error) {
	var a registry.Application
	var endpoints, flags, created, updated, submitted, due, decided, appealBy, givenUp string
	var feeDue int
	err := sc.Scan(append([]any{&a.ID, &a.AccountID, &a.Category, &a.OperatorID, &a.SubscriberID, &a.VPN.Protocol, &endpoints,
		&a.Purpose, &a.PaymentReference, &a.State, &flags, &feeDue, &a.Fee.AmountPKR, &a.Fee.Reason, &a.ReturnNote,
		&a.ReasonCode, &a.DecisionNote, &a.Registration, &a.CheckedItems, &created, &updated, &submitted,
		&due, &decided, &appealBy, &a.Kind, &a.ForRegistration, &givenUp, &a.HolderName}, extra...)...)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(endpoints), &a.VPN.Endpoints); err != nil {
		return nil, fmt.Errorf("application %s: endpoints: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(flags), &a.Flags); err != nil {
		return nil, fmt.Errorf("application %s: flags: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(givenUp), &a.GivenUp); err != nil {
		return nil, fmt.Errorf("application %s: given_up: %w", a.ID, err)
	}
	a.Fee.Due = feeDue != 0
	a.CreatedAt, a.UpdatedAt, a.SubmittedAt = parseTime(created), parseTime(updated), parseTime(submitted)
	a.SLADueAt, a.DecidedAt, a.AppealDeadline = parseTime(due), parseTime(decided), parseTime(appealBy)
	return &a, nil
}

func appArgs(a *registry.Application) ([]any, error) {
	endpoints, err := json.Marshal(orEmpty(a.VPN.Endpoints))
	if err != nil {
		return nil, err
	}
	flags, err := json.Marshal(orEmpty(a.Flags))
	if err != nil {
		return nil, err
	}
	givenUp, err := json.Marshal(orEmpty(a.GivenUp))
	if err != nil {
		return nil, err
	}
	kind := a.Kind
	if kind == "" {
		kind = registry.KindNew
	}
	return []any{kind, a.ForRegistration, string(givenUp), a.Category, nullable(a.OperatorID), a.SubscriberID, a.VPN.Protocol, string(endpoints),
		a.Purpose, a.PaymentReference, a.State, string(flags), boolInt(a.Fee.Due), a.Fee.AmountPKR, a.Fee.Reason,
		a.ReturnNote, a.ReasonCode, a.DecisionNote, a.Registration, a.CheckedItems, tm(a.UpdatedAt),
		tm(a.SubmittedAt), tm(a.SLADueAt), tm(a.DecidedAt), tm(a.AppealDeadline)}, nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (t *tx) CreateApplication(ctx context.Context, a *registry.Application) error {
	args, err := appArgs(a)
	if err != nil {
		return fmt.Errorf("create application: %w", err)
	}
	args = append([]any{a.ID, a.AccountID, tm(a.CreatedAt)}, args...)
	// A renewal's or amendment's INSERT must answer at once: its unique
	// violation is a conflict to report (below); any other's failure
	// fails the transaction, and may wait to be seen (execLater).
	exec := t.exec
	if a.ForRegistration == "" {
		exec = func(ctx context.Context, q string, args ...any) (sql.Result, error) {
			return nil, t.execLater(ctx, q, args...)
		}
	}
	_, err = exec(ctx, `INSERT INTO applications (id, account_id, created_at, kind, for_registration, given_up, category, operator_id, subscriber_id,
		vpn_protocol, vpn_endpoints, purpose, payment_reference, state, flags, fee_due, fee_amount_pkr, fee_reason,
		return_note, reason_code, decision_note, registration, checked_items, updated_at, submitted_at, sla_due_at, decided_at, appeal_by)
		VALUES (`+placeholders(len(args))+`)`, args...)
	if isUnique(err) && a.ForRegistration != "" {
		return registry.Errorf(registry.ECONFLICT, "registration %s already has an open renewal or amendment; finish or withdraw it first", a.ForRegistration)
	}
	if err != nil {
		return fmt.Errorf("create application: %w", err)
	}
	return t.putItems(ctx, a)
}

func (t *tx) UpdateApplication(ctx context.Context, a *registry.Application) error {
	args, err := appArgs(a)
	if err != nil {
		return fmt.Errorf("update application: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE applications SET kind = ?, for_registration = ?, given_up = ?, category = ?, operator_id = ?, subscriber_id = ?, vpn_protocol = ?,
		vpn_endpoints = ?, purpose = ?, payment_reference = ?, state = ?, flags = ?, fee_due = ?, fee_amount_pkr = ?,
		fee_reason = ?, return_note = ?, reason_code = ?, decision_note = ?, registration = ?, checked_items = ?,
		updated_at = ?, submitted_at = ?, sla_due_at = ?, decided_at = ?, appeal_by = ? WHERE id = ?`, append(args, a.ID)...)
	if err := mustAffect(res, err, "application %s not found", a.ID); err != nil {
		return err
	}
	key := itemsKey(a)
	if stored, ok := t.items[a.ID]; ok && stored == key {
		return nil // two statements fewer: the items did not change
	}
	if err := t.execLater(ctx, `DELETE FROM items WHERE application_id = ?`, a.ID); err != nil {
		return fmt.Errorf("update application items: %w", err)
	}
	if err := t.putItems(ctx, a); err != nil {
		return err
	}
	t.knowItems(a.ID, key)
	return nil
}

// itemsKey is a's addresses and numbers, in order, as one string: equal
// keys store equal item rows (putItemRows).
func itemsKey(a *registry.Application) string {
	var b strings.Builder
	for _, p := range a.Addresses {
		b.WriteString(p.String())
		b.WriteByte(' ')
	}
	b.WriteByte('|')
	for _, m := range a.MobileNumbers {
		b.WriteString(m)
		b.WriteByte(' ')
	}
	return b.String()
}

// knowItems records the items application id holds in this transaction,
// for UpdateApplication. Only inside a write transaction: outside one the
// rows may change at any time.
func (t *tx) knowItems(id, key string) {
	if !t.inTx {
		return
	}
	if t.items == nil {
		t.items = map[string]string{}
	}
	t.items[id] = key
}

func (t *tx) putItems(ctx context.Context, a *registry.Application) error {
	return t.putItemRows(ctx, "items", "application_id", a.ID, a.Addresses, a.MobileNumbers)
}

// putItemRows stores addresses and numbers as rows of table (items or
// registration_items), owned by id in column owner.
func (t *tx) putItemRows(ctx context.Context, table, owner, id string, addrs []netip.Prefix, nums []string) error {
	n := len(addrs) + len(nums)
	if n == 0 {
		return nil
	}
	args := make([]any, 0, 6*n)
	var vals []string
	for i, p := range addrs {
		first, last := netpolicy.RangeKey(p)
		args = append(args, id, i, "ip", p.String(), first, last)
		vals = append(vals, "(?, ?, ?, ?, ?, ?)")
	}
	for i, m := range nums {
		args = append(args, id, len(addrs)+i, "msisdn", m, m, m)
		vals = append(vals, "(?, ?, ?, ?, ?, ?)")
	}
	if err := t.execLater(ctx, `INSERT INTO `+table+` (`+owner+`, position, kind, value, first_key, last_key) VALUES `+
		strings.Join(vals, ", "), args...); err != nil {
		return fmt.Errorf("store %s: %w", table, err)
	}
	return nil
}

// loadItems fills the addresses and numbers of apps in one query.
func (t *tx) loadItems(ctx context.Context, apps []*registry.Application) error {
	if len(apps) == 0 {
		return nil
	}
	// Several entries may share an application (two checks of one
	// application), so each ID maps to all of them.
	byID := make(map[string][]*registry.Application, len(apps))
	var args []any
	for _, a := range apps {
		if _, seen := byID[a.ID]; !seen {
			args = append(args, a.ID)
		}
		byID[a.ID] = append(byID[a.ID], a)
	}
	rows, err := t.query(ctx, `SELECT application_id, kind, value FROM items WHERE application_id IN (`+
		placeholders(len(args))+`) ORDER BY application_id, position`, args...)
	if err != nil {
		return fmt.Errorf("load items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, kind, value string
		if err := rows.Scan(&id, &kind, &value); err != nil {
			return fmt.Errorf("load items: %w", err)
		}
		for _, a := range byID[id] {
			if err := addItem(a, kind, value); err != nil {
				return err
			}
		}
	}
	return rows.Err()
}

// addItem appends a stored item (kind "ip" or "msisdn") to a's addresses
// or numbers.
func addItem(a *registry.Application, kind, value string) error {
	switch kind {
	case "ip":
		p, err := netip.ParsePrefix(value)
		if err != nil {
			return fmt.Errorf("application %s: stored prefix %q: %w", a.ID, value, err)
		}
		a.Addresses = append(a.Addresses, p)
	case "msisdn":
		a.MobileNumbers = append(a.MobileNumbers, value)
	}
	return nil
}

// itemsColumn selects, beside appCols, an application's items in
// position order as one text: "kind value" pairs joined by commas
// (neither a kind nor a stored prefix or number holds a space or a
// comma), NULL when it has none. The one read of an application then
// needs no second query for its items: a round trip fewer on PostgreSQL
// at every application read (about seven per application filed).
func (t *tx) itemsColumn() string {
	agg := "group_concat" // SQLite ≥ 3.44 orders within the aggregate
	if t.d == postgresDialect {
		agg = "string_agg"
	}
	return `, (SELECT ` + agg + `(i.kind || ' ' || i.value, ',' ORDER BY i.position) FROM items i WHERE i.application_id = a.id)`
}

// addItems fills a's addresses and numbers from itemsColumn's text.
func addItems(a *registry.Application, items sql.NullString) error {
	if !items.Valid || items.String == "" {
		return nil
	}
	for it := range strings.SplitSeq(items.String, ",") {
		kind, value, ok := strings.Cut(it, " ")
		if !ok {
			return fmt.Errorf("application %s: stored item %q has no kind", a.ID, it)
		}
		if err := addItem(a, kind, value); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) Application(ctx context.Context, id string, forUpdate bool) (*registry.Application, error) {
	lock := ""
	if forUpdate && t.d.forUpdate != "" {
		// Lock the application row alone (OF a): FOR UPDATE over the join
		// would also lock the account row that every application of the
		// account shares. In the one statement that reads it: a round trip
		// fewer than locking first.
		lock = t.d.forUpdate + " OF a"
	}
	var items sql.NullString
	a, err := scanApp(t.queryRow(ctx, `SELECT `+appCols+t.itemsColumn()+appFrom+` WHERE a.id = ?`+lock, id), &items)
	if err != nil {
		return nil, notFound(err, "application %s not found", id)
	}
	if err := addItems(a, items); err != nil {
		return nil, err
	}
	// What was read stays true until this transaction ends only when no
	// one else can write the items meanwhile: on PostgreSQL while the
	// application's row is locked (every write of its items locks it
	// first), on SQLite in any write transaction (one writer at a time).
	if forUpdate || t.d.forUpdate == "" {
		t.knowItems(a.ID, itemsKey(a))
	}
	return a, nil
}

// UploadTarget is Application, the count of its documents and Settings
// in one statement: the check before an upload's content is read made
// three queries, on PostgreSQL three round trips, for each upload.
func (t *tx) UploadTarget(ctx context.Context, id string) (*registry.Application, int, registry.Settings, error) {
	var items, set sql.NullString
	var n int
	a, err := scanApp(t.queryRow(ctx, `SELECT `+appCols+t.itemsColumn()+
		`, (SELECT COUNT(*) FROM documents d WHERE d.application_id = a.id), (SELECT value FROM settings WHERE id = 1)`+
		appFrom+` WHERE a.id = ?`, id), &items, &n, &set)
	if err != nil {
		return nil, 0, registry.Settings{}, notFound(err, "application %s not found", id)
	}
	if err := addItems(a, items); err != nil {
		return nil, 0, registry.Settings{}, err
	}
	settings, err := decodeSettings(set)
	if err != nil {
		return nil, 0, registry.Settings{}, err
	}
	return a, n, settings, nil
}

// ApplicationView implements registry.Tx: Application, Settings and the
// operator's name and prefixes version in one statement. A view of an
// application made three or four queries for them, on PostgreSQL as many
// round trips (issue 14).
func (t *tx) ApplicationView(ctx context.Context, id string) (*registry.Application, registry.ViewTarget, error) {
	var v registry.ViewTarget
	var items, set, opName sql.NullString
	var opVersion sql.NullInt64
	a, err := scanApp(t.queryRow(ctx, `SELECT `+appCols+t.itemsColumn()+
		`, (SELECT value FROM settings WHERE id = 1), o.name, o.prefixes_version`+
		appFrom+` LEFT JOIN operators o ON o.id = a.operator_id WHERE a.id = ?`, id), &items, &set, &opName, &opVersion)
	if err != nil {
		return nil, v, notFound(err, "application %s not found", id)
	}
	if err := addItems(a, items); err != nil {
		return nil, v, err
	}
	if v.Settings, err = decodeSettings(set); err != nil {
		return nil, v, err
	}
	if opName.Valid && opVersion.Valid {
		v.Operator.Found, v.Operator.Name, v.Operator.PrefixesVersion = true, opName.String, opVersion.Int64
	}
	// As Application without a lock.
	if t.d.forUpdate == "" {
		t.knowItems(a.ID, itemsKey(a))
	}
	return a, v, nil
}

func (t *tx) ListApplications(ctx context.Context, f registry.AppFilter) ([]*registry.Application, error) {
	var where []string
	var args []any
	if f.AccountID != "" {
		where = append(where, "a.account_id = ?")
		args = append(args, f.AccountID)
	}
	if len(f.States) > 0 {
		where = append(where, "a.state IN ("+placeholders(len(f.States))+")")
		for _, s := range f.States {
			args = append(args, s)
		}
	}
	if f.ForRegistration != "" {
		where = append(where, "a.for_registration = ?")
		args = append(args, f.ForRegistration)
	}
	if f.Category != "" {
		where = append(where, "a.category = ?")
		args = append(args, f.Category)
	}
	if f.OperatorID != "" {
		where = append(where, "a.operator_id = ?")
		args = append(args, f.OperatorID)
	}
	if f.Flag != "" {
		// Flags are a JSON list of objects; codes are fixed identifiers, so
		// a substring match on the quoted code is exact.
		where = append(where, "a.flags LIKE ?")
		args = append(args, `%"code":"`+f.Flag+`"%`)
	}
	if !f.OverdueBefore.IsZero() {
		where = append(where, "a.sla_due_at <> '' AND a.sla_due_at < ?")
		args = append(args, tm(f.OverdueBefore))
	}
	if !f.NotOverdueAt.IsZero() {
		where = append(where, "(a.sla_due_at = '' OR a.sla_due_at >= ?)")
		args = append(args, tm(f.NotOverdueAt))
	}
	if f.After != "" && f.OrderBySLA {
		// Keyset: the rows after the given one in (sla_due_at,
		// submitted_at, id) order, spelled out (not as a row value) with
		// the leading range term alone too, so that both databases start
		// the index range there instead of filtering from its beginning;
		// under that term, sla_due_at > due leaves only ties on it for
		// the rest to order.
		var due, submitted string
		if err := t.queryRow(ctx, `SELECT sla_due_at, submitted_at FROM applications WHERE id = ?`, f.After).Scan(&due, &submitted); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil, registry.FieldErrors{"after": "names no application: give the id of the last application of the page before"}.Err()
			}
			return nil, fmt.Errorf("list applications: after: %w", err)
		}
		where = append(where, `a.sla_due_at >= ? AND (a.sla_due_at > ? OR (a.submitted_at > ? OR (a.submitted_at = ? AND a.id > ?)))`)
		args = append(args, due, due, submitted, submitted, f.After)
	}
	q := `SELECT ` + appCols + appFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.OrderBySLA {
		q += " ORDER BY a.sla_due_at, a.submitted_at, a.id"
	} else {
		q += " ORDER BY a.created_at DESC, a.id"
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	q += fmt.Sprintf(" LIMIT %d", limit)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	var out []*registry.Application
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list applications: %w", err)
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	return out, t.loadItems(ctx, out)
}

func (t *tx) AddEvent(ctx context.Context, e *registry.Event) error {
	err := t.execLater(ctx, `INSERT INTO events (application_id, seq, at, actor_id, actor_role, type, note)
		VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE application_id = ?), ?, ?, ?, ?, ?)`,
		e.ApplicationID, e.ApplicationID, tm(e.At), e.ActorID, e.ActorRole, e.Type, e.Note)
	if err != nil {
		return fmt.Errorf("add event: %w", err)
	}
	return nil
}

func (t *tx) Events(ctx context.Context, applicationID string) ([]registry.Event, error) {
	rows, err := t.query(ctx, `SELECT at, actor_id, actor_role, type, note FROM events WHERE application_id = ? ORDER BY seq`, applicationID)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	var out []registry.Event
	for rows.Next() {
		e := registry.Event{ApplicationID: applicationID}
		var at string
		if err := rows.Scan(&at, &e.ActorID, &e.ActorRole, &e.Type, &e.Note); err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// pendingStates are the application states whose items count as held.
const pendingStates = `('operator_check', 'review', 'returned')`

// appealedRejection is a rejected application whose appeal is pending:
// decided again on today's flags, so its items still count as applied for
// when other applications' overlaps are found (both ways).
// Both states are compared as expressions (an empty string appended) so
// that the appeal is found by its application's index alone, not through
// the index of every pending appeal (see overlapQuery).
const appealedRejection = `((a.state || '') = 'rejected' AND EXISTS (SELECT 1 FROM appeals ap WHERE ap.application_id = a.id AND (ap.state || '') = 'pending'))`

// notChanged leaves out the registration r that the application given as
// the parameter renews or amends (kinds: which kinds count).
func notChanged(kinds string) string {
	return `NOT EXISTS (SELECT 1 FROM applications x WHERE x.id = ? AND x.for_registration = r.number AND x.kind IN ` + kinds + `)`
}

// overlapProbe is one index search of an overlap query: items whose
// first key is in [lo, hi] and whose last key reaches r. Item n of the
// request is found by one probe for what starts inside it and one per
// broader prefix that could contain it (netpolicy.ContainingKeys), or, for
// a mobile number, by one probe of the number alone.
type overlapProbe struct {
	N  int    `json:"n"`
	Lo string `json:"lo"`
	Hi string `json:"hi"`
	R  string `json:"r"`
}

// overlapProbes returns the probes of the prefixes (items 0 to
// len(prefixes)-1, kind ip) and of the mobile numbers (the items after
// them, kind msisdn).
func overlapProbes(prefixes []netip.Prefix, mobiles []string) (ip, msisdn []overlapProbe) {
	for n, p := range prefixes {
		first, last := netpolicy.RangeKey(p)
		ip = append(ip, overlapProbe{N: n, Lo: first, Hi: last})
		// A containing start equal to p's own first address is found by
		// the range probe already: left out, so no item is found twice.
		for _, k := range netpolicy.ContainingKeys(p) {
			if k < first {
				ip = append(ip, overlapProbe{N: n, Lo: k, Hi: k, R: first})
			}
		}
	}
	for i, m := range mobiles {
		msisdn = append(msisdn, overlapProbe{N: len(prefixes) + i, Lo: m, Hi: m})
	}
	return ip, msisdn
}

// probeTable is the SQL of the table of overlap probes read from one
// JSON array parameter (overlapProbe's fields).
func (t *tx) probeTable() string {
	if t.d.numbered {
		return `SELECT * FROM json_to_recordset(CAST(? AS text)::json) AS j(n int, lo text, hi text, r text)`
	}
	return `SELECT json_extract(j.value, '$.n') AS n, json_extract(j.value, '$.lo') AS lo, json_extract(j.value, '$.hi') AS hi,
		json_extract(j.value, '$.r') AS r FROM json_each(?) j`
}

func (t *tx) Overlaps(ctx context.Context, exceptApplication, account string, prefixes []netip.Prefix, mobiles []string) ([]registry.OverlapSet, error) {
	out := make([]registry.OverlapSet, len(prefixes)+len(mobiles))
	if len(out) == 0 {
		return out, nil
	}
	// One statement for every item of the application, whatever its
	// size (overlapQuery). Searching item by item, in one statement
	// joining both tables and their owners with the constants written in,
	// had PostgreSQL plan a query for each item at every view of a pending
	// application: planning was 90 % of its cost and the largest share of
	// PostgreSQL's CPU under load (BENCHMARKS.md). Here the probes are JSON
	// parameters, opaque to the planner, and each probe and each item
	// found is one index search, so plans are cheap and the cost does not
	// grow with the table. As a plain join, PostgreSQL planned from
	// statistics taken while the table was small (a few ip items) and read
	// every item once per probe: 85 ms a search at 20,000 items, 31,000
	// applications slowing to half the pace by the 4,000th.
	q, args, err := t.overlapQuery(exceptApplication, prefixes, mobiles)
	if err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("overlaps: %w", err)
	}
	defer rows.Close()
	// The account's own items and other accounts' are ordered, cut and
	// counted apart for each requested item, so each side keeps its own
	// limit and its own total: own first, each by application ID and
	// item position.
	type found struct {
		registry.Overlap
		position int
	}
	byItem := make([][2][]found, len(out)) // [n][0 others, 1 own]
	for rows.Next() {
		var n int
		var f found
		if err := rows.Scan(&n, &f.position, &f.Item, &f.AccountID, &f.OperatorID, &f.ApplicationID, &f.State, &f.Registration); err != nil {
			return nil, fmt.Errorf("overlaps: %w", err)
		}
		if n < 0 || n >= len(out) {
			return nil, fmt.Errorf("overlaps: probe for item %d of %d", n, len(out))
		}
		side := 0
		if f.AccountID == account {
			side = 1
		}
		byItem[n][side] = append(byItem[n][side], f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("overlaps: %w", err)
	}
	for n := range byItem {
		for _, side := range []int{1, 0} {
			fs := byItem[n][side]
			slices.SortFunc(fs, func(a, b found) int {
				if c := strings.Compare(a.ApplicationID, b.ApplicationID); c != 0 {
					return c
				}
				return a.position - b.position
			})
			if side == 1 {
				out[n].Own = len(fs)
			} else {
				out[n].Others = len(fs)
			}
			for _, f := range fs[:min(len(fs), registry.OverlapLimit)] {
				out[n].Listed = append(out[n].Listed, f.Overlap)
			}
		}
	}
	return out, nil
}

// overlapQuery is the statement of Overlaps and its arguments: for each
// requested item (n), the position and value of each item that overlaps
// it, and the holder of that item: a pending application (or a rejected
// one under appeal) other than exceptApplication, or an active
// registration other than its own and the one it renews or amends.
//
// Each probe is an index search of items_range, and each item found
// looks up its owner by primary key: the probe list drives the loop
// whatever the statistics say (CROSS JOIN keeps SQLite's order; on
// PostgreSQL each search is its own LATERAL subquery, OFFSET 0 keeping it
// from being flattened into a join). States and statuses are compared as
// expressions (an empty string appended) so that no other index can
// serve them: looked up as key = ANY(array) beside state IN (…),
// PostgreSQL with statistics taken while the tables were small read the
// queue's index (state, …, id) for every pending application instead (10
// ms for three owners at 20,000 applications, a second for 300), and both
// databases found a rejection's pending appeal through the index of every
// pending appeal. One statement, not the items and then their owners: two
// statements see two states of the database, and an overlap held
// throughout by an application and then by the registration its approval
// made went missing when the approval came between them.
func (t *tx) overlapQuery(exceptApplication string, prefixes []netip.Prefix, mobiles []string) (string, []any, error) {
	ip, msisdn := overlapProbes(prefixes, mobiles)
	probe := t.probeTable()
	var parts []string
	var args []any
	for _, src := range []struct {
		table, owner      string
		cols, owners, key string
		cond              string
		condArgs          []any
	}{
		{"items", "application_id",
			`a.account_id, COALESCE(a.operator_id, '') AS operator_id, a.id AS application_id, a.state, '' AS registration`, "applications a", "a.id",
			`a.id <> ? AND ((a.state || '') IN ` + pendingStates + ` OR ` + appealedRejection + `)`, []any{exceptApplication}},
		{"registration_items", "registration_number",
			`r.account_id, r.operator_id, r.application_id, 'approved' AS state, r.number AS registration`, "registrations r", "r.number",
			`(r.status || '') = 'active' AND r.application_id <> ? AND ` + notChanged(`('renewal', 'amendment')`), []any{exceptApplication, exceptApplication}},
	} {
		for _, k := range []struct {
			kind   string
			probes []overlapProbe
		}{{"ip", ip}, {"msisdn", msisdn}} {
			if len(k.probes) == 0 {
				continue
			}
			b, err := json.Marshal(k.probes)
			if err != nil {
				return "", nil, fmt.Errorf("overlaps: %w", err)
			}
			search := `i.kind = '` + k.kind + `' AND i.first_key >= p.lo AND i.first_key <= p.hi AND i.last_key >= p.r`
			if t.d.numbered {
				parts = append(parts, `SELECT p.n, i.position, i.value, o.* FROM (`+probe+`) p
					CROSS JOIN LATERAL (SELECT i.`+src.owner+` AS owner, i.position, i.value FROM `+src.table+` i WHERE `+search+` OFFSET 0) i
					CROSS JOIN LATERAL (SELECT `+src.cols+` FROM `+src.owners+` WHERE `+src.key+` = i.owner AND `+src.cond+` OFFSET 0) o`)
			} else {
				// SQLite has no LATERAL: the searches' WHERE is the
				// joins', and CROSS JOIN keeps the probes the outer loop
				// and the owners the inner.
				parts = append(parts, `SELECT p.n, i.position, i.value, `+src.cols+` FROM (`+probe+`) p
					CROSS JOIN (SELECT `+src.owner+` AS owner, position, value, kind, first_key, last_key FROM `+src.table+`) i
					CROSS JOIN `+src.owners+` WHERE `+search+` AND `+src.key+` = i.owner AND `+src.cond)
			}
			args = append(args, string(b))
			args = append(args, src.condArgs...)
		}
	}
	return strings.Join(parts, " UNION ALL "), args, nil
}

func (t *tx) HeldItems(ctx context.Context, accountID, exceptApplication string) (int, error) {
	var n int
	// An account holds a handful of applications and registrations, found
	// by its own index; state and status are compared as expressions
	// (|| '') so that no planner combines that index with the queue's or
	// the expiry's (PostgreSQL did, a BitmapAnd reading every pending
	// application's entry, dead versions included: 8 ms a submission at
	// 20,000 applications, where the account's index alone takes 0.1 ms).
	err := t.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM items i JOIN applications a ON a.id = i.application_id
			WHERE a.account_id = ? AND a.id <> ? AND (a.state || '') IN `+pendingStates+`) +
		(SELECT COUNT(*) FROM registration_items i JOIN registrations r ON r.number = i.registration_number
			WHERE r.account_id = ? AND (r.status || '') = 'active' AND `+notChanged(`('renewal')`)+`)`,
		accountID, exceptApplication, accountID, exceptApplication).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("held items: %w", err)
	}
	return n, nil
}

// FixAppealDeadlines implements registry.Tx: rejected applications whose
// appeal deadline was never written (rejected before migration 0014) get
// decided_at plus days.
func (t *tx) FixAppealDeadlines(ctx context.Context, days int) (int, error) {
	rows, err := t.query(ctx, `SELECT id, decided_at FROM applications WHERE state = ? AND appeal_by = '' AND decided_at <> ''`, registry.StateRejected)
	if err != nil {
		return 0, fmt.Errorf("fix appeal deadlines: %w", err)
	}
	type row struct{ id, decided string }
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.decided); err != nil {
			rows.Close()
			return 0, fmt.Errorf("fix appeal deadlines: %w", err)
		}
		rs = append(rs, r)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, fmt.Errorf("fix appeal deadlines: %w", err)
	}
	for _, r := range rs {
		if _, err := t.exec(ctx, `UPDATE applications SET appeal_by = ? WHERE id = ? AND appeal_by = ''`,
			tm(parseTime(r.decided).AddDate(0, 0, days)), r.id); err != nil {
			return 0, fmt.Errorf("fix appeal deadlines: %w", err)
		}
	}
	return len(rs), nil
}
