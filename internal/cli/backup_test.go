package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/backup"
	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// startServer starts ipreg serve in process on port 0 over dataDir (and
// dsn, "" for SQLite there).
func startServer(t *testing.T, dataDir, dsn string) *Server {
	t.Helper()
	s := &Server{Config: ServeConfig{Listen: "127.0.0.1:0", Demo: true, FeedPoll: 100 * time.Millisecond, JobsInterval: time.Hour},
		log: slog.New(slog.DiscardHandler)}
	s.Config.db.dataDir, s.Config.db.db = dataDir, dsn
	if err := s.Start(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	return s
}

// writer is an applicant filing through the API: drafts, each with two
// PDF scans, until stopped. acked holds every document the server
// answered 201 for, with the SHA-256 of what was sent.
type writer struct {
	base, token string
	mu          sync.Mutex
	acked       map[string]string
	err         error
}

func (w *writer) call(method, path, ctype string, body []byte, want int, out any) error {
	req, err := http.NewRequest(method, w.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if w.token != "" {
		req.Header.Set("Authorization", "Bearer "+w.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func newWriter(t *testing.T, base, n string) *writer {
	w := &writer{base: base, acked: map[string]string{}}
	signup := fmt.Sprintf(`{"email":"it%s@example.com.pk","password":"correct horse battery","kind":"company","name":"Example %s (Pvt) Ltd","cnic":"35202-123456%s-1","mobile":"0300-123456%s","ntn":"123456%s-8"}`, n, n, n, n, n)
	if err := w.call("POST", "/api/v1/signup", "application/json", []byte(signup), http.StatusCreated, nil); err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	if err := w.call("POST", "/api/v1/login", "application/json", []byte(`{"email":"it`+n+`@example.com.pk","password":"correct horse battery"}`), http.StatusOK, &tok); err != nil {
		t.Fatal(err)
	}
	w.token = tok.Token
	return w
}

// run files until stop closes, each document acknowledged recorded.
func (w *writer) run(stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		var app struct{ ID string }
		err := w.call("POST", "/api/v1/applications", "application/json", []byte(`{"category":"company_vpn","operator_id":"ptcl","subscriber_id":"PTCL-0042","addresses":["14.1.104.0/24"],"vpn":{"protocol":"wireguard"},"purpose":"Staff reach head-office systems from home."}`), http.StatusCreated, &app)
		for _, kind := range []string{"cnic_front", "cnic_back"} {
			if err != nil {
				break
			}
			content := testbin.PDF(fmt.Sprintf("%s %d %d", kind, i, time.Now().UnixNano()))
			ct, body := testbin.Multipart(kind, kind+".pdf", content)
			var doc struct{ ID string }
			if err = w.call("POST", "/api/v1/applications/"+app.ID+"/documents", ct, body, http.StatusCreated, &doc); err == nil {
				sum := sha256.Sum256(content)
				w.mu.Lock()
				w.acked[doc.ID] = hex.EncodeToString(sum[:])
				w.mu.Unlock()
			}
		}
		if err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			return
		}
	}
}

func (w *writer) snapshot() map[string]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]string{}
	for k, v := range w.acked {
		out[k] = v
	}
	return out
}

// feedState returns the global feed's verified session and version.
func feedState(t *testing.T, s *Server, dataDir string) (string, int64) {
	t.Helper()
	res, err := http.Get("http://" + s.Addr.String() + "/feed/v1/notification.jose")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	cur, _, err := publish.Keys{Dir: dataDir}.Load()
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := feed.Verify(string(b), cur.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatalf("notification: %v (%s)", err, b)
	}
	return n.SessionID, n.Version
}

// checkRestored checks a restored data directory: every document acked
// before the backup began is recorded; every live document record opens
// and matches its SHA-256; the documents directory holds exactly those.
func checkRestored(t *testing.T, dataDir, dsn string, before map[string]string, m *backup.Manifest) {
	t.Helper()
	ctx := context.Background()
	if dsn == "" {
		dsn = filepath.Join(dataDir, "ipreg.db")
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if m != nil {
		c, err := db.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c.Rows {
			if m.Counts[k] != v {
				t.Errorf("restored %s = %d, manifest %d", k, v, m.Counts[k])
			}
		}
	}
	docs, err := docstore.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := db.LiveDocumentIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]bool{}
	for _, id := range ids {
		live[id] = true
		var want string
		if err := db.SQL().QueryRowContext(ctx, map[bool]string{true: "SELECT sha256 FROM documents WHERE id = $1", false: "SELECT sha256 FROM documents WHERE id = ?"}[db.Dialect() == "postgres"], id).Scan(&want); err != nil {
			t.Fatal(err)
		}
		b, err := docs.Get(ctx, id)
		if err != nil {
			t.Errorf("restored document %s: %v", id, err)
			continue
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != want {
			t.Errorf("restored document %s does not match its SHA-256", id)
		}
	}
	for id, sum := range before {
		if !live[id] {
			t.Errorf("document %s, acknowledged before the backup began, is not in the restored database", id)
			continue
		}
		b, err := docs.Get(ctx, id)
		if err != nil {
			continue // reported above
		}
		if s := sha256.Sum256(b); hex.EncodeToString(s[:]) != sum {
			t.Errorf("document %s differs from what was uploaded", id)
		}
	}
	files, temps, err := docstore.ListFiles(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(temps) > 0 {
		t.Errorf("restored documents hold temporary files: %v", temps)
	}
	if m == nil || m.Kind == backup.KindFull {
		for id := range files {
			if !live[id] {
				t.Errorf("restored documents hold %s, which no record names", id)
			}
		}
		if len(files) != len(live) {
			t.Errorf("restored documents: %d files for %d records", len(files), len(live))
		}
	}
}

// TestBackupRestoreSQLite: a backup taken while the server files documents
// restores into a new data directory with every document acknowledged
// before it began, intact, and nothing else; the restored feed starts a
// new session above the old version. Once into a tar.gz with the keys kept
// apart (and said so), once into a directory with --include-keys.
func TestBackupRestoreSQLite(t *testing.T) {
	for _, tc := range []struct {
		name, to string
		keys     bool
	}{{"tar.gz without keys", "b.tar.gz", false}, {"directory with keys", "b", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := t.TempDir()
			s := startServer(t, dataDir, "")
			w := newWriter(t, "http://"+s.Addr.String(), "1")
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() { defer close(done); w.run(stop) }()
			for len(w.snapshot()) < 4 && w.err == nil {
				time.Sleep(20 * time.Millisecond)
			}
			before := w.snapshot()
			oldSession, oldVersion := feedState(t, s, dataDir)
			to := filepath.Join(t.TempDir(), tc.to)
			args := []string{"backup", "--data-dir", dataDir, "--to", to}
			if tc.keys {
				args = append(args, "--include-keys")
			}
			code, out, errOut := run(t, nil, "", args...)
			during := len(w.snapshot())
			close(stop)
			<-done
			s.Close()
			if w.err != nil {
				t.Fatalf("writer: %v", w.err)
			}
			if code != 0 {
				t.Fatalf("backup = %d %s %s", code, out, errOut)
			}
			if during <= len(before) {
				t.Logf("no upload was acknowledged while the backup ran (%d before, %d after)", len(before), during)
			}
			wantKeys := "keys NOT included"
			if tc.keys {
				wantKeys = "keys INCLUDED"
			}
			if !strings.Contains(out, wantKeys) {
				t.Errorf("backup output lacks %q:\n%s", wantKeys, out)
			}
			// Only the key files the data directory holds are named: no
			// rotation ran, so no next feed key and no retired keys.
			if !tc.keys && (strings.Contains(out, "feed-signing-key.next.pem") || strings.Contains(out, "certificate-keys-retired") || !strings.Contains(out, docstore.KeyFile)) {
				t.Errorf("backup output names key files that are absent, or not the document key:\n%s", out)
			}

			target := t.TempDir()
			if !tc.keys { // the keys come from the key backup, first
				for _, k := range backup.KeyFiles {
					if b, err := os.ReadFile(filepath.Join(dataDir, k)); err == nil {
						os.WriteFile(filepath.Join(target, k), b, 0o600)
					}
				}
			}
			code, out, errOut = run(t, nil, "", "restore", "--from", to, "--data-dir", target)
			if code != 0 {
				t.Fatalf("restore = %d %s %s", code, out, errOut)
			}
			if !strings.Contains(out, "each the database names matched the SHA-256 it records") {
				t.Errorf("restore with the key at hand does not say the contents were checked:\n%s", out)
			}
			if !strings.Contains(out, "every file matched its manifest") || !strings.Contains(out, "start a new session") || strings.Contains(out, "MISSING") {
				t.Errorf("restore output:\n%s", out)
			}
			m := readManifest(t, to)
			if m.KeysIncluded != tc.keys || m.Counts["document_files"] < int64(len(before)) {
				t.Errorf("manifest: keys %v, %d document files; want keys %v, at least %d", m.KeysIncluded, m.Counts["document_files"], tc.keys, len(before))
			}
			checkRestored(t, target, "", before, m)

			r := startServer(t, target, "")
			defer r.Close()
			newSession, newVersion := feedState(t, r, target)
			if newSession == oldSession || newVersion <= oldVersion {
				t.Errorf("restored feed: session %s version %d; want a new session above version %d of %s", newSession, newVersion, oldVersion, oldSession)
			}
		})
	}
}

// needPGTools skips (or, strict, fails) a test that needs pg_dump and
// pg_restore when they are not installed.
func needPGTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			storetest.SkipOrFail(t, tool+" is not installed (Debian package postgresql-client)")
		}
	}
}

// copyKeys copies the key files dir holds into to, as an operator puts
// back the keys kept apart from a backup.
func copyKeys(t *testing.T, dir, to string) {
	t.Helper()
	for _, k := range backup.KeyFiles {
		if b, err := os.ReadFile(filepath.Join(dir, k)); err == nil {
			if err := os.WriteFile(filepath.Join(to, k), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// readManifest reads a backup's manifest with the restore's own checks,
// by restoring it into a scratch directory.
func readManifest(t *testing.T, from string) *backup.Manifest {
	t.Helper()
	dir := t.TempDir()
	res, err := backup.Restore(context.Background(), backup.RestoreOptions{From: from, DataDir: dir, DocumentsOnly: false})
	if err != nil {
		t.Fatal(err)
	}
	return res.Manifest
}

// tree lists a directory's files with their SHA-256, to show that a
// refused restore changed nothing.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == backup.LockName { // the lock file, not data: restore creates it to lock
			return nil
		}
		if d.IsDir() {
			lines = append(lines, rel+"/")
			return nil
		}
		b, _ := os.ReadFile(p)
		s := sha256.Sum256(b)
		lines = append(lines, rel+" "+hex.EncodeToString(s[:]))
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// fill starts a server on dataDir, files until n documents are
// acknowledged, and stops it.
func fill(t *testing.T, dataDir, dsn, who string, n int) map[string]string {
	t.Helper()
	s := startServer(t, dataDir, dsn)
	defer s.Close()
	w := newWriter(t, "http://"+s.Addr.String(), who)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); w.run(stop) }()
	for len(w.snapshot()) < n && w.err == nil {
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	<-done
	if w.err != nil {
		t.Fatalf("writer: %v", w.err)
	}
	return w.snapshot()
}

// copyTree copies a directory tree.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// firstDocument is the path of a document file in a backup directory.
func firstDocument(t *testing.T, dir string) string {
	t.Helper()
	var found string
	filepath.WalkDir(filepath.Join(dir, "documents"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && found == "" {
			found = p
		}
		return nil
	})
	if found == "" {
		t.Fatal("no document in the backup")
	}
	return found
}

// documents lists a backup's sealed document files.
func documents(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(dir, "documents"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	if len(out) < 2 {
		t.Fatalf("%d documents in the backup; want 2 or more", len(out))
	}
	return out
}

// rewriteManifest makes a changed backup's manifest match its files again,
// as someone covering their tracks would.
func rewriteManifest(t *testing.T, dir string) {
	t.Helper()
	p := filepath.Join(dir, "manifest.json")
	b, _ := os.ReadFile(p)
	var m backup.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for i, f := range m.Files {
		c, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(c)
		m.Files[i].Size, m.Files[i].SHA256 = int64(len(c)), hex.EncodeToString(sum[:])
	}
	b, _ = json.Marshal(m)
	os.WriteFile(p, b, 0o600)
}

// TestRestoreRefuses: a damaged backup or a wrong target gives an error
// saying what is wrong, and the target is left exactly as it was.
func TestRestoreRefuses(t *testing.T) {
	dataDir := t.TempDir()
	fill(t, dataDir, "", "2", 2)
	backups := t.TempDir()
	withKeys, noKeys := filepath.Join(backups, "keys"), filepath.Join(backups, "nokeys")
	for _, a := range [][]string{{"--to", withKeys, "--include-keys"}, {"--to", noKeys}} {
		if code, out, errOut := run(t, nil, "", append([]string{"backup", "--data-dir", dataDir}, a...)...); code != 0 {
			t.Fatalf("backup = %d %s %s", code, out, errOut)
		}
	}
	otherKey := func(t *testing.T, target string) {
		os.WriteFile(filepath.Join(target, docstore.KeyFile), []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	}
	for _, tc := range []struct {
		name   string
		from   string
		damage func(t *testing.T, b string)   // applied to a copy of the backup
		target func(t *testing.T, dir string) // prepares the target
		args   []string
		want   string
	}{
		{name: "missing manifest", from: withKeys, damage: func(t *testing.T, b string) { os.Remove(filepath.Join(b, "manifest.json")) }, want: "no manifest.json"},
		{name: "tampered document", from: withKeys, damage: func(t *testing.T, b string) {
			p := firstDocument(t, b)
			c, _ := os.ReadFile(p)
			c[len(c)-1] ^= 1
			os.WriteFile(p, c, 0o600)
		}, want: "differs from manifest.json"},
		{name: "tampered database", from: withKeys, damage: func(t *testing.T, b string) {
			f, _ := os.OpenFile(filepath.Join(b, "ipreg.db"), os.O_APPEND|os.O_WRONLY, 0)
			f.Write([]byte{0})
			f.Close()
		}, want: "ipreg.db differs from manifest.json"},
		{name: "tampered manifest", from: withKeys, damage: func(t *testing.T, b string) {
			os.WriteFile(filepath.Join(b, "manifest.json"), []byte(`{"format":"ipreg-backup/1","kind":"full","files":[`), 0o600)
		}, want: "manifest.json is damaged"},
		{name: "file added", from: withKeys, damage: func(t *testing.T, b string) {
			os.WriteFile(filepath.Join(filepath.Dir(firstDocument(t, b)), "doc_planted"), []byte("IPRD1"), 0o600)
		}, want: "is not in manifest.json"},
		// Files swapped, or re-sealed with other content, under a manifest
		// rewritten to match: only opening them shows it.
		{name: "documents swapped", from: withKeys, damage: func(t *testing.T, b string) {
			docs := documents(t, b)
			x, _ := os.ReadFile(docs[0])
			y, _ := os.ReadFile(docs[1])
			os.WriteFile(docs[0], y, 0o600)
			os.WriteFile(docs[1], x, 0o600)
			rewriteManifest(t, b)
		}, want: "belongs to another document"},
		{name: "document re-sealed", from: withKeys, damage: func(t *testing.T, b string) {
			ds, err := docstore.Open(filepath.Join(b, "keys"))
			if err != nil {
				t.Fatal(err)
			}
			first := firstDocument(t, b)
			os.Remove(first) // Put writes only new files
			if err := ds.At(b).Put(context.Background(), filepath.Base(first), []byte("%PDF-1.4 another")); err != nil {
				t.Fatal(err)
			}
			rewriteManifest(t, b)
		}, want: "the database records"},
		{name: "file missing", from: withKeys, damage: func(t *testing.T, b string) { os.Remove(firstDocument(t, b)) }, want: "is missing"},
		{name: "target holds a database", from: withKeys, target: func(t *testing.T, dir string) {
			copyTree(t, dataDir, dir)
		}, want: "is not empty"},
		{name: "documents-only of a full backup", from: withKeys, target: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "ipreg.db"), nil, 0o600)
		}, args: []string{"--documents-only", "--force"}, want: "is a full backup"},
		{name: "full backup into PostgreSQL", from: withKeys, args: []string{"--db", "postgres://u@127.0.0.1:1/x"}, want: "names PostgreSQL"},
		{name: "target key differs", from: withKeys, target: otherKey, want: "differs from the backup's"},
		{name: "documents under another key", from: noKeys, target: otherKey, want: "sealed under another document key"},
		{name: "not a backup", from: dataDir, want: "no manifest.json"},
		{name: "no such backup", from: filepath.Join(backups, "none"), want: "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := tc.from
			if tc.damage != nil {
				from = filepath.Join(t.TempDir(), "b")
				copyTree(t, tc.from, from)
				tc.damage(t, from)
			}
			target := t.TempDir()
			if tc.target != nil {
				tc.target(t, target)
			}
			was := tree(t, target)
			code, out, errOut := run(t, nil, "", append([]string{"restore", "--from", from, "--data-dir", target}, tc.args...)...)
			if code != 1 || !strings.Contains(errOut, tc.want) {
				t.Errorf("restore = %d, %q %q; want 1 and an error with %q", code, out, errOut, tc.want)
			}
			if now := tree(t, target); now != was {
				t.Errorf("the refused restore changed the target:\nbefore\n%s\nafter\n%s", was, now)
			}
		})
	}
	t.Run("tar entry outside", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "evil.tar")
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "../escaped", Size: 1, Mode: 0o600})
		tw.Write([]byte("x"))
		tw.Close()
		os.WriteFile(p, b.Bytes(), 0o600)
		target := t.TempDir()
		code, _, errOut := run(t, nil, "", "restore", "--from", p, "--data-dir", target)
		if code != 1 || !strings.Contains(errOut, "not a plain relative path") {
			t.Errorf("restore = %d %q", code, errOut)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(target), "escaped")); err == nil {
			t.Error("a tar entry was written outside the target")
		}
	})
	// Forced over a data directory whose keys are not the backup's (a
	// certificate key rotated since, or another registry's directory), the
	// replaced keys are kept beside them, and said so (tester: --force
	// dropped a rotated certificate key without a word).
	t.Run("forced over other keys", func(t *testing.T) {
		target := t.TempDir()
		copyTree(t, dataDir, target)
		otherKey(t, target)
		replaced, _ := os.ReadFile(filepath.Join(target, docstore.KeyFile))
		code, out, errOut := run(t, nil, "", "restore", "--from", withKeys, "--data-dir", target, "--force")
		if code != 0 || !strings.Contains(out, "WARNING: "+docstore.KeyFile+" held another key than the backup's: the replaced key is kept as ") {
			t.Fatalf("restore --force = %d %q %q; want a warning naming the kept key", code, out, errOut)
		}
		kept, _ := filepath.Glob(filepath.Join(target, docstore.KeyFile+".replaced-*"))
		if len(kept) != 1 {
			t.Fatalf("kept copies of the replaced key: %v", kept)
		}
		if b, err := os.ReadFile(kept[0]); err != nil || !bytes.Equal(b, replaced) {
			t.Errorf("%s holds %q (%v), want the replaced key", kept[0], b, err)
		}
		if st, err := os.Stat(kept[0]); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want mode 0600", kept[0], st.Mode(), err)
		}
		want, _ := os.ReadFile(filepath.Join(withKeys, "keys", docstore.KeyFile))
		if b, _ := os.ReadFile(filepath.Join(target, docstore.KeyFile)); !bytes.Equal(b, want) {
			t.Error("the backup's document key is not in place")
		}
		// The same keys again: nothing differs, nothing more is kept.
		if code, out, errOut := run(t, nil, "", "restore", "--from", withKeys, "--data-dir", target, "--force"); code != 0 || strings.Contains(out, "WARNING") {
			t.Errorf("restore --force again = %d %q %q", code, out, errOut)
		}
		if again, _ := filepath.Glob(filepath.Join(target, docstore.KeyFile+".replaced-*")); len(again) != 1 {
			t.Errorf("kept copies after a restore of the same keys: %v", again)
		}
	})
	// Forced over a directory whose certificate key was rotated after
	// the backup: the key the restore replaces joins the retired keys, so
	// the certificates it signed still verify (tester t3).
	t.Run("forced over a rotated certificate key", func(t *testing.T) {
		target := t.TempDir()
		copyTree(t, dataDir, target)
		if code, out, errOut := run(t, nil, "", "key", "rotate-certificate", "--data-dir", target); code != 0 {
			t.Fatalf("rotate-certificate = %d %q %q", code, out, errOut)
		}
		rotated, err := certificate.Keys{Dir: target}.Load()
		if err != nil {
			t.Fatal(err)
		}
		newID := rotated.Public[0].ID
		code, out, errOut := run(t, nil, "", "restore", "--from", withKeys, "--data-dir", target, "--force")
		if code != 0 || !strings.Contains(out, "certificate keys: 1 the restore replaced are now among the retired keys") {
			t.Fatalf("restore --force = %d %q %q", code, out, errOut)
		}
		after, err := certificate.Keys{Dir: target}.Load()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := after.Lookup(newID); !ok {
			t.Errorf("the certificate key made after the backup (%s) no longer verifies: %+v", newID, after.Public)
		}
		if after.Public[0].ID == newID || after.Public[0].Retired {
			t.Errorf("the backup's key is not the current one: %+v", after.Public)
		}
	})
	// Forced over the registry it was taken from, which has issued
	// registration numbers since: the restored database goes on after the
	// last of them, not from the backup's (tester: VPN-2026-000006 was
	// issued twice, to two holders).
	t.Run("forced over later registrations", func(t *testing.T) {
		target := t.TempDir()
		copyTree(t, dataDir, target)
		live, err := store.Open(context.Background(), filepath.Join(target, "ipreg.db"))
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("registration-%d", time.Now().Year())
		_, err = live.SQL().Exec(`INSERT INTO serials (name, value) VALUES (?, 41) ON CONFLICT (name) DO UPDATE SET value = 41`, name)
		live.Close()
		if err != nil {
			t.Fatal(err)
		}
		code, out, errOut := run(t, nil, "", "restore", "--from", withKeys, "--data-dir", target, "--force")
		if code != 0 || !strings.Contains(out, "registration numbers: 10000 skipped after the last the replaced database issued") {
			t.Fatalf("restore --force = %d %q %q", code, out, errOut)
		}
		if got := serialsIn(t, filepath.Join(target, "ipreg.db")); got[name] != 10041 {
			t.Errorf("restored serials = %v; want %s at 41 + 10000", got, name)
		}
		// Restored again with a larger gap, as the message says to: the
		// gap is taken on top of what the replaced database issued
		// (tester t4: it was ignored).
		code, out, errOut = run(t, nil, "", "restore", "--from", withKeys, "--data-dir", target, "--force", "--registration-gap", "20000")
		if code != 0 || !strings.Contains(out, "20000 skipped") {
			t.Fatalf("restore --force --registration-gap 20000 = %d %q %q", code, out, errOut)
		}
		if got := serialsIn(t, filepath.Join(target, "ipreg.db")); got[name] != 30041 {
			t.Errorf("serials after the second restore = %v; want %s at 10041 + 20000", got, name)
		}
		for _, gap := range []string{"0", "-1"} {
			if code, _, errOut := run(t, nil, "", "restore", "--from", withKeys, "--data-dir", t.TempDir(), "--registration-gap", gap); code != 1 || !strings.Contains(errOut, "1 or more") {
				t.Errorf("--registration-gap %s = %d %q; want it refused", gap, code, errOut)
			}
		}
		// The database it replaced is kept, audit trail and all.
		if !strings.Contains(out, "the database it replaced") {
			t.Errorf("restore --force does not say it kept the database it replaced: %s", out)
		}
		if dbs, _ := filepath.Glob(filepath.Join(target, "replaced-*", "ipreg.db")); len(dbs) == 0 {
			t.Errorf("the replaced database is not kept: %v", dbs)
		}
	})
	// Refusals that leave nothing behind (tester): a target that did not
	// exist is not made, a backup inside the target (or the reverse) is
	// refused before the backup is touched, and a documents directory
	// that is a symbolic link to a shared volume is refused, not replaced
	// by a local directory.
	t.Run("refused leaves nothing", func(t *testing.T) {
		damaged := filepath.Join(t.TempDir(), "b")
		copyTree(t, withKeys, damaged)
		os.Remove(filepath.Join(damaged, "manifest.json"))
		fresh := filepath.Join(t.TempDir(), "new-data")
		if code, _, errOut := run(t, nil, "", "restore", "--from", damaged, "--data-dir", fresh); code != 1 {
			t.Fatalf("restore of a damaged backup = %d %q", code, errOut)
		}
		if _, err := os.Stat(fresh); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the refused restore made %s: %v", fresh, err)
		}

		self := filepath.Join(t.TempDir(), "b")
		copyTree(t, withKeys, self)
		was := tree(t, self)
		for _, args := range [][]string{
			{"--from", self, "--data-dir", self, "--force"},
			{"--from", self, "--data-dir", filepath.Join(self, "inner"), "--force"},
			{"--from", filepath.Join(self, "keys"), "--data-dir", self, "--force"},
		} {
			code, _, errOut := run(t, nil, "", append([]string{"restore"}, args...)...)
			if code != 1 || !strings.Contains(errOut, "inside") {
				t.Errorf("restore %v = %d %q; want it refused as inside", args, code, errOut)
			}
		}
		if now := tree(t, self); now != was {
			t.Errorf("refused restores changed the backup:\n%s\nthen\n%s", was, now)
		}
		if code, out, errOut := run(t, nil, "", "restore", "--from", self, "--data-dir", t.TempDir()); code != 0 {
			t.Errorf("the backup no longer restores: %d %q %q", code, out, errOut)
		}

		linked := t.TempDir()
		shared := t.TempDir()
		if err := os.Symlink(shared, filepath.Join(linked, "documents")); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := run(t, nil, "", "restore", "--from", withKeys, "--data-dir", linked)
		if code != 1 || !strings.Contains(errOut, "is a symbolic link to "+shared) {
			t.Errorf("restore with documents a symbolic link = %d %q", code, errOut)
		}
		if fi, err := os.Lstat(filepath.Join(linked, "documents")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("the documents link was replaced: %v %v", fi, err)
		}
	})
	// Run as root into a data directory the service user owns, the
	// restored files are the service user's: ipreg serve, run as that
	// user, must open them (tester: root's serve.lock stopped it).
	t.Run("owner kept", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root, to restore as root into a directory another user owns (CI runs as root)")
		}
		target := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(target, 0o700); err != nil {
			t.Fatal(err)
		}
		const nobody = 65534
		if err := os.Chown(target, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		if code, out, errOut := run(t, nil, "", "restore", "--from", withKeys, "--data-dir", target); code != 0 {
			t.Fatalf("restore = %d %q %q", code, out, errOut)
		}
		n := 0
		filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, _ := d.Info()
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && (st.Uid != nobody || st.Gid != nobody) {
				t.Errorf("%s is owned by %d:%d, not the data directory's %d:%d", p, st.Uid, st.Gid, nobody, nobody)
			}
			n++
			return nil
		})
		if n < 5 {
			t.Errorf("only %d entries restored", n)
		}
	})
	// Forced over another registry's directory: its serials and its
	// certificate key are not carried into this one, and the restore
	// says so (tester t4: it copied the other registry's serials and
	// reissued numbers).
	t.Run("forced over another registry", func(t *testing.T) {
		target := t.TempDir()
		fill(t, target, "", "6", 1)
		other, err := store.Open(context.Background(), filepath.Join(target, "ipreg.db"))
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("registration-%d", time.Now().In(registry.PKT.Loc).Year())
		_, err = other.SQL().Exec(`INSERT INTO serials (name, value) VALUES (?, 41) ON CONFLICT (name) DO UPDATE SET value = 41`, name)
		other.Close()
		if err != nil {
			t.Fatal(err)
		}
		code, out, errOut := run(t, nil, "", "restore", "--from", withKeys, "--data-dir", target, "--force")
		if code != 0 || !strings.Contains(out, "held another registry") || !strings.Contains(out, "10000 skipped after the backup's last") ||
			strings.Contains(out, "certificate keys:") {
			t.Fatalf("restore --force over another registry = %d %q %q", code, out, errOut)
		}
		if got := serialsIn(t, filepath.Join(target, "ipreg.db")); got[name] >= 10041 || got[name] < 10000 {
			t.Errorf("serials = %v; want the backup's own plus 10000, not the other registry's 41", got)
		}
	})
	// Keys kept apart are named when the restored directory lacks them,
	// certificate-keys-retired too, which a directory has only after a
	// rotation (tester t4: never reported, and certificates signed by a
	// retired key failed as unknown).
	t.Run("keys apart named", func(t *testing.T) {
		src := t.TempDir()
		copyTree(t, dataDir, src)
		if code, out, errOut := run(t, nil, "", "key", "rotate-certificate", "--data-dir", src); code != 0 {
			t.Fatalf("rotate-certificate = %d %q %q", code, out, errOut)
		}
		b := filepath.Join(t.TempDir(), "b")
		if code, out, errOut := run(t, nil, "", "backup", "--data-dir", src, "--to", b); code != 0 {
			t.Fatalf("backup = %d %q %q", code, out, errOut)
		}
		code, out, errOut := run(t, nil, "", "restore", "--from", b, "--data-dir", t.TempDir())
		if code != 0 || !strings.Contains(out, "certificate-signing-key.pem, certificate-keys-retired. Copy them") {
			t.Errorf("restore without keys = %d %q %q; want certificate-keys-retired among the keys missing", code, out, errOut)
		}
	})
	t.Run("no key at hand", func(t *testing.T) {
		code, out, errOut := run(t, nil, "", "restore", "--from", noKeys, "--data-dir", t.TempDir(), "--registration-gap", "500")
		// Into a new directory there is no database to carry the numbers
		// from: a block is skipped (tester t3).
		if !strings.Contains(out, "registration numbers: 500 skipped after the backup's last, the next VPN-") {
			t.Errorf("restore into a new directory does not skip registration numbers: %q", out)
		}
		if code != 0 || !strings.Contains(out, "contents could NOT be checked") {
			t.Errorf("restore without a key = %d %q %q; want it to say the contents were not checked", code, out, errOut)
		}
	})
	t.Run("directory names", func(t *testing.T) {
		// A trailing slash, or a name without an extension, is a directory.
		for _, name := range []string{"plain", "with.dot/"} {
			to := t.TempDir() + string(filepath.Separator) + name // Join would drop the slash
			if code, out, errOut := run(t, nil, "", "backup", "--data-dir", dataDir, "--to", to); code != 0 {
				t.Fatalf("backup --to %s = %d %s %s", to, code, out, errOut)
			}
			if st, err := os.Stat(filepath.Join(to, "manifest.json")); err != nil || !st.Mode().IsRegular() {
				t.Errorf("backup --to %s wrote no directory with a manifest: %v", to, err)
			}
		}
	})
	t.Run("backup refuses", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--data-dir", t.TempDir(), "--to", filepath.Join(t.TempDir(), "x")}, "no database at"},
			{[]string{"--data-dir", dataDir, "--to", withKeys}, "is not empty"},
			{[]string{"--data-dir", dataDir}, "say where with --to"},
			{[]string{"--data-dir", dataDir, "--to", filepath.Join(dataDir, "documents", "nightly"), "--include-keys"}, "is inside the data directory"},
			{[]string{"--data-dir", t.TempDir(), "--to", filepath.Join(t.TempDir(), "x")}, "on PostgreSQL, back the database up with pg_dump"},
			{[]string{"--db", "postgres://u@127.0.0.1:1/x", "--to", filepath.Join(t.TempDir(), "x")}, "pg_dump"},
			// A name that looks like another archive is not made a directory.
			{[]string{"--data-dir", dataDir, "--to", filepath.Join(t.TempDir(), "x.zip")}, ".zip is neither"},
			{[]string{"--data-dir", dataDir, "--to", filepath.Join(t.TempDir(), "x.tar.bz2")}, ".bz2 is neither"},
		} {
			if code, _, errOut := run(t, nil, "", append([]string{"backup"}, tc.args...)...); code != 1 || !strings.Contains(errOut, tc.want) {
				t.Errorf("backup %v = %d %q; want %q", tc.args, code, errOut, tc.want)
			}
		}
	})
}

// TestBackupRestorePostgres: the documented PostgreSQL procedure —
// pg_dump, ipreg backup --documents-only, then pg_restore into a new
// database and ipreg restore --documents-only --db — brings back every
// record and document, and the feed starts a new session.
func TestBackupRestorePostgres(t *testing.T) {
	needPGTools(t)
	dsn := storetest.DSN(t, "postgres")
	dataDir := t.TempDir()
	before := fill(t, dataDir, dsn, "3", 4)
	s := startServer(t, dataDir, dsn)
	oldSession, oldVersion := feedState(t, s, dataDir)
	s.Close()
	ctx := context.Background()
	src, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := src.Counts(ctx)
	src.Close()
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	dump, docs := filepath.Join(dir, "ipreg.dump"), filepath.Join(dir, "documents.tar")
	if out, err := exec.Command("pg_dump", "--format=custom", "--file="+dump, dsn).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v %s", err, out)
	}
	code, out, errOut := run(t, nil, "", "backup", "--documents-only", "--data-dir", dataDir, "--to", docs)
	if code != 0 || !strings.Contains(out, "keys NOT included") {
		t.Fatalf("backup --documents-only = %d %s %s", code, out, errOut)
	}
	target := storetest.DSN(t, "postgres")
	if out, err := exec.Command("pg_restore", "--no-owner", "--dbname="+target, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v %s", err, out)
	}
	newDir := t.TempDir()
	copyKeys(t, dataDir, newDir)
	// Refused before anything changes (tester, issue 14): a database
	// holding no registry, one another session uses (a running server
	// would go on serving the feed the restore replaces), and another
	// registry's documents.
	empty := storetest.DSN(t, "postgres")
	otherDir := t.TempDir()
	fill(t, otherDir, "", "9", 1)
	otherDocs := filepath.Join(dir, "other-documents.tar")
	if code, out, errOut := run(t, nil, "", "backup", "--documents-only", "--data-dir", otherDir, "--to", otherDocs); code != 0 {
		t.Fatalf("backup --documents-only of another registry = %d %s %s", code, out, errOut)
	}
	inUse, err := store.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	held, err := inUse.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The other registry's key beside it, as an operator who copied the
	// wrong key would have: the key check passes, the database names none.
	otherKeyDir := t.TempDir()
	for _, k := range backup.KeyFiles {
		if b, err := os.ReadFile(filepath.Join(otherDir, k)); err == nil {
			os.WriteFile(filepath.Join(otherKeyDir, k), b, 0o600)
		}
	}
	for _, tt := range []struct {
		name, from, dataDir, db, want string
		before                        func()
	}{
		{"no registry", docs, newDir, empty, "no registry in the database", nil},
		{"in use", docs, newDir, target, "is in use: 1 other sessions are connected to it", nil},
		{"another registry's documents", otherDocs, otherKeyDir, target, "names none of them: it is another registry's backup", func() { held.Close(); inUse.Close() }},
	} {
		if tt.before != nil {
			tt.before()
		}
		was, err := tableCounts(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		code, out, errOut := run(t, nil, "", "restore", "--documents-only", "--from", tt.from, "--data-dir", tt.dataDir, "--db", tt.db)
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("restore --documents-only, %s = %d %q %q; want 1 and %q", tt.name, code, out, errOut, tt.want)
		}
		if ids, _, err := docstore.ListFiles(tt.dataDir); err != nil || len(ids) > 0 {
			t.Errorf("restore --documents-only, %s (refused) placed %d documents (%v)", tt.name, len(ids), err)
		}
		if now, err := tableCounts(ctx, target); err != nil || now != was {
			t.Errorf("restore --documents-only, %s (refused) changed the database: %s, then %s (%v)", tt.name, was, now, err)
		}
	}
	code, out, errOut = run(t, nil, "", "restore", "--documents-only", "--from", docs, "--data-dir", newDir, "--db", target)
	if code != 0 || !strings.Contains(out, "start a new session") || strings.Contains(out, "WARNING") {
		t.Fatalf("restore --documents-only = %d %s %s", code, out, errOut)
	}
	// The dump may be older than numbers issued since: a block is skipped
	// (tester t3: VPN-2026-000004 was issued a second time).
	if !strings.Contains(out, "registration numbers: 10000 skipped") {
		t.Errorf("restore --documents-only does not skip registration numbers: %s", out)
	}
	name := fmt.Sprintf("registration-%d", time.Now().In(registry.PKT.Loc).Year())
	if got := serialsIn(t, target); got[name] < 10000 {
		t.Errorf("serials after the restore = %v; want %s at 10000 or more", got, name)
	}
	// The restored database is the dump's: the same counts.
	dst, err := store.Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	got, err := dst.Counts(ctx)
	dst.Close()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range counts.Rows {
		if got.Rows[k] != v {
			t.Errorf("restored %s = %d, want %d", k, got.Rows[k], v)
		}
	}
	checkRestored(t, newDir, target, before, nil)
	r := startServer(t, newDir, target)
	if session, version := feedState(t, r, newDir); session == oldSession || version <= oldVersion {
		t.Errorf("restored feed: session %s version %d; want a new session above version %d of %s", session, version, oldVersion, oldSession)
	}
	r.Close()

	// The documents backup restored in place, forced, over the live
	// registry that has had uploads since: the documents the database
	// names that the backup lacks stay, and are said to (tester: six
	// intact documents were deleted, and the warning blamed a deletion).
	later := fill(t, dataDir, dsn, "4", 3)
	code, out, errOut = run(t, nil, "", "restore", "--documents-only", "--from", docs, "--data-dir", dataDir, "--db", dsn, "--force")
	if code != 0 || !strings.Contains(out, "documents kept: ") || strings.Contains(out, "WARNING") {
		t.Fatalf("restore --documents-only --force over the live registry = %d %s %s", code, out, errOut)
	}
	checkRestored(t, dataDir, dsn, later, nil)
	checkRestored(t, dataDir, dsn, before, nil)

	// The README's procedure on the worst day: the dump restored into a
	// new database, then the documents backup forced over the live
	// directory. The documents uploaded after the backup, which that
	// database does not name, are kept aside, not deleted (tester t3).
	code, out, errOut = run(t, nil, "", "restore", "--documents-only", "--from", docs, "--data-dir", dataDir, "--db", target, "--force")
	if code != 0 || !strings.Contains(out, "replaced, kept in ") || !strings.Contains(out, fmt.Sprintf("%d document files the restored documents do not hold", len(later))) {
		t.Fatalf("restore --documents-only --force with the restored dump = %d %s %s", code, out, errOut)
	}
	kept, _ := filepath.Glob(filepath.Join(dataDir, "replaced-*", "documents", "*", "*"))
	if len(kept) < len(later) {
		t.Errorf("%d document files kept aside, want at least the %d uploaded after the backup", len(kept), len(later))
	}
	checkRestored(t, dataDir, target, before, nil)
}

// serialsIn reads the serials of the database at dsn.
func serialsIn(t *testing.T, dsn string) map[string]int64 {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Serials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// tableCounts describes the feed's tables of the PostgreSQL database at
// dsn (its scopes' sessions and versions, and how many files), which a
// documents-only restore rewrites: a refused one must leave them as they
// were.
func tableCounts(ctx context.Context, dsn string) (string, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var scopes string
	var files int
	if err := db.SQL().QueryRowContext(ctx, `SELECT COALESCE(string_agg(scope || ':' || session_id || ':' || version, ',' ORDER BY scope), '') FROM feed_scopes`).Scan(&scopes); err != nil {
		return "", err
	}
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM feed_files`).Scan(&files); err != nil {
		return "", err
	}
	return fmt.Sprintf("scopes %s, %d files", scopes, files), nil
}

// TestRestoreRefusedWhileServing: ipreg serve holds a shared lock on its
// data directory, and restore (--force too) refuses while it is held,
// naming the pid and leaving the directory as it was; once the server has
// stopped the same restore goes ahead.
func TestRestoreRefusedWhileServing(t *testing.T) {
	dataDir := t.TempDir()
	fill(t, dataDir, "", "3", 1)
	b := filepath.Join(t.TempDir(), "b.tar")
	if code, out, errOut := run(t, nil, "", "backup", "--data-dir", dataDir, "--to", b, "--include-keys"); code != 0 {
		t.Fatalf("backup = %d %s %s", code, out, errOut)
	}
	s := startServer(t, dataDir, "")
	// A second server on the same directory (a replica) is allowed.
	replica := startServer(t, dataDir, "")
	replica.Close()
	was := tree(t, dataDir)
	code, out, errOut := run(t, nil, "", "restore", "--from", b, "--data-dir", dataDir, "--force")
	if want := fmt.Sprintf("(pid %d) runs on the data directory", os.Getpid()); code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("restore under a running serve = %d %q %q; want 1 and %q", code, out, errOut, want)
	}
	if now := tree(t, dataDir); now != was {
		t.Errorf("the refused restore changed the data directory:\nbefore\n%s\nafter\n%s", was, now)
	}
	// A documents-only restore into another directory, for the running
	// server's database (--db its SQLite file), would start that
	// database's feed anew under the server: refused the same way
	// (second tester, issue 14).
	docs := filepath.Join(t.TempDir(), "docs.tar")
	if code, out, errOut := run(t, nil, "", "backup", "--documents-only", "--data-dir", dataDir, "--to", docs); code != 0 {
		t.Fatalf("backup --documents-only = %d %s %s", code, out, errOut)
	}
	was = tree(t, dataDir)
	elsewhere := t.TempDir()
	code, out, errOut = run(t, nil, "", "restore", "--documents-only", "--from", docs, "--data-dir", elsewhere, "--db", filepath.Join(dataDir, "ipreg.db"))
	if want := fmt.Sprintf("(pid %d) runs on the data directory %s", os.Getpid(), dataDir); code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("restore --documents-only for a served SQLite database = %d %q %q; want 1 and %q", code, out, errOut, want)
	}
	if now := tree(t, dataDir); now != was {
		t.Errorf("the refused documents-only restore changed the served directory:\nbefore\n%s\nafter\n%s", was, now)
	}
	// Through a symbolic link to the served file too (third tester).
	link := filepath.Join(t.TempDir(), "ipreg.db")
	if err := os.Symlink(filepath.Join(dataDir, "ipreg.db"), link); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, nil, "", "restore", "--documents-only", "--from", docs, "--data-dir", t.TempDir(), "--db", link)
	if want := fmt.Sprintf("(pid %d) runs on the data directory", os.Getpid()); code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("restore --documents-only through a link to a served SQLite database = %d %q %q; want 1 and %q", code, out, errOut, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, nil, "", "restore", "--from", b, "--data-dir", dataDir, "--force"); code != 0 {
		t.Fatalf("restore after serve stopped = %d %s %s", code, out, errOut)
	}
}

// TestReadOnlyCommandsNeedADatabase: audit verify and operator list on an
// empty or mistyped --data-dir refuse, naming the path, and create
// nothing there (once they reported "verified: 0 entries" over a new
// database they had made).
func TestReadOnlyCommandsNeedADatabase(t *testing.T) {
	for _, args := range [][]string{{"audit", "verify"}, {"operator", "list"}} {
		for _, name := range []string{"empty", "missing"} {
			t.Run(strings.Join(args, " ")+" "+name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "d")
				if name == "empty" {
					os.Mkdir(dir, 0o700)
				}
				code, out, errOut := run(t, nil, "", append(args, "--data-dir", dir)...)
				want := "no registry database at " + filepath.Join(dir, "ipreg.db") + "; check --data-dir"
				if code != 1 || !strings.Contains(errOut, want) {
					t.Errorf("%v = %d %q %q; want 1 and %q", args, code, out, errOut, want)
				}
				if es, err := os.ReadDir(dir); name == "empty" && len(es) > 0 || name == "missing" && err == nil {
					t.Errorf("%v created %s or files in it: %v", args, dir, es)
				}
			})
		}
	}
	// On PostgreSQL the database exists (or the connection fails): one
	// holding no registry, a mistyped --db, is refused the same way and
	// left without a table (once it was migrated into a new registry).
	t.Run("postgres without a registry", func(t *testing.T) {
		dsn := storetest.DSN(t, "postgres")
		csv := filepath.Join(t.TempDir(), "registrations.csv")
		if err := os.WriteFile(csv, []byte("number,category\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"audit", "verify"}, {"operator", "list"}, {"import", "registrations", "--file", csv}} {
			code, out, errOut := run(t, nil, "", append(args, "--db", dsn)...)
			if code != 1 || !strings.Contains(errOut, "no registry in the database") || !strings.Contains(errOut, "check --db") {
				t.Errorf("%v on an empty PostgreSQL database = %d %q %q; want 1 and \"no registry in the database … check --db\"", args, code, out, errOut)
			}
		}
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var tables int
		if err := db.SQL().QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("the refused commands left %d tables in the database", tables)
		}
		if code, _, errOut := run(t, nil, "", "migrate", "--db", dsn); code != 0 {
			t.Fatal(errOut)
		}
		if code, out, errOut := run(t, nil, "", "audit", "verify", "--db", dsn); code != 0 || !strings.Contains(out, "verified") {
			t.Errorf("audit verify on a PostgreSQL registry = %d %q %q", code, out, errOut)
		}
	})
	// On an existing registry they work.
	dir := t.TempDir()
	if code, _, errOut := run(t, nil, "", "migrate", "--data-dir", dir); code != 0 {
		t.Fatal(errOut)
	}
	if code, out, errOut := run(t, nil, "", "audit", "verify", "--data-dir", dir); code != 0 || !strings.Contains(out, "verified") {
		t.Errorf("audit verify on a registry = %d %q %q", code, out, errOut)
	}
}
