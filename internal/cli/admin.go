package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/ipreg/ipreg/internal/netpolicy"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/textfile"
)

func runMigrate(ctx context.Context, args []string, env Env, stdio IO) error {
	var d dbFlags
	fs := flagSet("migrate", "Apply the database schema migrations and exit. ipreg serve also migrates at start.", stdio)
	d.register(fs)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	db, applied, err := d.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if len(applied) == 0 {
		fmt.Fprintln(stdio.Stdout, "schema is up to date")
	}
	for _, m := range applied {
		fmt.Fprintln(stdio.Stdout, "applied", m)
	}
	return nil
}

// openService opens the database (created when there is none, as the
// first ipreg user add or operator add of a new registry does) and a
// service over it for one command. When it made a new registry it says
// so on note, naming where: a mistyped --data-dir or --db is seen at once,
// not as a user missing from the real one.
func openService(ctx context.Context, d *dbFlags, note io.Writer) (*registry.Service, func(), error) {
	db, applied, err := d.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(applied) > 0 && strings.HasPrefix(applied[0], "0001_") {
		where := store.Redact(d.db)
		if d.db == "" {
			where = filepath.Join(d.dataDir, "ipreg.db")
		}
		fmt.Fprintf(note, "note: a new, empty registry was created at %s; if you meant an existing one, check --data-dir or --db\n", where)
	}
	return serviceOver(ctx, db)
}

// openExistingService is openService for commands that need a registry
// already there: those that only read (audit verify, operator list) and
// those that change what must exist first (user reset-totp, operator
// load-prefixes). The database must exist and hold a registry
// (dbFlags.openExisting); none is ever created, so a mistyped --data-dir
// or --db is refused instead of becoming a new, empty registry.
func openExistingService(ctx context.Context, d *dbFlags) (*registry.Service, func(), error) {
	db, _, err := d.openExisting(ctx)
	if err != nil {
		return nil, nil, err
	}
	return serviceOver(ctx, db)
}

func serviceOver(ctx context.Context, db *store.DB) (*registry.Service, func(), error) {
	svc := registry.NewService(db, registry.Config{})
	// As at serve: commands that look users up by e-mail need the stored
	// addresses in their normal form.
	if _, err := svc.NormalizeStoredEmails(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return svc, func() { db.Close() }, nil
}

// describe turns a domain error into one line per invalid field.
func describe(err error) error {
	var e *registry.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	var b strings.Builder
	b.WriteString(e.Message)
	for k, v := range e.Fields {
		fmt.Fprintf(&b, "\n  --%s: %s", strings.ReplaceAll(k, "_", "-"), v)
	}
	return errors.New(b.String())
}

// groupUsage prints a command group's usage: to standard output with exit
// status 0 when help was asked for, else to standard error as a usage error.
func groupUsage(args []string, stdio IO, text string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stdio.Stdout, text)
		return nil
	}
	fmt.Fprintln(stdio.Stderr, text)
	return errUsage
}

const userUsage = `Usage: ipreg user add --email E --role R [--operator ID]   (password on standard input)
       ipreg user reset-totp --email E                    (after a lost authenticator)
--help after a subcommand lists its flags.`

func runUser(ctx context.Context, args []string, env Env, stdio IO) error {
	if len(args) > 0 && args[0] == "reset-totp" {
		return runUserResetTOTP(ctx, args[1:], env, stdio)
	}
	if len(args) == 0 || args[0] != "add" {
		return groupUsage(args, stdio, userUsage)
	}
	var d dbFlags
	var email, role, op string
	fs := flagSet("user add", "Create a staff or operator user. The password is read from the first line of\nstandard input, e.g.  printf '%s\\n' \"$PW\" | ipreg user add --email … --role reviewer", stdio)
	fs.StringVar(&email, "email", "", "the user's e-mail address (login name)")
	fs.StringVar(&role, "role", "", "operator, reviewer, supervisor or admin")
	fs.StringVar(&op, "operator", "", "operator id, for --role operator (see ipreg operator list)")
	d.register(fs)
	if err := parse(fs, args[1:], env); err != nil {
		return err
	}
	// A BOM (a file saved by Notepad) and the line end are not part of
	// the password; its spaces are.
	pw, err := textfile.FirstLine(stdio.Stdin)
	if err != nil {
		return fmt.Errorf("read password from standard input: %w", err)
	}
	svc, done, err := openService(ctx, &d, stdio.Stderr)
	if err != nil {
		return err
	}
	defer done()
	u, err := svc.AddUser(ctx, registry.System, registry.AddUserInput{Email: email, Password: pw, Role: registry.Role(role), OperatorID: op})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdio.Stdout, "created %s %s (%s)\n", u.Role, u.Email, u.ID)
	return nil
}

func runUserResetTOTP(ctx context.Context, args []string, env Env, stdio IO) error {
	var d dbFlags
	var email string
	fs := flagSet("user reset-totp", "Clear a user's TOTP after they lost their authenticator, and end all their sessions\nand API tokens. Their next login sets TOTP up again (required for reviewers,\nsupervisors and admins).", stdio)
	fs.StringVar(&email, "email", "", "the user's e-mail address")
	d.register(fs)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if email == "" {
		return fmt.Errorf("--email is required: whose TOTP to reset")
	}
	svc, done, err := openExistingService(ctx, &d)
	if err != nil {
		return err
	}
	defer done()
	u, err := svc.ResetTOTP(ctx, registry.System, email)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdio.Stdout, "reset TOTP of %s %s; all their sessions and API tokens are revoked\n", u.Role, u.Email)
	return nil
}

func runOperator(ctx context.Context, args []string, env Env, stdio IO) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	var d dbFlags
	switch sub {
	case "add":
		var o registry.Operator
		var kind string
		fs := flagSet("operator add", "Register an ISP or mobile network operator.", stdio)
		fs.StringVar(&o.ID, "id", "", "short id, lowercase (e.g. ptcl)")
		fs.StringVar(&o.Name, "name", "", "display name")
		fs.StringVar(&kind, "kind", "fixed", "fixed or mobile")
		d.register(fs)
		if err := parse(fs, args, env); err != nil {
			return err
		}
		o.Kind = registry.OperatorKind(kind)
		svc, done, err := openService(ctx, &d, stdio.Stderr)
		if err != nil {
			return err
		}
		defer done()
		if _, err := svc.AddOperator(ctx, registry.System, o); err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdio.Stdout, "created operator %s (%s, %s)\n", o.ID, o.Name, o.Kind)
		return nil
	case "list":
		fs := flagSet("operator list", "List operators with the number of address-space prefixes loaded. Refuses a --data-dir\nholding no database, or a PostgreSQL --db holding no registry, and never creates one.", stdio)
		d.register(fs)
		if err := parse(fs, args, env); err != nil {
			return err
		}
		svc, done, err := openExistingService(ctx, &d)
		if err != nil {
			return err
		}
		defer done()
		ops, err := svc.ListOperators(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdio.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tKIND\tPREFIXES")
		for _, o := range ops {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", o.ID, o.Name, o.Kind, o.PrefixCount)
		}
		return tw.Flush()
	case "load-prefixes":
		var id, file string
		var allowEmpty bool
		fs := flagSet("operator load-prefixes", "Replace an operator's address space with a prefix list: one prefix or address\nper line, # comments allowed (UTF-8 with or without a BOM, LF, CRLF or CR line\nends); \"-\" reads standard input. Special-purpose space (private, loopback,\ndocumentation, … RFC 6890) is refused with its line; a prefix that repeats a\nline or lies inside another is loaded once and reported. A list with no\nprefixes is refused unless --allow-empty. Applications whose addresses fall\noutside the space are flagged for the reviewer.", stdio)
		fs.StringVar(&id, "id", "", "operator id")
		fs.StringVar(&file, "file", "-", "prefix list file, or - for standard input")
		fs.BoolVar(&allowEmpty, "allow-empty", false, "load a list with no prefixes, emptying the operator's address space (every application for it is then flagged)")
		d.register(fs)
		if err := parse(fs, args, env); err != nil {
			return err
		}
		var r io.Reader = stdio.Stdin
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		ps, notes, err := netpolicy.ParseOperatorSpace(r)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if len(ps) == 0 && !allowEmpty {
			return fmt.Errorf("%s holds no prefixes; loading it would empty operator %s's address space: check the file, or pass --allow-empty to do that", file, id)
		}
		for _, n := range notes {
			fmt.Fprintf(stdio.Stderr, "note: %s: %s\n", file, n)
		}
		svc, done, err := openExistingService(ctx, &d)
		if err != nil {
			return err
		}
		defer done()
		if err := svc.LoadOperatorPrefixes(ctx, registry.System, id, ps); err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdio.Stdout, "loaded %d prefixes for operator %s\n", len(ps), id)
		return nil
	}
	return groupUsage(append([]string{sub}, args...), stdio, "Usage: ipreg operator add|list|load-prefixes [flags]   (--help on each)")
}

func runAudit(ctx context.Context, args []string, env Env, stdio IO) error {
	if len(args) == 0 || args[0] != "verify" {
		return groupUsage(args, stdio, "Usage: ipreg audit verify [flags]   (--help for flags)")
	}
	var d dbFlags
	fs := flagSet("audit verify", "Walk the hash-chained audit log and report the first changed, removed or\nreordered entry. Exit status 1 when the log does not verify. Like every read-only\ncommand it refuses a --data-dir holding no database, or a PostgreSQL --db holding no\nregistry, and never creates one.", stdio)
	d.register(fs)
	if err := parse(fs, args[1:], env); err != nil {
		return err
	}
	svc, done, err := openExistingService(ctx, &d)
	if err != nil {
		return err
	}
	defer done()
	n, err := svc.VerifyAudit(ctx)
	if err != nil {
		return fmt.Errorf("audit log does NOT verify after %d good entries: %w", n, err)
	}
	fmt.Fprintf(stdio.Stdout, "audit log verified: %d entries, chain intact\n", n)
	return nil
}
