package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

func (t *tx) ReserveAttempt(ctx context.Context, bucket string, now time.Time, window time.Duration) (int, time.Time, error) {
	// One statement: the row lock the upsert takes (PostgreSQL) or the
	// database write lock (SQLite) makes concurrent callers get distinct
	// counts, so twenty parallel attempts cannot all see "under the limit".
	// SET expressions read the row as it was before this update.
	var n int
	var end string
	err := t.queryRow(ctx, `INSERT INTO auth_attempts (bucket, window_start, window_end, attempts) VALUES (?, ?, ?, 1)
		ON CONFLICT (bucket) DO UPDATE SET
			attempts = CASE WHEN auth_attempts.window_end <= excluded.window_start THEN 1 ELSE auth_attempts.attempts + 1 END,
			window_start = CASE WHEN auth_attempts.window_end <= excluded.window_start THEN excluded.window_start ELSE auth_attempts.window_start END,
			window_end = CASE WHEN auth_attempts.window_end <= excluded.window_start THEN excluded.window_end ELSE auth_attempts.window_end END
		RETURNING attempts, window_end`, bucket, tm(now), tm(now.Add(window))).Scan(&n, &end)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("reserve attempt: %w", err)
	}
	return n, parseTime(end), nil
}

func (t *tx) RefundAttempt(ctx context.Context, bucket string, windowEnd time.Time) error {
	if _, err := t.exec(ctx, `UPDATE auth_attempts SET attempts = attempts - 1 WHERE bucket = ? AND window_end = ? AND attempts > 0`,
		bucket, tm(windowEnd)); err != nil {
		return fmt.Errorf("refund attempt: %w", err)
	}
	return nil
}

func (t *tx) ClearAttempts(ctx context.Context, bucket string) error {
	if _, err := t.exec(ctx, `DELETE FROM auth_attempts WHERE bucket = ?`, bucket); err != nil {
		return fmt.Errorf("clear attempts: %w", err)
	}
	return nil
}

func (t *tx) RememberLoginClient(ctx context.Context, userID, client string, at time.Time) error {
	if _, err := t.exec(ctx, `INSERT INTO login_clients (user_id, client, last_login) VALUES (?, ?, ?)
		ON CONFLICT (user_id, client) DO UPDATE SET last_login = excluded.last_login`, userID, client, tm(at)); err != nil {
		return fmt.Errorf("remember login client: %w", err)
	}
	return nil
}

func (t *tx) LoginClientSeen(ctx context.Context, userID, client string) (time.Time, error) {
	var at string
	err := t.queryRow(ctx, `SELECT last_login FROM login_clients WHERE user_id = ? AND client = ?`, userID, client).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("login client: %w", err)
	}
	return parseTime(at), nil
}

func (t *tx) DeleteStaleAttempts(ctx context.Context, now, clientsBefore time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM auth_attempts WHERE window_end <= ?`, tm(now))
	if err != nil {
		return 0, fmt.Errorf("delete ended attempts: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	res, err = t.exec(ctx, `DELETE FROM login_clients WHERE last_login < ?`, tm(clientsBefore))
	if err != nil {
		return 0, fmt.Errorf("delete old login clients: %w", err)
	}
	m, err := res.RowsAffected()
	return int(n + m), err
}

func (t *tx) EndPasswordResets(ctx context.Context, userID string, at time.Time) (int, error) {
	res, err := t.exec(ctx, `UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at = ''`, tm(at), userID)
	if err != nil {
		return 0, fmt.Errorf("end password resets: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
