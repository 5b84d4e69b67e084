package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

const importUsage = `Usage: ipreg import registrations --file F.csv [--dry-run]
Imports the regulator's existing allowlist (docs/import.md has the columns,
docs/import-sample.csv a sample). --help after the subcommand lists its flags.`

// importLockWait is how long ipreg import registrations waits, by default,
// for the running server's writes to the SQLite database: an import of a
// large registry by the portal, or a feed snapshot, takes a minute or two
// at most (BENCHMARKS.md); past that something is wrong, and the person
// had better hear so than watch a command that never ends.
const importLockWait = 5 * time.Minute

// runImport is "ipreg import registrations": a thin wrapper around
// registry.ImportRegistrations that prints its report.
func runImport(ctx context.Context, args []string, env Env, stdio IO) error {
	if len(args) == 0 || args[0] != "registrations" {
		return groupUsage(args, stdio, importUsage)
	}
	args = args[1:]
	var d dbFlags
	var file string
	var dry bool
	fs := flagSet("import registrations", `Import the regulator's existing allowlist from a CSV file: one row per holder
and item (columns in docs/import.md, a sample in docs/import-sample.csv).
Every row is checked as an application is; a file with any problem is
reported line by line and nothing is written.

Holders are matched to accounts by e-mail alone. A row whose e-mail is that
of an account's user goes into that account if the e-mail was verified (or
an earlier import made the account), the account is of the row's holder
kind, and its CNIC or NTN, if it has one, is the row's; otherwise the row is
a problem, as is the e-mail of a staff user. A CNIC or NTN of an account
whose user has another e-mail is a problem too, never a match: give that
e-mail. Other holders get a new account to claim.

A clean file is imported in one transaction: the new holders get an
invitation to claim their accounts (e-mailed through the outbox by the
running server; admins see them at /admin/invitations); each registration is
audited; the feed gets all the new items in one version (published here when
the feed's keys are in --data-dir, else by the running server). Running the
same file again changes nothing. Exit status 1 when the file has problems.

On SQLite, while the running server writes to the database, the import says
so at once and waits for it, up to --wait (5 minutes unless told otherwise),
then gives up having written nothing. A dry run only reads, and never waits.`, stdio)
	fs.StringVar(&file, "file", "", "the CSV file to import (UTF-8, comma-separated, with a header row)")
	fs.BoolVar(&dry, "dry-run", false, "check the file and report what would be imported, writing nothing")
	fs.DurationVar(&d.lockWait, "wait", importLockWait, "on SQLite, how long to wait in all while another process (ipreg serve) writes to the database, before giving up with nothing imported (0: until interrupted)")
	d.register(fs)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if file == "" {
		fmt.Fprintln(stdio.Stderr, "ipreg import registrations: --file is required: the CSV file to import")
		return errUsage
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open the file: %w", err)
	}
	defer f.Close()
	d.waitNote = stdio.Stderr
	db, _, err := d.openExisting(ctx)
	if store.IsLocked(err) {
		return lockedOut(d.lockWait, err)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	svc, done, err := serviceOver(ctx, db)
	if store.IsLocked(err) {
		return lockedOut(d.lockWait, err)
	}
	if err != nil {
		return err
	}
	defer done()
	keys := publish.Keys{Dir: d.dataDir}
	if ok, err := keys.Exists(); err == nil && ok && !dry {
		svc.SetImportPublisher(func(ctx context.Context) (int64, error) { return publishNow(ctx, db, keys) })
	}
	// New holders are invited in the same run (registry.ImportAndInvite):
	// the invitation e-mails wait in the outbox for the running server.
	// All or nothing: an error wrote nothing, so no report is printed as
	// if the import were done.
	rep, invited, err := svc.ImportAndInvite(ctx, f, registry.ImportOptions{DryRun: dry, Actor: "cli"})
	if store.IsLocked(err) {
		// One transaction that never began: nothing is written.
		return lockedOut(d.lockWait, err)
	}
	if err != nil {
		return describe(err)
	}
	printImportReport(stdio.Stdout, rep, dry)
	if invited > 0 {
		fmt.Fprintln(stdio.Stdout, invitedLine(invited))
	}
	if len(rep.Problems) > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("ipreg import registrations: %s; nothing was imported. Correct the file and run the command again.", count(len(rep.Problems), "problem", "problems"))}
	}
	return nil
}

// lockedOut says that the import gave up waiting for another process's
// write, and what to do, in plain words: SQLite's "database is locked" and
// the step that met it (Migrate's first version, which read like a
// migration being run: tester, issue 13) are kept for errors.Is, not
// shown.
func lockedOut(wait time.Duration, err error) error {
	if wait <= 0 {
		return &lockedOutError{msg: "the import stopped while another process (ipreg serve?) held the database's write lock; nothing was imported. Run the command again when it is quieter", err: err}
	}
	return &lockedOutError{msg: fmt.Sprintf("another process (ipreg serve?) held the database's write lock for longer than --wait %v; nothing was imported. Run the command again when it is quieter, or with a longer --wait", wait), err: err}
}

type lockedOutError struct {
	msg string
	err error
}

func (e *lockedOutError) Error() string { return e.msg }
func (e *lockedOutError) Unwrap() error { return e.err }

// publishNow publishes the feed once and returns the global feed's version.
func publishNow(ctx context.Context, db *store.DB, keys publish.Keys) (int64, error) {
	pub := publish.NewPublisher(db, keys, nil, nil)
	if _, err := pub.PublishOnce(ctx); err != nil {
		return 0, err
	}
	var v int64
	err := db.FeedRead(ctx, func(tx publish.Tx) error {
		scopes, err := tx.Scopes(ctx)
		for _, s := range scopes {
			if s.Name == "" {
				v = s.Version
			}
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	if v == 0 {
		return 0, errors.New("no global feed after publishing")
	}
	return v, nil
}

// count is n with its noun in the form for n, as ngettext chooses in
// English: "1 problem", "2 problems", "0 problems" (the command line
// speaks English only; the portal's counted texts are in locales/ur.po).
func count(n int, one, other string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, other)
}

// invitedLine says how many new holders the run invited, the whole
// sentence in the form for the number ("1 new holder to claim their
// accounts" read as several: tester, issue 13).
func invitedLine(n int) string {
	what := "invited 1 new holder to claim their account: the e-mail waits"
	if n != 1 {
		what = fmt.Sprintf("invited %d new holders to claim their accounts: the e-mails wait", n)
	}
	return what + " in the outbox for the running server (admins see them at /admin/invitations)"
}

// importIDsShown is how many new holders' user ids the report prints.
const importIDsShown = 10

// printImportReport writes the problems, one a line (line, column, value,
// message), then the summary.
func printImportReport(w io.Writer, rep *registry.ImportReport, dry bool) {
	for _, p := range rep.Problems {
		where := "file"
		if p.Line > 0 {
			where = fmt.Sprintf("line %d", p.Line)
		}
		if p.Field != "" {
			where += ", " + p.Field
		}
		if p.Value != "" {
			where += fmt.Sprintf(" (%q)", p.Value)
		}
		fmt.Fprintf(w, "%s: %s\n", where, p.Message)
	}
	verb := "imported"
	switch {
	case len(rep.Problems) > 0:
		verb = "would import (once the problems are corrected)"
	case dry:
		verb = "would import (dry run: nothing written)"
	}
	fmt.Fprintf(w, "%s: %s with %s of %s\n", count(rep.Rows, "row", "rows"), count(rep.Registrations, "registration", "registrations"),
		count(rep.Items, "item", "items"), count(rep.Holders, "holder", "holders"))
	fmt.Fprintf(w, "%s: %s, %s; %s unchanged (imported before)\n", verb, count(rep.NewRegistrations, "new registration", "new registrations"),
		count(rep.NewHolders, "new holder account", "new holder accounts"), count(rep.Unchanged, "registration", "registrations"))
	if len(rep.Problems) > 0 {
		fmt.Fprintln(w, count(len(rep.Problems), "problem", "problems"))
		return
	}
	if !dry && len(rep.NewHolderIDs) > 0 {
		// At most importIDsShown ids: 31,000 on one line helped nobody
		// (tester t3, minor 9); the invitations page lists them all.
		ids := rep.NewHolderIDs
		more := ""
		if len(ids) > importIDsShown {
			more = fmt.Sprintf(" … and %d more (all are on /admin/invitations)", len(ids)-importIDsShown)
			ids = ids[:importIDsShown]
		}
		fmt.Fprintf(w, "new holders (user ids): %s%s\n", strings.Join(ids, " "), more)
	}
	switch {
	case rep.FeedVersion > 0:
		fmt.Fprintf(w, "feed: published as version %d\n", rep.FeedVersion)
	case !dry && rep.NewRegistrations > 0:
		fmt.Fprintln(w, "feed: the running server publishes the new items as one version")
	}
}
