package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadOnlyCommandsLeaveNoSQLiteFile: a mistyped SQLite --db (a path,
// which --db takes too) is refused by the read-only commands, as a
// mistyped --data-dir is, and nothing is left behind: no directory, no
// empty database file.
func TestReadOnlyCommandsLeaveNoSQLiteFile(t *testing.T) {
	for _, args := range [][]string{{"audit", "verify"}, {"operator", "list"}} {
		dir := filepath.Join(t.TempDir(), "typo")
		path := filepath.Join(dir, "ipreg.db")
		code, out, errOut := run(t, nil, "", append(args, "--db", path)...)
		if want := "no registry database at " + path + "; check --db"; code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("%v --db %s = %d %q %q; want 1 and %q", args, path, code, out, errOut, want)
		}
		if _, err := os.Stat(dir); err == nil {
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("%v --db %s (refused) left the directory %s holding %v", args, path, dir, names)
		}
	}
}

// TestCommandsNeedingARegistry: user reset-totp and operator load-prefixes
// change what must exist already (a user, an operator), so a mistyped
// --data-dir is refused and nothing is made; user add may make a new
// registry (its first admin), and then says so, naming where (second
// tester, issue 14: a mistyped --db silently got a new registry).
func TestCommandsNeedingARegistry(t *testing.T) {
	prefixes := filepath.Join(t.TempDir(), "ptcl.txt")
	if err := os.WriteFile(prefixes, []byte("14.1.0.0/16\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"user", "reset-totp", "--email", "admin@example.pk"}, {"operator", "load-prefixes", "--id", "ptcl", "--file", prefixes}} {
		dir := filepath.Join(t.TempDir(), "typo")
		code, out, errOut := run(t, nil, "", append(args, "--data-dir", dir)...)
		if want := "no registry database at " + filepath.Join(dir, "ipreg.db"); code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("%v on a mistyped --data-dir = %d %q %q; want 1 and %q", args, code, out, errOut, want)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%v made %s", args, dir)
		}
	}
	dir := filepath.Join(t.TempDir(), "new")
	code, out, errOut := run(t, nil, "correct horse battery staple\n", "user", "add", "--email", "admin@example.pk", "--role", "admin", "--data-dir", dir)
	if want := "note: a new, empty registry was created at " + filepath.Join(dir, "ipreg.db"); code != 0 || !strings.Contains(errOut, want) {
		t.Errorf("user add on a new data directory = %d %q %q; want 0 and %q", code, out, errOut, want)
	}
	code, out, errOut = run(t, nil, "another horse battery staple\n", "user", "add", "--email", "second@example.pk", "--role", "reviewer", "--data-dir", dir)
	if code != 0 || strings.Contains(errOut, "new, empty registry") {
		t.Errorf("user add on an existing registry = %d %q %q; want 0 and no note", code, out, errOut)
	}
}
