package registry_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/docstore"
	. "github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// The sweep removes exactly the sealed files no record names and the
// temporary files, each only once older than the grace: an upload in
// flight (sealed, not yet recorded) and a write in progress stay, and so
// does every recorded document, which still reads.
func TestSweepDocuments(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		ind, a, docs := sweepApplication(t, h)
		now := h.clock.Now()
		old, young := now.Add(-SweepGrace-time.Minute), now.Add(-SweepGrace+time.Minute)
		dir := filepath.Join(h.docsDir, "documents")
		shard := func(id string) string {
			s := sha256.Sum256([]byte(id))
			return filepath.Join(dir, hex.EncodeToString(s[:1]))
		}
		touch := func(p string, at time.Time) {
			t.Helper()
			if err := os.Chtimes(p, at, at); err != nil {
				t.Fatal(err)
			}
		}
		// Recorded documents, old: they stay whatever their age.
		for _, d := range docs {
			touch(filepath.Join(shard(d.ID), d.ID), old)
		}
		// Sealed files no record names: one past the grace, one within it
		// (an upload whose record is not committed yet).
		for id, at := range map[string]time.Time{"doc_orphanold": old, "doc_orphanyoung": young} {
			if err := h.blobs.Put(ctx, id, testbin.PDF("orphan")); err != nil {
				t.Fatal(err)
			}
			touch(filepath.Join(shard(id), id), at)
		}
		// Temporary files of writes killed before their rename: one stale,
		// one that may be a write in progress.
		staleTemp := filepath.Join(shard("doc_tempold"), ".doc_tempold-123456")
		freshTemp := filepath.Join(shard("doc_tempyoung"), ".doc_tempyoung-654321")
		for p, at := range map[string]time.Time{staleTemp: old, freshTemp: young} {
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("half a sealed file"), 0o600); err != nil {
				t.Fatal(err)
			}
			touch(p, at)
		}

		n, err := h.svc.SweepDocuments(ctx)
		if err != nil || n != 2 {
			t.Errorf("SweepDocuments = %d, %v; want 2 files removed", n, err)
		}
		if sealed, temp := h.svc.Swept(); sealed != 1 || temp != 1 {
			t.Errorf("Swept = %d sealed, %d temporary; want 1 and 1", sealed, temp)
		}
		var left []string
		err = filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				left = append(left, filepath.Base(p))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"doc_orphanyoung", ".doc_tempyoung-654321"}
		for _, d := range docs {
			want = append(want, d.ID)
		}
		slices.Sort(left)
		slices.Sort(want)
		if !slices.Equal(left, want) {
			t.Errorf("files left = %v\nwant %v", left, want)
		}
		for _, d := range docs {
			if _, b, err := h.svc.ReadDocument(ctx, ind, a.ID, d.ID); err != nil || len(b) == 0 {
				t.Errorf("recorded document %s after the sweep: %d bytes, %v", d.Kind, len(b), err)
			}
		}

		// Once the young ones are past the grace, they go too; a second
		// run finds nothing more.
		h.clock.Add(2 * time.Minute)
		if n, err := h.svc.SweepDocuments(ctx); err != nil || n != 2 {
			t.Errorf("SweepDocuments after the grace = %d, %v; want 2", n, err)
		}
		if n, err := h.svc.SweepDocuments(ctx); err != nil || n != 0 {
			t.Errorf("SweepDocuments again = %d, %v; want 0", n, err)
		}
		if sealed, temp := h.svc.Swept(); sealed != 2 || temp != 2 {
			t.Errorf("Swept = %d sealed, %d temporary; want 2 and 2", sealed, temp)
		}
	})
}

// A database that names fewer of the files than it leaves unnamed is not
// the data directory's (a mistyped --db, a new database beside restored
// documents; tester, issue 14): the sweep refuses, deletes nothing, and
// says what to check. Once the files it names are the larger part, it
// sweeps again.
func TestSweepRefusesAnotherDatabasesDocuments(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		_, _, docs := sweepApplication(t, h)
		old := h.clock.Now().Add(-SweepGrace - time.Minute)
		dir := filepath.Join(h.docsDir, "documents")
		// Another registry's documents, old, more than this one's and
		// enough to hold the sweep.
		var foreign []string
		for i := range max(len(docs)+1, SweepHoldAt) {
			id := fmt.Sprintf("doc_foreign%d", i)
			if err := h.blobs.Put(ctx, id, testbin.PDF("someone else's scan")); err != nil {
				t.Fatal(err)
			}
			foreign = append(foreign, id)
		}
		ageFiles(t, dir, old)
		n, err := h.svc.SweepDocuments(ctx)
		if n != 0 || ErrorCode(err) != ECONFLICT || !strings.Contains(err.Error(), fmt.Sprintf("names %d of the %d document files", len(docs), len(docs)+len(foreign))) ||
			!strings.Contains(err.Error(), "Check that --db is the database of this --data-dir") {
			t.Errorf("SweepDocuments beside another registry's files = %d, %v; want 0 and a refusal naming the counts and what to check", n, err)
		}
		for _, id := range foreign {
			if _, err := h.blobs.Get(ctx, id); err != nil {
				t.Errorf("the refused sweep removed %s: %v", id, err)
			}
		}
		if sealed, temp := h.svc.Swept(); sealed != 0 || temp != 0 {
			t.Errorf("Swept = %d, %d after a refusal; want 0, 0", sealed, temp)
		}
		// The refusal holds the sweep: a registry on the wrong database
		// that goes on taking uploads comes to name more files than it
		// leaves unnamed, and must not then delete the rest (third
		// tester, issue 14). The hold is a file the error names.
		hold := filepath.Join(dir, docstore.SweepHoldFile)
		if _, err := os.Stat(hold); err != nil {
			t.Fatalf("the refusal left no hold: %v", err)
		}
		if !strings.Contains(err.Error(), "remove documents/"+docstore.SweepHoldFile) {
			t.Errorf("the refusal does not name the hold to remove: %v", err)
		}
		// Uploads on the wrong database until it names as many as it
		// leaves unnamed (here: the foreign files beyond that go).
		for _, id := range foreign[len(docs):] {
			if err := h.blobs.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		foreign = foreign[:len(docs)]
		if n, err := h.svc.SweepDocuments(ctx); n != 0 || ErrorCode(err) != ECONFLICT || !strings.Contains(err.Error(), "held since an earlier refusal") {
			t.Errorf("SweepDocuments while held, as many named as unnamed = %d, %v; want 0 and the hold", n, err)
		}
		for _, id := range foreign {
			if _, err := h.blobs.Get(ctx, id); err != nil {
				t.Errorf("the held sweep removed %s: %v", id, err)
			}
		}
		// Once the operator has checked --db and removed the hold, the
		// sweep runs: as many unnamed as named is the larger part no more.
		if err := os.Remove(hold); err != nil {
			t.Fatal(err)
		}
		if n, err := h.svc.SweepDocuments(ctx); err != nil || n != len(docs) {
			t.Errorf("SweepDocuments with the hold lifted = %d, %v; want %d", n, err, len(docs))
		}
	})
}

// A few unnamed files outnumbering the named ones (a new registry killed
// before its first uploads were recorded, as the durability test's early
// kills are) refuse that sweep but do not hold it: once the uploads are
// recorded, the next sweep removes the orphans.
func TestSweepFewOrphansOfANewRegistry(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		old := h.clock.Now().Add(-SweepGrace - time.Minute)
		dir := filepath.Join(h.docsDir, "documents")
		if err := h.blobs.Put(ctx, "doc_orphanofakill", testbin.PDF("in flight at the kill")); err != nil {
			t.Fatal(err)
		}
		age := func() { ageFiles(t, dir, old) }
		age()
		if n, err := h.svc.SweepDocuments(ctx); n != 0 || ErrorCode(err) != ECONFLICT {
			t.Errorf("SweepDocuments with one orphan and nothing recorded = %d, %v; want 0 and a refusal", n, err)
		}
		if _, err := os.Stat(filepath.Join(dir, docstore.SweepHoldFile)); err == nil {
			t.Error("one orphan held the sweep")
		}
		sweepApplication(t, h)
		age()
		if n, err := h.svc.SweepDocuments(ctx); err != nil || n != 1 {
			t.Errorf("SweepDocuments once uploads are recorded = %d, %v; want the orphan removed", n, err)
		}
	})
}

// sweepApplication is an individual's application with its documents, the
// recorded files the sweep tests keep beside the ones they plant.
func sweepApplication(t *testing.T, h *harness) (*User, *Application, []*Document) {
	t.Helper()
	ind := h.applicant("individual")
	a, err := h.create(ind, ApplicationInput{Category: ptr("mobile_vpn"), OperatorID: ptr("jazz"),
		SubscriberID: ptr("MSISDN owner"), MobileNumbers: ptr([]string{"+92 300 1234567"}),
		VPNProtocol: ptr("openvpn"), Purpose: ptr("Freelance work for a client abroad.")})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := h.svc.ListDocuments(h.ctx, ind, a.ID)
	if err != nil || len(docs) == 0 {
		t.Fatalf("documents of the application = %v, %v", docs, err)
	}
	return ind, a, docs
}

// ageFiles sets the modification time of every file under dir to at.
func ageFiles(t *testing.T, dir string, at time.Time) {
	t.Helper()
	if err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			return os.Chtimes(p, at, at)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
