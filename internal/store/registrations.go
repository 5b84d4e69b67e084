package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

func (t *tx) NextSerial(ctx context.Context, name string) (int64, error) {
	return t.reserve(ctx, name, 1)
}

// NextSerialNow implements registry.Tx: on PostgreSQL the value is taken
// in a statement of its own, committed at once, so the serial's row lock is
// held for that statement and not until the caller's transaction commits;
// a value whose transaction then rolls back is not used again (a gap, as
// with a database sequence). On SQLite it is NextSerial: the transaction
// holds the one writer anyway, and the value is rolled back with it.
func (t *tx) NextSerialNow(ctx context.Context, name string) (int64, error) {
	if t.d != postgresDialect || !t.inTx || t.db == nil {
		return t.NextSerial(ctx, name)
	}
	return (&tx{q: t.db.db, d: t.d, db: t.db}).NextSerial(ctx, name)
}

// reserve advances the serial name by n and returns its new value, the
// last of the n reserved.
func (t *tx) reserve(ctx context.Context, name string, n int) (int64, error) {
	// The UPDATE takes the row lock, so concurrent transactions on
	// PostgreSQL get consecutive values and never the same one. It runs
	// first and the row is created only when it is missing (the first
	// serial of its name, e.g. of a new year): the INSERT … ON CONFLICT
	// that ran before every UPDATE cost each feed change and each
	// registration one more round trip, under the lock of the serial
	// before it (issue 14).
	var v int64
	err := t.queryRow(ctx, `UPDATE serials SET value = value + ? WHERE name = ? RETURNING value`, n, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := t.exec(ctx, `INSERT INTO serials (name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING`, name); err != nil {
			return 0, fmt.Errorf("next serial %s: %w", name, err)
		}
		err = t.queryRow(ctx, `UPDATE serials SET value = value + ? WHERE name = ? RETURNING value`, n, name).Scan(&v)
	}
	if err != nil {
		return 0, fmt.Errorf("next serial %s: %w", name, err)
	}
	return v, nil
}

const regCols = `r.number, r.application_id, r.account_id, r.category, r.operator_id, r.status, r.valid_from, r.valid_until,
	r.verification_code, r.created_at, r.ended_at, r.end_reason, r.issued_at, acc.name`

const regFrom = ` FROM registrations r JOIN accounts acc ON acc.id = r.account_id`

func scanReg(sc interface{ Scan(...any) error }) (*registry.Registration, error) {
	var r registry.Registration
	var from, until, created, ended, issued string
	if err := sc.Scan(&r.Number, &r.ApplicationID, &r.AccountID, &r.Category, &r.OperatorID, &r.Status, &from, &until,
		&r.VerificationCode, &created, &ended, &r.EndReason, &issued, &r.HolderName); err != nil {
		return nil, err
	}
	r.ValidFrom, r.ValidUntil, r.CreatedAt, r.EndedAt = parseTime(from), parseTime(until), parseTime(created), parseTime(ended)
	r.IssuedAt = parseTime(issued)
	return &r, nil
}

// regItems reads each registration's own items into it.
func (t *tx) regItems(ctx context.Context, rs []*registry.Registration) error {
	if len(rs) == 0 {
		return nil
	}
	byNumber := make(map[string]*registry.Registration, len(rs))
	var args []any
	for _, r := range rs {
		if _, seen := byNumber[r.Number]; !seen {
			args = append(args, r.Number)
		}
		byNumber[r.Number] = r
		r.Addresses, r.MobileNumbers = nil, nil
	}
	rows, err := t.query(ctx, `SELECT registration_number, kind, value FROM registration_items WHERE registration_number IN (`+
		placeholders(len(args))+`) ORDER BY registration_number, position`, args...)
	if err != nil {
		return fmt.Errorf("load registration items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var number, kind, value string
		if err := rows.Scan(&number, &kind, &value); err != nil {
			return fmt.Errorf("load registration items: %w", err)
		}
		r := byNumber[number]
		switch kind {
		case "ip":
			p, err := netip.ParsePrefix(value)
			if err != nil {
				return fmt.Errorf("registration %s: stored prefix %q: %w", number, value, err)
			}
			r.Addresses = append(r.Addresses, p)
		case "msisdn":
			r.MobileNumbers = append(r.MobileNumbers, value)
		}
	}
	return rows.Err()
}

func (t *tx) CreateRegistration(ctx context.Context, r *registry.Registration) error {
	_, err := t.exec(ctx, `INSERT INTO registrations (number, application_id, account_id, category, operator_id, status,
		valid_from, valid_until, verification_code, created_at, ended_at, end_reason, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Number, r.ApplicationID, r.AccountID, r.Category, r.OperatorID, r.Status, tm(r.ValidFrom), tm(r.ValidUntil),
		r.VerificationCode, tm(r.CreatedAt), tm(r.EndedAt), r.EndReason, tm(r.IssuedAt))
	if isUnique(err) {
		return registry.Errorf(registry.ECONFLICT, "registration %s or one for application %s already exists", r.Number, r.ApplicationID)
	}
	if err != nil {
		return fmt.Errorf("create registration: %w", err)
	}
	return t.putItemRows(ctx, "registration_items", "registration_number", r.Number, r.Addresses, r.MobileNumbers)
}

func (t *tx) Registration(ctx context.Context, number string, forUpdate bool) (*registry.Registration, error) {
	if forUpdate && t.d.forUpdate != "" {
		if _, err := t.exec(ctx, `SELECT number FROM registrations WHERE number = ?`+t.d.forUpdate, number); err != nil {
			return nil, fmt.Errorf("lock registration: %w", err)
		}
	}
	r, err := scanReg(t.queryRow(ctx, `SELECT `+regCols+regFrom+` WHERE r.number = ?`, number))
	if err != nil {
		return nil, notFound(err, "registration %s not found", number)
	}
	return r, t.regItems(ctx, []*registry.Registration{r})
}

func (t *tx) UpdateRegistration(ctx context.Context, r *registry.Registration) error {
	res, err := t.exec(ctx, `UPDATE registrations SET status = ?, valid_until = ?, ended_at = ?, end_reason = ?, issued_at = ? WHERE number = ?`,
		r.Status, tm(r.ValidUntil), tm(r.EndedAt), r.EndReason, tm(r.IssuedAt), r.Number)
	if err := mustAffect(res, err, "registration %s not found", r.Number); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM registration_items WHERE registration_number = ?`, r.Number); err != nil {
		return fmt.Errorf("update registration items: %w", err)
	}
	return t.putItemRows(ctx, "registration_items", "registration_number", r.Number, r.Addresses, r.MobileNumbers)
}

func (t *tx) listRegs(ctx context.Context, where []string, args []any, order string, limit int) ([]*registry.Registration, error) {
	q := `SELECT ` + regCols + regFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := t.query(ctx, q+" ORDER BY "+order+fmt.Sprintf(" LIMIT %d", limit), args...)
	if err != nil {
		return nil, fmt.Errorf("list registrations: %w", err)
	}
	var out []*registry.Registration
	for rows.Next() {
		r, err := scanReg(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list registrations: %w", err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list registrations: %w", err)
	}
	return out, t.regItems(ctx, out)
}

func (t *tx) ListRegistrations(ctx context.Context, f registry.RegFilter) ([]*registry.Registration, error) {
	var where []string
	var args []any
	if f.AccountID != "" {
		where = append(where, "r.account_id = ?")
		args = append(args, f.AccountID)
	}
	if f.Status != "" {
		where = append(where, "r.status = ?")
		args = append(args, f.Status)
	}
	if !f.ExpiresBefore.IsZero() {
		where = append(where, "r.valid_until < ?")
		args = append(args, tm(f.ExpiresBefore))
	}
	return t.listRegs(ctx, where, args, "r.created_at DESC, r.number", f.Limit)
}

func (t *tx) DueExpiries(ctx context.Context, now time.Time) ([]*registry.Registration, error) {
	return t.listRegs(ctx, []string{"r.status = 'active'", "r.valid_until <= ?"}, []any{tm(now)}, "r.valid_until, r.number", 1000)
}

const revCols = `id, registration_number, reason, state, proposed_by, proposed_at, decided_by, decided_at`

func scanRev(sc interface{ Scan(...any) error }) (*registry.Revocation, error) {
	var r registry.Revocation
	var proposed, decided string
	if err := sc.Scan(&r.ID, &r.RegistrationNumber, &r.Reason, &r.State, &r.ProposedBy, &proposed, &r.DecidedBy, &decided); err != nil {
		return nil, err
	}
	r.ProposedAt, r.DecidedAt = parseTime(proposed), parseTime(decided)
	return &r, nil
}

func (t *tx) CreateRevocation(ctx context.Context, r *registry.Revocation) error {
	_, err := t.exec(ctx, `INSERT INTO revocations (`+revCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.RegistrationNumber, r.Reason, r.State, r.ProposedBy, tm(r.ProposedAt), r.DecidedBy, tm(r.DecidedAt))
	if isUnique(err) {
		return registry.Errorf(registry.ECONFLICT, "a revocation of %s is already waiting for a supervisor's confirmation", r.RegistrationNumber)
	}
	if err != nil {
		return fmt.Errorf("create revocation: %w", err)
	}
	return nil
}

func (t *tx) Revocation(ctx context.Context, id string, forUpdate bool) (*registry.Revocation, error) {
	r, err := scanRev(t.queryRow(ctx, `SELECT `+revCols+` FROM revocations WHERE id = ?`+t.lock(forUpdate), id))
	if err != nil {
		return nil, notFound(err, "revocation %s not found", id)
	}
	return r, nil
}

func (t *tx) UpdateRevocation(ctx context.Context, r *registry.Revocation) error {
	res, err := t.exec(ctx, `UPDATE revocations SET state = ?, decided_by = ?, decided_at = ? WHERE id = ?`,
		r.State, r.DecidedBy, tm(r.DecidedAt), r.ID)
	return mustAffect(res, err, "revocation %s not found", r.ID)
}

func (t *tx) ListRevocations(ctx context.Context, state registry.RevocationState) ([]*registry.Revocation, error) {
	q, args := `SELECT `+revCols+` FROM revocations`, []any{}
	if state != "" {
		q += ` WHERE state = ?`
		args = append(args, state)
	}
	rows, err := t.query(ctx, q+` ORDER BY proposed_at, id LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("list revocations: %w", err)
	}
	defer rows.Close()
	var out []*registry.Revocation
	for rows.Next() {
		r, err := scanRev(rows)
		if err != nil {
			return nil, fmt.Errorf("list revocations: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
