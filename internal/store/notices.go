package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/ipreg/ipreg/internal/registry"
)

const noticeCols = `id, title_en, title_ur, body_en, body_ur, published_at, expires_at, withdrawn_at, created_at, updated_at, revision`

func scanNotice(sc rowScanner) (*registry.Notice, error) {
	var n registry.Notice
	var pub, exp, wd, created, updated string
	if err := sc.Scan(&n.ID, &n.TitleEN, &n.TitleUR, &n.BodyEN, &n.BodyUR, &pub, &exp, &wd, &created, &updated, &n.Revision); err != nil {
		return nil, err
	}
	n.PublishedAt, n.ExpiresAt, n.WithdrawnAt = parseTime(pub), parseTime(exp), parseTime(wd)
	n.CreatedAt, n.UpdatedAt = parseTime(created), parseTime(updated)
	return &n, nil
}

func (t *tx) CreateNotice(ctx context.Context, n *registry.Notice) error {
	_, err := t.exec(ctx, `INSERT INTO notices (`+noticeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.TitleEN, n.TitleUR, n.BodyEN, n.BodyUR, tm(n.PublishedAt), tm(n.ExpiresAt), tm(n.WithdrawnAt),
		tm(n.CreatedAt), tm(n.UpdatedAt), n.Revision)
	if isUnique(err) {
		return registry.Errorf(registry.ECONFLICT, "notice %s exists already", n.ID)
	}
	if err != nil {
		return fmt.Errorf("create notice: %w", err)
	}
	return nil
}

func (t *tx) Notice(ctx context.Context, id string, forUpdate bool) (*registry.Notice, error) {
	n, err := scanNotice(t.queryRow(ctx, `SELECT `+noticeCols+` FROM notices WHERE id = ?`+t.lock(forUpdate), id))
	if err != nil {
		return nil, notFound(err, "notice %s not found", id)
	}
	return n, nil
}

func (t *tx) UpdateNotice(ctx context.Context, n *registry.Notice) error {
	res, err := t.exec(ctx, `UPDATE notices SET title_en = ?, title_ur = ?, body_en = ?, body_ur = ?, published_at = ?,
		expires_at = ?, withdrawn_at = ?, updated_at = ?, revision = ? WHERE id = ?`,
		n.TitleEN, n.TitleUR, n.BodyEN, n.BodyUR, tm(n.PublishedAt), tm(n.ExpiresAt), tm(n.WithdrawnAt), tm(n.UpdatedAt), n.Revision, n.ID)
	return mustAffect(res, err, "notice %s not found", n.ID)
}

func (t *tx) ListNotices(ctx context.Context, f registry.NoticeFilter) ([]*registry.Notice, error) {
	var where []string
	var args []any
	if !f.PublishedBy.IsZero() {
		where = append(where, "published_at <= ?")
		args = append(args, tm(f.PublishedBy))
	}
	if !f.CurrentAt.IsZero() {
		// Times are fixed-width text: '' (no expiry) sorts first.
		where = append(where, "withdrawn_at = ''", "(expires_at = '' OR expires_at > ?)")
		args = append(args, tm(f.CurrentAt))
	}
	q := `SELECT ` + noticeCols + ` FROM notices`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.ByUpdated {
		// Notice.Updated: the later of the last revision and the
		// publication (fixed-width text times compare as times).
		q += " ORDER BY CASE WHEN updated_at > published_at THEN updated_at ELSE published_at END DESC, id"
	} else {
		q += " ORDER BY published_at DESC, id"
	}
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list notices: %w", err)
	}
	defer rows.Close()
	var out []*registry.Notice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, fmt.Errorf("list notices: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func (t *tx) AddNoticeRevision(ctx context.Context, r *registry.NoticeRevision) error {
	_, err := t.exec(ctx, `INSERT INTO notice_revisions (notice_id, revision, changed_at, changed_by, title_en, title_ur,
		body_en, body_ur, published_at, expires_at, withdrawn_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.NoticeID, r.Revision, tm(r.ChangedAt), r.ChangedBy, r.TitleEN, r.TitleUR, r.BodyEN, r.BodyUR,
		tm(r.Published), tm(r.Expires), tm(r.Withdrawn))
	if isUnique(err) {
		return registry.Errorf(registry.ECONFLICT, "notice %s has a revision %d already", r.NoticeID, r.Revision)
	}
	if err != nil {
		return fmt.Errorf("add notice revision: %w", err)
	}
	return nil
}

func (t *tx) NoticeRevisions(ctx context.Context, noticeIDs ...string) ([]registry.NoticeRevision, error) {
	if len(noticeIDs) == 0 {
		return nil, nil
	}
	args := make([]any, len(noticeIDs))
	for i, id := range noticeIDs {
		args[i] = id
	}
	rows, err := t.query(ctx, `SELECT notice_id, revision, changed_at, changed_by, title_en, title_ur, body_en, body_ur,
		published_at, expires_at, withdrawn_at FROM notice_revisions WHERE notice_id IN (`+placeholders(len(args))+`)
		ORDER BY notice_id, revision`, args...)
	if err != nil {
		return nil, fmt.Errorf("notice revisions: %w", err)
	}
	defer rows.Close()
	var out []registry.NoticeRevision
	for rows.Next() {
		var r registry.NoticeRevision
		var changed, pub, exp, wd string
		if err := rows.Scan(&r.NoticeID, &r.Revision, &changed, &r.ChangedBy, &r.TitleEN, &r.TitleUR, &r.BodyEN, &r.BodyUR,
			&pub, &exp, &wd); err != nil {
			return nil, fmt.Errorf("notice revisions: %w", err)
		}
		r.ChangedAt, r.Published, r.Expires, r.Withdrawn = parseTime(changed), parseTime(pub), parseTime(exp), parseTime(wd)
		out = append(out, r)
	}
	return out, rows.Err()
}
