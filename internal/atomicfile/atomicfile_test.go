package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub")
	for _, content := range []string{"first", "second, longer"} {
		if err := Write(dir, "f", []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "f"))
		if err != nil || string(b) != content {
			t.Fatalf("read %q, %v; want %q", b, err, content)
		}
	}
	st, _ := os.Stat(filepath.Join(dir, "f"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("temporary files left behind: %v", es)
	}
}

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	if err := Create(dir, "k", []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Create(dir, "k", []byte("second"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Create = %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "k")); string(b) != "first" {
		t.Fatalf("content %q, want the first", b)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("temporary files left behind: %v", es)
	}
}

// WriteAt appends at an offset, cutting off what a torn earlier write
// left after it.
func TestWriteAt(t *testing.T) {
	dir := t.TempDir()
	for _, step := range []struct {
		at   int64
		b    string
		want string
	}{
		{0, "one.", "one."},
		{4, "two.", "one.two."},
		{4, "TWO.", "one.TWO."}, // the second write is replaced
		{8, "three", "one.TWO.three"},
	} {
		if err := WriteAt(dir, "log", step.at, []byte(step.b), 0o600); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(filepath.Join(dir, "log"))
		if string(got) != step.want {
			t.Fatalf("after writing %q at %d: %q, want %q", step.b, step.at, got, step.want)
		}
	}
}

// WriteNew and StartNew write a new file in place: the content under its
// own name, no temporary file, and an existing file is refused and left
// as it was.
func TestWriteNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shard")
	if err := WriteNew(dir, "doc_a", []byte("sealed a"), 0o600); err != nil {
		t.Fatal(err)
	}
	durable, err := StartNew(dir, "doc_b", []byte("sealed b"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // any number of calls, one result
		if err := durable(); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteNew(dir, "doc_a", []byte("another"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteNew over an existing file = %v, want fs.ErrExist", err)
	}
	if _, err := StartNew(dir, "doc_b", []byte("another"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Errorf("StartNew over an existing file = %v, want fs.ErrExist", err)
	}
	for name, want := range map[string]string{"doc_a": "sealed a", "doc_b": "sealed b"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != want {
			t.Errorf("%s holds %q, %v; want %q", name, b, err, want)
		}
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", name, st.Mode().Perm(), err)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 2 {
		t.Errorf("the directory holds %d entries, want the 2 files: %v", len(es), es)
	}
}
