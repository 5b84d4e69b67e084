package agent

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ipreg/ipreg/internal/feed"
)

// streamingRegistry is the fake registry with a feed stream: each
// connection gets what the test sends on events (raw SSE text); the
// fake serves everything else, and counts file requests.
type streamingRegistry struct {
	*fakeRegistry
	events   chan string
	conns    atomic.Int32
	fileGets atomic.Int32
	afters   chan string
	fail     atomic.Int32  // the next this many streams answer 503
	abort    chan struct{} // breaks the open stream's connection
}

func (s *streamingRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.Path, "/files/") {
		s.fileGets.Add(1)
	}
	if !strings.HasSuffix(r.URL.Path, "/stream") {
		s.fakeRegistry.ServeHTTP(w, r)
		return
	}
	s.conns.Add(1)
	select {
	case s.afters <- r.URL.Query().Get("after"):
	default:
	}
	if s.fail.Add(-1) >= 0 {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.WriteHeader(200)
	w.(http.Flusher).Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.abort:
			panic(http.ErrAbortHandler) // the connection breaks mid-stream
		case ev, ok := <-s.events:
			if !ok {
				return // the registry ends the stream
			}
			fmt.Fprint(w, ev)
			w.(http.Flusher).Flush()
		}
	}
}

func fileEvent(t *testing.T, url string, b []byte) string {
	j, err := json.Marshal(map[string]string{"url": url, "hash": feed.Hash(b), "content": base64.StdEncoding.EncodeToString(b)})
	if err != nil {
		t.Fatal(err)
	}
	return "event: file\ndata: " + string(j) + "\n\n"
}

func noteEvent(n feed.Notification, jws string) string {
	return fmt.Sprintf("event: notification\nid: %d\ndata: %s\n\n", n.Version, jws)
}

func newStreamFixture(t *testing.T) (*fixture, *streamingRegistry) {
	fx := newFixture(t)
	sr := &streamingRegistry{fakeRegistry: fx.reg, events: make(chan string, 16), afters: make(chan string, 16), abort: make(chan struct{})}
	fx.srv.Config.Handler = sr
	fx.a.cfg.Stream = true
	fx.a.cfg.Now = time.Now
	fx.reg.now = time.Now()
	return fx, sr
}

func (fx *fixture) waitVersion(v int64) {
	fx.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for fx.a.Status().Version != v {
		if time.Now().After(deadline) {
			fx.t.Fatalf("the agent is at version %d, not %d, after 10 s", fx.a.Status().Version, v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (fx *fixture) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fx.a.Run(ctx); close(done) }()
	fx.t.Cleanup(func() { cancel(); <-done })
}

// TestStreamInlineFiles: a version pushed on the stream is applied at
// once from the files sent with it, without fetching them; a file whose
// content is not what the verified notification names is not used (the
// agent fetches the real one), and the stream reconnects with the
// version held after the registry ends it.
func TestStreamInlineFiles(t *testing.T) {
	fx, sr := newStreamFixture(t)
	base := []feed.Entry{entry("14.1.104.0/24")}
	n1 := fx.reg.publish(t, "s1", 1, base, nil)
	fx.run()
	fx.waitVersion(1)
	if after := <-sr.afters; after != "1" {
		t.Fatalf("the stream was opened with after=%s, want the version held (1)", after)
	}
	gets := sr.fileGets.Load()
	sr.events <- noteEvent(n1, fx.reg.note) // the stream opens with the current notification

	add := map[int64][]feed.Op{2: {{Op: "add", Entry: entry("27.255.1.0/24")}}}
	n2 := fx.reg.publishWith(t, "s1", 2, 1, base, add) // the snapshot stays at 1: the delta chains
	delta := fx.reg.files["delta-s1-2"]
	sr.events <- fileEvent(t, n2.Deltas[0].URL, delta)
	sr.events <- noteEvent(n2, fx.reg.note)
	fx.waitVersion(2)
	if !fx.allowed("27.255.1.9") {
		t.Fatal("the pushed delta was not applied")
	}
	if got := sr.fileGets.Load(); got != gets {
		t.Fatalf("the agent fetched %d files though the stream sent the one it needed", got-gets)
	}
	if got := testutil.ToFloat64(fx.a.metrics.inlineFiles); got != 1 {
		t.Fatalf("ipreg_agent_stream_files_total = %v, want 1", got)
	}

	// A tampered file: other content under the delta's name. The agent
	// keys what the stream sends by its real hash, so the notification's
	// hash finds nothing and the real file is fetched.
	add[3] = []feed.Op{{Op: "add", Entry: entry("39.32.0.0/24")}}
	n3 := fx.reg.publishWith(t, "s1", 3, 1, base, add)
	sr.events <- fileEvent(t, n3.Deltas[1].URL, []byte("not the delta"))
	sr.events <- noteEvent(n3, fx.reg.note)
	fx.waitVersion(3)
	if got := sr.fileGets.Load(); got != gets+1 {
		t.Fatalf("after a tampered inline file the agent fetched %d files, want the real delta (1)", got-gets)
	}
	if !fx.allowed("39.32.0.1") || !fx.allowed("27.255.1.9") {
		t.Fatal("the fetched delta was not applied")
	}

	// The registry ends the stream: the agent reconnects from version 3.
	close(sr.events)
	select {
	case after := <-sr.afters:
		if after != "3" {
			t.Fatalf("reconnected with after=%s, want 3", after)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not reconnect after the registry ended the stream")
	}
}

// TestStreamReplayAndSilence: the same notification twice on one stream
// is a replay by something in the path (refused as not_newer, the stream
// dropped, the table kept); a stream silent past streamSilence is dropped
// and opened again.
func TestStreamReplayAndSilence(t *testing.T) {
	old := streamSilence
	streamSilence = 300 * time.Millisecond
	t.Cleanup(func() { streamSilence = old })
	fx, sr := newStreamFixture(t)
	n1 := fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	fx.run()
	fx.waitVersion(1)
	<-sr.afters
	sr.events <- noteEvent(n1, fx.reg.note)
	sr.events <- noteEvent(n1, fx.reg.note)
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(fx.a.metrics.rejected.WithLabelValues("not_newer")) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("a notification sent twice on the stream was not refused as not_newer")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !fx.allowed("14.1.104.1") {
		t.Fatal("the table was not kept")
	}
	// Reconnected after the refusal (backoff about a second), then silent:
	// dropped after 300 ms and opened again.
	for range 2 {
		select {
		case <-sr.afters:
		case <-time.After(10 * time.Second):
			t.Fatal("the agent did not open the stream again")
		}
	}
}

// TestStreamFallsBackToLongPoll: against a registry without a stream (an
// older one: 404) the agent long-polls, and says so once.
func TestStreamFallsBackToLongPoll(t *testing.T) {
	fx := newFixture(t)
	fx.a.cfg.Stream = true
	fx.a.cfg.Now = time.Now
	fx.reg.now = time.Now()
	fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	fx.run()
	fx.waitVersion(1)
	deadline := time.Now().Add(10 * time.Second)
	for !fx.a.noStream.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the agent did not give up the stream against a registry without one")
		}
		time.Sleep(10 * time.Millisecond)
	}
	fx.reg.publish(t, "s1", 2, []feed.Entry{entry("14.1.104.0/24"), entry("27.255.1.0/24")}, nil)
	fx.waitVersion(2) // through the long-poll, which the fake answers at once
}

// TestStreamBackoffEndsWithProgress: a stream that synced a notification
// ends the backoff of earlier failures, as a long-poll's answer does, so
// one outage's backoff does not delay the reconnect after the next.
func TestStreamBackoffEndsWithProgress(t *testing.T) {
	fx, sr := newStreamFixture(t)
	var mu sync.Mutex
	var pauses []time.Duration
	fx.a.pause = func(ctx context.Context, d time.Duration) bool {
		mu.Lock()
		pauses = append(pauses, d)
		mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-time.After(10 * time.Millisecond):
			return true
		}
	}
	n1 := fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	// Three failed connections (the stream answers 503), then one that
	// syncs a notification and breaks.
	sr.fail.Store(3)
	fx.run()
	fx.waitVersion(1)
	for range 4 {
		<-sr.afters
	}
	n2 := fx.reg.publishWith(t, "s1", 2, 1, []feed.Entry{entry("14.1.104.0/24")}, map[int64][]feed.Op{2: {{Op: "add", Entry: entry("27.255.1.0/24")}}})
	_ = n1
	sr.events <- noteEvent(n2, fx.reg.note)
	fx.waitVersion(2)
	sr.abort <- struct{}{} // the connection breaks after the sync
	<-sr.afters            // and the agent comes back
	mu.Lock()
	defer mu.Unlock()
	if len(pauses) < 4 {
		t.Fatalf("pauses %v: want three growing ones, then one after the break", pauses)
	}
	if last, before := pauses[len(pauses)-1], pauses[len(pauses)-2]; last > time.Second || before <= time.Second/2 {
		t.Fatalf("pauses %v: after a stream that synced, the backoff must start again at a second (it was %v before)", pauses, before)
	}
}

// TestStreamRefusedStillSyncs: a path that refuses the stream (403 from a
// proxy) but passes the rest: the agent still gets each version (it takes
// the notification after each failed attempt) and, after maxStreamFails,
// long-polls for a while.
func TestStreamRefusedStillSyncs(t *testing.T) {
	oldFails := maxStreamFails
	maxStreamFails = 2
	t.Cleanup(func() { maxStreamFails = oldFails })
	fx, sr := newStreamFixture(t)
	fx.a.pause = func(ctx context.Context, d time.Duration) bool { return ctx.Err() == nil }
	sr.fail.Store(1 << 30)
	fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	fx.run()
	fx.waitVersion(1)
	fx.reg.publish(t, "s1", 2, []feed.Entry{entry("14.1.104.0/24"), entry("27.255.1.0/24")}, nil)
	fx.waitVersion(2)
	if !fx.allowed("27.255.1.9") {
		t.Fatal("version 2 not applied")
	}
	deadline := time.Now().Add(10 * time.Second)
	for fx.a.noStream.Load() || testutil.ToFloat64(fx.a.metrics.streaming) != 0 || sr.conns.Load() < int32(maxStreamFails) {
		if time.Now().After(deadline) {
			t.Fatalf("after %d refused streams the agent should long-poll", sr.conns.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
