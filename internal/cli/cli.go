// Package cli is the ipreg command: it parses flags and environment into
// configuration, builds the parts (store, service, API) and runs them.
// cmd/ipreg only calls Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ipreg/ipreg/internal/flagenv"
)

// Env is the process environment as a lookup function, so tests can pass their own.
type Env func(string) (string, bool)

// IO bundles the standard streams, and the program's name as invoked
// (os.Args[0]) for messages that say what to run.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Program        string
}

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, env Env, stdio IO) error
}

var commands = []command{
	{"serve", "run the registry: portal API, background jobs", runServe},
	{"migrate", "apply database migrations and exit", runMigrate},
	{"user", "manage staff users (user add, user reset-totp)", runUser},
	{"operator", "manage operators (operator add | list | load-prefixes)", runOperator},
	{"audit", "check the audit log (audit verify)", runAudit},
	{"key", "signing keys: the feed's (key show | rotate), certificates' (key show-certificate | rotate-certificate)", runKey},
	{"loadtest", "drive a running registry with a realistic mix of clients and print latency per operation", runLoadtest},
	{"backup", "back up the database (SQLite, while serving), documents and, with --include-keys, the keys", runBackup},
	{"restore", "restore a backup made by ipreg backup, checked against its manifest; the feed starts a new session", runRestore},
	{"verify-certificate", "check a certificate PDF or its QR code's URL: signature, and live status online", runVerifyCertificate},
	{"import", "import the existing allowlist from CSV (import registrations --file F.csv [--dry-run])", runImport},
}

// errUsage marks an error whose message is a usage text already printed.
var errUsage = errors.New("usage")

// Main runs the command line and returns the exit status.
func Main(ctx context.Context, args []string, env Env, stdio IO) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdio.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], env, stdio)
			switch {
			case err == nil, errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			}
			var ex *exitError
			if errors.As(err, &ex) {
				fmt.Fprintln(stdio.Stderr, ex.msg)
				return ex.code
			}
			fmt.Fprintf(stdio.Stderr, "ipreg %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stdio.Stderr, "ipreg: unknown command %q\n\n", args[0])
	usage(stdio.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `ipreg — VPN registration and IP allowlisting registry

Usage: ipreg <command> [flags]

Commands:`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-19s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, `
Run "ipreg <command> --help" for a command's flags. Every flag can also be
set as an environment variable: --data-dir is IPREG_DATA_DIR, and so on.
Flags given on the command line win over the environment.`)
}

// flagSet returns a FlagSet for "ipreg <name>" with IPREG_* variables.
func flagSet(name, synopsis string, stdio IO) *flag.FlagSet {
	return flagenv.New("IPREG_", "ipreg "+name, synopsis, stdio.Stdout, stdio.Stderr)
}

func parse(fs *flag.FlagSet, args []string, env Env) error {
	err := flagenv.Parse("IPREG_", fs, args, flagenv.Env(env))
	if errors.Is(err, flagenv.ErrUsage) {
		return errUsage
	}
	return err
}

// OSEnv is the real environment.
func OSEnv(k string) (string, bool) { return os.LookupEnv(k) }
