package flagenv

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	env := func(m map[string]string) Env {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	mk := func() (*flag.FlagSet, *string, *int) {
		fs := New("X_", "prog", "synopsis", &bytes.Buffer{}, &bytes.Buffer{})
		return fs, fs.String("data-dir", "def", "dir"), fs.Int("count", 1, "n")
	}
	for _, tt := range []struct {
		name  string
		args  []string
		env   map[string]string
		dir   string
		count int
		err   string
	}{
		{"defaults", nil, nil, "def", 1, ""},
		{"environment", nil, map[string]string{"X_DATA_DIR": "env", "X_COUNT": "7"}, "env", 7, ""},
		{"flag wins", []string{"--data-dir", "flag"}, map[string]string{"X_DATA_DIR": "env"}, "flag", 1, ""},
		{"bad environment", nil, map[string]string{"X_COUNT": "many"}, "def", 1, "X_COUNT"},
		{"stray argument", []string{"extra"}, nil, "def", 1, "unexpected argument"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fs, dir, count := mk()
			err := Parse("X_", fs, tt.args, env(tt.env))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || *dir != tt.dir || *count != tt.count {
				t.Fatalf("Parse = %v: dir %q count %d", err, *dir, *count)
			}
		})
	}
	fs, _, _ := mk()
	if err := Parse("X_", fs, []string{"--nope"}, env(nil)); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown flag: %v", err)
	}
	var out bytes.Buffer
	fs = New("X_", "prog", "synopsis", &out, &bytes.Buffer{})
	fs.String("data-dir", "def", "dir")
	if err := Parse("X_", fs, []string{"--help"}, env(nil)); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "--data-dir [X_DATA_DIR]") {
		t.Errorf("--help = %v: %s", err, out.String())
	}
}

func TestLogger(t *testing.T) {
	var b bytes.Buffer
	l, err := Logger(&b, "json", "warn")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown")
	if strings.Contains(b.String(), "hidden") || !strings.Contains(b.String(), `"msg":"shown"`) {
		t.Errorf("log = %s", b.String())
	}
	for _, bad := range [][2]string{{"xml", "info"}, {"text", "loud"}} {
		if _, err := Logger(&b, bad[0], bad[1]); err == nil {
			t.Errorf("Logger(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
