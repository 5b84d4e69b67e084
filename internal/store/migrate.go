package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Migrations are an append-only list of files named NNNN_what.sql,
// numbered 0001, 0002, … without gaps (a gap is a migration lost in a
// merge); each runs in its own transaction and each version applied is a
// row. A version is applied when its own row is missing, not only when it
// exceeds the highest, so a database never skips one.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil || v != len(out)+1 {
			return nil, fmt.Errorf("migration %s: names must be numbered 0001, 0002, … without gaps", base)
		}
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	return out, nil
}

// Migrate brings the schema up to date and returns the versions applied.
// Several servers starting at once over one PostgreSQL take an advisory
// lock, so each migration runs exactly once.
func (s *DB) Migrate(ctx context.Context) ([]string, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if s.d == postgresDialect {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7431001)"); err != nil {
			return nil, fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7431001)")
	}
	// Which versions are applied is read first, without a transaction:
	// on SQLite a write transaction takes the database's write lock, and
	// one per migration, applied or not, made every command wait for a
	// running server's write (or fail, naming the first migration, as if
	// it ran it: tester, issue 13) although an up-to-date schema needs
	// nothing written.
	done, err := appliedVersions(ctx, conn)
	if err != nil {
		if _, cerr := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"); cerr != nil {
			return nil, fmt.Errorf("migrate: %w", cerr)
		}
		if done, err = appliedVersions(ctx, conn); err != nil {
			return nil, err
		}
	}
	current := 0
	for v := range done {
		current = max(current, v)
	}
	if last := ms[len(ms)-1].version; current > last {
		return nil, fmt.Errorf("migrate: the database is at schema version %d, newer than this program knows (%d); run a newer ipreg", current, last)
	}
	var applied []string
	for _, m := range ms {
		if done[m.version] {
			continue
		}
		t, err := s.beginWaiting(ctx, func(ctx context.Context) (*sql.Tx, error) { return conn.BeginTx(ctx, nil) })
		if err != nil {
			return applied, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		// Again under the lock: another process may have applied it since.
		var n int
		if err := t.QueryRowContext(ctx, s.d.rebind("SELECT COUNT(*) FROM schema_version WHERE version = ?"), m.version).Scan(&n); err != nil {
			t.Rollback()
			return applied, fmt.Errorf("migrate: read version: %w", err)
		}
		if n > 0 {
			t.Rollback()
			continue
		}
		for _, stmt := range splitStatements(m.sql) {
			if _, err := t.ExecContext(ctx, stmt); err != nil {
				t.Rollback()
				return applied, fmt.Errorf("migrate %s: %w", m.name, err)
			}
		}
		if _, err := t.ExecContext(ctx, s.d.rebind("INSERT INTO schema_version (version) VALUES (?)"), m.version); err != nil {
			t.Rollback()
			return applied, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if err := t.Commit(); err != nil {
			return applied, fmt.Errorf("migrate %s: commit: %w", m.name, err)
		}
		applied = append(applied, m.name)
	}
	return applied, nil
}

// HasSchema reports whether the database holds an ipreg schema (its
// applications table, and a schema_version table naming at least one
// migration: other tools keep a schema_version table too), without
// creating anything: commands that need an existing registry refuse a
// database that answers false, where Migrate would turn it into a new,
// empty one.
func (s *DB) HasSchema(ctx context.Context) (bool, error) {
	for _, name := range []string{"schema_version", "applications"} {
		var q string
		switch s.d {
		case postgresDialect:
			// to_regclass is NULL for a missing table, not an error, so
			// the answer needs no failed statement (which would end a
			// transaction); it looks where unqualified names resolve
			// (search_path), as Migrate and every query do.
			q = "SELECT to_regclass('" + name + "') IS NOT NULL"
		default:
			q = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '" + name + "')"
		}
		var ok bool
		if err := s.db.QueryRowContext(ctx, q).Scan(&ok); err != nil {
			return false, fmt.Errorf("read the schema: %w", err)
		}
		if !ok {
			return false, nil
		}
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_version").Scan(&n); err != nil {
		return false, fmt.Errorf("read the schema: %w", err)
	}
	return n > 0, nil
}

// OtherSessions returns how many other client sessions are connected to
// this PostgreSQL database (pg_stat_activity), not counting this handle's
// own connection; 0 on SQLite, whose users the data directory's lock
// tells. A restore that changes a database refuses one in use: a running
// ipreg serve would go on serving what the restore replaced.
func (s *DB) OtherSessions(ctx context.Context) (int, error) {
	if s.d != postgresDialect {
		return 0, nil
	}
	// One connection: the count leaves out the backend that asks, and
	// this handle holds no other (it is opened for the check).
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("read the database's sessions: %w", err)
	}
	defer conn.Close()
	var n int
	err = conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read the database's sessions: %w", err)
	}
	return n, nil
}

// appliedVersions reads the schema versions applied; an error when there
// is no schema_version table yet.
func appliedVersions(ctx context.Context, conn *sql.Conn) (map[int]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_version")
	if err != nil {
		return nil, fmt.Errorf("migrate: read version: %w", err)
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("migrate: read version: %w", err)
		}
		done[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read version: %w", err)
	}
	return done, nil
}

// splitStatements splits a migration on semicolons at line ends, after
// dropping -- comments. Migrations keep to that simple form.
func splitStatements(src string) []string {
	var lines []string
	for _, l := range strings.Split(src, "\n") {
		if i := strings.Index(l, "--"); i >= 0 {
			l = l[:i]
		}
		lines = append(lines, l)
	}
	var out []string
	for _, s := range strings.Split(strings.Join(lines, "\n"), ";\n") {
		if s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), ";")); s != "" {
			out = append(out, s)
		}
	}
	return out
}
