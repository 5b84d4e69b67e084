package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/registry"
)

// TestServeSweepsDocuments: ipreg serve removes, before it serves, the
// document files a killed process left (sealed but never recorded, and
// half-written temporary files) once past the grace, keeps a younger one
// (an upload in flight on another replica), and counts them in /metrics;
// on a restart, when the hourly job is not due yet.
func TestServeSweepsDocuments(t *testing.T) {
	dataDir := t.TempDir()
	newServer := func() *Server {
		s := &Server{Config: ServeConfig{Listen: "127.0.0.1:0", Demo: true, FeedPoll: time.Second, JobsInterval: time.Hour},
			log: slog.New(slog.DiscardHandler)}
		s.Config.db.dataDir = dataDir
		return s
	}
	// Applications with their documents first: the sweep refuses while
	// the files no record names outnumber those it names (another
	// database's data directory; TestSweepRefusesAnotherDatabasesDocuments).
	fill(t, dataDir, "", "7", 2)
	// A first start runs the hourly job, so on the restart below it is not
	// due for an hour: only the sweep at start can remove what was left.
	ctx := context.Background()
	first := newServer()
	if err := first.Start(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		infos, err := first.svc.ListJobs(ctx, registry.System)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(infos, func(in registry.JobInfo) bool { return in.Job.Name == "sweep-documents" && in.State.Runs == 1 }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the first run of sweep-documents")
		}
	}
	first.Close()

	docs, err := docstore.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	shard := func(id string) string {
		s := sha256.Sum256([]byte(id))
		return filepath.Join(dataDir, "documents", hex.EncodeToString(s[:1]))
	}
	old := time.Now().Add(-3 * time.Hour)
	orphan, young := filepath.Join(shard("doc_orphan"), "doc_orphan"), filepath.Join(shard("doc_young"), "doc_young")
	for _, id := range []string{"doc_orphan", "doc_young"} {
		if err := docs.Put(ctx, id, []byte("%PDF-1.7 scan")); err != nil {
			t.Fatal(err)
		}
	}
	temp := filepath.Join(shard("doc_half"), ".doc_half-987654")
	if err := os.MkdirAll(filepath.Dir(temp), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(temp, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{orphan, temp} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}

	s := newServer()
	if err := s.Start(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for p, want := range map[string]bool{orphan: false, temp: false, young: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s after start: %v; want kept %v", filepath.Base(p), err, want)
		}
	}
	res, err := http.Get("http://" + s.MetricsAddr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, want := range []string{`ipreg_documents_swept_total{kind="unrecorded"} 1`, `ipreg_documents_swept_total{kind="temporary"} 1`} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
