package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// CopyTo writes a consistent copy of an SQLite database to path (a file
// that must not exist yet) while the registry keeps serving: VACUUM INTO
// reads in one read transaction, which in WAL mode neither blocks the
// writer nor sees half of a transaction, and writes a compact file with
// no -wal beside it. PostgreSQL is refused: its copy is pg_dump's.
func (s *DB) CopyTo(ctx context.Context, path string) error {
	if s.d != sqliteDialect {
		return errors.New("copy database: this is PostgreSQL; back it up with pg_dump (README, Backup and restore)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("copy database: %s exists already", path)
	}
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("copy database: %w", err)
	}
	return nil
}

// Counts are the numbers of the main records, which a backup's manifest
// records and a restore checks again: applications, registrations,
// documents not purged, users; and the schema version.
type Counts struct {
	SchemaVersion int              `json:"schema_version"`
	Rows          map[string]int64 `json:"rows"`
}

// countedTables are the tables Counts counts, with the condition that
// picks the rows (documents: those whose file exists).
var countedTables = []struct{ name, from string }{
	{"applications", "applications"},
	{"registrations", "registrations"},
	{"documents", "documents WHERE purged_at = ''"},
	{"users", "users"},
	{"audit_events", "audit_log"},
}

// Counts returns the database's Counts, read in one transaction so that
// they agree with each other.
func (s *DB) Counts(ctx context.Context) (Counts, error) {
	c := Counts{Rows: map[string]int64{}}
	if s.sealer != nil {
		// The audit entries committed so far, all in the chain first.
		if err := s.sealer.wait(ctx); err != nil {
			return c, fmt.Errorf("counts: %w", err)
		}
	}
	t, done, err := s.begin(ctx, false)
	if err != nil {
		return c, fmt.Errorf("counts: %w", err)
	}
	defer done()
	defer t.Rollback()
	if err := t.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&c.SchemaVersion); err != nil {
		return c, fmt.Errorf("counts: schema version: %w", err)
	}
	for _, tb := range countedTables {
		var n int64
		if err := t.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+tb.from).Scan(&n); err != nil {
			return c, fmt.Errorf("counts: %s: %w", tb.name, err)
		}
		c.Rows[tb.name] = n
	}
	return c, nil
}

// LiveDocumentIDs lists the ids of the documents whose file the document
// store holds (recorded and not purged), sorted.
func (s *DB) LiveDocumentIDs(ctx context.Context) ([]string, error) {
	return documentIDs(s.db.QueryContext(ctx, `SELECT id FROM documents WHERE purged_at = '' ORDER BY id`))
}

// PurgedDocumentIDs returns the ids of the documents recorded as purged
// (retention ended, or their account erased): a restore must not put
// their files back.
func (s *DB) PurgedDocumentIDs(ctx context.Context) ([]string, error) {
	return documentIDs(s.db.QueryContext(ctx, `SELECT id FROM documents WHERE purged_at <> '' ORDER BY id`))
}

// SomeLiveDocumentIDs returns up to n ids of documents whose file the
// document store holds (recorded, not purged), in no order: a sample for
// checking at start that the files are sealed under the key at hand.
func (s *DB) SomeLiveDocumentIDs(ctx context.Context, n int) ([]string, error) {
	return documentIDs(s.db.QueryContext(ctx, s.d.rebind(`SELECT id FROM documents WHERE purged_at = '' LIMIT ?`), n))
}

// DocumentDigests maps the id of every document whose file the store
// holds (recorded, not purged) to its recorded SHA-256 (lower-case hex):
// what a restore compares each opened document with.
func (s *DB) DocumentDigests(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, sha256 FROM documents WHERE purged_at = ''`)
	if err != nil {
		return nil, fmt.Errorf("document digests: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, sum string
		if err := rows.Scan(&id, &sum); err != nil {
			return nil, fmt.Errorf("document digests: %w", err)
		}
		out[id] = sum
	}
	return out, rows.Err()
}

// SchemaVersions is the newest schema version this program knows: the
// last migration's number (not how many there are, as numbers may skip).
func SchemaVersions() (int, error) {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	return ms[len(ms)-1].version, nil
}

// DeleteScope removes a feed's published state (its row; its files go
// with DeleteFile), so that the next publish starts it afresh.
func (t *tx) DeleteScope(ctx context.Context, name string) error {
	_, err := t.exec(ctx, `DELETE FROM feed_scopes WHERE scope = ?`, name)
	return err
}

// Serials returns every serial's current value by name (the registration
// numbers of each year: "registration-2026", …).
func (s *DB) Serials(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, value FROM serials`)
	if err != nil {
		return nil, fmt.Errorf("serials: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return nil, fmt.Errorf("serials: %w", err)
		}
		out[name] = v
	}
	return out, rows.Err()
}

// RaiseSerials brings each serial named in at up to at least its value
// there, in one transaction, and says how many it raised. Serials only
// rise: a number taken after is never one taken before, even when the
// database is a backup older than the numbers issued (a restore over the
// database that issued them; tester, issue 14). A gap is harmless.
func (s *DB) RaiseSerials(ctx context.Context, at map[string]int64) (int, error) {
	raised := 0
	err := s.inTx(ctx, func(t *tx) error {
		for name, v := range at {
			res, err := t.exec(ctx, `INSERT INTO serials (name, value) VALUES (?, ?)
				ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE serials.value < excluded.value`, name, v)
			if err != nil {
				return fmt.Errorf("raise serial %s: %w", name, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				raised++
			}
		}
		return nil
	})
	return raised, err
}

// SkipRegistrationNumbers moves every year's registration serial
// ("registration-<year>") on by gap, creating the serial of year at gap
// when it has none, and returns the new values by name. A restore whose
// database may be older than numbers already issued (a PostgreSQL dump,
// or an SQLite backup restored where the database it replaces is not at
// hand) cannot know how many were issued since: skipping a block makes
// the next numbers ones nobody holds, unless more than gap were issued
// after the backup (tester, issue 14). The numbers skipped are a gap,
// which is harmless.
func (s *DB) SkipRegistrationNumbers(ctx context.Context, year int, gap int64) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.inTx(ctx, func(t *tx) error {
		if _, err := t.exec(ctx, `INSERT INTO serials (name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING`, fmt.Sprintf("registration-%d", year)); err != nil {
			return fmt.Errorf("skip registration numbers: %w", err)
		}
		if _, err := t.exec(ctx, `UPDATE serials SET value = value + ? WHERE name LIKE 'registration-%'`, gap); err != nil {
			return fmt.Errorf("skip registration numbers: %w", err)
		}
		rows, err := t.query(ctx, `SELECT name, value FROM serials WHERE name LIKE 'registration-%'`)
		if err != nil {
			return fmt.Errorf("skip registration numbers: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var v int64
			if err := rows.Scan(&name, &v); err != nil {
				return fmt.Errorf("skip registration numbers: %w", err)
			}
			out[name] = v
		}
		return rows.Err()
	})
	return out, err
}

// AuditGenesis is the hash of the audit chain's first entry ("" while the
// chain is empty): a registry's identity that every copy of it, however
// old, shares, and no other registry has (each chain starts from its own
// first event's time and content). A restore compares the backup's with
// the database it replaces to tell the same registry from another one.
func (s *DB) AuditGenesis(ctx context.Context) (string, error) {
	var h string
	err := s.db.QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE seq = 1`).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("audit genesis: %w", err)
	}
	return h, nil
}

// AuditHead is the last sealed entry of the audit chain: its sequence
// number and hash (0 and "" while the chain is empty).
func (s *DB) AuditHead(ctx context.Context) (seq int64, hash string, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("audit head: %w", err)
	}
	return seq, hash, nil
}

// Continues reports whether this database's audit chain holds the entry
// seq with hash: whether it is the same registry as a copy whose head
// that is, carried on from it (newer, or the same), rather than an older
// copy or one that went another way after a restore.
func (s *DB) Continues(ctx context.Context, seq int64, hash string) (bool, error) {
	var h string
	err := s.db.QueryRowContext(ctx, s.d.rebind(`SELECT hash FROM audit_log WHERE seq = ?`), seq).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("audit entry %d: %w", seq, err)
	}
	return h == hash, nil
}
