package backup

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
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
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

// RestoreOptions say what Restore puts back where.
type RestoreOptions struct {
	From    string // the backup: a directory or a tar file (.tar, .tar.gz, .tgz)
	DataDir string // the data directory restored into
	// DB is the database for a documents-only restore (PostgreSQL, restored
	// with pg_restore first; or the SQLite file at <DataDir>/ipreg.db),
	// whose feed Restore makes start a new session. Unused for a full
	// restore, which restores <DataDir>/ipreg.db.
	DB            string
	DocumentsOnly bool
	// Force replaces a database, documents and keys the target holds.
	Force bool
	// RegistrationGap is how many registration numbers a restore skips
	// when it cannot know the last one issued (SkipRegistrationNumbers);
	// 0 is DefaultRegistrationGap.
	RegistrationGap int64
	// CarryFrom is the database the restore replaces, still readable (a
	// PostgreSQL URL or an SQLite file), for a documents-only restore: its
	// erasures, credentials and ended tokens since the backup are carried
	// into the restored database (registry.Service.CarryAccess). A full
	// restore with Force carries from the SQLite database it replaces
	// without being told; CarryFrom names another one.
	CarryFrom string
}

// DefaultRegistrationGap is the registration numbers skipped after a
// restore: more than the busiest weeks issue between two nightly backups.
const DefaultRegistrationGap = 10000

// Restored says what Restore did.
type Restored struct {
	Manifest *Manifest
	// KeysRestored are the key files put in place; KeysMissing those the
	// data directory lacks afterwards (kept apart, to be put back by hand).
	KeysRestored, KeysMissing []string
	// Feeds is how many feeds start a new session at the next start.
	Feeds int
	// ContentsChecked is true when every document was opened with the
	// document key and matched the database's recorded SHA-256; false
	// when no key was at hand (kept apart and not yet put back).
	ContentsChecked bool
	// MissingDocuments counts documents the database names whose file is
	// not in the restored documents (documents-only restore).
	MissingDocuments int
	// OtherRegistry is true when the database replaced was another
	// registry's (another audit genesis): nothing of it was carried over,
	// neither its registration numbers nor its certificate keys.
	OtherRegistry bool
	// SerialsRaised counts the serials (registration numbers by year)
	// raised to the replaced database's, so that no number is issued twice.
	SerialsRaised int
	// RegistrationSerials are each year's registration serial after the
	// restore skipped RegistrationGap numbers, by name
	// ("registration-2026").
	RegistrationSerials map[string]int64
	RegistrationGap     int64
	// KeptDocuments counts documents the database names that the backup
	// lacks and the data directory held: a documents-only restore keeps
	// them (uploaded after the backup) instead of deleting them.
	KeptDocuments int
	// PurgedNotRestored counts the document files the backup held for
	// documents the database records as purged (retention ended, or the
	// account erased, perhaps by this restore's carry): removed, not put
	// back.
	PurgedNotRestored int
	// CertificateKeysRetired counts the certificate keys the restore
	// replaced (the current one, or ones the replaced retired list held)
	// that it added to the retired keys, so their certificates verify.
	CertificateKeysRetired int
	// Carried is what the restore carried from the database it replaced
	// (CarryAccess): erasures, credentials and ended tokens made after
	// the backup; nil when there was no such database of this registry.
	Carried *registry.AccessCarried
	// CarriedFrom is that database, redacted, when --carry-from named it;
	// "" when it was the SQLite database the restore replaced, now in
	// Replaced.Dir.
	CarriedFrom string
	// Replaced is where the database and documents the restore replaced
	// are kept.
	Replaced Replaced
	// ForeignKeys say, one sentence each, which key the data directory
	// held that is not the registry's of the backup nor followed from it
	// by a rotation (foreignKeys): another registry's, copied by mistake.
	ForeignKeys []string
	// KeysReplaced maps each key file that held another key than the
	// backup's (replaced under Force) to where the replaced key is kept.
	KeysReplaced map[string]string
}

// Restore checks a backup against its manifest and puts it in place of a
// data directory's database and documents (and keys, when the backup
// holds them). Everything is unpacked and checked in a staging directory
// inside the data directory first; the target changes only once all of it
// matches the manifest, so a bad backup changes nothing. A target already
// holding a database or documents is refused unless o.Force. The restored
// database's feed starts a new session (publish.NewSession). It refuses,
// force or not, while ipreg serve holds the data directory's LockName.
func Restore(ctx context.Context, o RestoreOptions) (res *Restored, err error) {
	if o.From == "" {
		return nil, errors.New("say which backup with --from: the directory or tar file ipreg backup wrote")
	}
	if o.RegistrationGap < 0 {
		return nil, fmt.Errorf("--registration-gap %d: give the registration numbers to skip, 1 or more (default %d)", o.RegistrationGap, DefaultRegistrationGap)
	}
	if _, err := os.Stat(o.From); err != nil {
		return nil, fmt.Errorf("the backup %s: %w", o.From, err)
	}
	if !o.DocumentsOnly && o.DB != "" && store.IsPostgres(o.DB) {
		return nil, errors.New("--db names PostgreSQL: a full backup holds an SQLite database. Restore PostgreSQL with pg_restore, then its documents with ipreg restore --documents-only (README, Backup and restore)")
	}
	if err := checkTarget(o); err != nil {
		return nil, err
	}
	// What the restore makes only to run (the directory, its lock file)
	// goes again when it is refused: a refused restore leaves the target
	// as it was (tester).
	_, dirErr := os.Stat(o.DataDir)
	_, lockErr := os.Stat(filepath.Join(o.DataDir, LockName))
	// The directories the lock creates above a new data directory go too
	// (tester t12: a/b left a/ behind).
	made := newAncestors(o.DataDir)
	lock, err := lockRestore(o.DataDir)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	defer func() {
		if res != nil || err == nil {
			return
		}
		switch {
		case errors.Is(dirErr, fs.ErrNotExist):
			os.Remove(filepath.Join(o.DataDir, LockName))
			os.Remove(o.DataDir) // only if nothing else is in it
			for _, d := range made {
				os.Remove(d) // only if empty, innermost first
			}
		case errors.Is(lockErr, fs.ErrNotExist):
			os.Remove(filepath.Join(o.DataDir, LockName))
		}
	}()
	// A documents-only restore also changes the database --db names (its
	// feed starts a new session): on SQLite that file's directory is a
	// server's data directory, whose lock says whether one runs there
	// (PostgreSQL's sessions are counted in checkDocumentsDatabase).
	if o.DocumentsOnly && o.DB != "" && !store.IsPostgres(o.DB) {
		// The file's own directory: a symbolic link to a served database
		// elsewhere must find that server's lock (third tester). A hard
		// link has no such way back; the README says to name the file.
		dbPath := strings.TrimPrefix(o.DB, "sqlite://")
		if real, err := filepath.EvalSymlinks(dbPath); err == nil {
			dbPath = real
		}
		dbDir := filepath.Dir(dbPath)
		if same, _ := sameDir(dbDir, o.DataDir); !same {
			dbLock, err := lockRestore(dbDir)
			if err != nil {
				return nil, err
			}
			defer dbLock.Release()
		}
	}
	stage, err := os.MkdirTemp(o.DataDir, ".restore-")
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	defer os.RemoveAll(stage)
	got, err := unpack(o.From, stage)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.From, err)
	}
	m, err := verify(stage, got)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.From, err)
	}
	switch {
	case o.DocumentsOnly && m.Kind != KindDocuments:
		return nil, fmt.Errorf("%s is a full backup (SQLite database and documents); restore it without --documents-only", o.From)
	case !o.DocumentsOnly && m.Kind != KindFull:
		return nil, fmt.Errorf("%s holds documents only (taken with --documents-only); restore the database with pg_restore, then this backup with ipreg restore --documents-only --db <the restored database>", o.From)
	}
	var named map[string]string
	if o.DocumentsOnly {
		if named, err = checkDocumentsDatabase(ctx, o, m); err != nil {
			return nil, err
		}
	}
	res = &Restored{Manifest: m}
	keys, differ, err := checkKeys(stage, o)
	if err != nil {
		return nil, err
	}
	if err := checkSealed(stage, o.DataDir, m); err != nil {
		return nil, err
	}
	if res.ContentsChecked, err = checkContents(ctx, stage, o, m, named); err != nil {
		return nil, err
	}
	if !o.DocumentsOnly && o.CarryFrom != "" {
		// Before prepareDatabase writes the feed-state marker into the
		// data directory: a refused --carry-from changes nothing (tester
		// t11 found the marker left in a new directory).
		if err := checkCarryFrom(ctx, filepath.Join(stage, DatabaseName), o.CarryFrom); err != nil {
			return nil, err
		}
	}
	if !o.DocumentsOnly {
		if res.Feeds, res.SerialsRaised, err = prepareDatabase(ctx, filepath.Join(stage, DatabaseName), o.DataDir, m, o, res); err != nil {
			return nil, err
		}
	}
	if o.DocumentsOnly {
		if res.KeptDocuments, err = keepNamedDocuments(stage, o.DataDir, named); err != nil {
			return nil, fmt.Errorf("keep the documents the backup lacks: %w; nothing was changed", err)
		}
	}
	if res.KeysReplaced, err = place(stage, o, keys, differ, &res.Replaced); err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	res.KeysRestored = keys
	retire := res.KeysReplaced
	if res.OtherRegistry {
		retire = nil // another registry's keys sign nothing of this one's
	}
	if res.CertificateKeysRetired, err = retireReplacedCertificateKeys(o.DataDir, retire); err != nil {
		return nil, fmt.Errorf("restored, but the certificate keys it replaced are not yet among the retired ones: %w; they are kept as %v", err, res.KeysReplaced)
	}
	if err := ownLikeDir(o.DataDir); err != nil {
		return nil, fmt.Errorf("restored, but giving the files the data directory's owner: %w; chown them before starting ipreg serve", err)
	}
	if res.ForeignKeys, err = foreignKeys(o.DataDir, m, keys); err != nil {
		return nil, fmt.Errorf("restored, but reading the keys it found: %w", err)
	}
	for _, k := range KeyFiles { // in KeyFiles' order
		if !slices.Contains(requiredKeys, k) && !slices.Contains(m.KeysApart, k) {
			continue
		}
		if _, err := os.Stat(filepath.Join(o.DataDir, k)); errors.Is(err, fs.ErrNotExist) {
			res.KeysMissing = append(res.KeysMissing, k)
		}
	}
	if o.DocumentsOnly {
		if res.Feeds, res.MissingDocuments, err = afterDocuments(ctx, o, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// sameDir reports whether a and b are one directory (os.SameFile).
func sameDir(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// documentsDatabase is the database a documents-only restore is for: --db,
// or the data directory's SQLite file.
func documentsDatabase(o RestoreOptions) string {
	if o.DB != "" {
		return o.DB
	}
	return filepath.Join(o.DataDir, DatabaseName)
}

// checkDocumentsDatabase, before a documents-only restore changes
// anything (once the backup is known to be a documents-only one), checks
// the database the documents are for (tester, issue 14):
//   - it holds a registry, else the restore would place the documents
//     and then fail on the feed's tables;
//   - on PostgreSQL no other session uses it: the restore starts its
//     feed's new session, under a running server's feet (the data
//     directory's lock does not cover a database other processes reach
//     by its URL);
//   - it names at least one of the backup's documents: if none, it is
//     another registry's backup or the wrong --db (the documents would be
//     placed, never served, and swept). Some documents it does not name
//     are normal: uploaded after the pg_dump, they are swept once
//     restored.
//
// It returns the documents the database names, by id, with their SHA-256.
func checkDocumentsDatabase(ctx context.Context, o RestoreOptions, m *Manifest) (map[string]string, error) {
	dsn := documentsDatabase(o)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open the database the documents are for: %w", err)
	}
	defer db.Close()
	ok, err := db.HasSchema(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	if !ok {
		first := "pg_restore of the dump"
		if !store.IsPostgres(dsn) {
			first = "a full backup, restored without --documents-only"
		}
		return nil, fmt.Errorf("no registry in the database %s (it holds no ipreg schema): restore the database first (%s), then its documents with --db naming it", store.Redact(dsn), first)
	}
	n, err := otherSessionsSettled(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	if n > 0 {
		return nil, fmt.Errorf("the database %s is in use: %d other sessions are connected to it (a running ipreg serve, psql, …). A documents-only restore starts a new feed session in it: stop every server and session using it, then restore; nothing was changed", store.Redact(dsn), n)
	}
	if o.CarryFrom != "" {
		old, _, err := openCarrySource(ctx, db, o.CarryFrom, true)
		if err != nil {
			return nil, fmt.Errorf("%w; nothing was changed", err)
		}
		old.Close()
	}
	var inBackup []string
	for _, f := range m.Files {
		if strings.HasPrefix(f.Path, documentsDir+"/") {
			inBackup = append(inBackup, path.Base(f.Path))
		}
	}
	sums, err := db.DocumentDigests(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	if len(inBackup) == 0 {
		return sums, nil
	}
	for _, id := range inBackup {
		if _, ok := sums[id]; ok {
			return sums, nil
		}
	}
	return nil, fmt.Errorf("%s holds %d documents, and the database %s names none of them: it is another registry's backup, or --db names another database. Nothing was changed",
		o.From, len(inBackup), store.Redact(dsn))
}

// requiredKeys are the key files every data directory holds once ipreg
// serve has run (the others exist only during a rotation or after one).
var requiredKeys = []string{docstore.KeyFile, "feed-signing-key.pem", "certificate-signing-key.pem"}

// checkTarget refuses a data directory that holds a database or documents
// already, unless forced; key files and the feed-state marker alone do
// not count (restoring the keys first is the way to restore them).
func checkTarget(o RestoreOptions) error {
	if o.DataDir == "" {
		return errors.New("say where with --data-dir")
	}
	if st, err := os.Stat(o.DataDir); err == nil && !st.IsDir() {
		return fmt.Errorf("--data-dir %s is a file, not a directory", o.DataDir)
	}
	// The backup inside the data directory, or the reverse: the restore
	// would write its lock and staging into the backup, which then no
	// longer matches its manifest (tester), or replace the backup as it
	// reads it.
	if in, err := Within(o.From, o.DataDir); err == nil && in {
		return fmt.Errorf("the backup %s is inside the data directory %s: restoring would change the backup as it reads it. Copy the backup elsewhere, or restore into another directory", o.From, o.DataDir)
	}
	if in, err := Within(o.DataDir, o.From); err == nil && in {
		return fmt.Errorf("the data directory %s is inside the backup %s: restore into a directory outside it", o.DataDir, o.From)
	}
	// A documents directory that is a mount point (its own volume) or a
	// symbolic link (to the replicas' shared volume) cannot be swapped by
	// a rename: the first fails half-way with "device or resource busy",
	// the second would replace the link by a local directory the other
	// replicas never see (tester).
	if why := specialDocuments(o.DataDir); why != "" {
		return fmt.Errorf("%s/%s is %s: a restore replaces that directory by a rename, which would not restore into the volume. Restore into a new data directory on that volume (--data-dir), then point ipreg serve (or the mount or link) at it; nothing was changed", o.DataDir, documentsDir, why)
	}
	var held []string
	if !o.DocumentsOnly {
		if _, err := os.Stat(filepath.Join(o.DataDir, DatabaseName)); err == nil {
			held = append(held, "a database ("+DatabaseName+")")
		}
	}
	ids, _, err := docstore.ListFiles(o.DataDir)
	if err != nil {
		return fmt.Errorf("%w", err)
	}
	if len(ids) > 0 {
		held = append(held, fmt.Sprintf("%d documents", len(ids)))
	}
	if len(held) > 0 && !o.Force {
		return fmt.Errorf("the data directory %s is not empty: it holds %s. Restore into a new directory, or pass --force to replace them (stop ipreg serve on it first)",
			o.DataDir, strings.Join(held, " and "))
	}
	if o.DocumentsOnly {
		if o.DB != "" && !store.IsPostgres(o.DB) {
			if _, err := os.Stat(o.DB); err != nil {
				return fmt.Errorf("--db %s: %v; give the database the documents belong to", o.DB, err)
			}
		}
		if o.DB == "" {
			if _, err := os.Stat(filepath.Join(o.DataDir, DatabaseName)); err != nil {
				return fmt.Errorf("--documents-only needs the database the documents belong to: give --db (the PostgreSQL database pg_restore made), or restore a full backup; %s holds no %s", o.DataDir, DatabaseName)
			}
		}
	}
	return nil
}

// retireReplacedCertificateKeys adds to the data directory's retired
// certificate keys the current key the restore replaced (a backup's
// older key put back) and the keys the replaced retired list held: a
// certificate signed after the backup must go on verifying (tester t3:
// "UNKNOWN KEY" for a live registration's certificate). kept is
// Restored.KeysReplaced.
func retireReplacedCertificateKeys(dataDir string, kept map[string]string) (int, error) {
	var keys []certificate.PublicKey
	now := time.Now().UTC().Truncate(time.Second)
	if p, ok := kept[certificate.KeyFile]; ok {
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, err
		}
		key, err := feed.UnmarshalKey(b)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", p, err)
		}
		pub := key.Public().(ed25519.PublicKey)
		keys = append(keys, certificate.PublicKey{ID: certificate.KeyID(pub), Key: pub, Retired: true, RetiredAt: now})
	}
	if p, ok := kept[certificate.RetiredFile]; ok {
		rs, err := certificate.ReadRetired(p)
		if err != nil {
			return 0, err
		}
		keys = append(keys, rs...)
	}
	if len(keys) == 0 {
		return 0, nil
	}
	return certificate.Keys{Dir: dataDir}.Retire(keys)
}

// ownLikeDir, when the restore runs as root, gives what it wrote in
// dataDir (the database, documents, keys, feed-state, its lock) the data
// directory's owner and group: the service user that runs ipreg serve
// must open them, and root's 0600 files stopped it at serve.lock
// (tester). Files of other owners are left alone; as any other user
// there is nothing to do.
func ownLikeDir(dataDir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	st, err := os.Stat(dataDir)
	if err != nil {
		return err
	}
	dir, ok := st.Sys().(*syscall.Stat_t)
	if !ok || dir.Uid == 0 && dir.Gid == 0 {
		return nil
	}
	return filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dataDir {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if f, ok := fi.Sys().(*syscall.Stat_t); ok && f.Uid == 0 && (f.Uid != dir.Uid || f.Gid != dir.Gid) {
			return os.Lchown(p, int(dir.Uid), int(dir.Gid))
		}
		return nil
	})
}

// Within reports whether p is dir or inside it, symbolic links resolved
// (a path that does not exist yet resolves as far as it does).
func Within(p, dir string) (bool, error) {
	rp, err := resolve(p)
	if err != nil {
		return false, err
	}
	rd, err := resolve(dir)
	if err != nil {
		return false, err
	}
	rel, err := filepath.Rel(rd, rp)
	if err != nil {
		return false, err
	}
	return rel == "." || rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)), nil
}

// resolve is p absolute with the symbolic links of its existing part
// resolved.
func resolve(p string) (string, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var rest []string
	for {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(append([]string{r}, rest...)...), nil
		}
		parent := filepath.Dir(p)
		if parent == p {
			return filepath.Join(append([]string{p}, rest...)...), nil
		}
		rest = append([]string{filepath.Base(p)}, rest...)
		p = parent
	}
}

// specialDocuments says why dataDir's documents directory cannot be
// replaced by a rename ("a symbolic link to …", "a mount point"), or ""
// when it can (or does not exist).
func specialDocuments(dataDir string) string {
	p := filepath.Join(dataDir, documentsDir)
	fi, err := os.Lstat(p)
	if err != nil {
		return ""
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		to, _ := os.Readlink(p)
		return "a symbolic link to " + to
	}
	parent, err := os.Stat(dataDir)
	if err != nil {
		return ""
	}
	a, ok1 := fi.Sys().(*syscall.Stat_t)
	b, ok2 := parent.Sys().(*syscall.Stat_t)
	if ok1 && ok2 && a.Dev != b.Dev {
		return "a mount point (a volume of its own)"
	}
	return ""
}

// unpack copies or extracts the backup into stage and returns the paths
// it holds (slash-separated).
func unpack(from, stage string) ([]string, error) {
	if archive, gz := IsArchive(from); archive {
		return untar(from, gz, stage)
	}
	st, err := os.Stat(from)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, errors.New("not a backup: neither a directory nor a file ending in .tar, .tar.gz or .tgz")
	}
	var got []string
	err = filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil || rel == "." {
			return err
		}
		name := filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file (a link?); a backup holds plain files only", name)
		}
		if _, err := copyFile(p, filepath.Join(stage, rel)); err != nil {
			return err
		}
		got = append(got, name)
		return nil
	})
	return got, err
}

func untar(from string, gz bool, stage string) ([]string, error) {
	f, err := os.Open(from)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("not a gzip file (%v); the name says .tar.gz", err)
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	var got []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not a readable tar file (truncated?): %v", err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return nil, fmt.Errorf("%s is not a regular file (a link?); a backup holds plain files only", h.Name)
		}
		if err := cleanName(h.Name); err != nil {
			return nil, fmt.Errorf("refused entry: %v", err)
		}
		if slices.Contains(got, h.Name) {
			return nil, fmt.Errorf("%s appears twice", h.Name)
		}
		dst := filepath.Join(stage, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return nil, err
		}
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
			// The target's disk, not the backup: unpacking needs room
			// for the whole backup beside what the directory holds.
			return nil, fmt.Errorf("unpacking %s into %s: %v; free room there (the restore needs the backup's size beside what the directory holds) and restore again; nothing was changed", h.Name, stage, err)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v (truncated?)", h.Name, err)
		}
		got = append(got, h.Name)
	}
	return got, nil
}

// verify reads the manifest and checks that the staged files are exactly
// its files, each with its size and SHA-256.
func verify(stage string, got []string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(stage, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no %s: not a backup made by ipreg backup, or an incomplete copy of one", ManifestName)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s is damaged: %v", ManifestName, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("%s: format %q, this ipreg reads %q", ManifestName, m.Format, Format)
	}
	if m.Kind != KindFull && m.Kind != KindDocuments {
		return nil, fmt.Errorf("%s: unknown kind %q", ManifestName, m.Kind)
	}
	listed := map[string]File{}
	for _, f := range m.Files {
		if err := cleanName(f.Path); err != nil || f.Path == ManifestName {
			return nil, fmt.Errorf("%s lists %q, not a file a backup holds", ManifestName, f.Path)
		}
		listed[f.Path] = f
	}
	for _, name := range got {
		if _, ok := listed[name]; !ok && name != ManifestName {
			return nil, fmt.Errorf("%s is not in %s: the backup was changed after it was taken", name, ManifestName)
		}
	}
	for _, f := range m.Files {
		if !slices.Contains(got, f.Path) {
			return nil, fmt.Errorf("%s, listed in %s, is missing: an incomplete copy of the backup", f.Path, ManifestName)
		}
		h, err := hashFile(filepath.Join(stage, filepath.FromSlash(f.Path)))
		if err != nil {
			return nil, err
		}
		if h.Size != f.Size || h.SHA256 != f.SHA256 {
			return nil, fmt.Errorf("%s differs from %s (size %d, SHA-256 %s; the manifest says %d, %s): the backup is damaged or was changed; use another backup",
				f.Path, ManifestName, h.Size, h.SHA256, f.Size, f.SHA256)
		}
	}
	if m.Kind == KindFull {
		if _, ok := listed[DatabaseName]; !ok {
			return nil, fmt.Errorf("%s: a full backup without %s", ManifestName, DatabaseName)
		}
	}
	return &m, nil
}

// checkKeys returns the key files the backup holds and, among them, those
// the target holds with another content (differ), refusing, unless
// forced, to replace such a key: a feed key replaced makes agents refuse
// the feed, a document key replaced leaves the documents sealed under it
// unreadable, a certificate key replaced leaves the certificates it
// signed unverifiable. Forced, place keeps them (KeysReplaced).
func checkKeys(stage string, o RestoreOptions) (keys, differ []string, err error) {
	for _, name := range KeyFiles {
		b, err := os.ReadFile(filepath.Join(stage, keysDir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%w", err)
		}
		keys = append(keys, name)
		old, err := os.ReadFile(filepath.Join(o.DataDir, name))
		if err != nil || bytes.Equal(old, b) {
			continue
		}
		differ = append(differ, name)
		if !o.Force {
			return nil, nil, fmt.Errorf("%s in %s differs from the backup's: restoring would replace it (a feed key replaced makes agents refuse the feed; a document key replaced leaves documents sealed under it unreadable). Move it aside, or pass --force",
				name, o.DataDir)
		}
	}
	return keys, differ, nil
}

// checkSealed checks that every document file is sealed under the
// document key the data directory will hold (the backup's, or the one
// there already), when there is one: documents under another key would be
// unreadable after the restore.
func checkSealed(stage, dataDir string, m *Manifest) error {
	keyDir := dataDir
	if _, err := os.Stat(filepath.Join(stage, keysDir, docstore.KeyFile)); err == nil {
		keyDir = filepath.Join(stage, keysDir)
	}
	fp, ok, err := docstore.KeyFingerprint(keyDir)
	if err != nil {
		return fmt.Errorf("%w", err)
	}
	other := 0
	for _, f := range m.Files {
		if !strings.HasPrefix(f.Path, documentsDir+"/") {
			continue
		}
		head := make([]byte, 16)
		fh, err := os.Open(filepath.Join(stage, filepath.FromSlash(f.Path)))
		if err != nil {
			return fmt.Errorf("%w", err)
		}
		n, _ := io.ReadFull(fh, head)
		fh.Close()
		got, sealed := docstore.FileFingerprint(head[:n])
		if !sealed {
			return fmt.Errorf("%s is not a sealed document file", f.Path)
		}
		if ok && !bytes.Equal(got, fp) {
			other++
		}
	}
	if other > 0 {
		return fmt.Errorf("%d documents in the backup are sealed under another document key than %s: put the document-key of the registry that took the backup there (from your key backup), then restore again",
			other, filepath.Join(keyDir, docstore.KeyFile))
	}
	return nil
}

// checkContents opens every document of the backup with the document key
// the data directory will hold, when one is at hand, and compares it with
// the SHA-256 the database records for it (the staged database, or for a
// documents-only restore the one o.DB names): the manifest is only as
// good as whoever wrote it, and two sealed files swapped under a
// rewritten manifest pass every size and digest check. named, for a
// documents-only restore, are the digests checkDocumentsDatabase read
// from that database (read once). ok is false when no key is at hand and
// nothing could be opened.
func checkContents(ctx context.Context, stage string, o RestoreOptions, m *Manifest, named map[string]string) (ok bool, err error) {
	keyDir := o.DataDir
	if _, err := os.Stat(filepath.Join(stage, keysDir, docstore.KeyFile)); err == nil {
		keyDir = filepath.Join(stage, keysDir)
	}
	if _, have, err := docstore.KeyFingerprint(keyDir); err != nil || !have {
		return false, err
	}
	ds, err := docstore.Open(keyDir) // the key exists: Open creates none
	if err != nil {
		return false, fmt.Errorf("%w", err)
	}
	ds = ds.At(stage)
	sums := named // documents-only: what checkDocumentsDatabase read
	if !o.DocumentsOnly {
		db, err := store.Open(ctx, filepath.Join(stage, DatabaseName))
		if err != nil {
			return false, fmt.Errorf("open the database to check the documents against: %w", err)
		}
		defer db.Close()
		if sums, err = db.DocumentDigests(ctx); err != nil {
			return false, fmt.Errorf("%w", err)
		}
	}
	for _, f := range m.Files {
		if !strings.HasPrefix(f.Path, documentsDir+"/") {
			continue
		}
		id := path.Base(f.Path)
		plain, err := ds.Get(ctx, id)
		if err != nil {
			return false, fmt.Errorf("%s: %v; the backup was changed after it was taken: use another backup", f.Path, err)
		}
		want, recorded := sums[id]
		if !recorded {
			continue // documents-only: uploaded after pg_dump, no record; the sweep removes it
		}
		got := sha256.Sum256(plain)
		if hex.EncodeToString(got[:]) != strings.ToLower(want) {
			return false, fmt.Errorf("document %s (%s) opens, but its content's SHA-256 is %x, and the database records %s: the backup was changed after it was taken: use another backup", id, f.Path, got, want)
		}
	}
	return true, nil
}

// prepareDatabase checks the staged SQLite database (schema not newer than
// this program, the manifest's counts), migrates it, and makes its feed
// start a new session, recording the old sessions in dataDir's marker;
// over a registry (--force) it carries that registry's serials
// (carrySerials).
func prepareDatabase(ctx context.Context, path, dataDir string, m *Manifest, o RestoreOptions, res *Restored) (feeds, serials int, err error) {
	known, err := store.SchemaVersions()
	if err != nil {
		return 0, 0, err
	}
	if m.SchemaVersion > known {
		return 0, 0, fmt.Errorf("the backup's database is at schema version %d, newer than this ipreg knows (%d): restore with the ipreg version that took it (%s) or a newer one",
			m.SchemaVersion, known, m.Program)
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return 0, 0, fmt.Errorf("open the backup's database: %w", err)
	}
	defer db.Close()
	c, err := db.Counts(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read the backup's database: %w", err)
	}
	for k, v := range c.Rows {
		if m.Counts[k] != v {
			return 0, 0, fmt.Errorf("the backup's database holds %d %s, its manifest says %d: the backup is inconsistent; use another", v, k, m.Counts[k])
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		return 0, 0, fmt.Errorf("migrate the backup's database: %w", err)
	}
	marks, err := publish.NewSession(ctx, db, dataDir)
	if err != nil {
		return 0, 0, fmt.Errorf("%w", err)
	}
	raised, other, err := carrySerials(ctx, db, filepath.Join(dataDir, DatabaseName))
	if err != nil {
		return 0, 0, err
	}
	res.OtherRegistry = other
	from := o.CarryFrom
	if from == "" && !other && exists(filepath.Join(dataDir, DatabaseName)) {
		from = filepath.Join(dataDir, DatabaseName)
	}
	if from != "" {
		if res.Carried, err = carryAccess(ctx, db, from, o.CarryFrom != ""); err != nil {
			return 0, 0, fmt.Errorf("%w; nothing was changed", err)
		}
		if res.Carried != nil && o.CarryFrom != "" {
			res.CarriedFrom = store.Redact(from)
			if same, _ := sameFile(o.CarryFrom, filepath.Join(dataDir, DatabaseName)); same {
				res.CarriedFrom = "" // moved into replaced-<time>/ by the restore: named there
			}
		}
	}
	if res.PurgedNotRestored, err = removePurged(ctx, db, filepath.Join(filepath.Dir(path), documentsDir)); err != nil {
		return 0, 0, fmt.Errorf("%w; nothing was changed", err)
	}
	// Always a gap on top: numbers may have been issued after the backup
	// that the replaced database does not hold either (a restore of the
	// restore, another replica's), and an operator told to restore again
	// with a larger gap must get it (tester t4).
	if res.RegistrationSerials, err = skipNumbers(ctx, db, o); err != nil {
		return 0, 0, err
	}
	res.RegistrationGap = gapOf(o)
	return len(marks), raised, nil
}

// gapOf is o's RegistrationGap, or the default.
func gapOf(o RestoreOptions) int64 {
	if o.RegistrationGap > 0 {
		return o.RegistrationGap
	}
	return DefaultRegistrationGap
}

// skipNumbers skips gapOf(o) registration numbers in db, this year's (in
// Pakistan) included.
func skipNumbers(ctx context.Context, db *store.DB, o RestoreOptions) (map[string]int64, error) {
	got, err := db.SkipRegistrationNumbers(ctx, time.Now().In(registry.PKT.Loc).Year(), gapOf(o))
	if err != nil {
		return nil, fmt.Errorf("%w; nothing was changed", err)
	}
	return got, nil
}

// carrySerials, for a restore over a data directory that holds a
// registry (--force), raises the restored database's serials to the
// replaced one's when it is the same registry (the same audit genesis):
// a backup older than registrations issued since would otherwise hand
// their numbers out again, to other holders, while the first holders'
// certificates carry them (tester, issue 14). Another registry's
// serials say nothing of this one's numbers (tester t4): other is true
// then, and nothing is carried. It says how many serials it raised.
func carrySerials(ctx context.Context, restored *store.DB, replaced string) (raised int, other bool, err error) {
	if _, err := os.Stat(replaced); err != nil {
		return 0, false, nil
	}
	old, err := store.Open(ctx, replaced)
	if err != nil {
		return 0, false, nil // not a database: nothing to carry
	}
	defer old.Close()
	if ok, err := old.HasSchema(ctx); err != nil || !ok {
		return 0, false, nil
	}
	mine, err := restored.AuditGenesis(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("%w; nothing was changed", err)
	}
	theirs, err := old.AuditGenesis(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("the database replaced: %w; nothing was changed", err)
	}
	if mine != theirs || mine == "" {
		return 0, theirs != "" && mine != theirs, nil
	}
	at, err := old.Serials(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("read the registration numbers of the database replaced: %w; nothing was changed", err)
	}
	n, err := restored.RaiseSerials(ctx, at)
	if err != nil {
		return 0, false, fmt.Errorf("%w; nothing was changed", err)
	}
	return n, false, nil
}

// place moves the staged database, documents and keys into the data
// directory. What they replace is moved aside first and put back if a
// step fails, then kept in <data-dir>/replaced-<UTC time> (replaced says
// where and what); a key file in differ (the target held
// another key than the backup's) is kept beside it, as
// "<name>.replaced-<UTC time>", mode 0600: a key is the one thing no
// backup may hold, and what it opened or signed (documents, certificates,
// a feed agents trust) is lost with it (tester: --force silently dropped
// a rotated certificate key). The result maps each to where it is kept.
func place(stage string, o RestoreOptions, keys, differ []string, replaced *Replaced) (map[string]string, error) {
	aside, err := os.MkdirTemp(o.DataDir, ".restore-old-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(aside)
	type move = fileMove
	var moves []move
	if !o.DocumentsOnly {
		moves = append(moves, move{filepath.Join(stage, DatabaseName), filepath.Join(o.DataDir, DatabaseName)})
	}
	staged := filepath.Join(stage, documentsDir)
	if _, err := os.Stat(staged); errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(staged, 0o700); err != nil {
			return nil, err
		}
	}
	moves = append(moves, move{staged, filepath.Join(o.DataDir, documentsDir)})
	for _, k := range keys {
		moves = append(moves, move{filepath.Join(stage, keysDir, k), filepath.Join(o.DataDir, k)})
	}
	// Aside: what is replaced, and the old database's -wal and -shm,
	// which belong to it and would corrupt the restored file.
	var asideMoves []move
	old := []string{filepath.Join(o.DataDir, documentsDir)}
	if !o.DocumentsOnly {
		for _, s := range []string{"", "-wal", "-shm"} {
			old = append(old, filepath.Join(o.DataDir, DatabaseName+s))
		}
	}
	kept := map[string]string{}
	stamp := time.Now().UTC().Format("20060102T150405Z")
	for _, k := range keys {
		p := filepath.Join(o.DataDir, k)
		if slices.Contains(differ, k) {
			to := p + ".replaced-" + stamp
			for i := 2; ; i++ { // never over an earlier restore's copy
				if _, err := os.Lstat(to); errors.Is(err, fs.ErrNotExist) {
					break
				}
				to = fmt.Sprintf("%s.replaced-%s-%d", p, stamp, i)
			}
			kept[k] = to
			asideMoves = append(asideMoves, move{p, to})
			if err := os.Rename(p, to); err != nil {
				asideMoves = asideMoves[:len(asideMoves)-1]
				undoMoves(asideMoves)
				return nil, err
			}
			continue
		}
		old = append(old, p)
	}
	for _, p := range old {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		to := filepath.Join(aside, filepath.Base(p))
		if err := os.Rename(p, to); err != nil {
			undoMoves(asideMoves)
			return nil, err
		}
		asideMoves = append(asideMoves, move{p, to})
	}
	for _, mv := range moves {
		if err := os.Rename(mv.from, mv.to); err != nil {
			undoMoves(asideMoves)
			return nil, err
		}
	}
	// What was replaced is kept, not deleted (tester: the documents
	// uploaded after a PostgreSQL dump, which the restored database does
	// not name, were deleted at once; a forced SQLite restore dropped the
	// day's database, audit trail and all): <data-dir>/replaced-<time>.
	if len(asideMoves) > len(kept) {
		keptDir := filepath.Join(o.DataDir, "replaced-"+stamp)
		for i := 2; ; i++ {
			if _, err := os.Lstat(keptDir); errors.Is(err, fs.ErrNotExist) {
				break
			}
			keptDir = fmt.Sprintf("%s-%d", filepath.Join(o.DataDir, "replaced-"+stamp), i)
		}
		if err := os.Rename(aside, keptDir); err != nil {
			return nil, fmt.Errorf("restored, but keeping what it replaced in %s: %w; it is in %s", keptDir, err, aside)
		}
		replaced.Dir = keptDir
		replaced.Database = !o.DocumentsOnly && exists(filepath.Join(keptDir, DatabaseName))
		replaced.Documents = unmatched(filepath.Join(keptDir, documentsDir), filepath.Join(o.DataDir, documentsDir))
	}
	return kept, syncDir(o.DataDir)
}

// Replaced says where a restore kept what it replaced.
type Replaced struct {
	Dir       string // "" when it replaced nothing
	Database  bool   // the database it replaced is there
	Documents int    // document files there that the restored documents lack
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// unmatched counts the files under old whose path under cur does not
// exist.
func unmatched(old, cur string) int {
	n := 0
	filepath.WalkDir(old, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(old, p)
		if !exists(filepath.Join(cur, rel)) {
			n++
		}
		return nil
	})
	return n
}

// fileMove is a rename place makes.
type fileMove struct{ from, to string }

// undoMoves puts back what place moved aside, the last first.
func undoMoves(ms []fileMove) {
	for i := len(ms) - 1; i >= 0; i-- {
		os.RemoveAll(ms[i].from)
		os.Rename(ms[i].to, ms[i].from)
	}
}

// keepNamedDocuments, for a documents-only restore, puts into the staged
// documents every file the data directory holds for a document the
// database names (named) and the backup lacks: uploaded after the
// backup was taken, they are the registry's current documents, and
// replacing the documents directory would delete them (tester: six
// intact documents of a live PostgreSQL registry deleted by
// restore --documents-only --force). Hard-linked where the staging
// directory and the documents share a file system, copied (and synced)
// where not. It returns how many it kept.
func keepNamedDocuments(stage, dataDir string, named map[string]string) (int, error) {
	kept := 0
	for id := range named {
		rel, err := docstore.RelPath(id)
		if err != nil {
			continue // not a name a file can have: nothing to keep
		}
		src := filepath.Join(dataDir, documentsDir, filepath.FromSlash(rel))
		dst := filepath.Join(stage, documentsDir, filepath.FromSlash(rel))
		if _, err := os.Lstat(dst); err == nil {
			continue // the backup holds it
		}
		if fi, err := os.Lstat(src); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return kept, err
		}
		if err := os.Link(src, dst); err != nil {
			if _, err := copyFile(src, dst); err != nil {
				return kept, err
			}
		}
		kept++
	}
	return kept, nil
}

// afterDocuments, for a documents-only restore, makes the database's feed
// start a new session and counts the documents it names that have no file.
func afterDocuments(ctx context.Context, o RestoreOptions, res *Restored) (feeds, missing int, err error) {
	dsn := o.DB
	if dsn == "" {
		dsn = filepath.Join(o.DataDir, DatabaseName)
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return 0, 0, fmt.Errorf("the documents are in place; the database: %w", err)
	}
	defer db.Close()
	marks, err := publish.NewSession(ctx, db, o.DataDir)
	if err != nil {
		return 0, 0, fmt.Errorf("the documents are in place, but %w; run ipreg restore again with --force", err)
	}
	// The database came from pg_restore (or was named by --db): whatever
	// it last issued, numbers may have been issued after its dump.
	if res.RegistrationSerials, err = skipNumbers(ctx, db, o); err != nil {
		return len(marks), 0, fmt.Errorf("the documents are in place, but %w", err)
	}
	res.RegistrationGap = gapOf(o)
	if o.CarryFrom != "" {
		if res.Carried, err = carryAccess(ctx, db, o.CarryFrom, true); err != nil {
			return len(marks), 0, fmt.Errorf("the documents are in place, but %w", err)
		}
		res.CarriedFrom = store.Redact(o.CarryFrom)
	}
	if res.PurgedNotRestored, err = removePurged(ctx, db, filepath.Join(o.DataDir, documentsDir)); err != nil {
		return len(marks), 0, fmt.Errorf("the documents are in place, but %w", err)
	}
	ids, err := db.LiveDocumentIDs(ctx)
	if err != nil {
		return len(marks), 0, fmt.Errorf("%w", err)
	}
	have, _, err := docstore.ListFiles(o.DataDir)
	if err != nil {
		return len(marks), 0, fmt.Errorf("%w", err)
	}
	for _, id := range ids {
		if _, ok := have[id]; !ok {
			missing++
		}
	}
	return len(marks), missing, nil
}

// carryAccess carries into restored what from, the database the restore
// replaces, says about erasures, credentials and ended tokens since the
// backup (registry.Service.CarryAccess); the files of the documents the
// re-applied erasures purge go with every other purged document's
// (removePurged, which the callers run next). From must hold this
// registry (the same audit genesis): when it holds none or another's,
// nothing is carried and the result is nil, or, when explicit
// (--carry-from), it is an error.
func carryAccess(ctx context.Context, restored *store.DB, from string, explicit bool) (*registry.AccessCarried, error) {
	old, newer, err := openCarrySource(ctx, restored, from, explicit)
	if err != nil || old == nil {
		return nil, err
	}
	defer old.Close()
	svc := registry.NewService(restored, registry.Config{})
	got, err := svc.CarryAccess(ctx, old, newer)
	if err != nil {
		return nil, fmt.Errorf("carry erasures and credentials from %s: %w", store.Redact(from), err)
	}
	return got, nil
}

// openCarrySource opens from for carryAccess, checking that it holds the
// registry restored holds; see there for nil. Newer is true when from's
// audit chain goes on from restored's last entry: only then are its
// credentials and tokens newer than the backup's. One older than it
// (restoring a newer backup over an older copy) or one that went another
// way would put older passwords and disables back; erasures, which are
// never undone, carry from any copy of this registry. An explicit from
// whose chain ends where restored's does is the backup's own state (the
// restored database named twice, or another copy of the backup): refused,
// as it would carry nothing while the restore said it carried (tester
// t10).
func openCarrySource(ctx context.Context, restored *store.DB, from string, explicit bool) (old *store.DB, newer bool, err error) {
	refuse := func(format string, args ...any) (*store.DB, bool, error) {
		if old != nil {
			old.Close()
		}
		if !explicit {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("--carry-from %s: "+format, append([]any{store.Redact(from)}, args...)...)
	}
	if !store.IsPostgres(from) {
		if _, err := os.Stat(strings.TrimPrefix(from, "sqlite://")); err != nil {
			return refuse("%v", err)
		}
	}
	if old, err = store.Open(ctx, from); err != nil {
		old = nil
		return refuse("%v", err)
	}
	if ok, err := old.HasSchema(ctx); err != nil || !ok {
		return refuse("it holds no registry")
	}
	mine, err := restored.AuditGenesis(ctx)
	if err != nil {
		old.Close()
		return nil, false, err
	}
	theirs, err := old.AuditGenesis(ctx)
	if err != nil {
		return refuse("%v", err)
	}
	if mine == "" || mine != theirs {
		return refuse("it holds another registry (its audit trail begins differently): give the database this backup was taken from")
	}
	seq, hash, err := restored.AuditHead(ctx)
	if err != nil {
		old.Close()
		return nil, false, err
	}
	oldSeq, oldHash, err := old.AuditHead(ctx)
	if err != nil {
		return refuse("%v", err)
	}
	if oldSeq == seq && oldHash == hash && explicit {
		return refuse("its audit trail ends where the backup's does: it is the database being restored, or another copy of the backup, and holds nothing made since. Name the database the restore replaces, as it stood before the restore (on SQLite, a full restore --force finds it by itself)")
	}
	if newer, err = old.Continues(ctx, seq, hash); err != nil {
		return refuse("%v", err)
	}
	return old, newer, nil
}

// checkCarryFrom refuses an explicit --carry-from that openCarrySource
// would refuse, against the staged database at staged, before anything
// changes.
func checkCarryFrom(ctx context.Context, staged, from string) error {
	db, err := store.Open(ctx, staged)
	if err != nil {
		return fmt.Errorf("open the backup's database: %w", err)
	}
	defer db.Close()
	old, _, err := openCarrySource(ctx, db, from, true)
	if err != nil {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	old.Close()
	return nil
}

// sameFile reports whether the SQLite files a and b (sqlite:// or plain
// paths) are one file.
func sameFile(a, b string) (bool, error) {
	if store.IsPostgres(a) || store.IsPostgres(b) {
		return false, nil
	}
	fa, err := os.Stat(strings.TrimPrefix(a, "sqlite://"))
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(strings.TrimPrefix(b, "sqlite://"))
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// newAncestors lists the directories above dir that do not exist yet,
// innermost first: what creating dir would create besides it.
func newAncestors(dir string) []string {
	var out []string
	for d := filepath.Dir(filepath.Clean(dir)); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			return out
		}
		out = append(out, d)
		if d == filepath.Dir(d) {
			return out
		}
	}
}

// removePurged removes from docsDir the files of the documents db records
// as purged, and says how many it removed: a backup taken before a purge
// (or documents restored over a database that purged since, tester t11's
// second restore put an erased account's document back) holds them, and
// their retention or their holder's erasure says they must not be kept.
func removePurged(ctx context.Context, db *store.DB, docsDir string) (int, error) {
	ids, err := db.PurgedDocumentIDs(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		rel, err := docstore.RelPath(id)
		if err != nil {
			continue
		}
		err = os.Remove(filepath.Join(docsDir, filepath.FromSlash(rel)))
		switch {
		case err == nil:
			n++
		case !errors.Is(err, fs.ErrNotExist):
			return n, fmt.Errorf("remove the file of purged document %s: %w", id, err)
		}
	}
	return n, nil
}

// otherSessionsSettled is db.OtherSessions once the sessions that are
// ending have ended: a client that disconnected a moment ago (a psql just
// quit, the step before this one) stays in pg_stat_activity until its
// backend process exits, some milliseconds later, and made a restore
// refuse a database no one used any more (CI, issue 14). It is the fewest
// seen in half a second; a running server's sessions stay.
func otherSessionsSettled(ctx context.Context, db *store.DB) (int, error) {
	n, err := db.OtherSessions(ctx)
	for _, wait := range []time.Duration{50 * time.Millisecond, 150 * time.Millisecond, 300 * time.Millisecond} {
		if err != nil || n == 0 {
			return n, err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
		m, err := db.OtherSessions(ctx)
		if err != nil {
			return 0, err
		}
		n = min(n, m)
	}
	return n, nil
}
