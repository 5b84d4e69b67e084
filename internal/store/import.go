package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"strings"

	"github.com/ipreg/ipreg/internal/netpolicy"
	"github.com/ipreg/ipreg/internal/registry"
)

// The bulk reads and writes of an import (registry.ImportRegistrations):
// a statement per table rather than per row, so that 31,000 registrations
// need no round trip each (BENCHMARKS.md, "Import").

// bulkParams is the most parameters one INSERT carries on SQLite: below
// its limit of 32,766.
const bulkParams = 30000

// bulkInsert inserts rows into table's cols. On SQLite, as many rows a
// statement as bulkParams allows; on PostgreSQL, arrayRows rows a
// statement as one array per column (bulkInsertArrays).
func (t *tx) bulkInsert(ctx context.Context, table, cols string, width int, rows [][]any) error {
	return t.bulkInsertOn(ctx, table, cols, width, rows, "")
}

// bulkInsertOn is bulkInsert with an ON CONFLICT clause (conflict, "" for
// none) after each statement's rows.
func (t *tx) bulkInsertOn(ctx context.Context, table, cols string, width int, rows [][]any, conflict string) error {
	if t.d == postgresDialect {
		return t.bulkInsertArrays(ctx, table, cols, width, rows, conflict)
	}
	per := bulkParams / width
	one := "(" + placeholders(width) + ")"
	for len(rows) > 0 {
		n := min(per, len(rows))
		args := make([]any, 0, n*width)
		vals := make([]string, n)
		for i, r := range rows[:n] {
			args = append(args, r...)
			vals[i] = one
		}
		if _, err := t.exec(ctx, `INSERT INTO `+table+` (`+cols+`) VALUES `+strings.Join(vals, ", ")+conflict, args...); err != nil {
			return fmt.Errorf("import into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}

// arrayRows is how many rows one INSERT … unnest carries on PostgreSQL:
// enough that a table of an import's size takes a few statements, few
// enough that one statement's arrays stay a few megabytes.
const arrayRows = 25000

// bulkInsertArrays is bulkInsert on PostgreSQL: each column's values go as
// one array parameter, and the server unnests them into rows,
//
//	INSERT INTO t (a, b) SELECT * FROM unnest($1::text[], $2::bigint[])
//
// a short statement that pgx prepares once per connection. Multi-row
// VALUES of up to 30,000 parameters were a new statement text for the
// server to parse, plan and bind for every chunk (5,000 rows each).
// Values are strings (or string types), integers, or nil for NULL
// (nullable); a column holding any string is text, else bigint, which
// INSERT casts to the column's INTEGER where the column is one.
func (t *tx) bulkInsertArrays(ctx context.Context, table, cols string, width int, rows [][]any, conflict string) error {
	for len(rows) > 0 {
		n := min(arrayRows, len(rows))
		args, casts, err := columnArrays(rows[:n], width)
		if err != nil {
			return fmt.Errorf("import into %s: %w", table, err)
		}
		if _, err := t.exec(ctx, `INSERT INTO `+table+` (`+cols+`) SELECT * FROM unnest(`+strings.Join(casts, ", ")+`)`+conflict, args...); err != nil {
			return fmt.Errorf("import into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}

// columnArrays turns rows of width values into one array per column:
// []string for text ([]*string when a value is nil, which pgx sends as
// NULL), []int64 for integers; casts are the parameters' placeholders
// with their array types.
func columnArrays(rows [][]any, width int) (args []any, casts []string, err error) {
	for c := 0; c < width; c++ {
		var texts []*string
		var ints []int64
		nulls := false
		for _, r := range rows {
			switch v := reflect.ValueOf(r[c]); {
			case !v.IsValid():
				nulls = true
				texts = append(texts, nil)
			case v.Kind() == reflect.String:
				s := v.String()
				texts = append(texts, &s)
			case v.CanInt():
				ints = append(ints, v.Int())
			default:
				return nil, nil, fmt.Errorf("column %d: a %T cannot go into an array", c+1, r[c])
			}
		}
		switch {
		case len(ints) == len(rows):
			args, casts = append(args, ints), append(casts, "?::bigint[]")
		case len(ints) > 0:
			return nil, nil, fmt.Errorf("column %d mixes integers and text", c+1)
		case nulls:
			args, casts = append(args, texts), append(casts, "?::text[]")
		default:
			plain := make([]string, len(texts))
			for i, s := range texts {
				plain[i] = *s
			}
			args, casts = append(args, plain), append(casts, "?::text[]")
		}
	}
	return args, casts, nil
}

// ImportDirectory implements registry.Tx.
func (t *tx) ImportDirectory(ctx context.Context) (map[string]*registry.User, map[string]*registry.Account, error) {
	users := map[string]*registry.User{}
	rows, err := t.query(ctx, `SELECT u.id, u.email, u.role, COALESCE(u.account_id, ''), u.email_verified_at,
		CASE WHEN EXISTS (SELECT 1 FROM invitations i WHERE i.user_id = u.id)
			OR EXISTS (SELECT 1 FROM registrations r WHERE r.account_id = u.account_id AND r.import_key IS NOT NULL) THEN 1 ELSE 0 END FROM users u`)
	if err != nil {
		return nil, nil, fmt.Errorf("import directory: %w", err)
	}
	for rows.Next() {
		u := &registry.User{}
		var verified string
		var imported int
		if err := rows.Scan(&u.ID, &u.Email, &u.Role, &u.AccountID, &verified, &imported); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("import directory: %w", err)
		}
		u.EmailVerifiedAt, u.Imported = parseTime(verified), imported == 1
		users[u.Email] = u
	}
	if err := closeRows(rows); err != nil {
		return nil, nil, fmt.Errorf("import directory: %w", err)
	}
	accounts := map[string]*registry.Account{}
	rows, err = t.query(ctx, `SELECT id, kind, name, cnic, mobile, ntn FROM accounts`)
	if err != nil {
		return nil, nil, fmt.Errorf("import directory: %w", err)
	}
	for rows.Next() {
		a := &registry.Account{}
		if err := rows.Scan(&a.ID, &a.Kind, &a.Name, &a.CNIC, &a.Mobile, &a.NTN); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("import directory: %w", err)
		}
		accounts[a.ID] = a
	}
	if err := closeRows(rows); err != nil {
		return nil, nil, fmt.Errorf("import directory: %w", err)
	}
	return users, accounts, nil
}

func closeRows(rows interface {
	Err() error
	Close() error
}) error {
	err := rows.Err()
	rows.Close()
	return err
}

// ImportedRegistrations implements registry.Tx.
func (t *tx) ImportedRegistrations(ctx context.Context) (map[string]*registry.ImportedRegistration, error) {
	out := map[string]*registry.ImportedRegistration{}
	byNumber := map[string]*registry.ImportedRegistration{}
	rows, err := t.query(ctx, `SELECT r.import_key, r.number, r.account_id, r.category, r.operator_id, r.status, r.valid_from, r.valid_until,
		acc.name, a.subscriber_id FROM registrations r JOIN accounts acc ON acc.id = r.account_id JOIN applications a ON a.id = r.application_id
		WHERE r.import_key IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("imported registrations: %w", err)
	}
	for rows.Next() {
		var key, from, until string
		r := &registry.ImportedRegistration{}
		if err := rows.Scan(&key, &r.Number, &r.AccountID, &r.Category, &r.OperatorID, &r.Status, &from, &until, &r.HolderName, &r.SubscriberID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("imported registrations: %w", err)
		}
		r.ValidFrom, r.ValidUntil = parseTime(from), parseTime(until)
		out[key], byNumber[r.Number] = r, r
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("imported registrations: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	// An approved amendment or renewal changes the subscriber ID: the
	// last one's is the registration's (as lastApplication reads it).
	// One statement for all, not one per registration.
	rows, err = t.query(ctx, `SELECT for_registration, subscriber_id FROM applications
		WHERE for_registration <> '' AND state = 'approved' ORDER BY decided_at, id`)
	if err != nil {
		return nil, fmt.Errorf("imported registrations: %w", err)
	}
	for rows.Next() {
		var number, sub string
		if err := rows.Scan(&number, &sub); err != nil {
			rows.Close()
			return nil, fmt.Errorf("imported registrations: %w", err)
		}
		if r := byNumber[number]; r != nil {
			r.SubscriberID = sub
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("imported registrations: %w", err)
	}
	rows, err = t.query(ctx, `SELECT i.registration_number, i.kind, i.value FROM registration_items i
		JOIN registrations r ON r.number = i.registration_number WHERE r.import_key IS NOT NULL ORDER BY i.registration_number, i.position`)
	if err != nil {
		return nil, fmt.Errorf("imported registrations: %w", err)
	}
	for rows.Next() {
		var number, kind, value string
		if err := rows.Scan(&number, &kind, &value); err != nil {
			rows.Close()
			return nil, fmt.Errorf("imported registrations: %w", err)
		}
		r := byNumber[number]
		if kind == "msisdn" {
			r.MobileNumbers = append(r.MobileNumbers, value)
			continue
		}
		p, err := netip.ParsePrefix(value)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("imported registrations: %w", err)
		}
		r.Addresses = append(r.Addresses, p)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("imported registrations: %w", err)
	}
	return out, nil
}

// LiveItems implements registry.Tx.
func (t *tx) LiveItems(ctx context.Context) ([]registry.LiveItem, error) {
	rows, err := t.query(ctx, `SELECT i.kind, i.value, i.first_key, i.last_key, r.account_id, r.number, r.application_id
		FROM registration_items i JOIN registrations r ON r.number = i.registration_number WHERE r.status = 'active'
		UNION ALL
		SELECT i.kind, i.value, i.first_key, i.last_key, a.account_id, '', a.id
		FROM items i JOIN applications a ON a.id = i.application_id WHERE a.state IN `+pendingStates)
	if err != nil {
		return nil, fmt.Errorf("live items: %w", err)
	}
	var out []registry.LiveItem
	for rows.Next() {
		var li registry.LiveItem
		if err := rows.Scan(&li.Kind, &li.Value, &li.First, &li.Last, &li.AccountID, &li.Registration, &li.ApplicationID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("live items: %w", err)
		}
		out = append(out, li)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("live items: %w", err)
	}
	return out, nil
}

// ReserveSerials implements registry.Tx.
func (t *tx) ReserveSerials(ctx context.Context, name string, n int) (int64, error) {
	if _, err := t.exec(ctx, `INSERT INTO serials (name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING`, name); err != nil {
		return 0, fmt.Errorf("reserve serials %s: %w", name, err)
	}
	var v int64
	if err := t.queryRow(ctx, `UPDATE serials SET value = value + ? WHERE name = ? RETURNING value`, n, name).Scan(&v); err != nil {
		return 0, fmt.Errorf("reserve serials %s: %w", name, err)
	}
	return v - int64(n) + 1, nil
}

// InsertImport implements registry.Tx.
func (t *tx) InsertImport(ctx context.Context, b *registry.ImportBatch) error {
	var rows [][]any
	for _, a := range b.Accounts {
		rows = append(rows, []any{a.ID, a.Kind, a.Name, a.CNIC, a.Mobile, a.NTN, a.SECPNumber, a.PSEBNumber, tm(a.CreatedAt), nullable(a.IdentityKey())})
	}
	if err := t.bulkInsert(ctx, "accounts", "id, kind, name, cnic, mobile, ntn, secp_number, pseb_number, created_at, identity_key", 10, rows); err != nil {
		if isUnique(err) {
			// Most likely another import of the same file, run at the
			// same time, created the holder first (tester t3, minor 4).
			return registry.Errorf(registry.ECONFLICT, "an account with one of the import's CNICs or NTNs was created meanwhile, most likely by another import of this file running at the same time; nothing of this import was written: run it again (a re-run is safe: it reports what the other import created as unchanged)")
		}
		return err
	}
	rows = rows[:0]
	for _, u := range b.Users {
		rows = append(rows, []any{u.ID, u.Email, u.Role, nullable(u.AccountID), nullable(u.OperatorID), u.PasswordHash, boolInt(u.Disabled), tm(u.CreatedAt),
			userLang(u.Lang), tm(u.EmailVerifiedAt), boolInt(u.MadeInDemo)})
	}
	if err := t.bulkInsert(ctx, "users", "id, email, role, account_id, operator_id, password_hash, disabled, created_at, lang, email_verified_at, made_in_demo", 11, rows); err != nil {
		if isUnique(err) {
			return registry.Errorf(registry.ECONFLICT, "a user with one of the import's e-mail addresses was created meanwhile, most likely by another import of this file running at the same time; nothing of this import was written: run it again (a re-run is safe: it reports what the other import created as unchanged)")
		}
		return err
	}
	rows = rows[:0]
	var items [][]any
	for _, a := range b.Applications {
		args, err := appArgs(a)
		if err != nil {
			return fmt.Errorf("import applications: %w", err)
		}
		rows = append(rows, append([]any{a.ID, a.AccountID, tm(a.CreatedAt)}, args...))
		items = appendItemRows(items, a.ID, a)
	}
	if len(rows) > 0 {
		if err := t.bulkInsert(ctx, "applications", `id, account_id, created_at, kind, for_registration, given_up, category, operator_id, subscriber_id,
		vpn_protocol, vpn_endpoints, purpose, payment_reference, state, flags, fee_due, fee_amount_pkr, fee_reason,
		return_note, reason_code, decision_note, registration, checked_items, updated_at, submitted_at, sla_due_at, decided_at, appeal_by`, len(rows[0]), rows); err != nil {
			return err
		}
	}
	if err := t.bulkInsert(ctx, "items", "application_id, position, kind, value, first_key, last_key", 6, items); err != nil {
		return err
	}
	rows, items = rows[:0], items[:0]
	for i, r := range b.Registrations {
		rows = append(rows, []any{r.Number, r.ApplicationID, r.AccountID, r.Category, r.OperatorID, r.Status, tm(r.ValidFrom), tm(r.ValidUntil),
			r.VerificationCode, tm(r.CreatedAt), tm(r.EndedAt), r.EndReason, tm(r.IssuedAt), b.ImportKeys[i]})
		items = appendItemRows(items, r.Number, &registry.Application{Addresses: r.Addresses, MobileNumbers: r.MobileNumbers})
	}
	if err := t.bulkInsert(ctx, "registrations", `number, application_id, account_id, category, operator_id, status,
		valid_from, valid_until, verification_code, created_at, ended_at, end_reason, issued_at, import_key`, 14, rows); err != nil {
		if isUnique(err) {
			return registry.Errorf(registry.ECONFLICT, "another import of the same rows finished meanwhile; run the import again to see what is left")
		}
		return err
	}
	if err := t.bulkInsert(ctx, "registration_items", "registration_number, position, kind, value, first_key, last_key", 6, items); err != nil {
		return err
	}
	rows = rows[:0]
	for _, e := range b.Events {
		rows = append(rows, []any{e.ApplicationID, 1, tm(e.At), e.ActorID, e.ActorRole, e.Type, e.Note})
	}
	if err := t.bulkInsert(ctx, "events", "application_id, seq, at, actor_id, actor_role, type, note", 7, rows); err != nil {
		return err
	}
	// The new users' invitations, and their e-mails: new rows for users
	// made just now, so plain inserts (PutInvitation's renewal and
	// EnqueueMessage's ON CONFLICT have nothing to meet here; a clash
	// fails the import).
	rows = rows[:0]
	for _, inv := range b.Invitations {
		rows = append(rows, []any{inv.ID, inv.UserID, inv.Hash, inv.InvitedBy, boolInt(inv.Mailed), tm(inv.CreatedAt), tm(inv.ExpiresAt), tm(inv.UsedAt)})
	}
	if err := t.bulkInsert(ctx, "invitations", "id, user_id, hash, invited_by, mailed, created_at, expires_at, used_at", 8, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, m := range b.Messages {
		r, err := messageRow(m)
		if err != nil {
			return fmt.Errorf("import invitation e-mail: %w", err)
		}
		rows = append(rows, r)
	}
	if err := t.bulkInsert(ctx, "outbox", msgCols, 18, rows); err != nil {
		return err
	}
	if len(b.Feed) == 0 {
		return nil
	}
	seq, err := t.ReserveSerials(ctx, "feed-change", len(b.Feed))
	if err != nil {
		return err
	}
	rows = rows[:0]
	for i, c := range b.Feed {
		js, err := json.Marshal(c.Entry)
		if err != nil {
			return fmt.Errorf("import feed change: %w", err)
		}
		rows = append(rows, []any{seq + int64(i), c.Target, c.Op, c.Entry.Key(), string(js), tm(c.At)})
	}
	return t.bulkInsert(ctx, "feed_changes", "seq, target, op, entry_key, entry, created_at", 6, rows)
}

// appendItemRows adds the item rows of a's addresses and numbers, owned
// by id, as putItemRows writes them.
func appendItemRows(rows [][]any, id string, a *registry.Application) [][]any {
	for i, p := range a.Addresses {
		first, last := netpolicy.RangeKey(p)
		rows = append(rows, []any{id, i, "ip", p.String(), first, last})
	}
	for i, m := range a.MobileNumbers {
		rows = append(rows, []any{id, len(a.Addresses) + i, "msisdn", m, m, m})
	}
	return rows
}
