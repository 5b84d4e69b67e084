package publish_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// countingStore counts the reader's trips to the store.
type countingStore struct {
	publish.Store
	reads atomic.Int64
}

func (c *countingStore) FeedRead(ctx context.Context, fn func(publish.Tx) error) error {
	c.reads.Add(1)
	return c.Store.FeedRead(ctx, fn)
}

// herdEnv publishes one approval and returns a fresh reader over a
// counting store, and the name of the snapshot file, not yet cached.
func herdEnv(tb testing.TB, kind string) (*publish.Reader, *countingStore, string) {
	e := newEnv(tb, kind)
	e.approve("ptcl", []string{"203.99.48.0/24"}, nil)
	e.publish()
	jws, _, err := e.rd.Notification(e.ctx, nil, "")
	if err != nil {
		tb.Fatal(err)
	}
	n, _, err := feed.Verify(jws, e.key())
	if err != nil {
		tb.Fatal(err)
	}
	cs := &countingStore{Store: e.db}
	rd := publish.NewReader(cs, nil)
	if err := rd.Refresh(e.ctx); err != nil {
		tb.Fatal(err)
	}
	return rd, cs, strings.TrimPrefix(n.Snapshot.URL, "files/")
}

// herd has many requests ask rd for one file at the same moment, as agents
// do when a new version wakes their long-polls, and fails unless each got
// the same file.
func herd(tb testing.TB, rd *publish.Reader, name string, requests int) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	got := make([]string, requests)
	errs := make([]error, requests)
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f, err := rd.File(context.Background(), nil, "", name)
			if errs[i] = err; err == nil {
				got[i] = f.SHA256
			}
		}()
	}
	close(start)
	wg.Wait()
	for i := range requests {
		if errs[i] != nil || got[i] != got[0] {
			tb.Fatalf("request %d: %v, hash %s (first %s)", i, errs[i], got[i], got[0])
		}
	}
}

// TestFileHerdReadsOnce: however many requests ask at once for a file
// not yet in the reader's memory, the store is read once.
func TestFileHerdReadsOnce(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			rd, cs, name := herdEnv(t, kind)
			before := cs.reads.Load()
			herd(t, rd, name, 200)
			if reads := cs.reads.Load() - before; reads != 1 {
				t.Errorf("200 requests at once for one file read the store %d times, want 1", reads)
			}
		})
	}
}

// BenchmarkFileHerd is 1,000 agents asking at once for a new file (a
// fresh reader each time, so the file is not in memory yet); store-reads/op
// is how many times the store was read for it.
func BenchmarkFileHerd(b *testing.B) {
	for _, kind := range storetest.Kinds {
		b.Run(kind, func(b *testing.B) {
			_, cs, name := herdEnv(b, kind)
			var reads int64
			for b.Loop() {
				rd := publish.NewReader(cs, nil)
				before := cs.reads.Load()
				herd(b, rd, name, 1000)
				reads += cs.reads.Load() - before
			}
			b.ReportMetric(float64(reads)/float64(b.N), "store-reads/op")
		})
	}
}
