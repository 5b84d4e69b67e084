package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/store"
)

// dbFlags are the flags every command that opens the database takes.
type dbFlags struct {
	dataDir string
	db      string
	// waitNote, if set, is told once when a write of the command waits for
	// another process's (openExisting).
	waitNote io.Writer
	// lockWait bounds that wait (SQLite; store.WaitForWriters): 0 until
	// the command is interrupted.
	lockWait time.Duration
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
	switch {
	case dsn == "":
		dsn = filepath.Join(d.dataDir, "ipreg.db")
		if st, err := os.Stat(dsn); err != nil || !st.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("no registry database at %s; check --data-dir (the directory ipreg serve uses), or --db for PostgreSQL", dsn)
		}
	case !store.IsPostgres(dsn):
		// --db takes an SQLite path too: opening a mistyped one would
		// create it (and its directory), empty.
		path := strings.TrimPrefix(dsn, "sqlite://")
		if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("no registry database at %s; check --db (an SQLite file ipreg serve made, or a postgres:// URL)", path)
		}
	}
	// Beside a running ipreg serve on SQLite: wait for its writes (an
	// import, a feed snapshot of a large registry) up to lockWait, or until
	// interrupted, instead of failing with "database is locked" after the
	// busy timeout (tester, issue 13). On PostgreSQL the database exists
	// (or the connection fails), so what is checked is that it holds a
	// registry: a mistyped database name is refused, not migrated into a
	// new one.
	return openMigrated(ctx, dsn, func(db *store.DB) error {
		if d.db == "" {
			return nil
		}
		ok, err := db.HasSchema(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("no registry in the database %s (it holds no ipreg schema); check --db, or create one first with ipreg migrate --db or ipreg serve --db", store.Redact(d.db))
		}
		return nil
	}, func(db *store.DB) error {
		db.WaitForWriters(d.lockWait, func() {
			if d.waitNote == nil {
				return
			}
			if d.lockWait > 0 {
				fmt.Fprintf(d.waitNote, "waiting for the database: another process (ipreg serve?) is writing to it; this command goes on once that write ends, or gives up after %v in all (Ctrl-C to give up now)\n", d.lockWait)
				return
			}
			fmt.Fprintln(d.waitNote, "waiting for the database: another process (ipreg serve?) is writing to it; this command goes on once that write ends (Ctrl-C to give up)")
		})
		return nil
	})
}

// openMigrated opens dsn, runs setup in order (the first error closes the
// database and is returned), then brings the schema up to date.
func openMigrated(ctx context.Context, dsn string, setup ...func(*store.DB) error) (*store.DB, []string, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range setup {
		if err := f(db); err != nil {
			db.Close()
			return nil, nil, err
		}
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, applied, nil
}
