package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// StatsFacts reads one month's facts for the public statistics' rollup;
// every query is bounded by an index on its time column (migration 0018),
// so a month costs the same with a million applications in other months.
func (t *tx) StatsFacts(ctx context.Context, from, to, monthEnd time.Time) (*registry.StatsFacts, error) {
	f := &registry.StatsFacts{Received: map[registry.Category]int{}, Appealed: map[registry.Category]int{},
		ActiveRegistrations: map[registry.Category]int{}, ActiveItems: map[registry.Category]map[string]int{}}
	lo, hi, end := tm(from), tm(to), tm(monthEnd)
	m, err := t.countBy(ctx, `SELECT category, COUNT(*) FROM applications WHERE submitted_at >= ? AND submitted_at < ? GROUP BY category`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("statistics facts: %w", err)
	}
	for k, v := range m {
		f.Received[registry.Category(k)] = v
	}
	if m, err = t.countBy(ctx, `SELECT a.category, COUNT(*) FROM appeals p JOIN applications a ON a.id = p.application_id
		WHERE p.submitted_at >= ? AND p.submitted_at < ? GROUP BY a.category`, lo, hi); err != nil {
		return nil, fmt.Errorf("statistics facts: %w", err)
	}
	for k, v := range m {
		f.Appealed[registry.Category(k)] = v
	}
	// A registration is active at the month's end when it had started
	// before the month was over, was valid through the month's last second
	// and had not ended (expired, revoked, surrendered) by then. monthEnd is
	// the instant after the month (00:00 PKT on the next month's first
	// day), so a registration valid from then is the next month's
	// (approved_on the 1st: valid from 19:00 UTC the day before), and one
	// valid until 23:59:59 PKT on the last day, as approvals and imports
	// keep valid_until, is valid through it (registry.MonthEndActive).
	lastSecond := tm(monthEnd.Add(-time.Second))
	active := `r.valid_from < ? AND r.valid_until >= ? AND (r.ended_at = '' OR r.ended_at >= ?)`
	if m, err = t.countBy(ctx, `SELECT r.category, COUNT(*) FROM registrations r WHERE `+active+` GROUP BY r.category`, end, lastSecond, end); err != nil {
		return nil, fmt.Errorf("statistics facts: %w", err)
	}
	for k, v := range m {
		f.ActiveRegistrations[registry.Category(k)] = v
	}
	rows, err := t.query(ctx, `SELECT r.category, i.kind, COUNT(*) FROM registration_items i JOIN registrations r ON r.number = i.registration_number
		WHERE `+active+` GROUP BY r.category, i.kind`, end, lastSecond, end)
	if err != nil {
		return nil, fmt.Errorf("statistics facts: %w", err)
	}
	for rows.Next() {
		var cat, kind string
		var n int
		if err := rows.Scan(&cat, &kind, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("statistics facts: %w", err)
		}
		if f.ActiveItems[registry.Category(cat)] == nil {
			f.ActiveItems[registry.Category(cat)] = map[string]int{}
		}
		f.ActiveItems[registry.Category(cat)][kind] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("statistics facts: %w", err)
	}

	// An imported registration's application has an "approved" event at
	// the import: a record of the import, not a decision the regulator
	// took in ipreg that month (registry.StatsFacts). Its registration
	// (import_key set, found by the unique application_id) tells it apart;
	// a later renewal or amendment is an application of its own and counts.
	rows, err = t.query(ctx, `SELECT a.category, e.type, e.at, e.note, a.submitted_at, a.sla_due_at FROM events e JOIN applications a ON a.id = e.application_id
		WHERE e.type IN ('approved', 'rejected', 'returned', 'withdrawn') AND e.at >= ? AND e.at < ?
		AND NOT EXISTS (SELECT 1 FROM registrations r WHERE r.application_id = e.application_id AND r.import_key IS NOT NULL)`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("statistics facts: %w", err)
	}
	for rows.Next() {
		var cat, typ, at, note, sub, due string
		if err := rows.Scan(&cat, &typ, &at, &note, &sub, &due); err != nil {
			rows.Close()
			return nil, fmt.Errorf("statistics facts: %w", err)
		}
		e := registry.StatsEvent{Category: registry.Category(cat), Type: typ, At: parseTime(at), SubmittedAt: parseTime(sub), SLADueAt: parseTime(due)}
		if typ == "rejected" {
			e.ReasonCode = registry.ReasonOf(note)
		}
		f.Events = append(f.Events, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("statistics facts: %w", err)
	}

	rows, err = t.query(ctx, `SELECT c.operator_id, o.name, c.created_at, c.due_at, c.answered_at FROM checks c JOIN operators o ON o.id = c.operator_id
		WHERE c.created_at >= ? AND c.created_at < ?`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("statistics facts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c registry.StatsCheck
		var created, due, answered string
		if err := rows.Scan(&c.OperatorID, &c.OperatorName, &created, &due, &answered); err != nil {
			return nil, fmt.Errorf("statistics facts: %w", err)
		}
		c.CreatedAt, c.DueAt, c.AnsweredAt = parseTime(created), parseTime(due), parseTime(answered)
		f.Checks = append(f.Checks, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("statistics facts: %w", err)
	}
	return f, nil
}

func (t *tx) StatsMonths(ctx context.Context, from, to string) ([]*registry.MonthFigures, error) {
	rows, err := t.query(ctx, `SELECT figures FROM stats_months WHERE month >= ? AND month <= ? ORDER BY month`, from, to)
	if err != nil {
		return nil, fmt.Errorf("statistics months: %w", err)
	}
	defer rows.Close()
	var out []*registry.MonthFigures
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("statistics months: %w", err)
		}
		m := &registry.MonthFigures{}
		if err := json.Unmarshal([]byte(b), m); err != nil {
			return nil, fmt.Errorf("statistics months: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (t *tx) PutStatsMonth(ctx context.Context, m *registry.MonthFigures) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("statistics month: %w", err)
	}
	if _, err := t.exec(ctx, `INSERT INTO stats_months (month, figures, built_at) VALUES (?, ?, ?)
		ON CONFLICT (month) DO UPDATE SET figures = excluded.figures, built_at = excluded.built_at`, m.Month, string(b), tm(m.BuiltAt)); err != nil {
		return fmt.Errorf("statistics month: %w", err)
	}
	return nil
}

func (t *tx) FirstSubmission(ctx context.Context) (time.Time, error) {
	var s string
	// MIN over the submitted_at index; '' (never submitted) sorts first.
	if err := t.queryRow(ctx, `SELECT COALESCE(MIN(submitted_at), '') FROM applications WHERE submitted_at > ''`).Scan(&s); err != nil {
		return time.Time{}, fmt.Errorf("first submission: %w", err)
	}
	return parseTime(s), nil
}

func (t *tx) MarkStatsDirty(ctx context.Context, months []string, at time.Time) error {
	for _, m := range months {
		if _, err := t.exec(ctx, `INSERT INTO stats_dirty (month, marked_at) VALUES (?, ?) ON CONFLICT (month) DO NOTHING`, m, tm(at)); err != nil {
			return fmt.Errorf("mark statistics month %s: %w", m, err)
		}
	}
	return nil
}

func (t *tx) DirtyStatsMonths(ctx context.Context, from, to string) ([]string, error) {
	if to == "" {
		to = "9999-12"
	}
	rows, err := t.query(ctx, `SELECT month FROM stats_dirty WHERE month >= ? AND month <= ? ORDER BY month`, from, to)
	if err != nil {
		return nil, fmt.Errorf("dirty statistics months: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, fmt.Errorf("dirty statistics months: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (t *tx) TakeStatsDirty(ctx context.Context, month string) error {
	if _, err := t.exec(ctx, `DELETE FROM stats_dirty WHERE month = ?`, month); err != nil {
		return fmt.Errorf("statistics month %s: %w", month, err)
	}
	return nil
}
