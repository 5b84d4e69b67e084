package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ipreg/ipreg/internal/backup"
	"github.com/ipreg/ipreg/internal/store"
)

func runBackup(ctx context.Context, args []string, env Env, stdio IO) error {
	var d dbFlags
	var to string
	var documentsOnly, includeKeys bool
	fs := flagSet("backup", "Back up the registry while it serves. On SQLite: a consistent copy of the database (VACUUM INTO, taken\nwhile ipreg serve runs) and the sealed documents it names. On PostgreSQL: back the database up with\npg_dump, then the documents with --documents-only (README, Backup and restore). A manifest (versions,\ntime, counts, the SHA-256 of every file) goes in; ipreg restore checks it. The signing and document keys\ngo in only with --include-keys: keep them apart, since the document key opens every document.", stdio)
	fs.StringVar(&to, "to", "", "where: a new (or empty) directory (a name without an extension, or ending in /), or a file ending in .tar, .tar.gz or .tgz; any other extension (.zip …) is refused; never overwritten")
	fs.BoolVar(&documentsOnly, "documents-only", false, "only the documents (for PostgreSQL, whose database pg_dump copies; take pg_dump first)")
	fs.BoolVar(&includeKeys, "include-keys", false, "put the document key and the feed and certificate signing keys in the backup too (anyone holding it can then read every document)")
	d.register(fs)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if to == "" {
		return errors.New("say where with --to: a new directory, or a file ending in .tar, .tar.gz or .tgz")
	}
	// A backup inside the data directory would hold the database and,
	// with --include-keys, the keys in plain beside the documents, and a
	// later restore --force would delete it (tester).
	if in, err := backup.Within(to, d.dataDir); err == nil && in {
		return fmt.Errorf("--to %s is inside the data directory %s: a backup belongs on another disk or volume; give a path outside it", to, d.dataDir)
	}
	o := backup.Options{DataDir: d.dataDir, To: to, DocumentsOnly: documentsOnly, IncludeKeys: includeKeys}
	if !documentsOnly {
		if d.db != "" && store.IsPostgres(d.db) {
			return errors.New("the database is PostgreSQL: back it up with pg_dump --format=custom, then the documents with ipreg backup --documents-only (README, Backup and restore)")
		}
		dsn := d.db
		if dsn == "" {
			dsn = filepath.Join(d.dataDir, backup.DatabaseName)
		}
		// Never create a database to back up: a mistyped --data-dir would
		// give an empty backup that looks fine.
		if _, err := os.Stat(dsn); err != nil {
			return fmt.Errorf("no database at %s (%v): give the --data-dir that ipreg serve uses; on PostgreSQL, back the database up with pg_dump and the documents with --documents-only", dsn, err)
		}
		db, err := store.Open(ctx, dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		o.DB = db
	} else if _, err := os.Stat(d.dataDir); err != nil {
		return fmt.Errorf("--data-dir %s: %v: give the data directory that ipreg serve uses", d.dataDir, err)
	}
	m, err := backup.Take(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Stdout, "backup written to %s (%s, %d files)\n", to, m.Kind, len(m.Files)+1)
	fmt.Fprintln(stdio.Stdout, "  "+countsLine(m))
	if includeKeys {
		fmt.Fprintln(stdio.Stdout, "  keys INCLUDED: the document key and the signing keys are in this backup; anyone holding it can read every document and sign the feed. Keep it as you keep the keys.")
	} else if keys := backup.PresentKeyFiles(d.dataDir); len(keys) > 0 {
		fmt.Fprintf(stdio.Stdout, "  keys NOT included (kept apart): back up %s from %s separately, each time they change (ipreg key rotate, rotate-certificate), or use --include-keys. Without the document key no document in this backup can be read.\n",
			strings.Join(keys, ", "), d.dataDir)
	} else {
		fmt.Fprintf(stdio.Stdout, "  keys NOT included, and %s holds none (has ipreg serve run there?): without the document key no document in this backup can be read.\n", d.dataDir)
	}
	return nil
}

func countsLine(m *backup.Manifest) string {
	var parts []string
	for _, k := range []string{"applications", "registrations", "documents", "users", "audit_events", "document_files"} {
		if v, ok := m.Counts[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(k, "_", " "), v))
		}
	}
	return strings.Join(parts, ", ")
}

func runRestore(ctx context.Context, args []string, env Env, stdio IO) error {
	var d dbFlags
	var o backup.RestoreOptions
	fs := flagSet("restore", "Restore a backup that ipreg backup took into a data directory, with ipreg serve stopped: every\nipreg serve holds a shared lock on its data directory (serve.lock), and restore, --force or not,\nrefuses while one does, naming its pid; a serve started during a restore refuses too. The\nbackup is checked against its manifest (every file's size and SHA-256, the counts) before anything\nchanges; a data directory that holds a database or documents is refused without --force. The\nrestored feed starts a new session, so agents drop what they hold and take a fresh snapshot.\nPostgreSQL: pg_restore the database first, then ipreg restore --documents-only --db <it>.", stdio)
	fs.StringVar(&o.From, "from", "", "the backup: the directory or tar file ipreg backup wrote")
	fs.BoolVar(&o.DocumentsOnly, "documents-only", false, "restore a --documents-only backup into --data-dir, for the database given by --db (PostgreSQL, restored with pg_restore)")
	fs.BoolVar(&o.Force, "force", false, "replace the database, documents and keys the data directory holds; nothing is deleted: what it replaces is kept in replaced-<time>/, a replaced key beside it as <name>.replaced-<time>")
	fs.StringVar(&o.CarryFrom, "carry-from", "", "the database this restore replaces, if it can still be read (a PostgreSQL URL or an SQLite file): what it says was erased, disabled, changed or logged out since the backup is carried into the restored database. A full restore --force carries from the SQLite database it replaces without it")
	fs.Int64Var(&o.RegistrationGap, "registration-gap", backup.DefaultRegistrationGap, "registration numbers to skip when the restore cannot know the last one issued (a PostgreSQL dump, or a new directory): more than were issued after the backup was taken")
	d.register(fs)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	o.DataDir, o.DB = d.dataDir, d.db
	if o.RegistrationGap < 1 {
		return fmt.Errorf("--registration-gap %d: give how many registration numbers to skip, 1 or more (default %d)", o.RegistrationGap, backup.DefaultRegistrationGap)
	}
	res, err := backup.Restore(ctx, o)
	if err != nil {
		return err
	}
	m := res.Manifest
	fmt.Fprintf(stdio.Stdout, "restored %s backup of %s (ipreg %s) into %s; every file matched its manifest\n",
		m.Kind, m.CreatedAt.Format("2006-01-02 15:04:05Z07:00"), m.Program, d.dataDir)
	fmt.Fprintln(stdio.Stdout, "  "+countsLine(m))
	if res.ContentsChecked {
		fmt.Fprintln(stdio.Stdout, "  documents: each opened with the document key, and each the database names matched the SHA-256 it records")
	} else {
		fmt.Fprintln(stdio.Stdout, "  documents: contents could NOT be checked (no document key in the backup or the data directory); put the key back, and a restore again would check them")
	}
	if r := res.Replaced; r.Dir != "" {
		var what []string
		if r.Database {
			what = append(what, "the database it replaced (with its audit trail: what was decided since the backup)")
		}
		if r.Documents > 0 {
			what = append(what, fmt.Sprintf("%d document files the restored documents do not hold (uploaded after the backup, or of records the restored database lacks)", r.Documents))
		}
		what = append(what, "the documents directory it replaced")
		fmt.Fprintf(stdio.Stdout, "  replaced, kept in %s: %s. Nothing was deleted: remove it once nothing in it is needed (it holds personal documents)\n", r.Dir, strings.Join(what, "; "))
	}
	if res.PurgedNotRestored > 0 {
		fmt.Fprintf(stdio.Stdout, "  documents: %d files the backup held were not restored: the database records their documents as purged (retention ended, or the account erased)\n", res.PurgedNotRestored)
	}
	if res.KeptDocuments > 0 {
		fmt.Fprintf(stdio.Stdout, "  documents kept: %d documents the database names were not in this backup (uploaded after it was taken) and stay as they were\n", res.KeptDocuments)
	}
	if res.MissingDocuments > 0 {
		fmt.Fprintf(stdio.Stdout, "  WARNING: %d documents the database names have a file neither in this backup nor in %s; opening one says its file is not in the document store. Restore a documents backup taken after the database's, or see whether they were deleted before it\n", res.MissingDocuments, d.dataDir)
	}
	if len(res.RegistrationSerials) > 0 {
		var next []string
		for _, name := range slices.Sorted(maps.Keys(res.RegistrationSerials)) {
			year, _ := strings.CutPrefix(name, "registration-")
			next = append(next, fmt.Sprintf("VPN-%s-%06d", year, res.RegistrationSerials[name]+1))
		}
		from := "the backup's last"
		if res.SerialsRaised > 0 {
			from = "the last the replaced database issued"
		}
		fmt.Fprintf(stdio.Stdout, "  registration numbers: %d skipped after %s, the next %s, so that none issued after the backup is given again; if more than %d were issued since it was taken, restore again (--force) with a larger --registration-gap\n",
			res.RegistrationGap, from, strings.Join(next, ", "), res.RegistrationGap)
	}
	if c := res.Carried; c != nil {
		from := res.CarriedFrom
		if from == "" {
			from = "the database it replaced (now " + filepath.Join(res.Replaced.Dir, backup.DatabaseName) + ")"
		}
		since := ", as it stood after the backup"
		if c.CredentialsSkipped {
			since = ""
		}
		fmt.Fprintf(stdio.Stdout, "  carried from %s%s: %d accounts its holders deleted erased again (%d applications withdrawn, %d documents purged, %d registrations ended), %d users' passwords, two-factor setups or disabled states, %d sessions and API tokens ended\n",
			from, since, len(c.AccountsErased), c.ApplicationsWithdrawn, len(c.DocumentsPurged), len(c.RegistrationsEnded), c.UsersUpdated, c.TokensEnded)
		if c.CredentialsSkipped {
			fmt.Fprintf(stdio.Stdout, "  passwords, two-factor setups, disabled states and tokens were NOT carried: %s is not newer than the backup (its audit trail does not go on from the backup's last entry), so they would be older; only erasures, which are never undone, were\n", from)
		}
		if len(c.Registrations) > 0 {
			fmt.Fprintf(stdio.Stdout, "  WARNING: registrations %s are active in the restored database, but their holders deleted their accounts after the backup, so they had ended, and the database it replaced does not say how: once ipreg serve starts they are in the allowlist again, so have a reviewer propose their revocation and a supervisor confirm it at once, giving the reason \"holder's account deleted before the restore\"\n", strings.Join(c.Registrations, ", "))
		}
		if len(c.Appeals) > 0 {
			fmt.Fprintf(stdio.Stdout, "  WARNING: appeals of applications %s are pending in the restored database, but their appellants deleted their accounts after the backup: uphold them, so that no registration is made for an erased account\n", strings.Join(c.Appeals, ", "))
		}
	} else {
		fmt.Fprintln(stdio.Stdout, "  NOT carried: no database this restore replaces could be read (give it with --carry-from if it still exists). Accounts deleted, staff disabled, passwords changed and tokens ended after the backup are as the backup had them: re-apply them before serving (README, Backup and restore)")
	}
	if res.OtherRegistry {
		fmt.Fprintf(stdio.Stdout, "  WARNING: %s held another registry (its audit trail begins differently): nothing of it was carried into this one (neither its registration numbers nor its certificate keys); its database is kept as said above\n", d.dataDir)
	}
	if res.Feeds > 0 {
		fmt.Fprintf(stdio.Stdout, "  feed: %d feeds start a new session at the next ipreg serve; agents take a fresh snapshot\n", res.Feeds)
	} else {
		// A second restore into the same database (to add --carry-from,
		// say) finds the feed state the first one cleared (tester t11
		// read "0 feeds start a new session" as none would).
		fmt.Fprintln(stdio.Stdout, "  feed: the restored database holds no published feed state (a restore cleared it already, or it never published): the next ipreg serve will start a new session from a fresh snapshot; agents take it")
	}
	if len(res.KeysRestored) > 0 {
		fmt.Fprintf(stdio.Stdout, "  keys restored: %s\n", strings.Join(res.KeysRestored, ", "))
	}
	if res.CertificateKeysRetired > 0 {
		fmt.Fprintf(stdio.Stdout, "  certificate keys: %d the restore replaced are now among the retired keys, so the certificates they signed still verify\n", res.CertificateKeysRetired)
	}
	for _, k := range slices.Sorted(maps.Keys(res.KeysReplaced)) {
		fmt.Fprintf(stdio.Stdout, "  WARNING: %s held another key than the backup's: the replaced key is kept as %s. What it opened or signed (documents, certificates, the feed agents trust) needs it: keep it with your key backup, or put it back with ipreg serve stopped\n",
			k, res.KeysReplaced[k])
	}
	for _, w := range res.ForeignKeys {
		fmt.Fprintf(stdio.Stdout, "  WARNING: %s\n", w)
	}
	if len(res.KeysMissing) > 0 {
		fmt.Fprintf(stdio.Stdout, "  keys MISSING in %s: %s. Copy them from your key backup before starting ipreg serve: once a registry has served, it refuses to start without the keys it used (new ones would open no restored document, and no agent or verifier would trust them).\n",
			d.dataDir, strings.Join(res.KeysMissing, ", "))
	}
	return nil
}
