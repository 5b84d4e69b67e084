// Package docstore keeps uploaded documents encrypted at rest: each file
// is sealed with AES-256-GCM under one key kept in the data directory
// (document-key, mode 0600), outside the database, so that a copy of the
// database alone reveals no document, and a copy of the documents alone
// reveals nothing without the key.
//
// A sealed file is: "IPRD1", the key's 8-byte fingerprint, a 12-byte
// random nonce, then the ciphertext with its tag. The document's id is
// the additional data, so a file moved or copied under another id fails
// to open instead of showing the wrong document.
package docstore

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ipreg/ipreg/internal/atomicfile"
)

// KeyFile is the key's name in the data directory.
const KeyFile = "document-key"

const magic = "IPRD1"

// Store keeps sealed documents under dir/documents.
type Store struct {
	dir string
	gcm cipher.AEAD
	fp  []byte // key fingerprint, 8 bytes
	key []byte
}

// Derive returns a 256-bit key for another use, derived from the document
// key with HKDF-SHA256 under label (distinct per use): a secret that
// survives restarts and is shared by replicas, without a file of its own.
// The document key cannot be recovered from it.
func (s *Store) Derive(label string) ([]byte, error) {
	return hkdf.Key(sha256.New, s.key, nil, label, 32)
}

// Open loads the key from dataDir, creating it on first use (exclusively,
// so two processes starting on a fresh directory share one key).
func Open(dataDir string) (*Store, error) {
	key, err := loadKey(dataDir)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key)
	return &Store{dir: filepath.Join(dataDir, "documents"), gcm: gcm, fp: sum[:8], key: key}, nil
}

func loadKey(dataDir string) ([]byte, error) {
	p := filepath.Join(dataDir, KeyFile)
	read := func() ([]byte, error) {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		key, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("document key %s: want 64 hex digits (a 256-bit key); restore the file from backup", p)
		}
		return key, nil
	}
	key, err := read()
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	err = atomicfile.Create(dataDir, KeyFile, []byte(hex.EncodeToString(key)+"\n"), 0o600)
	if errors.Is(err, fs.ErrExist) {
		return read() // another process created it first: use its key
	}
	if err != nil {
		return nil, fmt.Errorf("create document key: %w", err)
	}
	return key, nil
}

// At returns a store with the same key over the documents directory of
// another data directory (a restore's staging directory, whose key may
// be elsewhere).
func (s *Store) At(dataDir string) *Store {
	c := *s
	c.dir = filepath.Join(dataDir, "documents")
	return &c
}

// path spreads files over 256 directories by a hash of the id, so no
// directory grows to hundreds of thousands of entries.
func (s *Store) path(id string) (string, string, error) {
	rel, err := RelPath(id)
	if err != nil {
		return "", "", err
	}
	return filepath.Join(s.dir, filepath.FromSlash(path.Dir(rel))), id, nil
}

// RelPath is where a document's sealed file lives under the documents
// directory: "<shard>/<id>", slash-separated, the shard the first byte of
// the id's SHA-256 in hex. An id that is not a plain name is an error.
func RelPath(id string) (string, error) {
	if id == "" || strings.ContainsAny(id, `/\.`) {
		return "", fmt.Errorf("document id %q is not a plain name", id)
	}
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:1]) + "/" + id, nil
}

// KeyFingerprint returns the fingerprint of the document key in dataDir
// (the 8 bytes every file sealed under it carries), without creating a
// key; ok is false when there is none.
func KeyFingerprint(dataDir string) (fp []byte, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dataDir, KeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, false, fmt.Errorf("document key %s: want 64 hex digits (a 256-bit key)", filepath.Join(dataDir, KeyFile))
	}
	sum := sha256.Sum256(key)
	return sum[:8], true, nil
}

// FileFingerprint returns the key fingerprint a sealed file's first bytes
// carry, or false when they are not a sealed file's header.
func FileFingerprint(head []byte) ([]byte, bool) {
	if len(head) < len(magic)+8 || string(head[:len(magic)]) != magic {
		return nil, false
	}
	return head[len(magic) : len(magic)+8], true
}

// SealedUnder reports whether the file of document id was sealed under
// this store's key (its header's fingerprint); found is false when there
// is no such file, or it does not start as a sealed file does.
func (s *Store) SealedUnder(id string) (match, found bool, err error) {
	dir, name, err := s.path(id)
	if err != nil {
		return false, false, err
	}
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	defer f.Close()
	head := make([]byte, len(magic)+8)
	if _, err := io.ReadFull(f, head); err != nil {
		return false, false, nil
	}
	fp, ok := FileFingerprint(head)
	return ok && bytes.Equal(fp, s.fp), ok, nil
}

// Put seals content and writes it durably (write, fsync the file and its
// directory) under id, which must be new: a document's id is never
// reused, and an existing file is an error satisfying
// errors.Is(err, fs.ErrExist).
func (s *Store) Put(ctx context.Context, id string, content []byte) error {
	durable, err := s.Start(ctx, id, content)
	if err != nil {
		return err
	}
	return durable()
}

// Start is Put returning once the sealed file is written, before it is on
// disk; durable waits for the fsyncs (atomicfile.StartNew), and must be
// called before the document is recorded or the file removed. Its caller
// can do the work that needs no durable file (a transaction up to its
// commit) while the disk flushes.
func (s *Store) Start(_ context.Context, id string, content []byte) (durable func() error, err error) {
	dir, name, err := s.path(id)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, s.gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	need := len(magic) + len(s.fp) + len(nonce) + len(content) + s.gcm.Overhead()
	bp, _ := sealBufs.Get().(*[]byte)
	if bp == nil || cap(*bp) < need {
		b := make([]byte, 0, need)
		bp = &b
	}
	out := append((*bp)[:0], magic...)
	out = append(out, s.fp...)
	out = append(out, nonce...)
	out = s.gcm.Seal(out, nonce, content, []byte(id))
	// In place, not through a temporary file: nothing opens the file
	// until the caller records the document, and a crash midway leaves an
	// unrecorded file, which registry.SweepDocuments removes. This saves
	// a journal commit per upload (BENCHMARKS.md, tenth session).
	durable, err = atomicfile.StartNew(dir, name, out, 0o600)
	// StartNew is done with out once it returns: the buffer serves the
	// next upload, unless it is larger than most scans.
	if cap(out) <= maxPooledSeal {
		*bp = out[:0]
		sealBufs.Put(bp)
	}
	return durable, err
}

// sealBufs holds the buffers Start seals into (*[]byte), each given back
// once its file is written: an upload's sealed copy was a fifth of the
// bytes the filing path allocated, and with it a fifth of the garbage
// collector's cycles (BENCHMARKS.md, eleventh session).
var sealBufs sync.Pool

// maxPooledSeal bounds the buffers sealBufs keeps, so that a rare large
// upload does not keep its buffer alive for every small one.
const maxPooledSeal = 2 << 20

// Get opens a sealed document. It fails, saying why, if the file was made
// under another key, changed, or belongs to another id.
func (s *Store) Get(_ context.Context, id string) ([]byte, error) {
	dir, name, err := s.path(id)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	head := len(magic) + len(s.fp) + s.gcm.NonceSize()
	if len(b) < head+s.gcm.Overhead() || string(b[:len(magic)]) != magic {
		return nil, fmt.Errorf("document %s: not a sealed document file", id)
	}
	if !bytes.Equal(b[len(magic):len(magic)+len(s.fp)], s.fp) {
		return nil, fmt.Errorf("document %s: sealed under another key than %s holds", id, KeyFile)
	}
	nonce := b[len(magic)+len(s.fp) : head]
	plain, err := s.gcm.Open(nil, nonce, b[head:], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("document %s: the file was changed or belongs to another document", id)
	}
	return plain, nil
}

// Delete removes a document; removing one that is not there is no error.
func (s *Store) Delete(_ context.Context, id string) error {
	dir, name, err := s.path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Files lists what the documents directory holds, for the sweep of files
// no record names: sealed documents by id, and the temporary files an
// interrupted atomic write leaves (".<id>-<random>", see atomicfile) by
// their name relative to the directory; each with its modification time.
// Nothing is opened or read.
func (s *Store) Files(_ context.Context) (docs, temps map[string]time.Time, err error) {
	return listFiles(s.dir)
}

// ListFiles is Store.Files for the data directory dataDir, without its
// key (a backup of the documents reads no key).
func ListFiles(dataDir string) (docs, temps map[string]time.Time, err error) {
	return listFiles(filepath.Join(dataDir, "documents"))
}

func listFiles(root string) (docs, temps map[string]time.Time, err error) {
	docs, temps = map[string]time.Time{}, map[string]time.Time{}
	subs, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return docs, temps, nil
	}
	if err != nil {
		return nil, nil, err
	}
	for _, sub := range subs {
		if !sub.IsDir() || !isShard(sub.Name()) {
			continue
		}
		es, err := os.ReadDir(filepath.Join(root, sub.Name()))
		if err != nil {
			return nil, nil, err
		}
		for _, e := range es {
			if !e.Type().IsRegular() {
				continue
			}
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed meanwhile
			}
			if err != nil {
				return nil, nil, err
			}
			switch name := e.Name(); {
			case isTemp(name):
				temps[sub.Name()+"/"+name] = info.ModTime()
			default:
				if rel, err := RelPath(name); err == nil && path.Dir(rel) == sub.Name() {
					docs[name] = info.ModTime()
				}
			}
		}
	}
	return docs, temps, nil
}

// RemoveTemp removes a temporary file Files listed; removing one that is
// not there is no error. Any other name is refused.
func (s *Store) RemoveTemp(_ context.Context, name string) error {
	shard, base, ok := strings.Cut(name, "/")
	if !ok || !isShard(shard) || !isTemp(base) || strings.ContainsAny(base, `/\`) {
		return fmt.Errorf("%q is not a temporary document file", name)
	}
	if err := os.Remove(filepath.Join(s.dir, shard, base)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// SweepHoldFile is the file in the documents directory that stops the
// sweep of unrecorded files (registry.SweepDocuments) until an operator
// removes it.
const SweepHoldFile = "SWEEP-HELD"

// SweepHeld returns what the hold file says, and whether there is one.
func (s *Store) SweepHeld(_ context.Context) (why string, held bool, err error) {
	b, err := os.ReadFile(filepath.Join(s.dir, SweepHoldFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimSpace(string(b)), true, nil
}

// HoldSweep writes the hold file with why (durably: it must outlive a
// restart, and replicas sharing the directory see it).
func (s *Store) HoldSweep(_ context.Context, why string) error {
	return atomicfile.Write(s.dir, SweepHoldFile, []byte(why+"\n"), 0o600)
}

// isShard reports whether name is one of the 256 directories path spreads
// files over.
func isShard(name string) bool {
	_, err := hex.DecodeString(name)
	return len(name) == 2 && err == nil && strings.ToLower(name) == name
}

// isTemp reports whether name is an atomic write's temporary file: "."
// then the id, "-" and the random part os.CreateTemp adds.
func isTemp(name string) bool {
	rest, ok := strings.CutPrefix(name, ".")
	i := strings.LastIndexByte(rest, '-')
	return ok && i > 0 && i < len(rest)-1
}
