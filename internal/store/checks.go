package store

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// A check reads its own row only: the category, subscriber, holder and
// items are the snapshot taken when it was opened, never the application's
// live row, which may since have moved to another operator.
const checkCols = `c.id, c.application_id, c.operator_id, c.state, c.due_at, c.created_at, c.answered_at, c.answered_by, c.note,
	c.category, c.subscriber_id, c.holder_name`

const checkFrom = ` FROM checks c`

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
	err := t.execLater(ctx, `INSERT INTO checks (id, application_id, operator_id, state, due_at, created_at, answered_at, answered_by, note,
		category, subscriber_id, holder_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.ApplicationID, c.OperatorID, c.State,
		tm(c.DueAt), tm(c.CreatedAt), tm(c.AnsweredAt), c.AnsweredBy, c.Note, c.Category, c.SubscriberID, c.HolderName)
	if err != nil {
		return fmt.Errorf("create check: %w", err)
	}
	n := len(c.Addresses) + len(c.MobileNumbers)
	if n == 0 {
		return nil
	}
	args := make([]any, 0, 4*n)
	vals := make([]string, 0, n)
	for i, p := range c.Addresses {
		args, vals = append(args, c.ID, i, "ip", p.String()), append(vals, "(?, ?, ?, ?)")
	}
	for i, m := range c.MobileNumbers {
		args, vals = append(args, c.ID, len(c.Addresses)+i, "msisdn", m), append(vals, "(?, ?, ?, ?)")
	}
	if err := t.execLater(ctx, `INSERT INTO check_items (check_id, position, kind, value) VALUES `+strings.Join(vals, ", "), args...); err != nil {
		return fmt.Errorf("create check items: %w", err)
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

// checkItems reads each check's snapshot of items into it.
func (t *tx) checkItems(ctx context.Context, cs []*registry.Check) error {
	if len(cs) == 0 {
		return nil
	}
	byID := make(map[string]*registry.Check, len(cs))
	args := make([]any, 0, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
		args = append(args, c.ID)
	}
	rows, err := t.query(ctx, `SELECT check_id, kind, value FROM check_items WHERE check_id IN (`+
		placeholders(len(args))+`) ORDER BY check_id, position`, args...)
	if err != nil {
		return fmt.Errorf("load check items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, kind, value string
		if err := rows.Scan(&id, &kind, &value); err != nil {
			return fmt.Errorf("load check items: %w", err)
		}
		c := byID[id]
		switch kind {
		case "ip":
			p, err := netip.ParsePrefix(value)
			if err != nil {
				return fmt.Errorf("check %s: stored prefix %q: %w", id, value, err)
			}
			c.Addresses = append(c.Addresses, p)
		case "msisdn":
			c.MobileNumbers = append(c.MobileNumbers, value)
		}
	}
	return rows.Err()
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
