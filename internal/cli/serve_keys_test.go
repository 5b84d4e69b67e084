package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/store"
)

// TestServeNeedsTheDocumentKey: a data directory whose database records
// documents but whose document-key is gone (a restore whose keys were not
// put back) is refused at start, naming the file and what to do, and no
// new key is made; without documents a missing key is simply made.
// Tester, issue 14: serve made a new key and every download failed.
func TestServeNeedsTheDocumentKey(t *testing.T) {
	ctx := context.Background()
	start := func(dataDir string) (*Server, error) {
		s := &Server{Config: ServeConfig{Listen: "127.0.0.1:0", Demo: true, FeedPoll: time.Second, JobsInterval: time.Hour},
			log: slog.New(slog.DiscardHandler)}
		s.Config.db.dataDir = dataDir
		err := s.Start(ctx, io.Discard)
		return s, err
	}
	// startOver starts on dataDir with the database at db.
	startOver := func(dataDir, db string) (*Server, error) {
		s := &Server{Config: ServeConfig{Listen: "127.0.0.1:0", Demo: true, FeedPoll: time.Second, JobsInterval: time.Hour},
			log: slog.New(slog.DiscardHandler)}
		s.Config.db.dataDir, s.Config.db.db = dataDir, db
		err := s.Start(ctx, io.Discard)
		return s, err
	}
	dataDir := t.TempDir()
	fill(t, dataDir, "", "8", 1)
	key := filepath.Join(dataDir, docstore.KeyFile)
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	s, err := start(dataDir)
	s.Close()
	if err == nil || !strings.Contains(err.Error(), "holds no "+docstore.KeyFile+" to open them: put the key back") {
		t.Errorf("serve without the document key = %v; want a refusal saying to put the key back", err)
	}
	if _, err := os.Stat(key); err == nil {
		t.Error("the refused start made a new document key")
	}
	// Nor a feed signing key agents do not trust, when that is gone too
	// (second tester, issue 14): the refusal comes before any key is made.
	feedKey := filepath.Join(dataDir, "feed-signing-key.pem")
	if err := os.Remove(feedKey); err != nil {
		t.Fatal(err)
	}
	s, err = start(dataDir)
	s.Close()
	if err == nil {
		t.Error("serve without the document and feed keys started")
	}
	if _, err := os.Stat(feedKey); err == nil {
		t.Error("the refused start made a new feed signing key")
	}

	// Another registry's document key in its place (copied by mistake):
	// refused too, the key left as it is.
	other := t.TempDir()
	o, err := start(other)
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	otherKey, err := os.ReadFile(filepath.Join(other, docstore.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, otherKey, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"feed-signing-key.pem", "certificate-signing-key.pem"} { // as a restore would have them
		if b, err := os.ReadFile(filepath.Join(other, k)); err == nil {
			os.WriteFile(filepath.Join(dataDir, k), b, 0o600)
		}
	}
	s, err = start(dataDir)
	s.Close()
	if err == nil || !strings.Contains(err.Error(), "are sealed under another key than "+key) {
		t.Errorf("serve with another registry's document key = %v; want a refusal naming the key file", err)
	}
	if b, _ := os.ReadFile(key); string(b) != string(otherKey) {
		t.Error("the refused start changed the document key")
	}

	// The database's documents with none of their files (a data directory
	// of another registry, or the documents volume not mounted), whatever
	// the key: refused, nothing made (third tester, issue 14).
	bare := t.TempDir()
	if err := os.WriteFile(filepath.Join(bare, docstore.KeyFile), otherKey, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = startOver(bare, filepath.Join(dataDir, "ipreg.db"))
	s.Close()
	if err == nil || !strings.Contains(err.Error(), "none of the") || !strings.Contains(err.Error(), "has its file in "+filepath.Join(bare, "documents")) {
		t.Errorf("serve on a data directory without the database's documents = %v; want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(bare, "feed-signing-key.pem")); err == nil {
		t.Error("the refused start made a feed signing key")
	}

	fresh := t.TempDir()
	s, err = start(fresh)
	if err != nil {
		t.Fatalf("serve on a new data directory: %v", err)
	}
	s.Close()
	if _, err := os.Stat(filepath.Join(fresh, docstore.KeyFile)); err != nil {
		t.Errorf("a new registry has no document key: %v", err)
	}
}

// TestServeNeedsItsSigningKeys: a registry that has published its feed,
// or issued registrations, does not start without the key that signed
// them (with only the document key put back after a restore it made new
// ones and started, and every agent refused the feed; tester, issue 14),
// nothing is made; --new-keys is the way on when they are lost for good.
func TestServeNeedsItsSigningKeys(t *testing.T) {
	ctx := context.Background()
	var logged bytes.Buffer
	start := func(dataDir string, newKeys bool) error {
		logged.Reset()
		s := &Server{Config: ServeConfig{Listen: "127.0.0.1:0", Demo: true, FeedPoll: time.Second, JobsInterval: time.Hour, NewKeys: newKeys},
			log: slog.New(slog.NewTextHandler(&logged, nil))}
		s.Config.db.dataDir = dataDir
		err := s.Start(ctx, io.Discard)
		s.Close()
		return err
	}
	dataDir := t.TempDir()
	fill(t, dataDir, "", "7", 1) // a served registry: its feed published
	for _, tc := range []struct{ remove, want string }{
		{"feed-signing-key.pem", "has published its feed before"},
	} {
		key := filepath.Join(dataDir, tc.remove)
		was, err := os.ReadFile(key)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(key)
		if err := start(dataDir, false); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--new-keys") {
			t.Errorf("serve without %s = %v; want a refusal saying %q", tc.remove, err, tc.want)
		}
		if _, err := os.Stat(key); err == nil {
			t.Errorf("the refused start made a new %s", tc.remove)
		}
		os.WriteFile(key, was, 0o600)
	}
	// The tester's way: a backup without keys restored into a new
	// directory, only the document key put back.
	b := filepath.Join(t.TempDir(), "b")
	if code, out, errOut := run(t, nil, "", "backup", "--data-dir", dataDir, "--to", b); code != 0 {
		t.Fatalf("backup = %d %s %s", code, out, errOut)
	}
	restored := t.TempDir()
	if code, out, errOut := run(t, nil, "", "restore", "--from", b, "--data-dir", restored); code != 0 {
		t.Fatalf("restore = %d %s %s", code, out, errOut)
	}
	docKey, _ := os.ReadFile(filepath.Join(dataDir, docstore.KeyFile))
	os.WriteFile(filepath.Join(restored, docstore.KeyFile), docKey, 0o600)
	if err := start(restored, false); err == nil || !strings.Contains(err.Error(), "has published its feed before") {
		t.Errorf("serve on a restore with only the document key = %v; want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(restored, "feed-signing-key.pem")); err == nil {
		t.Error("the refused start made a feed signing key")
	}
	// Registrations issued: the certificate key is needed.
	db, err := store.Open(ctx, filepath.Join(dataDir, "ipreg.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`INSERT INTO registrations (number, application_id, account_id, category, operator_id, status, valid_from, valid_until, verification_code, created_at)
		SELECT 'VPN-2026-000001', a.id, a.account_id, a.category, COALESCE(a.operator_id, ''), 'active', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', 'ABCDEFGHJK', '2026-01-01T00:00:00Z' FROM applications a LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	certKey := filepath.Join(dataDir, "certificate-signing-key.pem")
	os.Remove(certKey)
	if err := start(dataDir, false); err == nil || !strings.Contains(err.Error(), "has served 1 registrations, whose certificates it signs") {
		t.Errorf("serve without the certificate key = %v; want a refusal", err)
	}
	if _, err := os.Stat(certKey); err == nil {
		t.Error("the refused start made a new certificate key")
	}
	// Not yet served (registrations imported before the first start: no
	// feed-state marker): the keys are made at this start.
	fresh := t.TempDir()
	for _, f := range []string{"ipreg.db", docstore.KeyFile} {
		b, err := os.ReadFile(filepath.Join(dataDir, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(fresh, f), b, 0o600)
	}
	copyTree(t, filepath.Join(dataDir, "documents"), filepath.Join(fresh, "documents"))
	if err := start(fresh, false); err != nil {
		t.Errorf("serve on a registry not served yet, with registrations = %v; want it to start and make its keys", err)
	}
	// Lost for good: --new-keys starts, with new keys.
	os.Remove(filepath.Join(dataDir, "feed-signing-key.pem"))
	if err := start(dataDir, true); err != nil {
		t.Fatalf("serve --new-keys = %v", err)
	}
	for _, k := range []string{"feed-signing-key.pem", "certificate-signing-key.pem"} {
		if _, err := os.Stat(filepath.Join(dataDir, k)); err != nil {
			t.Errorf("serve --new-keys made no %s: %v", k, err)
		}
	}
	if strings.Contains(logged.String(), "changed nothing") {
		t.Errorf("serve --new-keys that made keys says it changed nothing: %s", logged.String())
	}
	// Given while the keys are there, it keeps them and says so (tester:
	// it said nothing, and an operator could believe them replaced).
	feedKey, _ := os.ReadFile(filepath.Join(dataDir, "feed-signing-key.pem"))
	if err := start(dataDir, true); err != nil {
		t.Fatalf("serve --new-keys with its keys = %v", err)
	}
	if now, _ := os.ReadFile(filepath.Join(dataDir, "feed-signing-key.pem")); !bytes.Equal(now, feedKey) {
		t.Error("serve --new-keys replaced a feed key that was there")
	}
	if !strings.Contains(logged.String(), "--new-keys changed nothing") || !strings.Contains(logged.String(), "ipreg key rotate") {
		t.Errorf("serve --new-keys with its keys logged %q; want a warning that it changed nothing and the way to rotate", logged.String())
	}
}
