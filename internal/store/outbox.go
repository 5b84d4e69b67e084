package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

const msgCols = `id, msg_key, channel, template, recipient, lang, data, secret, attachment, state, attempts, next_at,
	lease_owner, lease_until, last_error, created_at, started_at, sent_at`

func scanMessage(sc interface{ Scan(...any) error }) (*registry.Message, error) {
	var m registry.Message
	var data, next, lease, created, started, sent string
	if err := sc.Scan(&m.ID, &m.Key, &m.Channel, &m.Template, &m.Recipient, &m.Lang, &data, &m.Secret, &m.Attachment,
		&m.State, &m.Attempts, &next, &m.LeaseOwner, &lease, &m.LastError, &created, &started, &sent); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &m.Data); err != nil {
		return nil, fmt.Errorf("message %s data: %w", m.ID, err)
	}
	m.NextAt, m.LeaseUntil, m.CreatedAt = parseTime(next), parseTime(lease), parseTime(created)
	m.StartedAt, m.SentAt = parseTime(started), parseTime(sent)
	return &m, nil
}

func (t *tx) EnqueueMessage(ctx context.Context, m *registry.Message) (bool, error) {
	args, err := messageRow(m)
	if err != nil {
		return false, fmt.Errorf("enqueue message: %w", err)
	}
	// ON CONFLICT DO NOTHING keeps the transaction usable on PostgreSQL,
	// where a failed INSERT would abort it.
	res, err := t.exec(ctx, `INSERT INTO outbox (`+msgCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (msg_key) DO NOTHING`, args...)
	if err != nil {
		return false, fmt.Errorf("enqueue message: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("enqueue message: %w", err)
	}
	return n == 1, nil
}

// messageRow is m's row of the outbox (msgCols), a new message's state,
// next attempt and start filled in (pending, due at its creation).
func messageRow(m *registry.Message) ([]any, error) {
	data, err := json.Marshal(m.Data)
	if err != nil {
		return nil, err
	}
	if m.State == "" {
		m.State = registry.MessagePending
	}
	if m.StartedAt.IsZero() {
		m.StartedAt = m.CreatedAt
	}
	if m.NextAt.IsZero() {
		m.NextAt = m.CreatedAt
	}
	return []any{m.ID, m.Key, m.Channel, m.Template, m.Recipient, m.Lang, string(data), m.Secret, m.Attachment, m.State, m.Attempts,
		tm(m.NextAt), m.LeaseOwner, tm(m.LeaseUntil), m.LastError, tm(m.CreatedAt), tm(m.StartedAt), tm(m.SentAt)}, nil
}

// channelsIn is "channel IN (?, …)" for channels and its arguments.
func channelsIn(channels []registry.Channel) (string, []any) {
	marks := make([]string, len(channels))
	args := make([]any, len(channels))
	for i, c := range channels {
		marks[i], args[i] = "?", string(c)
	}
	return "channel IN (" + strings.Join(marks, ", ") + ")", args
}

func (t *tx) DueMessages(ctx context.Context, channels []registry.Channel, now time.Time, limit int) ([]string, error) {
	if len(channels) == 0 {
		return nil, nil
	}
	in, args := channelsIn(channels)
	rows, err := t.query(ctx, `SELECT id FROM outbox WHERE state = 'pending' AND next_at <= ? AND lease_until <= ? AND `+in+`
		ORDER BY next_at, id LIMIT ?`, append(append([]any{tm(now), tm(now)}, args...), limit)...)
	if err != nil {
		return nil, fmt.Errorf("due messages: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("due messages: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (t *tx) ClaimMessage(ctx context.Context, id, owner string, channels []registry.Channel, now, leaseUntil time.Time) (*registry.Message, error) {
	if len(channels) == 0 {
		return nil, nil
	}
	// A conditional UPDATE: on PostgreSQL a second claimer waits for the
	// first one's row lock, then re-checks the condition and finds the
	// lease taken; SQLite has one writer. Either way one claim wins.
	in, args := channelsIn(channels)
	res, err := t.exec(ctx, `UPDATE outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
		WHERE id = ? AND state = 'pending' AND next_at <= ? AND lease_until <= ? AND `+in,
		append([]any{owner, tm(leaseUntil), id, tm(now), tm(now)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("claim message: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return nil, fmt.Errorf("claim message: %w", err)
		}
		return nil, nil
	}
	return t.Message(ctx, id)
}

func (t *tx) MarkMessageSent(ctx context.Context, id, owner string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE outbox SET state = 'sent', sent_at = ?, secret = '', lease_owner = '', lease_until = '', last_error = ''
		WHERE id = ? AND state = 'pending' AND lease_owner = ?`, tm(at), id, owner)
	return affected(res, err, "mark message sent")
}

func (t *tx) MarkMessageFailed(ctx context.Context, id, owner, lastError string, next time.Time, giveUp bool) (bool, error) {
	state := registry.MessagePending
	if giveUp {
		state = registry.MessageFailed
	}
	res, err := t.exec(ctx, `UPDATE outbox SET state = ?, next_at = ?, last_error = ?, lease_owner = '', lease_until = ''
		WHERE id = ? AND state = 'pending' AND lease_owner = ?`, state, tm(next), lastError, id, owner)
	return affected(res, err, "mark message failed")
}

func (t *tx) ResendMessage(ctx context.Context, id string, now time.Time) (*registry.Message, error) {
	res, err := t.exec(ctx, `UPDATE outbox SET state = 'pending', next_at = ?, started_at = ?, lease_owner = '', lease_until = ''
		WHERE id = ? AND state = 'failed'`, tm(now), tm(now), id)
	ok, err := affected(res, err, "resend message")
	if err != nil {
		return nil, err
	}
	m, err := t.Message(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		if m.State == registry.MessageSent {
			return nil, registry.Errorf(registry.ECONFLICT, "message %s was sent already: only a message that failed can be sent again", id)
		}
		return nil, registry.Errorf(registry.ECONFLICT, "message %s is still waiting to be sent: only a message that failed can be sent again", id)
	}
	return m, nil
}

func (t *tx) Message(ctx context.Context, id string) (*registry.Message, error) {
	m, err := scanMessage(t.queryRow(ctx, `SELECT `+msgCols+` FROM outbox WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "message %s not found", id)
	}
	return m, nil
}

func (t *tx) ListMessages(ctx context.Context, state registry.MessageState, limit int) ([]*registry.Message, error) {
	q, args := `SELECT `+msgCols+` FROM outbox`, []any{}
	if state != "" {
		q += ` WHERE state = ?`
		args = append(args, state)
	}
	if limit <= 0 {
		limit = 100
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	var out []*registry.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("list messages: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (t *tx) CountMessages(ctx context.Context) ([]registry.MessageCount, error) {
	rows, err := t.query(ctx, `SELECT state, channel, COUNT(*) FROM outbox GROUP BY state, channel ORDER BY state, channel`)
	if err != nil {
		return nil, fmt.Errorf("count messages: %w", err)
	}
	defer rows.Close()
	var out []registry.MessageCount
	for rows.Next() {
		var c registry.MessageCount
		if err := rows.Scan(&c.State, &c.Channel, &c.N); err != nil {
			return nil, fmt.Errorf("count messages: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (t *tx) DeleteSentMessages(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM outbox WHERE id IN (
		SELECT id FROM outbox WHERE state = 'sent' AND sent_at < ? ORDER BY sent_at LIMIT ?)`, tm(before), limit)
	if err != nil {
		return 0, fmt.Errorf("delete sent messages: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// affected reports whether an UPDATE changed a row.
func affected(res sql.Result, err error, what string) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return n > 0, nil
}
