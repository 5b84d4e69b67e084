package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/ipreg/ipreg/internal/netpolicy"
	"github.com/ipreg/ipreg/internal/store"
)

// Seeded says what SeedApplications wrote: counts per table, a few
// application IDs for benchmarks to read, and how long it took.
type Seeded struct {
	Accounts, Applications, Items, Registrations, Events, Documents, Checks int
	ByState                                                                 map[string]int
	// Review and Decided are IDs of applications in review and approved,
	// spread over the seed (at most 64 each).
	Review, Decided []string
	Took            time.Duration
}

// seed shares of an application's state, in per mille: most of a registry
// that has run for two years is decided; a working backlog waits.
var seedStates = []struct {
	state    string
	perMille int
}{
	{"approved", 760}, {"rejected", 90}, {"withdrawn", 40}, {"draft", 40},
	{"operator_check", 20}, {"review", 40}, {"returned", 10},
}

// seedCategories: category, per mille, whether its items are mobile numbers.
var seedCategories = []struct {
	cat      string
	perMille int
	mobile   bool
}{
	{"company_vpn", 450, false}, {"freelancer_vpn", 300, false}, {"call_center", 80, false},
	{"video_conferencing", 40, false}, {"mobile_vpn", 130, true},
}

// seedItemCounts: per mille of applications with 1, 2, … 8 items.
var seedItemCounts = []int{350, 200, 120, 100, 80, 60, 50, 40}

// Pakistani blocks items are drawn from (PTCL, Nayatel, Wateen, …), as /32
// and /29 prefixes counted through them.
var seedBlocks = []netip.Prefix{
	netip.MustParsePrefix("39.32.0.0/11"), netip.MustParsePrefix("182.176.0.0/12"),
	netip.MustParsePrefix("119.152.0.0/13"), netip.MustParsePrefix("110.36.0.0/14"),
}

func pick[T any](r *rand.Rand, xs []T, weight func(T) int) T {
	n := r.IntN(1000)
	for _, x := range xs {
		if n -= weight(x); n < 0 {
			return x
		}
	}
	return xs[len(xs)-1]
}

// SeedApplications writes n applications straight into the migrated,
// empty-of-applications database at dsn (a DSN from DSN), in the store's own
// schema, as a registry that has run for two years would hold them: states
// by seedStates (most decided, some thousands per million in review), 1–8
// items each (addresses in Pakistani space, mobile numbers for mobile_vpn),
// spread over the operators already in the database (EnsureDemo's) and every
// category, one account per four applications, a registration with its
// items for each approval, and the submission and decision events. It is
// deterministic for a given n and now. It uses COPY on PostgreSQL and
// prepared multi-row INSERTs in one transaction on SQLite, with the seeded
// tables' secondary indexes built after the rows (see bulk), so a million
// takes minutes (seed times in BENCHMARKS.md). Applications submitted in the last two weeks are pending; their
// SLA due times fall on both sides of now.
func SeedApplications(tb testing.TB, dsn string, n int, now time.Time) Seeded {
	tb.Helper()
	start := time.Now()
	ctx := context.Background()
	pg := store.IsPostgres(dsn)
	db, err := openRaw(dsn)
	if err != nil {
		tb.Fatalf("seed: open: %v", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	type op struct{ id, kind string }
	var fixed, mobile []op
	rows, err := db.QueryContext(ctx, `SELECT id, kind FROM operators ORDER BY id`)
	if err != nil {
		tb.Fatalf("seed: operators: %v", err)
	}
	for rows.Next() {
		var o op
		if err := rows.Scan(&o.id, &o.kind); err != nil {
			tb.Fatalf("seed: operators: %v", err)
		}
		if o.kind == "mobile" {
			mobile = append(mobile, o)
		} else {
			fixed = append(fixed, o)
		}
	}
	rows.Close()
	if len(fixed) == 0 || len(mobile) == 0 {
		tb.Fatalf("seed: the database needs fixed and mobile operators first (EnsureDemo makes them)")
	}

	w, err := newBulk(ctx, db, pg)
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
	r := rand.New(rand.NewPCG(uint64(n), 14))
	id := func(prefix string) string {
		const abc = "abcdefghijklmnopqrstuvwxyz234567"
		b := make([]byte, 16)
		for i := range b {
			b[i] = abc[r.IntN(32)]
		}
		return prefix + "_" + string(b)
	}
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
	out := Seeded{ByState: map[string]int{}}
	const perAccount = 4
	var accounts []string
	var accountNames []string
	var ipCounter uint64
	var serial int
	two := 2 * 365 * 24 * time.Hour
	for i := 0; i < n; i++ {
		if i%perAccount == 0 {
			acc := id("acc")
			kind := "company"
			if r.IntN(10) < 4 {
				kind = "individual"
			}
			name := fmt.Sprintf("Seed %s %d", []string{"Traders", "Software House", "Call Centre", "Freelancer", "Bank"}[r.IntN(5)], len(accounts)+1)
			created := now.Add(-two - time.Duration(r.Int64N(int64(24*time.Hour))))
			if err := w.row("accounts", []string{"id", "kind", "name", "cnic", "mobile", "ntn", "created_at", "identity_key"},
				acc, kind, name, fmt.Sprintf("35202-%07d-1", len(accounts)), fmt.Sprintf("9230%08d", len(accounts)),
				fmt.Sprintf("%07d", len(accounts)), ts(created), fmt.Sprintf("seed:%d", len(accounts))); err != nil {
				tb.Fatalf("seed: %v", err)
			}
			accounts, accountNames = append(accounts, acc), append(accountNames, name)
			out.Accounts++
		}
		acc := accounts[len(accounts)-1]
		st := pick(r, seedStates, func(s struct {
			state    string
			perMille int
		}) int {
			return s.perMille
		}).state
		cat := pick(r, seedCategories, func(c struct {
			cat      string
			perMille int
			mobile   bool
		}) int {
			return c.perMille
		})
		o := fixed[r.IntN(len(fixed))]
		if cat.mobile {
			o = mobile[r.IntN(len(mobile))]
		}
		nItems := 1 + pickIndex(r, seedItemCounts)
		appID := id("app")
		var created, submitted, due, decided time.Time
		switch st {
		case "approved", "rejected", "withdrawn":
			created = now.Add(-two + time.Duration(r.Int64N(int64(two-14*24*time.Hour))))
			submitted = created.Add(time.Duration(r.Int64N(int64(48 * time.Hour))))
			due = submitted.Add(8 * time.Hour)
			decided = submitted.Add(time.Duration(r.Int64N(int64(72 * time.Hour))))
		case "draft":
			created = now.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
		default:
			// The backlog: submitted over the last two weeks, so that its
			// due times fall on both sides of now.
			created = now.Add(-time.Duration(r.Int64N(int64(14 * 24 * time.Hour))))
			submitted = created.Add(time.Duration(r.Int64N(int64(6 * time.Hour))))
			due = submitted.Add(8 * time.Hour)
		}
		if submitted.After(now) {
			submitted = now
		}
		flags := "[]"
		if st == "review" || st == "approved" || st == "rejected" {
			switch r.IntN(10) {
			case 0:
				flags = `[{"code":"outside_operator_space","detail":"an address is outside the operator's address space"}]`
			case 1:
				flags = `[{"code":"operator_unanswered","detail":"the operator did not answer by the deadline"}]`
			}
		}
		reg, reason := "", ""
		if st == "approved" {
			serial++
			reg = fmt.Sprintf("VPN-%d-%06d", decided.Year(), serial)
		}
		if st == "rejected" {
			reason = "documents_invalid"
		}
		updated := created
		for _, t := range []time.Time{submitted, decided} {
			if t.After(updated) {
				updated = t
			}
		}
		if err := w.row("applications", []string{"id", "account_id", "category", "operator_id", "subscriber_id", "vpn_protocol",
			"vpn_endpoints", "purpose", "state", "flags", "reason_code", "registration", "created_at", "updated_at",
			"submitted_at", "sla_due_at", "decided_at"},
			appID, acc, cat.cat, o.id, fmt.Sprintf("%s-%08d", strings.ToUpper(o.id), i), "wireguard",
			`["vpn.example.pk:51820"]`, "Staff reach the office network from home.", st, flags, reason, reg,
			ts(created), ts(updated), tmOrEmpty(ts, submitted), tmOrEmpty(ts, due), tmOrEmpty(ts, decided)); err != nil {
			tb.Fatalf("seed: %v", err)
		}
		out.Applications++
		out.ByState[st]++
		type item struct{ kind, value, first, last string }
		items := make([]item, nItems)
		for j := range items {
			if cat.mobile {
				m := fmt.Sprintf("923%09d", r.IntN(1_000_000_000))
				items[j] = item{"msisdn", m, m, m}
				continue
			}
			bits := 32
			if r.IntN(4) == 0 {
				bits = 29
			}
			p := seedPrefix(ipCounter, bits)
			ipCounter += 8
			first, last := netpolicy.RangeKey(p)
			items[j] = item{"ip", p.String(), first, last}
		}
		for j, it := range items {
			if err := w.row("items", []string{"application_id", "position", "kind", "value", "first_key", "last_key"},
				appID, j, it.kind, it.value, it.first, it.last); err != nil {
				tb.Fatalf("seed: %v", err)
			}
			out.Items++
		}
		if st == "approved" {
			until := decided.AddDate(1, 0, 0)
			status := "active"
			if until.Before(now) {
				status = "expired"
			}
			if err := w.row("registrations", []string{"number", "application_id", "account_id", "category", "operator_id",
				"status", "valid_from", "valid_until", "verification_code", "created_at", "issued_at"},
				reg, appID, acc, cat.cat, o.id, status, ts(decided), ts(until), strings.ToUpper(id("v")[2:12]), ts(decided), ts(decided)); err != nil {
				tb.Fatalf("seed: %v", err)
			}
			out.Registrations++
			for j, it := range items {
				if err := w.row("registration_items", []string{"registration_number", "position", "kind", "value", "first_key", "last_key"},
					reg, j, it.kind, it.value, it.first, it.last); err != nil {
					tb.Fatalf("seed: %v", err)
				}
			}
		}
		if !submitted.IsZero() {
			// The documents every category needs (their files are not
			// written: the pages list documents, they do not open them)
			// and the operator's check, answered for all but the backlog.
			for _, k := range []string{"cnic_front", "cnic_back", "authentication"} {
				if err := w.row("documents", []string{"id", "application_id", "kind", "filename", "content_type", "size", "sha256",
					"uploaded_at", "uploaded_by"},
					id("doc"), appID, k, k+".jpg", "image/jpeg", 1_800_000+r.IntN(600_000), strings.Repeat("0", 64),
					ts(created), ""); err != nil {
					tb.Fatalf("seed: %v", err)
				}
				out.Documents++
			}
			state, answered := "confirmed", ts(submitted.Add(2*time.Hour))
			if st == "operator_check" {
				state, answered = "pending", ""
			}
			if err := w.row("checks", []string{"id", "application_id", "operator_id", "state", "due_at", "created_at", "answered_at",
				"category", "subscriber_id", "holder_name"},
				id("chk"), appID, o.id, state, ts(submitted.Add(72*time.Hour)), ts(submitted), answered,
				cat.cat, fmt.Sprintf("%s-%08d", strings.ToUpper(o.id), i), accountNames[len(accountNames)-1]); err != nil {
				tb.Fatalf("seed: %v", err)
			}
			out.Checks++
		}
		events := []struct {
			at  time.Time
			typ string
		}{{created, "created"}}
		if !submitted.IsZero() {
			events = append(events, struct {
				at  time.Time
				typ string
			}{submitted, "submitted"})
		}
		if !decided.IsZero() {
			events = append(events, struct {
				at  time.Time
				typ string
			}{decided, st})
		}
		for k, e := range events {
			if err := w.row("events", []string{"application_id", "seq", "at", "actor_id", "actor_role", "type"},
				appID, k+1, ts(e.at), "", "", e.typ); err != nil {
				tb.Fatalf("seed: %v", err)
			}
			out.Events++
		}
		// Samples spread evenly over the seed: every stride-th of a state.
		stride := func(perMille int) int { return max(1, n*perMille/1000/64) }
		if st == "review" && len(out.Review) < 64 && (out.ByState[st]-1)%stride(40) == 0 {
			out.Review = append(out.Review, appID)
		}
		if st == "approved" && len(out.Decided) < 64 && (out.ByState[st]-1)%stride(760) == 0 {
			out.Decided = append(out.Decided, appID)
		}
	}
	if err := w.close(); err != nil {
		tb.Fatalf("seed: %v", err)
	}
	// Fresh statistics, as a database that has run for two years has: the
	// planner of either database chooses by them.
	analyze := "ANALYZE"
	if _, err := db.ExecContext(ctx, analyze); err != nil {
		tb.Fatalf("seed: analyze: %v", err)
	}
	if len(out.Review) == 0 || len(out.Decided) == 0 {
		tb.Fatalf("seed: %d applications hold no sample in review or approved; seed at least 1000", n)
	}
	out.Took = time.Since(start)
	return out
}

// openRaw opens dsn with database/sql alone, for the seed's own schema-level
// writes (and the test that checks what it leaves).
func openRaw(dsn string) (*sql.DB, error) {
	if store.IsPostgres(dsn) {
		return sql.Open("pgx", dsn)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(OFF)")
	return sql.Open("sqlite", "file:"+strings.TrimPrefix(dsn, "sqlite://")+"?"+q.Encode())
}

func tmOrEmpty(ts func(time.Time) string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ts(t)
}

func pickIndex(r *rand.Rand, perMille []int) int {
	n := r.IntN(1000)
	for i, w := range perMille {
		if n -= w; n < 0 {
			return i
		}
	}
	return len(perMille) - 1
}

// seedPrefix is the c-th address counted through seedBlocks (wrapping), as
// a prefix of bits.
func seedPrefix(c uint64, bits int) netip.Prefix {
	var total uint64
	for _, b := range seedBlocks {
		total += 1 << (32 - b.Bits())
	}
	c %= total
	for _, b := range seedBlocks {
		size := uint64(1) << (32 - b.Bits())
		if c < size {
			a := b.Addr().As4()
			v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
			v += uint32(c)
			p, _ := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).Prefix(bits)
			return p
		}
		c -= size
	}
	panic("unreachable")
}

// bulk buffers rows per table and writes them in batches: COPY on
// PostgreSQL, multi-row INSERTs through prepared statements inside one
// transaction on SQLite. It is a loader for a throwaway test database, and
// takes the shortcuts a loader may (profiled in BENCHMARKS.md, "Reviewer
// pages with 1,000,000 applications"): the seeded tables' secondary indexes
// are dropped first and built again from their own definitions once the rows
// are in (a sorted build, not a million random inserts); PostgreSQL's session
// skips the foreign-key triggers (session_replication_role = replica: the
// seed writes parents before children by construction) and commits without
// waiting for the WAL flush; SQLite's connection gets a 1 GiB page cache.
type bulk struct {
	ctx  context.Context
	pg   bool
	conn *sql.Conn
	tx   *sql.Tx
	cols map[string][]string
	buf  map[string][][]any
	// stmts holds SQLite's prepared INSERTs by table and row count: every
	// full chunk of a table reuses one statement, so SQLite parses and
	// plans it once, not once per chunk.
	stmts map[string]*sql.Stmt
	// order keeps parents before children, for the foreign keys.
	order []string
	// indexes are the dropped secondary indexes' names and definitions,
	// built again by close.
	indexes [][2]string
}

func newBulk(ctx context.Context, db *sql.DB, pg bool) (*bulk, error) {
	b := &bulk{ctx: ctx, pg: pg, cols: map[string][]string{}, buf: map[string][][]any{}, stmts: map[string]*sql.Stmt{},
		order: []string{"accounts", "applications", "items", "registrations", "registration_items", "events", "documents", "checks"}}
	var err error
	if b.conn, err = db.Conn(ctx); err != nil {
		return nil, err
	}
	session := []string{"PRAGMA cache_size = -1048576", "PRAGMA temp_store = MEMORY"}
	if pg {
		session = []string{"SET synchronous_commit = off", "SET session_replication_role = replica",
			"SET maintenance_work_mem = '512MB'"}
	}
	for _, q := range session {
		if _, err := b.conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	if b.indexes, err = secondaryIndexes(ctx, b.conn, pg, b.order); err != nil {
		return nil, err
	}
	for _, ix := range b.indexes {
		if _, err := b.conn.ExecContext(ctx, `DROP INDEX "`+ix[0]+`"`); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", ix[0], err)
		}
	}
	if !pg {
		if b.tx, err = b.conn.BeginTx(ctx, nil); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// secondaryIndexes lists the indexes of tables that back no constraint, by
// name, as [name, CREATE INDEX statement]: the ones a loader may drop and
// build again. Primary keys and UNIQUE constraints stay (PostgreSQL would
// drop the constraint with its index; SQLite's automatic indexes have no
// statement).
func secondaryIndexes(ctx context.Context, c *sql.Conn, pg bool, tables []string) ([][2]string, error) {
	list := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN (SELECT value FROM json_each(?)) ORDER BY name`
	var arg any
	if pg {
		list = `SELECT ci.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
			JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
			WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1)
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
			ORDER BY ci.relname`
		arg = tables
	} else {
		j, _ := json.Marshal(tables)
		arg = string(j)
	}
	rows, err := c.QueryContext(ctx, list, arg)
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var ix [2]string
		if err := rows.Scan(&ix[0], &ix[1]); err != nil {
			return nil, fmt.Errorf("list indexes: %w", err)
		}
		out = append(out, ix)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	return out, nil
}

// bulkBatch rows of a table are buffered before the tables are written:
// one COPY each on PostgreSQL.
const bulkBatch = 50000

func (b *bulk) row(table string, cols []string, vals ...any) error {
	b.cols[table] = cols
	b.buf[table] = append(b.buf[table], vals)
	if len(b.buf[table]) >= bulkBatch {
		// Flush every table up to this one, parents first.
		return b.flush()
	}
	return nil
}

func (b *bulk) flush() error {
	for _, t := range b.order {
		if err := b.write(t); err != nil {
			return err
		}
	}
	return nil
}

func (b *bulk) write(table string) error {
	rows, cols := b.buf[table], b.cols[table]
	if len(rows) == 0 {
		return nil
	}
	b.buf[table] = rows[:0]
	if b.pg {
		return b.conn.Raw(func(dc any) error {
			c := dc.(*stdlib.Conn).Conn()
			_, err := c.CopyFrom(b.ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
			if err != nil {
				return fmt.Errorf("copy %s: %w", table, err)
			}
			return nil
		})
	}
	// SQLite allows 32766 parameters a statement.
	per := 32000 / len(cols)
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	args := make([]any, 0, per*len(cols))
	for len(rows) > 0 {
		k := min(per, len(rows))
		args = args[:0]
		for _, r := range rows[:k] {
			args = append(args, r...)
		}
		key := fmt.Sprintf("%s/%d", table, k)
		st := b.stmts[key]
		if st == nil {
			var err error
			st, err = b.tx.PrepareContext(b.ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES "+
				strings.TrimSuffix(strings.Repeat(one+", ", k), ", "))
			if err != nil {
				return fmt.Errorf("prepare insert %s: %w", table, err)
			}
			b.stmts[key] = st
		}
		if _, err := st.ExecContext(b.ctx, args...); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
		rows = rows[k:]
	}
	return nil
}

// close writes what is buffered, commits and builds the dropped indexes
// again (after the rows, so each is one sorted build).
func (b *bulk) close() error {
	defer b.conn.Close()
	err := b.flush()
	for _, st := range b.stmts {
		st.Close()
	}
	if b.tx != nil {
		if err != nil {
			b.tx.Rollback()
			return err
		}
		if err := b.tx.Commit(); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	for _, ix := range b.indexes {
		if _, err := b.conn.ExecContext(b.ctx, ix[1]); err != nil {
			return fmt.Errorf("create index %s again: %w", ix[0], err)
		}
	}
	return nil
}
