package notify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := func(vars map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	}
	for _, tt := range []struct {
		name, file string
		env        map[string]string
		want, err  string
	}{
		{"neither", "", nil, "", ""},
		{"environment", "", map[string]string{"X_PW": "from env"}, "from env", ""},
		{"file, first line", write("a", "pass word\nsecond line\n"), nil, "pass word", ""},
		{"file with BOM and CRLF", write("b", "\uFEFFs3cret \r\n"), nil, "s3cret ", ""},
		{"file without line end", write("c", "tok"), nil, "tok", ""},
		{"empty file", write("d", "\n"), nil, "", "empty first line"},
		{"missing file", filepath.Join(dir, "nope"), nil, "", "no such file"},
		{"both", write("e", "x\n"), map[string]string{"X_PW": "y"}, "", "keep one"},
		{"file and an empty variable", write("f", "x\n"), map[string]string{"X_PW": ""}, "x", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := secret("--x-file", tt.file, "X_PW", env(tt.env))
			if got != tt.want || (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Errorf("secret = %q, %v; want %q, %q", got, err, tt.want, tt.err)
			}
			if err != nil && (strings.Contains(err.Error(), "from env") || strings.Contains(err.Error(), "pass word")) {
				t.Errorf("a secret in the error: %v", err)
			}
		})
	}
}
