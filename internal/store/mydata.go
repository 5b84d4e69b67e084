package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/registry"
)

// EraseAccount implements registry.Tx: the account's personal fields are
// blanked (its identity key freed, so the CNIC or NTN can sign up again);
// its users get the tombstone e-mail address, no password, no TOTP, and
// are disabled; their tokens, reset links and remembered login clients go;
// its applications lose the subscriber id (also in the key of what an
// operator confirmed), purpose, payment reference and VPN endpoints, and the operator checks' snapshots the subscriber id and
// holder name; appeals lose their statement and surrendered registrations
// the holder's reason. Messages to its users' e-mail addresses or its mobile
// number (unless another account gives that number too), sent or not,
// and e-mail verification links go too (a message record holds the
// address and what was said), and so do messages about its applications
// and registrations, to whatever recipient. Ids, states, items, dates
// and the audit log stay.
func (t *tx) EraseAccount(ctx context.Context, accountID string, at time.Time) error {
	t.erased = true
	// Before the addresses are blanked: they are how a message names its
	// recipient.
	// Besides, every message about the account's applications and
	// registrations (keys "app:<id>:…", "reg:<number>:…", registry
	// notify.go), whoever it goes to: an SMS to a mobile number another
	// account gives too stayed, and a restore's server sent it (tester
	// t11). Compared by prefix with substr, not LIKE, whose "_" would
	// match any character of an id.
	if _, err := t.exec(ctx, `DELETE FROM outbox WHERE recipient IN (SELECT email FROM users WHERE account_id = ?)
		OR recipient IN (SELECT a.mobile FROM accounts a WHERE a.id = ? AND a.mobile <> ''
			AND NOT EXISTS (SELECT 1 FROM accounts o WHERE o.mobile = a.mobile AND o.id <> a.id))
		OR EXISTS (SELECT 1 FROM applications p WHERE p.account_id = ?
			AND substr(outbox.msg_key, 1, length(p.id) + 5) = 'app:' || p.id || ':')
		OR EXISTS (SELECT 1 FROM registrations r WHERE r.account_id = ?
			AND substr(outbox.msg_key, 1, length(r.number) + 5) = 'reg:' || r.number || ':')`, accountID, accountID, accountID, accountID); err != nil {
		return fmt.Errorf("erase account: messages: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE accounts SET name = '', cnic = '', mobile = '', ntn = '', secp_number = '', pseb_number = '',
		identity_key = NULL WHERE id = ?`, accountID)
	if err := mustAffect(res, err, "account %s not found", accountID); err != nil {
		return err
	}
	steps := []struct{ what, q string }{
		{"tokens", `DELETE FROM tokens WHERE user_id IN (SELECT id FROM users WHERE account_id = ?)`},
		{"password resets", `DELETE FROM password_resets WHERE user_id IN (SELECT id FROM users WHERE account_id = ?)`},
		{"e-mail verifications", `DELETE FROM email_verifications WHERE user_id IN (SELECT id FROM users WHERE account_id = ?)`},
		{"invitations", `DELETE FROM invitations WHERE user_id IN (SELECT id FROM users WHERE account_id = ?)`},
		{"login clients", `DELETE FROM login_clients WHERE user_id IN (SELECT id FROM users WHERE account_id = ?)`},
		{"users", `UPDATE users SET email = '` + registry.ErasedEmailPrefix + `' || id || '` + registry.ErasedEmailDomain + `',
			password_hash = '', disabled = 1, totp_secret = '', totp_enabled_at = '' WHERE account_id = ?`},
		// checked_items is the operator, subscriber id and items an
		// operator last confirmed (registry.Application.CheckedItems):
		// the subscriber id again (tester t10).
		{"applications", `UPDATE applications SET subscriber_id = '', purpose = '', payment_reference = '', vpn_endpoints = '[]',
			checked_items = '' WHERE account_id = ?`},
		{"checks", `UPDATE checks SET subscriber_id = '', holder_name = ''
			WHERE application_id IN (SELECT id FROM applications WHERE account_id = ?)`},
		// What the person wrote in their own words: an appeal's statement
		// and a surrender's reason.
		{"appeals", `UPDATE appeals SET statement = '' WHERE account_id = ?`},
		{"surrenders", `UPDATE registrations SET end_reason = '' WHERE account_id = ? AND status = 'surrendered'`},
	}
	for _, s := range steps {
		if _, err := t.exec(ctx, s.q, accountID); err != nil {
			return fmt.Errorf("erase account: %s: %w", s.what, err)
		}
	}
	return nil
}

// AuditEntriesAbout implements registry.Tx, through the index on
// (object_type, object_id). Inside a PostgreSQL transaction, which cannot
// wait for the sealer (auditseal.go), entries not yet sealed (this
// transaction's own among them) follow the sealed ones, in the order they
// were appended, with Seq 0 and no hash.
func (t *tx) AuditEntriesAbout(ctx context.Context, objects []registry.AuditObject) ([]audit.Entry, error) {
	if err := t.flushAudit(ctx); err != nil {
		return nil, err
	}
	if err := t.sealed(ctx); err != nil {
		return nil, err
	}
	var out []audit.Entry
	for _, o := range objects {
		rows, err := t.query(ctx, `SELECT seq, at, actor_id, action, object_type, object_id, detail, prev_hash, hash
			FROM audit_log WHERE object_type = ? AND object_id = ? ORDER BY seq`, o.Type, o.ID)
		if err != nil {
			return nil, fmt.Errorf("audit entries about %s %s: %w", o.Type, o.ID, err)
		}
		for rows.Next() {
			var e audit.Entry
			var at string
			if err := rows.Scan(&e.Seq, &at, &e.ActorID, &e.Action, &e.ObjectType, &e.ObjectID, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
				rows.Close()
				return nil, fmt.Errorf("audit entries about %s %s: %w", o.Type, o.ID, err)
			}
			e.At = parseTime(at)
			out = append(out, e)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("audit entries about %s %s: %w", o.Type, o.ID, err)
		}
	}
	slices.SortFunc(out, func(a, b audit.Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	out = slices.CompactFunc(out, func(a, b audit.Entry) bool { return a.Seq == b.Seq })
	if t.d != postgresDialect || !t.inTx {
		return out, nil
	}
	var pending []pendingEntry
	for _, o := range objects {
		rows, err := t.query(ctx, `SELECT id, at, actor_id, action, object_type, object_id, detail
			FROM audit_pending WHERE object_type = ? AND object_id = ?`, o.Type, o.ID)
		if err != nil {
			return nil, fmt.Errorf("audit entries about %s %s: %w", o.Type, o.ID, err)
		}
		for rows.Next() {
			p := pendingEntry{e: &audit.Entry{}}
			var at string
			if err := rows.Scan(&p.id, &at, &p.e.ActorID, &p.e.Action, &p.e.ObjectType, &p.e.ObjectID, &p.e.Detail); err != nil {
				rows.Close()
				return nil, fmt.Errorf("audit entries about %s %s: %w", o.Type, o.ID, err)
			}
			p.e.At = parseTime(at)
			pending = append(pending, p)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("audit entries about %s %s: %w", o.Type, o.ID, err)
		}
	}
	slices.SortFunc(pending, func(a, b pendingEntry) int { return cmp.Compare(a.id, b.id) })
	pending = slices.CompactFunc(pending, func(a, b pendingEntry) bool { return a.id == b.id })
	for _, p := range pending {
		out = append(out, *p.e)
	}
	return out, nil
}
