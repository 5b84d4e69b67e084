package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

const docCols = `id, application_id, kind, filename, content_type, size, sha256, uploaded_at, uploaded_by, purged_at`

func scanDoc(sc interface{ Scan(...any) error }) (*registry.Document, error) {
	var d registry.Document
	var uploaded, purged string
	if err := sc.Scan(&d.ID, &d.ApplicationID, &d.Kind, &d.Filename, &d.ContentType, &d.Size, &d.SHA256, &uploaded, &d.UploadedBy, &purged); err != nil {
		return nil, err
	}
	d.UploadedAt, d.PurgedAt = parseTime(uploaded), parseTime(purged)
	return &d, nil
}

func (t *tx) CreateDocument(ctx context.Context, d *registry.Document) error {
	_, err := t.exec(ctx, `INSERT INTO documents (`+docCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, docArgs(d)...)
	return createDocumentErr(d, err)
}

// docArgs are d's values in docCols' order.
func docArgs(d *registry.Document) []any {
	return []any{d.ID, d.ApplicationID, d.Kind, d.Filename, d.ContentType, d.Size, d.SHA256, tm(d.UploadedAt), d.UploadedBy, tm(d.PurgedAt)}
}

// createDocumentErr says what an insert of d failed with: ECONFLICT for
// an id already taken.
func createDocumentErr(d *registry.Document, err error) error {
	if isUnique(err) {
		return registry.Errorf(registry.ECONFLICT, "document %s already exists", d.ID)
	}
	if err != nil {
		return fmt.Errorf("create document: %w", err)
	}
	return nil
}

func (t *tx) AddDocument(ctx context.Context, d *registry.Document, most int) (bool, error) {
	// The count is read by the statement that inserts: on PostgreSQL the
	// caller holds the application's row lock (as every writer of its
	// documents takes it first), and the statement's snapshot, taken
	// after, sees every document those writers committed.
	res, err := t.exec(ctx, `INSERT INTO documents (`+docCols+`)
		SELECT ?, ?, ?, ?, ?, CAST(? AS BIGINT), ?, ?, ?, ?
		WHERE (SELECT COUNT(*) FROM documents WHERE application_id = ?) < ?`,
		append(docArgs(d), d.ApplicationID, most)...)
	if err := createDocumentErr(d, err); err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("create document: %w", err)
	}
	return n == 1, nil
}

func (t *tx) Document(ctx context.Context, id string) (*registry.Document, error) {
	d, err := scanDoc(t.queryRow(ctx, `SELECT `+docCols+` FROM documents WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "document %s not found", id)
	}
	return d, nil
}

func (t *tx) listDocs(ctx context.Context, q string, args ...any) ([]*registry.Document, error) {
	rows, err := t.query(ctx, `SELECT `+docCols+` FROM documents `+q, args...)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()
	var out []*registry.Document
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, fmt.Errorf("list documents: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (t *tx) ListDocuments(ctx context.Context, applicationID string) ([]*registry.Document, error) {
	return t.listDocs(ctx, `WHERE application_id = ? ORDER BY uploaded_at, id`, applicationID)
}

func (t *tx) DeleteDocument(ctx context.Context, id string) error {
	res, err := t.exec(ctx, `DELETE FROM documents WHERE id = ?`, id)
	return mustAffect(res, err, "document %s not found", id)
}

func (t *tx) DocumentIDs(ctx context.Context) ([]string, error) {
	return documentIDs(t.query(ctx, `SELECT id FROM documents ORDER BY id`))
}

// documentIDs reads the ids a query of one id column answers, in order.
func documentIDs(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, fmt.Errorf("document ids: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("document ids: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (t *tx) DuePurges(ctx context.Context, before time.Time, limit int) ([]*registry.Document, error) {
	// A withdrawn application has no decision time; its last update is
	// when it was withdrawn.
	return t.listDocs(ctx, `WHERE purged_at = '' AND application_id IN (
		SELECT id FROM applications WHERE state IN ('approved', 'rejected', 'withdrawn')
		AND (CASE WHEN decided_at <> '' THEN decided_at ELSE updated_at END) < ?)
		ORDER BY uploaded_at, id LIMIT ?`, tm(before), limit)
}

func (t *tx) MarkDocumentPurged(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE documents SET purged_at = ? WHERE id = ? AND purged_at = ''`, tm(at), id)
	if err != nil {
		return false, fmt.Errorf("mark document purged: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark document purged: %w", err)
	}
	return n == 1, nil
}

func (t *tx) Accesses(ctx context.Context, applicationID string) ([]registry.Access, error) {
	if err := t.flushAudit(ctx); err != nil {
		return nil, err
	}
	if err := t.sealed(ctx); err != nil {
		return nil, err
	}
	rows, err := t.query(ctx, `SELECT l.at, l.actor_id, COALESCE(u.role, ''), l.action, l.detail
		FROM audit_log l LEFT JOIN users u ON u.id = l.actor_id
		WHERE (l.object_type = 'application' AND l.object_id = ? AND l.action IN ('application.viewed', 'document.viewed'))
			OR (l.object_type = 'appeal' AND l.action = 'appeal.viewed'
				AND l.object_id IN (SELECT id FROM appeals WHERE application_id = ?))
		ORDER BY l.seq`, applicationID, applicationID)
	if err != nil {
		return nil, fmt.Errorf("accesses: %w", err)
	}
	defer rows.Close()
	var out []registry.Access
	for rows.Next() {
		var a registry.Access
		var at, detail string
		if err := rows.Scan(&at, &a.ActorID, &a.ActorRole, &a.Action, &detail); err != nil {
			return nil, fmt.Errorf("accesses: %w", err)
		}
		a.At = parseTime(at)
		if detail != "" {
			var d struct {
				Kind registry.DocumentKind `json:"kind"`
			}
			// Written by the registry as JSON; an unreadable detail only
			// loses the kind, not the access.
			_ = json.Unmarshal([]byte(detail), &d)
			a.DocumentKind = d.Kind
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
