package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/publish"
)

var _ publish.Store = (*DB)(nil)

// FeedWrite runs fn in one transaction.
func (s *DB) FeedWrite(ctx context.Context, fn func(publish.Tx) error) error {
	return s.inTx(ctx, func(t *tx) error { return fn(t) })
}

// FeedRead runs fn without a transaction.
func (s *DB) FeedRead(ctx context.Context, fn func(publish.Tx) error) error {
	t, done := s.reader()
	defer done()
	return fn(t)
}

func (t *tx) LockHead(ctx context.Context) (int64, error) {
	var seq int64
	// The no-op UPDATE takes the row lock on PostgreSQL; on SQLite the
	// immediate transaction already holds the write lock.
	if err := t.queryRow(ctx, `UPDATE feed_head SET applied_seq = applied_seq WHERE id = 1 RETURNING applied_seq`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("lock feed head: %w", err)
	}
	return seq, nil
}

func (t *tx) SetHead(ctx context.Context, seq int64) error {
	_, err := t.exec(ctx, `UPDATE feed_head SET applied_seq = ? WHERE id = 1`, seq)
	return err
}

func (t *tx) LastChangeSeq(ctx context.Context) (int64, error) {
	if err := t.flushFeed(ctx); err != nil {
		return 0, err
	}
	var seq int64
	err := t.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM feed_changes`).Scan(&seq)
	return seq, err
}

func (t *tx) Changes(ctx context.Context, after, upTo int64) ([]publish.Change, error) {
	if err := t.flushFeed(ctx); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, `SELECT seq, target, op, entry, effective FROM feed_changes WHERE seq > ? AND seq <= ? ORDER BY seq`, after, upTo)
	if err != nil {
		return nil, fmt.Errorf("feed changes: %w", err)
	}
	defer rows.Close()
	var out []publish.Change
	for rows.Next() {
		var c publish.Change
		var entry string
		var eff int
		if err := rows.Scan(&c.Seq, &c.Target, &c.Op, &entry, &eff); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(entry), &c.Entry); err != nil {
			return nil, fmt.Errorf("feed change %d: %w", c.Seq, err)
		}
		c.Effective = eff != 0
		out = append(out, c)
	}
	return out, rows.Err()
}

func (t *tx) ApplyChange(ctx context.Context, c *publish.Change) error {
	b, err := json.Marshal(c.Entry)
	if err != nil {
		return err
	}
	var n int64
	switch c.Op {
	case "add":
		res, err := t.exec(ctx, `INSERT INTO feed_entries (target, entry_key, entry) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			c.Target, c.Entry.Key(), string(b))
		if err != nil {
			return fmt.Errorf("apply feed change %d: %w", c.Seq, err)
		}
		n, _ = res.RowsAffected()
	case "remove":
		res, err := t.exec(ctx, `DELETE FROM feed_entries WHERE target = ? AND entry_key = ?`, c.Target, c.Entry.Key())
		if err != nil {
			return fmt.Errorf("apply feed change %d: %w", c.Seq, err)
		}
		n, _ = res.RowsAffected()
	default:
		return fmt.Errorf("feed change %d: unknown op %q", c.Seq, c.Op)
	}
	c.Effective = n == 1
	_, err = t.exec(ctx, `UPDATE feed_changes SET effective = ? WHERE seq = ?`, boolInt(c.Effective), c.Seq)
	return err
}

func (t *tx) Entries(ctx context.Context, targets []string) ([]feed.Entry, error) {
	args := make([]any, len(targets))
	for i, s := range targets {
		args[i] = s
	}
	rows, err := t.query(ctx, `SELECT entry FROM feed_entries WHERE target IN (`+placeholders(len(args))+`) ORDER BY entry_key`, args...)
	if err != nil {
		return nil, fmt.Errorf("feed entries: %w", err)
	}
	defer rows.Close()
	var out []feed.Entry
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		var e feed.Entry
		if err := json.Unmarshal([]byte(s), &e); err != nil {
			return nil, fmt.Errorf("feed entry: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const scopeCols = `scope, session_id, version, change_seq, notification, signed_at, signed_with, snapshot_version, snapshot_name, snapshot_at`

func (t *tx) Scopes(ctx context.Context) ([]*publish.Scope, error) {
	rows, err := t.query(ctx, `SELECT `+scopeCols+` FROM feed_scopes ORDER BY scope`)
	if err != nil {
		return nil, fmt.Errorf("feed scopes: %w", err)
	}
	defer rows.Close()
	var out []*publish.Scope
	for rows.Next() {
		var s publish.Scope
		var signed, snap string
		if err := rows.Scan(&s.Name, &s.SessionID, &s.Version, &s.ChangeSeq, &s.Notification, &signed, &s.SignedWith,
			&s.SnapshotVersion, &s.SnapshotName, &snap); err != nil {
			return nil, err
		}
		s.SignedAt, s.SnapshotAt = parseTime(signed), parseTime(snap)
		out = append(out, &s)
	}
	return out, rows.Err()
}

func (t *tx) PutScope(ctx context.Context, s *publish.Scope) error {
	_, err := t.exec(ctx, `INSERT INTO feed_scopes (`+scopeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (scope) DO UPDATE SET session_id = excluded.session_id, version = excluded.version,
		change_seq = excluded.change_seq, notification = excluded.notification, signed_at = excluded.signed_at,
		signed_with = excluded.signed_with, snapshot_version = excluded.snapshot_version,
		snapshot_name = excluded.snapshot_name, snapshot_at = excluded.snapshot_at`,
		s.Name, s.SessionID, s.Version, s.ChangeSeq, s.Notification, tm(s.SignedAt), s.SignedWith, s.SnapshotVersion, s.SnapshotName, tm(s.SnapshotAt))
	if err != nil {
		return fmt.Errorf("put feed scope: %w", err)
	}
	return nil
}

func (t *tx) PutFile(ctx context.Context, f *publish.File) error {
	_, err := t.exec(ctx, `INSERT INTO feed_files (name, scope, kind, version, sha256, size, content, created_at, unlisted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.Name, f.Scope, f.Kind, f.Version, f.SHA256, f.Size, f.Content, tm(f.CreatedAt), tm(f.UnlistedAt))
	if err != nil {
		return fmt.Errorf("put feed file: %w", err)
	}
	return nil
}

func (t *tx) Files(ctx context.Context, scope string) ([]*publish.File, error) {
	rows, err := t.query(ctx, `SELECT name, scope, kind, version, sha256, size, created_at, unlisted_at FROM feed_files
		WHERE scope = ? ORDER BY kind, version`, scope)
	if err != nil {
		return nil, fmt.Errorf("feed files: %w", err)
	}
	defer rows.Close()
	var out []*publish.File
	for rows.Next() {
		var f publish.File
		var created, unlisted string
		if err := rows.Scan(&f.Name, &f.Scope, &f.Kind, &f.Version, &f.SHA256, &f.Size, &created, &unlisted); err != nil {
			return nil, err
		}
		f.CreatedAt, f.UnlistedAt = parseTime(created), parseTime(unlisted)
		out = append(out, &f)
	}
	return out, rows.Err()
}

func (t *tx) UnlistFile(ctx context.Context, name string, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE feed_files SET unlisted_at = ? WHERE name = ? AND unlisted_at = ''`, tm(at), name)
	return err
}

func (t *tx) DeleteFile(ctx context.Context, name string) error {
	_, err := t.exec(ctx, `DELETE FROM feed_files WHERE name = ?`, name)
	return err
}

func (t *tx) File(ctx context.Context, name string) (*publish.File, error) {
	var f publish.File
	var created, unlisted string
	err := t.queryRow(ctx, `SELECT name, scope, kind, version, sha256, size, content, created_at, unlisted_at FROM feed_files WHERE name = ?`, name).
		Scan(&f.Name, &f.Scope, &f.Kind, &f.Version, &f.SHA256, &f.Size, &f.Content, &created, &unlisted)
	if err != nil {
		return nil, notFound(err, "file %s not found", name)
	}
	f.CreatedAt, f.UnlistedAt = parseTime(created), parseTime(unlisted)
	return &f, nil
}

func (t *tx) OperatorIDs(ctx context.Context) ([]string, error) {
	rows, err := t.query(ctx, `SELECT id FROM operators ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
