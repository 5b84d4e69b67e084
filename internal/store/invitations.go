package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

const invitationCols = `i.id, i.user_id, i.hash, i.invited_by, i.mailed, i.created_at, i.expires_at, i.used_at, u.email, COALESCE(a.id, ''), COALESCE(a.name, '')`

const invitationFrom = ` FROM invitations i JOIN users u ON u.id = i.user_id LEFT JOIN accounts a ON a.id = u.account_id`

// PutInvitation is one statement on both databases (INSERT … ON CONFLICT
// DO UPDATE, SQLite 3.24+ and PostgreSQL 9.5+), so two admins inviting the
// same user at once leave one row, the later token winning.
func (t *tx) PutInvitation(ctx context.Context, inv *registry.Invitation) error {
	_, err := t.exec(ctx, `INSERT INTO invitations (id, user_id, hash, invited_by, mailed, created_at, expires_at, used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, '')
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, invited_by = excluded.invited_by, mailed = excluded.mailed,
			created_at = excluded.created_at, expires_at = excluded.expires_at, used_at = ''`,
		inv.ID, inv.UserID, inv.Hash, inv.InvitedBy, boolInt(inv.Mailed), tm(inv.CreatedAt), tm(inv.ExpiresAt))
	if err != nil {
		return fmt.Errorf("put invitation: %w", err)
	}
	// The row keeps its first id when renewed: read it back.
	return t.queryRow(ctx, `SELECT id FROM invitations WHERE user_id = ?`, inv.UserID).Scan(&inv.ID)
}

func scanInvitation(sc interface{ Scan(...any) error }) (*registry.Invitation, error) {
	var inv registry.Invitation
	var mailed int
	var created, expires, used string
	if err := sc.Scan(&inv.ID, &inv.UserID, &inv.Hash, &inv.InvitedBy, &mailed, &created, &expires, &used,
		&inv.Email, &inv.AccountID, &inv.AccountName); err != nil {
		return nil, err
	}
	inv.Mailed = mailed != 0
	inv.CreatedAt, inv.ExpiresAt, inv.UsedAt = parseTime(created), parseTime(expires), parseTime(used)
	return &inv, nil
}

func (t *tx) InvitationByHash(ctx context.Context, hash string) (*registry.Invitation, error) {
	inv, err := scanInvitation(t.queryRow(ctx, `SELECT `+invitationCols+invitationFrom+` WHERE i.hash = ?`, hash))
	if err != nil {
		return nil, notFound(err, "invitation not found")
	}
	return inv, nil
}

func (t *tx) InvitationOfUser(ctx context.Context, userID string) (*registry.Invitation, error) {
	inv, err := scanInvitation(t.queryRow(ctx, `SELECT `+invitationCols+invitationFrom+` WHERE i.user_id = ?`, userID))
	if err != nil {
		return nil, notFound(err, "user %s has no invitation", userID)
	}
	return inv, nil
}

func (t *tx) UseInvitation(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE invitations SET used_at = ? WHERE id = ? AND used_at = ''`, tm(at), id)
	if err != nil {
		return false, fmt.Errorf("use invitation: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use invitation: %w", err)
	}
	return n == 1, nil
}

func (t *tx) PendingInvitations(ctx context.Context) ([]*registry.Invitation, error) {
	rows, err := t.query(ctx, `SELECT `+invitationCols+invitationFrom+` WHERE i.used_at = '' ORDER BY i.created_at, i.id`)
	if err != nil {
		return nil, fmt.Errorf("pending invitations: %w", err)
	}
	return scanInvitations(rows)
}

func scanInvitations(rows *sql.Rows) ([]*registry.Invitation, error) {
	defer rows.Close()
	var out []*registry.Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, fmt.Errorf("pending invitations: %w", err)
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// pendingPageQuery finds the ids of a page of PendingInvitationsPage on
// the index invitations_pending (used_at, created_at, id) alone: the pages
// before are skipped in the index without reading a row. (OFFSET on the
// joined rows read and joined all 31,000 for the last of 310 pages.)
const pendingPageQuery = `SELECT id FROM invitations WHERE used_at = '' ORDER BY created_at, id LIMIT ? OFFSET ?`

// PendingInvitationsPage implements registry.Tx: the count and the page's
// ids through the index invitations_pending (used_at, created_at, id; the
// id orders only invitations made at the same instant, all of an
// import's), then only the page's rows, by primary key.
func (t *tx) PendingInvitationsPage(ctx context.Context, offset, limit int) ([]*registry.Invitation, int, error) {
	var total int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM invitations WHERE used_at = ''`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("pending invitations: %w", err)
	}
	if offset >= total {
		return nil, total, nil
	}
	rows, err := t.query(ctx, pendingPageQuery, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("pending invitations: %w", err)
	}
	var ids []any
	pos := make(map[string]int, limit)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("pending invitations: %w", err)
		}
		pos[id] = len(ids)
		ids = append(ids, id)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, 0, fmt.Errorf("pending invitations: %w", err)
	}
	var out []*registry.Invitation
	for len(ids) > 0 {
		n := min(inChunk, len(ids))
		rows, err := t.query(ctx, `SELECT `+invitationCols+invitationFrom+` WHERE i.id IN (`+placeholders(n)+`)`, ids[:n]...)
		if err != nil {
			return nil, 0, fmt.Errorf("pending invitations: %w", err)
		}
		part, err := scanInvitations(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, part...)
		ids = ids[n:]
	}
	// In the index's order: the rows by key come in any order.
	slices.SortFunc(out, func(a, b *registry.Invitation) int { return pos[a.ID] - pos[b.ID] })
	return out, total, nil
}

// inChunk is how many ids one IN list carries: well below SQLite's limit
// of parameters.
const inChunk = 500

// UsersByID implements registry.Tx: a statement per inChunk ids.
func (t *tx) UsersByID(ctx context.Context, ids []string) (map[string]*registry.User, error) {
	out := make(map[string]*registry.User, len(ids))
	for len(ids) > 0 {
		n := min(inChunk, len(ids))
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		us, err := t.listUsers(ctx, `SELECT `+userCols+` FROM users WHERE id IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			out[u.ID] = u
		}
		ids = ids[n:]
	}
	return out, nil
}

// PutInvitations implements registry.Tx: PutInvitation for many users in
// a statement per table chunk (bulkInsert, with PutInvitation's ON
// CONFLICT), then each row's id read back, a statement per inChunk users.
// The users must be distinct (PostgreSQL refuses to update one row twice
// in a statement).
func (t *tx) PutInvitations(ctx context.Context, invs []*registry.Invitation) error {
	rows := make([][]any, 0, len(invs))
	byUser := make(map[string]*registry.Invitation, len(invs))
	for _, inv := range invs {
		rows = append(rows, []any{inv.ID, inv.UserID, inv.Hash, inv.InvitedBy, boolInt(inv.Mailed), tm(inv.CreatedAt), tm(inv.ExpiresAt), ""})
		byUser[inv.UserID] = inv
	}
	if err := t.bulkInsertOn(ctx, "invitations", "id, user_id, hash, invited_by, mailed, created_at, expires_at, used_at", 8, rows,
		` ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, invited_by = excluded.invited_by, mailed = excluded.mailed,
			created_at = excluded.created_at, expires_at = excluded.expires_at, used_at = ''`); err != nil {
		return fmt.Errorf("put invitations: %w", err)
	}
	// A renewed row keeps its first id: read them back.
	for i := 0; i < len(invs); i += inChunk {
		part := invs[i:min(i+inChunk, len(invs))]
		args := make([]any, len(part))
		for j, inv := range part {
			args[j] = inv.UserID
		}
		rs, err := t.query(ctx, `SELECT user_id, id FROM invitations WHERE user_id IN (`+placeholders(len(args))+`)`, args...)
		if err != nil {
			return fmt.Errorf("put invitations: %w", err)
		}
		for rs.Next() {
			var user, id string
			if err := rs.Scan(&user, &id); err != nil {
				rs.Close()
				return fmt.Errorf("put invitations: %w", err)
			}
			byUser[user].ID = id
		}
		err = rs.Err()
		rs.Close()
		if err != nil {
			return fmt.Errorf("put invitations: %w", err)
		}
	}
	return nil
}

// EnqueueMessages implements registry.Tx: EnqueueMessage for many, a
// statement per chunk (bulkInsert, with its ON CONFLICT DO NOTHING).
func (t *tx) EnqueueMessages(ctx context.Context, ms []*registry.Message) error {
	rows := make([][]any, 0, len(ms))
	for _, m := range ms {
		r, err := messageRow(m)
		if err != nil {
			return fmt.Errorf("enqueue messages: %w", err)
		}
		rows = append(rows, r)
	}
	if err := t.bulkInsertOn(ctx, "outbox", msgCols, 18, rows, ` ON CONFLICT (msg_key) DO NOTHING`); err != nil {
		return fmt.Errorf("enqueue messages: %w", err)
	}
	return nil
}
