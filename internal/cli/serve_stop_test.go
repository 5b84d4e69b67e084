package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCloseStopsPublisherFirst is the third round's sixth finding: a
// stopping registry still published, and wrote the feed-state marker,
// during the HTTP drain, which long-polls keep going for seconds. Close now
// stops the publisher first: by the time the drain starts (logged), the
// publisher has returned, and the marker stays as it was until Close ends,
// while the long-poll in flight is still answered.
func TestCloseStopsPublisherFirst(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	logs := &lockedBuffer{}
	s := &Server{Config: ServeConfig{Listen: "127.0.0.1:0", Demo: true, FeedPoll: 100 * time.Millisecond, JobsInterval: time.Minute},
		log: slog.New(slog.NewTextHandler(logs, nil))}
	s.Config.db.dataDir = dataDir
	if err := s.Start(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	// A long-poll that will not be answered before its timeout.
	polled := make(chan int, 1)
	go func() {
		res, err := http.Get("http://" + s.Addr.String() + "/feed/v1/wait?after=1000000&timeout=2")
		if err != nil {
			polled <- 0
			return
		}
		res.Body.Close()
		polled <- res.StatusCode
	}()
	// Give the request time to reach the handler (a pause, not a threshold
	// checked: were it late, Close would still wait for a new connection).
	time.Sleep(200 * time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	marker := filepath.Join(dataDir, "feed-state")
	var atStop []byte
	for {
		if strings.Contains(logs.String(), "feed publisher stopped; draining HTTP requests") {
			b, err := os.ReadFile(marker)
			if err != nil {
				t.Fatal(err)
			}
			atStop = b
			break
		}
		select {
		case err := <-closed:
			// The line may have come between the look above and Close's
			// return (the drain can take no time): look once more.
			if strings.Contains(logs.String(), "feed publisher stopped; draining HTTP requests") {
				closed <- err
				continue
			}
			t.Fatalf("Close returned (%v) without saying the publisher stopped before the drain:\n%s", err, logs)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if code := <-polled; code != http.StatusNoContent {
		t.Errorf("the long-poll in flight got %d, want 204 (drained, not cut)", code)
	}
	after, err := os.ReadFile(marker)
	if err != nil || string(after) != string(atStop) {
		t.Fatalf("the feed-state marker changed during the drain (%v)", err)
	}
	out := logs.String()
	if i := strings.Index(out, "feed publisher stopped"); strings.Contains(out[i:], "feed: published") || strings.Contains(out[i:], "feed: publish") {
		t.Fatalf("the publisher ran after it was stopped:\n%s", out)
	}
}
