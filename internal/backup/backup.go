// Package backup takes and restores backups of a registry: on SQLite the
// database (an online, consistent copy taken while ipreg serve runs) with
// the sealed documents it names; on PostgreSQL, whose database pg_dump
// copies, the documents alone. The signing and document keys go in only
// when asked (IncludeKeys): a backup that holds the document key opens
// every document in it, so by default the keys are kept apart.
//
// A backup is a directory, or a tar file (.tar, .tar.gz, .tgz) holding the
// same tree: manifest.json, ipreg.db, documents/<shard>/<id> (sealed, as
// the data directory holds them) and keys/<file>. The manifest records the
// format, the program and schema versions, when it was taken, the counts
// of the main records and the size and SHA-256 of every other file;
// Restore refuses a backup whose files differ from it in any way.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/store"
)

// Format names the layout in the manifest; Restore refuses any other.
const Format = "ipreg-backup/1"

// Kinds of backup.
const (
	KindFull      = "full"      // SQLite database and its documents
	KindDocuments = "documents" // documents only (PostgreSQL: the database is pg_dump's)
)

// Names inside a backup.
const (
	ManifestName = "manifest.json"
	DatabaseName = "ipreg.db"
	documentsDir = "documents"
	keysDir      = "keys"
)

// KeyFiles are the secret and signing files of a data directory that
// IncludeKeys puts in a backup (those present): the document key, which
// opens every document; the feed's signing keys (current and announced
// next); the certificates' signing key and the retired certificate keys
// that still verify old certificates.
var KeyFiles = []string{docstore.KeyFile, "feed-signing-key.pem", "feed-signing-key.next.pem", certificate.KeyFile, certificate.RetiredFile}

// Manifest describes a backup.
type Manifest struct {
	Format  string `json:"format"`
	Kind    string `json:"kind"`
	Program string `json:"program_version"`
	// Database is "sqlite" for a full backup, "" for documents only.
	Database      string           `json:"database,omitempty"`
	SchemaVersion int              `json:"schema_version,omitempty"`
	CreatedAt     time.Time        `json:"created_at"`
	Counts        map[string]int64 `json:"counts"` // rows by table (full), and "document_files"
	KeysIncluded  bool             `json:"keys_included"`
	// KeysApart are the key files the data directory held that the
	// backup left out (no --include-keys): a restore names those it then
	// lacks, certificate-keys-retired among them, which no data directory
	// needs until its first rotation (tester t4).
	KeysApart []string `json:"keys_apart,omitempty"`
	// KeyIdentities are the public identities of the key files the data
	// directory held (keyIdentities), kept or not: a restore warns when
	// the keys it finds are another registry's.
	KeyIdentities map[string]string `json:"key_identities,omitempty"`
	Files         []File            `json:"files"` // every file but the manifest, sorted by path
}

// File is one file of a backup: its slash-separated path inside the
// backup, size in bytes and SHA-256 (hex).
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Options say what Take copies.
type Options struct {
	DataDir string
	// DB is the open database for a full backup (SQLite); nil with
	// DocumentsOnly.
	DB            *store.DB
	DocumentsOnly bool
	IncludeKeys   bool
	// To is the backup: a tar file when it ends in .tar, .tar.gz or .tgz,
	// else a directory. Either must not exist yet (an empty directory may).
	To  string
	Now func() time.Time
}

// PresentKeyFiles returns those of KeyFiles that dataDir holds, in
// KeyFiles' order: the files to back up apart when the keys are kept out.
func PresentKeyFiles(dataDir string) []string {
	var out []string
	for _, k := range KeyFiles {
		if _, err := os.Stat(filepath.Join(dataDir, k)); err == nil {
			out = append(out, k)
		}
	}
	return out
}

// IsArchive reports whether a backup path names a tar file rather than a
// directory, and whether it is gzipped.
func IsArchive(p string) (archive, gzipped bool) {
	l := strings.ToLower(p)
	switch {
	case strings.HasSuffix(l, ".tar.gz"), strings.HasSuffix(l, ".tgz"):
		return true, true
	case strings.HasSuffix(l, ".tar"):
		return true, false
	}
	return false, false
}

// ProgramVersion is the module version ipreg was built as ("devel" when
// built from a checkout).
func ProgramVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// maxCopyTries bounds how often Take copies the database again because a
// document it names was deleted before its file was copied (a purge or an
// applicant's deletion between the two).
const maxCopyTries = 5

// Take writes a backup and returns its manifest. Nothing is left at
// o.To when it fails: the backup is built beside it under a temporary
// name and renamed into place once complete.
func Take(ctx context.Context, o Options) (*Manifest, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if !o.DocumentsOnly && o.DB == nil {
		return nil, errors.New("no database to copy")
	}
	if err := checkDestination(o.To); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(filepath.Dir(filepath.Clean(o.To)), "."+filepath.Base(o.To)+".partial-")
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	defer os.RemoveAll(work)
	m := &Manifest{Format: Format, Kind: KindFull, Program: ProgramVersion(), CreatedAt: o.Now().UTC(), Counts: map[string]int64{}, KeysIncluded: o.IncludeKeys}
	if o.DocumentsOnly {
		m.Kind = KindDocuments
		if err := takeAllDocuments(ctx, o.DataDir, work, m); err != nil {
			return nil, err
		}
	} else {
		if err := takeFull(ctx, o, work, m); err != nil {
			return nil, err
		}
	}
	if !o.IncludeKeys {
		m.KeysApart = PresentKeyFiles(o.DataDir)
	}
	ids, err := keyIdentities(o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("read the keys' public identities: %w", err)
	}
	if len(ids) > 0 {
		m.KeyIdentities = ids
	}
	if o.IncludeKeys {
		for _, name := range KeyFiles {
			f, err := copyFile(filepath.Join(o.DataDir, name), filepath.Join(work, keysDir, name))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("key %s: %w", name, err)
			}
			f.Path = keysDir + "/" + name
			m.Files = append(m.Files, f)
		}
	}
	slices.SortFunc(m.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(work, ManifestName), append(b, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	if archive, gz := IsArchive(o.To); archive {
		err = writeArchive(work, o.To, gz, m)
	} else {
		err = placeDir(work, o.To)
	}
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	return m, nil
}

// checkDestination refuses a backup path that holds something already, so
// that a backup never mixes with an older one.
func checkDestination(to string) error {
	if to == "" {
		return errors.New("say where with --to: a directory, or a file ending in .tar, .tar.gz or .tgz")
	}
	st, err := os.Stat(to)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A name like x.zip would otherwise become a directory called
		// x.zip that looks like an archive; a trailing slash says
		// directory whatever the name.
		if archive, _ := IsArchive(to); !archive && !strings.HasSuffix(to, "/") && !strings.HasSuffix(to, string(filepath.Separator)) {
			if ext := filepath.Ext(to); ext != "" {
				return fmt.Errorf("--to %s: ipreg backup writes a directory or a tar file (.tar, .tar.gz, .tgz), and %s is neither; give a name ending in .tar, .tar.gz or .tgz for a file, or a name without an extension (or ending in /) for a directory", to, ext)
			}
		}
	case err != nil:
		return fmt.Errorf("%w", err)
	case !st.IsDir():
		return fmt.Errorf("%s exists already; give a new name (backups are never overwritten)", to)
	default:
		if archive, _ := IsArchive(to); archive {
			return fmt.Errorf("%s is a directory, and its name says a tar file; give another name", to)
		}
		es, err := os.ReadDir(to)
		if err != nil {
			return fmt.Errorf("%w", err)
		}
		if len(es) > 0 {
			return fmt.Errorf("the directory %s is not empty; give a new or empty directory (backups are never mixed)", to)
		}
	}
	if _, err := os.Stat(filepath.Dir(filepath.Clean(to))); err != nil {
		return fmt.Errorf("the directory to hold %s: %w", to, err)
	}
	return nil
}

// takeFull copies the SQLite database while the registry serves, then the
// documents the copy names (not purged). A document named by the copy
// whose file is gone by the time it is read was deleted meanwhile: the
// copy is taken again, so that every document the backup's database names
// is in the backup.
func takeFull(ctx context.Context, o Options, work string, m *Manifest) error {
	if o.DB.Dialect() != "sqlite" {
		return errors.New("the database is PostgreSQL: back it up with pg_dump, and the documents with ipreg backup --documents-only (README, Backup and restore)")
	}
	src := filepath.Join(o.DataDir, documentsDir)
	dbPath := filepath.Join(work, DatabaseName)
	for try := 1; ; try++ {
		os.RemoveAll(filepath.Join(work, documentsDir))
		os.Remove(dbPath)
		if err := o.DB.CopyTo(ctx, dbPath); err != nil {
			return fmt.Errorf("%w", err)
		}
		copyDB, err := store.Open(ctx, dbPath)
		if err != nil {
			return fmt.Errorf("open the copy: %w", err)
		}
		counts, err := copyDB.Counts(ctx)
		var ids []string
		if err == nil {
			ids, err = copyDB.LiveDocumentIDs(ctx)
		}
		copyDB.Close()
		if err != nil {
			return fmt.Errorf("read the copy: %w", err)
		}
		var files []File
		gone := 0
		for _, id := range ids {
			rel, err := docstore.RelPath(id)
			if err != nil {
				return fmt.Errorf("%w", err)
			}
			f, err := copyFile(filepath.Join(src, filepath.FromSlash(rel)), filepath.Join(work, documentsDir, filepath.FromSlash(rel)))
			if errors.Is(err, fs.ErrNotExist) {
				gone++
				continue
			}
			if err != nil {
				return fmt.Errorf("document file: %w", err)
			}
			f.Path = documentsDir + "/" + rel
			files = append(files, f)
		}
		if gone > 0 {
			if try < maxCopyTries {
				continue
			}
			return fmt.Errorf("%d documents the database names have no file in %s (after %d tries): documents deleted by hand? Run ipreg serve's checks, or restore the files, then back up again", gone, src, try)
		}
		// The copy is a plain file now; SQLite leaves no -wal beside a
		// VACUUM INTO copy, and store.Open's WAL pragma may have made an
		// empty one, which the backup does not need.
		for _, suffix := range []string{"-wal", "-shm"} {
			os.Remove(dbPath + suffix)
		}
		f, err := hashFile(dbPath)
		if err != nil {
			return fmt.Errorf("%w", err)
		}
		f.Path = DatabaseName
		m.Database, m.SchemaVersion = "sqlite", counts.SchemaVersion
		for k, v := range counts.Rows {
			m.Counts[k] = v
		}
		m.Counts["document_files"] = int64(len(files))
		m.Files = append(append(m.Files, f), files...)
		return nil
	}
}

// takeAllDocuments copies every sealed document file of the data
// directory (not the temporary files of writes under way): with the
// database copied apart (pg_dump, taken first), the documents uploaded
// since are in the backup too; the sweep removes the ones its database
// does not name after a restore.
func takeAllDocuments(ctx context.Context, dataDir, work string, m *Manifest) error {
	ids, _, err := docstore.ListFiles(dataDir)
	if err != nil {
		return fmt.Errorf("list documents: %w", err)
	}
	src := filepath.Join(dataDir, documentsDir)
	for _, id := range slices.Sorted(mapKeys(ids)) {
		rel, err := docstore.RelPath(id)
		if err != nil {
			return fmt.Errorf("%w", err)
		}
		f, err := copyFile(filepath.Join(src, filepath.FromSlash(rel)), filepath.Join(work, documentsDir, filepath.FromSlash(rel)))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since it was listed
		}
		if err != nil {
			return fmt.Errorf("document file: %w", err)
		}
		f.Path = documentsDir + "/" + rel
		m.Files = append(m.Files, f)
	}
	m.Counts["document_files"] = int64(len(m.Files))
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// copyFile copies src to dst (creating its directory, mode 0600) and
// returns the size and SHA-256 of what it wrote.
func copyFile(src, dst string) (File, error) {
	in, err := os.Open(src)
	if err != nil {
		return File{}, err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return File{}, err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return File{}, err
	}
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func hashFile(p string) (File, error) {
	f, err := os.Open(p)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, err
	}
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// placeDir renames the finished work directory to to (an empty directory
// there is replaced).
func placeDir(work, to string) error {
	if st, err := os.Stat(to); err == nil && st.IsDir() {
		if err := os.Remove(to); err != nil { // empty, checked before
			return err
		}
	}
	if err := os.Rename(work, to); err != nil {
		return err
	}
	return syncDir(filepath.Dir(filepath.Clean(to)))
}

// writeArchive writes the work directory as a tar file at to: the
// manifest first, then the files in the manifest's order; written under a
// temporary name, fsynced, then renamed.
func writeArchive(work, to string, gz bool, m *Manifest) error {
	tmp, err := os.CreateTemp(filepath.Dir(filepath.Clean(to)), "."+filepath.Base(to)+".partial-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	var w io.Writer = tmp
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(tmp)
		w = zw
	}
	tw := tar.NewWriter(w)
	names := []string{ManifestName}
	for _, f := range m.Files {
		names = append(names, f.Path)
	}
	for _, name := range names {
		if err := addToTar(tw, filepath.Join(work, filepath.FromSlash(name)), name); err != nil {
			tmp.Close()
			return err
		}
	}
	err = tw.Close()
	if err == nil && zw != nil {
		err = zw.Close()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), to); err != nil {
		return err
	}
	return syncDir(filepath.Dir(filepath.Clean(to)))
}

func addToTar(tw *tar.Writer, src, name string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: st.Size(), Mode: 0o600, ModTime: st.ModTime()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// cleanName checks a path inside a backup: relative, slash-separated, no
// "." or ".." element, so that nothing in a tar file reaches outside the
// directory it is unpacked into.
func cleanName(name string) error {
	if name == "" || path.IsAbs(name) || strings.Contains(name, `\`) || path.Clean(name) != name || name == "." {
		return fmt.Errorf("%q is not a plain relative path", name)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." || el == "." || el == "" {
			return fmt.Errorf("%q is not a plain relative path", name)
		}
	}
	return nil
}
