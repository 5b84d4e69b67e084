package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ipreg/ipreg/internal/store"
)

// dbFlags are the flags every command that opens the database takes.
type dbFlags struct {
	dataDir string
	db      string
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.dataDir, "data-dir", "./ipreg-data", "directory for the SQLite database and other local data")
	fs.StringVar(&d.db, "db", "", "database: a postgres:// URL or libpq's keyword/value form (host=… user=… dbname=…), or empty for SQLite at <data-dir>/ipreg.db; a password in it is never printed or logged")
}

// dsn returns the database to open, creating the data directory for SQLite.
func (d *dbFlags) dsn() (string, error) {
	if d.db != "" {
		return d.db, nil
	}
	if err := os.MkdirAll(d.dataDir, 0o700); err != nil {
		return "", fmt.Errorf("create data directory: %w", err)
	}
	return filepath.Join(d.dataDir, "ipreg.db"), nil
}

// open opens and migrates the database, creating an SQLite one (and the
// data directory) when there is none: for ipreg serve and migrate only.
func (d *dbFlags) open(ctx context.Context) (*store.DB, []string, error) {
	dsn, err := d.dsn()
	if err != nil {
		return nil, nil, err
	}
	return openMigrated(ctx, dsn)
}

// openExisting opens and migrates a database that must exist already:
// every command but serve and migrate. A mistyped or empty --data-dir
// is refused instead of becoming a new, empty registry (where audit
// verify would report "0 entries" as if all were well).
func (d *dbFlags) openExisting(ctx context.Context) (*store.DB, []string, error) {
	dsn := d.db
	if dsn == "" {
		dsn = filepath.Join(d.dataDir, "ipreg.db")
		if st, err := os.Stat(dsn); err != nil || !st.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("no registry database at %s; check --data-dir (the directory ipreg serve uses), or --db for PostgreSQL", dsn)
		}
	}
	return openMigrated(ctx, dsn)
}

func openMigrated(ctx context.Context, dsn string) (*store.DB, []string, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, applied, nil
}
