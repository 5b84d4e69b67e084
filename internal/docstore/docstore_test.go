package docstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

func TestRoundTripAndTampering(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("%PDF-1.7 CNIC 35202-1234567-1 secret content %%EOF")
	if err := s.Put(ctx, "doc_a", secret); err != nil {
		t.Fatal(err)
	}
	// An id is never written twice: a second Put is refused and the
	// first content stays.
	if err := s.Put(ctx, "doc_a", []byte("other")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("a second Put of doc_a = %v, want fs.ErrExist", err)
	}
	got, err := s.Get(ctx, "doc_a")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	pa, _, _ := s.path("doc_a")
	raw, err := os.ReadFile(filepath.Join(pa, "doc_a"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("35202")) || bytes.Contains(raw, []byte("%PDF")) {
		t.Fatal("the file on disk holds plaintext")
	}
	if st, _ := os.Stat(filepath.Join(pa, "doc_a")); st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Join(dir, KeyFile)); st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v, want 0600", st.Mode().Perm())
	}

	// Each way of corrupting the store must fail to open, never return
	// other bytes.
	other, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	flip := append([]byte(nil), raw...)
	flip[len(flip)-5] ^= 1
	tests := []struct {
		name  string
		store *Store
		id    string
		file  []byte // written under id before the read
	}{
		{"changed byte", s, "doc_b", flip},
		{"moved to another id", s, "doc_c", raw},
		{"truncated", s, "doc_d", raw[:20]},
		{"other key", other, "doc_a", raw},
		{"not sealed", s, "doc_e", []byte("%PDF-1.7 plain")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, name, _ := tt.store.path(tt.id)
			os.MkdirAll(d, 0o700)
			if err := os.WriteFile(filepath.Join(d, name), tt.file, 0o600); err != nil {
				t.Fatal(err)
			}
			if b, err := tt.store.Get(ctx, tt.id); err == nil {
				t.Fatalf("Get succeeded with %q", b)
			} else {
				t.Log(err)
			}
		})
	}

	if err := s.Delete(ctx, "doc_a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "doc_a"); !os.IsNotExist(err) {
		t.Fatalf("after Delete: %v", err)
	}
	if err := s.Delete(ctx, "doc_a"); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	for _, bad := range []string{"", "../key", "a/b", `a\b`, "."} {
		if err := s.Put(ctx, bad, secret); err == nil {
			t.Errorf("Put(%q) accepted", bad)
		}
	}
}

// The key survives a restart, and concurrent first opens agree on one key.
func TestKeyCreatedOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	stores := make([]*Store, 8)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			s, err := Open(dir)
			if err != nil {
				t.Error(err)
			}
			stores[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if err := stores[0].Put(ctx, "doc_x", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	for i, s := range stores {
		if b, err := s.Get(ctx, "doc_x"); err != nil || string(b) != "hello" {
			t.Errorf("store %d: %q, %v", i, b, err)
		}
	}
	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := again.Get(ctx, "doc_x"); err != nil || string(b) != "hello" {
		t.Errorf("after reopening: %q, %v", b, err)
	}
	os.WriteFile(filepath.Join(dir, KeyFile), []byte("short\n"), 0o600)
	if _, err := Open(dir); err == nil {
		t.Error("a malformed key file was accepted")
	}
}

// BenchmarkPut seals and durably writes a 200 KiB document (a phone's scan
// of one CNIC side): encryption, write, fsync of file and directory.
func BenchmarkPut(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	doc := bytes.Repeat([]byte("scan"), 200<<10/4)
	b.SetBytes(int64(len(doc)))
	for i := 0; b.Loop(); i++ {
		if err := s.Put(context.Background(), "doc_"+strconv.Itoa(i), doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet opens one.
func BenchmarkGet(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	doc := bytes.Repeat([]byte("scan"), 200<<10/4)
	if err := s.Put(context.Background(), "doc_x", doc); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := s.Get(context.Background(), "doc_x"); err != nil {
			b.Fatal(err)
		}
	}
}

// Uploads sealed at once, of sizes that make the sealing buffers grow,
// shrink and pass between them (sealBufs), each open to its own content:
// a buffer given back while its file was still being written, or reused
// while another upload held it, would show here as a mismatch (and to
// the race detector).
func TestStartSealsEachIntoItsOwnBuffer(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sizes := []int{10, 300 << 10, 1, 64 << 10, 3 << 20, 200 << 10, 0, 5 << 10}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, n := range sizes {
				id := fmt.Sprintf("doc_%d_%d", w, i)
				content := bytes.Repeat([]byte{byte('a' + w), byte(i)}, n/2+1)[:n]
				durable, err := s.Start(ctx, id, content)
				if err != nil {
					t.Error(err)
					return
				}
				if err := durable(); err != nil {
					t.Error(err)
					return
				}
				got, err := s.Get(ctx, id)
				if err != nil || !bytes.Equal(got, content) {
					t.Errorf("%s: read back %d bytes (%v), want its own %d", id, len(got), err, n)
				}
			}
		}()
	}
	wg.Wait()
}
