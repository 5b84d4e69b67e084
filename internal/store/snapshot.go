package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Snapshot returns every table's rows, each row one line of text (its
// columns in table order, separated by tabs, NULL as \N), sorted, keyed by
// table name: what the access tests compare before and after a request
// that must change nothing. Tables of the migrations' own bookkeeping are
// included; it is meant for test databases (it reads everything).
func (s *DB) Snapshot(ctx context.Context) (map[string][]string, error) {
	if s.sealer != nil {
		// The audit entries committed so far, sealed first: a seal that
		// ran between two snapshots would look like a change.
		if err := s.sealer.wait(ctx); err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
	}
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.d.name == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("snapshot: list tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("snapshot: list tables: %w", err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("snapshot: list tables: %w", err)
	}
	out := make(map[string][]string, len(tables))
	for _, t := range tables {
		lines, err := s.tableRows(ctx, t)
		if err != nil {
			return nil, err
		}
		out[t] = lines
	}
	return out, nil
}

func (s *DB) tableRows(ctx context.Context, table string) ([]string, error) {
	// The name comes from the catalogue, quoted all the same.
	rows, err := s.db.QueryContext(ctx, `SELECT * FROM "`+strings.ReplaceAll(table, `"`, `""`)+`"`)
	if err != nil {
		return nil, fmt.Errorf("snapshot: read %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("snapshot: read %s: %w", table, err)
	}
	var lines []string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("snapshot: read %s: %w", table, err)
		}
		fields := make([]string, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				fields[i] = `\N`
			case []byte:
				fields[i] = fmt.Sprintf("%x", v)
			default:
				fields[i] = fmt.Sprint(v)
			}
		}
		lines = append(lines, strings.Join(fields, "\t"))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("snapshot: read %s: %w", table, err)
	}
	slices.Sort(lines)
	return lines, nil
}
