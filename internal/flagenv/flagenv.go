// Package flagenv is the command-line plumbing both binaries share: every
// flag is also an environment variable (--data-dir is <PREFIX>DATA_DIR),
// the command line wins, --help lists each flag with its variable, and
// --log-format/--log-level make the same logger.
package flagenv

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
)

// Env looks up an environment variable.
type Env func(string) (string, bool)

// ErrUsage marks a usage error whose message has been printed already.
var ErrUsage = errors.New("usage")

// New returns a FlagSet whose --help writes to out and lists each flag
// with its environment variable.
func New(prefix, name, synopsis string, out, errOut io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: %s\n\n%s\n\nFlags (environment variable in brackets):\n", name, synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			def := ""
			if f.DefValue != "" && f.DefValue != "false" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(out, "  --%s [%s]\n      %s%s\n", f.Name, Name(prefix, f.Name), f.Usage, def)
		})
	}
	return fs
}

// Name is a flag's environment variable.
func Name(prefix, flagName string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse parses args, then fills every flag not given on the command line
// from its environment variable. It returns flag.ErrHelp for --help and
// ErrUsage for a bad command line.
func Parse(prefix string, fs *flag.FlagSet, args []string, env Env) error {
	if err := ParseArgs(prefix, fs, args, env); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; see %s --help", fs.Arg(0), fs.Name())
	}
	return nil
}

// ParseArgs is Parse for a command that takes arguments after its flags
// (fs.Args()).
func ParseArgs(prefix string, fs *flag.FlagSet, args []string, env Env) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return ErrUsage
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []string
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		if v, ok := env(Name(prefix, f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: %v", Name(prefix, f.Name), v, err))
			}
		}
	})
	if len(errs) > 0 {
		sort.Strings(errs)
		return fmt.Errorf("invalid environment: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Logger returns a slog logger writing to w as text or json at level.
func Logger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}
