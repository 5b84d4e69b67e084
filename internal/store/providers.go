package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ipreg/ipreg/internal/registry"
)

// The register of licensed VPN service providers (migration 0019; its
// revision, migration 0024).

func (t *tx) CreateProvider(ctx context.Context, p *registry.Provider) error {
	_, err := t.exec(ctx, `INSERT INTO providers (id, name, licence_number, licence_date, status, website, created_at, updated_at, revision)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Name, p.LicenceNumber, p.LicenceDate, string(p.Status), p.Website, tm(p.CreatedAt), tm(p.UpdatedAt), p.Revision)
	if isUnique(err) {
		return registry.Errorf(registry.ECONFLICT, "licence number %s is already on the register; check the number, or edit that provider instead", p.LicenceNumber)
	}
	if err != nil {
		return fmt.Errorf("create provider: %w", err)
	}
	return nil
}

const providerSelect = `SELECT id, name, licence_number, licence_date, status, website, created_at, updated_at, revision FROM providers`

func scanProvider(sc interface{ Scan(...any) error }) (*registry.Provider, error) {
	var p registry.Provider
	var status, created, updated string
	if err := sc.Scan(&p.ID, &p.Name, &p.LicenceNumber, &p.LicenceDate, &status, &p.Website, &created, &updated, &p.Revision); err != nil {
		return nil, err
	}
	p.Status = registry.ProviderStatus(status)
	p.CreatedAt, p.UpdatedAt = parseTime(created), parseTime(updated)
	return &p, nil
}

func (t *tx) Provider(ctx context.Context, id string, forUpdate bool) (*registry.Provider, error) {
	p, err := scanProvider(t.queryRow(ctx, providerSelect+` WHERE id = ?`+t.lock(forUpdate), id))
	if err != nil {
		return nil, notFound(err, "provider %s not found", id)
	}
	return p, nil
}

func (t *tx) UpdateProvider(ctx context.Context, p *registry.Provider) error {
	res, err := t.exec(ctx, `UPDATE providers SET name = ?, licence_number = ?, licence_date = ?, status = ?, website = ?, updated_at = ?, revision = ? WHERE id = ?`,
		p.Name, p.LicenceNumber, p.LicenceDate, string(p.Status), p.Website, tm(p.UpdatedAt), p.Revision, p.ID)
	if isUnique(err) {
		return registry.Errorf(registry.ECONFLICT, "licence number %s is already on the register; check the number, or edit that provider instead", p.LicenceNumber)
	}
	if err != nil {
		return fmt.Errorf("update provider: %w", err)
	}
	return mustAffect(res, nil, "provider %s not found", p.ID)
}

func (t *tx) ListProviders(ctx context.Context) ([]*registry.Provider, error) {
	// Sorted here, not by ORDER BY: PostgreSQL's collation follows the
	// server's locale and SQLite's compares bytes, and the register must
	// read the same on both. By name ignoring case, then by licence number
	// (unique, so the order is total), as the README says: names equal but
	// for case ("apple", "aPPLE") go by licence number, not by their bytes
	// (which would put the capital first whatever the licence).
	rows, err := t.query(ctx, providerSelect)
	if err != nil {
		return nil, fmt.Errorf("list providers: %w", err)
	}
	defer rows.Close()
	var out []*registry.Provider
	for rows.Next() {
		p, err := scanProvider(rows)
		if err != nil {
			return nil, fmt.Errorf("list providers: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list providers: %w", err)
	}
	slices.SortFunc(out, func(a, b *registry.Provider) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.LicenceNumber, b.LicenceNumber))
	})
	return out, nil
}
