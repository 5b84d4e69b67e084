package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

// demoElsewhere says exactly what to run to start the demo on a database
// of its own, when this one holds users the demo must not sit beside: the
// program as it was invoked, the flags given (those naming the database
// replaced), shell-quoted, and a data directory checked to be free for the
// demo (absent, empty, or holding only demo users). db is the refused
// database, asked on PostgreSQL which database names are taken.
func (cfg *ServeConfig) demoElsewhere(ctx context.Context, db *store.DB) string {
	dir := freeDemoDir(ctx, cfg.db.dataDir)
	kept := withoutFlags(cfg.args, "data-dir", "db")
	cmd := append(invokedAs(cfg.program), "serve")
	cmd = append(cmd, kept...)
	if !hasFlag(kept, "demo") {
		cmd = append(cmd, "--demo")
	}
	cmd = append(cmd, "--data-dir", dir)
	// Other commands run for this demo (the README's walk reads the
	// feed's key with ipreg key show) must find its data directory too.
	after := "\nThen, in each terminal that runs ipreg for this demo (the README's walk among them), first: " +
		"export IPREG_DATA_DIR=" + shellQuote(dir)
	if cfg.db.db == "" {
		return "Run the demo in a data directory of its own: " + shellJoin(cmd) + after
	}
	name := ""
	if store.IsPostgres(cfg.db.db) {
		name = freeDemoDatabase(ctx, db, store.DatabaseName(cfg.db.db))
	}
	if name == "" {
		cmd = append(cmd[:len(cmd)-2], "--db", "postgres://…/<a new, empty database>", "--data-dir", dir)
		return "Run the demo on a new, empty PostgreSQL database, with a data directory of its own: " + shellJoin(cmd) + after
	}
	// The password in --db, if any, is not repeated (store.Redact): the
	// refusal is printed and may be logged.
	note := ""
	if store.HasPassword(cfg.db.db) {
		note = " (put your password where they say " + store.RedactedPassword + ")"
	}
	cmd = append(cmd[:len(cmd)-2], "--db", store.Redact(store.WithDatabase(cfg.db.db, name)), "--data-dir", dir)
	return fmt.Sprintf("Run the demo on a new, empty PostgreSQL database, with a data directory of its own%s: %s && %s%s",
		note, shellJoin([]string{"psql", store.Redact(cfg.db.db), "-c", "CREATE DATABASE \"" + name + "\""}), shellJoin(cmd), after)
}

// invokedAs is the program's name to repeat in a command to run: the
// name as invoked, except a binary go run built in a temporary directory
// (…/go-build…/exe/ipreg), gone when it exits, or ran from the build
// cache, where it keeps binaries it ran before (…/go-build/4b/4bcb…-d/ipreg,
// since Go 1.24), which is "go run ./cmd/ipreg" instead.
func invokedAs(program string) []string {
	if program == "" {
		return []string{"ipreg"}
	}
	p := strings.ReplaceAll(program, `\`, "/")
	if strings.Contains(p, "/go-build") && (strings.Contains(p, "/exe/") || goRunCached(p)) {
		return []string{"go", "run", "./cmd/" + strings.TrimSuffix(path.Base(p), ".exe")}
	}
	return []string{program}
}

// goRunCached reports whether p (slash-separated) is a binary in the Go
// build cache: in a directory named by a hex hash and "-d", itself in
// one named by the hash's first two digits, under go-build.
func goRunCached(p string) bool {
	dir := path.Dir(p)
	hash, ok := strings.CutSuffix(path.Base(dir), "-d")
	parent := path.Dir(dir)
	if !ok || len(hash) < 2 || path.Base(path.Dir(parent)) != "go-build" || path.Base(parent) != hash[:2] {
		return false
	}
	for _, c := range hash {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// freeDemoDir returns the first of <dataDir>-demo, <dataDir>-demo-2, … that
// the demo can start in: absent, an empty directory, or a data directory
// whose users are all the demo's.
func freeDemoDir(ctx context.Context, dataDir string) string {
	base := filepath.Clean(dataDir) + "-demo"
	for i := 1; ; i++ {
		dir := base
		if i > 1 {
			dir = fmt.Sprintf("%s-%d", base, i)
		}
		if demoDirUsable(ctx, dir) || i == 100 {
			return dir
		}
	}
}

func demoDirUsable(ctx context.Context, dir string) bool {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	if err != nil || !fi.IsDir() {
		return false
	}
	dbFile := filepath.Join(dir, "ipreg.db")
	if _, err := os.Stat(dbFile); errors.Is(err, os.ErrNotExist) {
		entries, err := os.ReadDir(dir)
		return err == nil && len(entries) == 0
	}
	db, err := store.Open(ctx, dbFile)
	if err != nil {
		return false
	}
	defer db.Close()
	others, err := registry.NewService(db, registry.Config{}).NonDemoUsers(ctx)
	return err == nil && len(others) == 0
}

// freeDemoDatabase returns <current>_demo, <current>_demo_2, … the first
// name no database on the server has, or "" when it cannot tell.
func freeDemoDatabase(ctx context.Context, db *store.DB, current string) string {
	if current == "" {
		current = "ipreg"
	}
	for i := 1; i < 100; i++ {
		name := current + "_demo"
		if i > 1 {
			name = fmt.Sprintf("%s_demo_%d", current, i)
		}
		var n int
		if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
			return ""
		}
		if n == 0 {
			return name
		}
	}
	return ""
}

// withoutFlags returns args without the flags named (in every form the
// flag package reads: -name value, --name value, -name=value).
func withoutFlags(args []string, names ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && contains(names, name) {
			if !hasValue {
				i++ // its value
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && n == name {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// shellJoin quotes each word for a POSIX shell where it needs it.
func shellJoin(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = shellQuote(w)
	}
	return strings.Join(quoted, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
