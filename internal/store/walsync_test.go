package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWALSyncGroups: callers that come while an fsync runs share the one
// after it, none returns before an fsync that began after its call has
// ended, and a caller alone gets an fsync of its own.
func TestWALSyncGroups(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	if err := os.WriteFile(db+"-wal", []byte("frames"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWALSync(db)
	var began, ended atomic.Int64
	release := make(chan struct{})
	w.fsync = func(f *os.File) error {
		if began.Add(1) == 1 {
			<-release // the first fsync runs until the others queue
		}
		defer ended.Add(1)
		return f.Sync()
	}
	first := make(chan error, 1)
	go func() { first <- w.sync() }()
	waitFor(t, release, "the first caller's fsync begins", func() bool { return began.Load() == 1 })
	// Five callers after the first fsync began: that fsync may not cover
	// their commits.
	const n = 5
	var wg sync.WaitGroup
	endedAtReturn := make(chan int64, n)
	for range n {
		wg.Go(func() {
			if err := w.sync(); err != nil {
				t.Error(err)
			}
			endedAtReturn <- ended.Load()
		})
	}
	// Wait until all five wait (none can return: the first runs).
	waitFor(t, release, "the five callers wait while the first fsync runs (none may return before an fsync that began after its call)", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.waiters == n
	})
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(endedAtReturn)
	for e := range endedAtReturn {
		if e < 2 {
			t.Errorf("a caller returned when %d fsyncs had ended, want 2: the first began before its call", e)
		}
	}
	if got := began.Load(); got != 2 {
		t.Errorf("%d fsyncs for 1+%d callers, want 2 (the five share the second)", got, n)
	}
	if err := w.sync(); err != nil {
		t.Fatal(err)
	}
	if got := began.Load(); got != 3 {
		t.Errorf("a lone caller after them: %d fsyncs in all, want 3", got)
	}
}

// TestWALSyncFailureSticks: after a failed fsync every later call fails
// too (the kernel may have dropped the pages it could not write), saying
// what to do; a -wal file that is not there needs no fsync.
func TestWALSyncFailureSticks(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	w := newWALSync(db)
	calls := 0
	w.fsync = func(*os.File) error { calls++; return errors.New("input/output error") }
	if err := w.sync(); err != nil || calls != 0 {
		t.Fatalf("no -wal file: %v after %d fsyncs, want nil after none", err, calls)
	}
	if err := os.WriteFile(db+"-wal", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := w.sync()
	if err == nil || !strings.Contains(err.Error(), "input/output error") || !strings.Contains(err.Error(), "restart ipreg") {
		t.Fatalf("failed fsync: %v", err)
	}
	w.fsync = (*os.File).Sync
	if err2 := w.sync(); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("after a failed fsync, a good one: %v, want the first failure again", err2)
	}
}

// waitFor polls cond until it holds, or fails the test after a minute
// (closing release, so that nothing stays blocked) saying what did not
// happen.
func waitFor(t *testing.T, release chan struct{}, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("after a minute, still not: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
