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
