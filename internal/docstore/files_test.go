package docstore

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Files lists sealed documents by id and temporary files left by an
// interrupted write by name, with their times; RemoveTemp removes only
// temporary files.
func TestFilesAndRemoveTemp(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	docs, temps, err := s.Files(ctx)
	if err != nil || len(docs) != 0 || len(temps) != 0 {
		t.Fatalf("Files on an empty store = %v, %v, %v", docs, temps, err)
	}
	for _, id := range []string{"doc_a", "doc_b"} {
		if err := s.Put(ctx, id, []byte("content "+id)); err != nil {
			t.Fatal(err)
		}
	}
	dir, _, _ := s.path("doc_a")
	old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "doc_a"), old, old); err != nil {
		t.Fatal(err)
	}
	// What a write killed before its rename leaves, and files that are
	// neither (a stray name at the top, a directory in a shard).
	temp := filepath.Join(dir, ".doc_c-123456")
	for _, p := range []string{temp, filepath.Join(s.dir, "README")} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	docs, temps, err = s.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := slices.Sorted(maps.Keys(docs))
	if strings.Join(ids, ",") != "doc_a,doc_b" || !docs["doc_a"].Equal(old) {
		t.Errorf("Files docs = %v; want doc_a (at %v) and doc_b", docs, old)
	}
	tempName := filepath.Base(dir) + "/.doc_c-123456"
	if len(temps) != 1 || temps[tempName].IsZero() {
		t.Fatalf("Files temps = %v; want %s", temps, tempName)
	}
	for _, bad := range []string{"doc_a", filepath.Base(dir) + "/doc_a", "../" + tempName, "zz/.doc_c-1", filepath.Base(dir) + "/.doc_a"} {
		if err := s.RemoveTemp(ctx, bad); err == nil {
			t.Errorf("RemoveTemp(%q) = nil; want refused", bad)
		}
	}
	if err := s.RemoveTemp(ctx, tempName); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveTemp(ctx, tempName); err != nil {
		t.Errorf("RemoveTemp again = %v; want nil", err)
	}
	if _, err := os.Stat(temp); !os.IsNotExist(err) {
		t.Errorf("temporary file still there: %v", err)
	}
	if b, err := s.Get(ctx, "doc_a"); err != nil || string(b) != "content doc_a" {
		t.Errorf("doc_a after RemoveTemp = %q, %v", b, err)
	}
}
