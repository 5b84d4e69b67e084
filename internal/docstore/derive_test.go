package docstore_test

import (
	"bytes"
	"testing"

	"github.com/ipreg/ipreg/internal/docstore"
)

// A derived key is the same after a reopen (a restart) of the same data
// directory, differs by label and by directory, and is not the document key.
func TestDerive(t *testing.T) {
	dir := t.TempDir()
	derive := func(dir, label string) []byte {
		t.Helper()
		s, err := docstore.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		k, err := s.Derive(label)
		if err != nil || len(k) != 32 {
			t.Fatalf("derive: %d bytes, %v", len(k), err)
		}
		return k
	}
	a := derive(dir, "ipreg portal account cookie v1")
	if !bytes.Equal(a, derive(dir, "ipreg portal account cookie v1")) {
		t.Errorf("the key changed on reopening the data directory")
	}
	if bytes.Equal(a, derive(dir, "another use")) {
		t.Errorf("two labels give one key")
	}
	if bytes.Equal(a, derive(t.TempDir(), "ipreg portal account cookie v1")) {
		t.Errorf("two data directories give one key")
	}
}
