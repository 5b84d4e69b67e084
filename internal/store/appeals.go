package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

const appealCols = `id, application_id, account_id, rejected_at, rejected_by, statement, state, submitted_by, submitted_at,
	sla_due_at, decided_by, decided_at, outcome, note`

// appealRead reads an appeal with its holder's name.
const appealRead = `SELECT ap.id, ap.application_id, ap.account_id, ap.rejected_at, ap.rejected_by, ap.statement, ap.state,
	ap.submitted_by, ap.submitted_at, ap.sla_due_at, ap.decided_by, ap.decided_at, ap.outcome, ap.note, acc.name
	FROM appeals ap JOIN accounts acc ON acc.id = ap.account_id`

func scanAppeal(sc interface{ Scan(...any) error }) (*registry.Appeal, error) {
	var a registry.Appeal
	var rejected, submitted, due, decided string
	if err := sc.Scan(&a.ID, &a.ApplicationID, &a.AccountID, &rejected, &a.RejectedBy, &a.Statement, &a.State, &a.SubmittedBy,
		&submitted, &due, &a.DecidedBy, &decided, &a.Outcome, &a.Note, &a.HolderName); err != nil {
		return nil, err
	}
	a.RejectedAt, a.SubmittedAt, a.SLADueAt, a.DecidedAt = parseTime(rejected), parseTime(submitted), parseTime(due), parseTime(decided)
	return &a, nil
}

func (t *tx) CreateAppeal(ctx context.Context, a *registry.Appeal) error {
	_, err := t.exec(ctx, `INSERT INTO appeals (`+appealCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.ApplicationID, a.AccountID, tm(a.RejectedAt), a.RejectedBy, a.Statement, a.State, a.SubmittedBy,
		tm(a.SubmittedAt), tm(a.SLADueAt), a.DecidedBy, tm(a.DecidedAt), a.Outcome, a.Note)
	if isUnique(err) {
		return registry.Errorf(registry.ECONFLICT, "the rejection of application %s was appealed already; a rejection can be appealed once", a.ApplicationID)
	}
	if err != nil {
		return fmt.Errorf("create appeal: %w", err)
	}
	return nil
}

func (t *tx) Appeal(ctx context.Context, id string, forUpdate bool) (*registry.Appeal, error) {
	// FOR UPDATE OF: lock the appeal, not its account.
	lock := ""
	if forUpdate && t.lock(true) != "" {
		lock = " FOR UPDATE OF ap"
	}
	a, err := scanAppeal(t.queryRow(ctx, appealRead+` WHERE ap.id = ?`+lock, id))
	if err != nil {
		return nil, notFound(err, "appeal %s not found", id)
	}
	return a, nil
}

func (t *tx) UpdateAppeal(ctx context.Context, a *registry.Appeal) error {
	res, err := t.exec(ctx, `UPDATE appeals SET state = ?, decided_by = ?, decided_at = ?, outcome = ?, note = ? WHERE id = ?`,
		a.State, a.DecidedBy, tm(a.DecidedAt), a.Outcome, a.Note, a.ID)
	return mustAffect(res, err, "appeal %s not found", a.ID)
}

func (t *tx) ListAppeals(ctx context.Context, f registry.AppealFilter) ([]*registry.Appeal, error) {
	var where []string
	var args []any
	if f.State != "" {
		where = append(where, "ap.state = ?")
		args = append(args, f.State)
	}
	if f.ApplicationID != "" {
		where = append(where, "ap.application_id = ?")
		args = append(args, f.ApplicationID)
	}
	if f.AccountID != "" {
		where = append(where, "ap.account_id = ?")
		args = append(args, f.AccountID)
	}
	if !f.OverdueBefore.IsZero() {
		where = append(where, "ap.state = ? AND ap.sla_due_at < ?")
		args = append(args, registry.AppealPending, tm(f.OverdueBefore))
	}
	q := appealRead
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := t.query(ctx, q+fmt.Sprintf(" ORDER BY ap.sla_due_at, ap.submitted_at, ap.id LIMIT %d", limit), args...)
	if err != nil {
		return nil, fmt.Errorf("list appeals: %w", err)
	}
	defer rows.Close()
	var out []*registry.Appeal
	for rows.Next() {
		a, err := scanAppeal(rows)
		if err != nil {
			return nil, fmt.Errorf("list appeals: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (t *tx) MarkEscalated(ctx context.Context, subject string, due, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `INSERT INTO escalations (subject, due_at, escalated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		subject, tm(due), tm(at))
	if err != nil {
		return false, fmt.Errorf("mark escalated: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark escalated: %w", err)
	}
	return n == 1, nil
}

func (t *tx) Escalated(ctx context.Context, subject string, due time.Time) (time.Time, error) {
	var at string
	err := t.queryRow(ctx, `SELECT escalated_at FROM escalations WHERE subject = ? AND due_at = ?`, subject, tm(due)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("escalated: %w", err)
	}
	return parseTime(at), nil
}
