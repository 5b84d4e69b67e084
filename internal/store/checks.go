package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

const checkCols = `c.id, c.application_id, c.operator_id, c.state, c.due_at, c.created_at, c.answered_at, c.answered_by, c.note,
	a.category, a.subscriber_id, acc.name`

const checkFrom = ` FROM checks c JOIN applications a ON a.id = c.application_id JOIN accounts acc ON acc.id = a.account_id`

func scanCheck(sc interface{ Scan(...any) error }) (*registry.Check, error) {
	var c registry.Check
	var due, created, answered string
	if err := sc.Scan(&c.ID, &c.ApplicationID, &c.OperatorID, &c.State, &due, &created, &answered, &c.AnsweredBy, &c.Note,
		&c.Category, &c.SubscriberID, &c.HolderName); err != nil {
		return nil, err
	}
	c.DueAt, c.CreatedAt, c.AnsweredAt = parseTime(due), parseTime(created), parseTime(answered)
	return &c, nil
}

func (t *tx) CreateCheck(ctx context.Context, c *registry.Check) error {
	_, err := t.exec(ctx, `INSERT INTO checks (id, application_id, operator_id, state, due_at, created_at, answered_at, answered_by, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.ApplicationID, c.OperatorID, c.State, tm(c.DueAt), tm(c.CreatedAt),
		tm(c.AnsweredAt), c.AnsweredBy, c.Note)
	if err != nil {
		return fmt.Errorf("create check: %w", err)
	}
	return nil
}

func (t *tx) Check(ctx context.Context, id string, forUpdate bool) (*registry.Check, error) {
	if forUpdate && t.d.forUpdate != "" {
		if _, err := t.exec(ctx, `SELECT id FROM checks WHERE id = ?`+t.d.forUpdate, id); err != nil {
			return nil, fmt.Errorf("lock check: %w", err)
		}
	}
	c, err := scanCheck(t.queryRow(ctx, `SELECT `+checkCols+checkFrom+` WHERE c.id = ?`, id))
	if err != nil {
		return nil, notFound(err, "check %s not found", id)
	}
	return c, t.checkItems(ctx, []*registry.Check{c})
}

// checkItems copies each check's application items into it.
func (t *tx) checkItems(ctx context.Context, cs []*registry.Check) error {
	apps := make([]*registry.Application, len(cs))
	for i, c := range cs {
		apps[i] = &registry.Application{ID: c.ApplicationID}
	}
	if err := t.loadItems(ctx, apps); err != nil {
		return err
	}
	for i, c := range cs {
		c.Addresses, c.MobileNumbers = apps[i].Addresses, apps[i].MobileNumbers
	}
	return nil
}

func (t *tx) UpdateCheck(ctx context.Context, c *registry.Check) error {
	res, err := t.exec(ctx, `UPDATE checks SET state = ?, due_at = ?, answered_at = ?, answered_by = ?, note = ? WHERE id = ?`,
		c.State, tm(c.DueAt), tm(c.AnsweredAt), c.AnsweredBy, c.Note, c.ID)
	return mustAffect(res, err, "check %s not found", c.ID)
}

func (t *tx) listChecks(ctx context.Context, where string, args ...any) ([]*registry.Check, error) {
	rows, err := t.query(ctx, `SELECT `+checkCols+checkFrom+` WHERE `+where+` ORDER BY c.due_at, c.created_at, c.id LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("list checks: %w", err)
	}
	var out []*registry.Check
	for rows.Next() {
		c, err := scanCheck(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list checks: %w", err)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list checks: %w", err)
	}
	return out, t.checkItems(ctx, out)
}

func (t *tx) ListChecks(ctx context.Context, operatorID string, state registry.CheckState) ([]*registry.Check, error) {
	if state == "" {
		return t.listChecks(ctx, "c.operator_id = ?", operatorID)
	}
	return t.listChecks(ctx, "c.operator_id = ? AND c.state = ?", operatorID, state)
}

func (t *tx) DueChecks(ctx context.Context, now time.Time) ([]*registry.Check, error) {
	return t.listChecks(ctx, "c.state = 'pending' AND c.due_at <= ?", tm(now))
}

func (t *tx) ApplicationChecks(ctx context.Context, applicationID string) ([]*registry.Check, error) {
	return t.listChecks(ctx, "c.application_id = ?", applicationID)
}
