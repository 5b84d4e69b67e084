package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
)

// fakeRegistry serves a feed the test scripts, so each fault can be made.
type fakeRegistry struct {
	mu     sync.Mutex
	key    ed25519.PrivateKey
	now    time.Time
	note   string
	files  map[string][]byte
	status int           // when non-zero, every request answers it
	delay  time.Duration // before answering (a slow registry)
	feed   string        // the feed its notifications name ("" for feed.GlobalFeed)
}

func (f *fakeRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	status, delay, note := f.status, f.delay, f.note
	f.mu.Unlock()
	if delay > 0 {
		// Slowloris-like: headers at once, then the body a byte at a time.
		w.WriteHeader(200)
		for i := 0; i < 1000; i++ {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(delay):
			}
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
		}
		return
	}
	if status != 0 {
		http.Error(w, "broken", status)
		return
	}
	// Any feed's path serves what the test scripted, as a mirror or a CDN
	// in the agent's path could.
	path := r.URL.Path
	if rest, ok := strings.CutPrefix(path, "/feed/v1/operators/"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			path = "/feed/v1" + rest[i:]
		}
	}
	switch {
	case path == "/feed/v1/notification.jose", path == "/feed/v1/wait":
		w.Write([]byte(note))
	case strings.HasPrefix(path, "/feed/v1/files/"):
		f.mu.Lock()
		b, ok := f.files[strings.TrimPrefix(path, "/feed/v1/files/")]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	default:
		http.NotFound(w, r)
	}
}

func entry(p string) feed.Entry {
	return feed.Entry{Prefix: p, Reg: "VPN-2026-000001", Cat: "company_vpn", Until: until}
}

// publish adds a snapshot of entries at version v, the given deltas, and
// a notification; it returns the notification.
func (f *fakeRegistry) publish(t *testing.T, session string, v int64, entries []feed.Entry, deltas map[int64][]feed.Op) feed.Notification {
	t.Helper()
	return f.publishWith(t, session, v, v, entries, deltas)
}

// publishWith is publish with the snapshot at version sv (holding
// entries), as the registry keeps one while the deltas since weigh less.
func (f *fakeRegistry) publishWith(t *testing.T, session string, v, sv int64, entries []feed.Entry, deltas map[int64][]feed.Op) feed.Notification {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.files == nil {
		f.files = map[string][]byte{}
	}
	snap, err := feed.EncodeSnapshot(feed.Header{SessionID: session, Version: sv}, entries)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("snap-%s-%d", session, sv)
	f.files[name] = snap
	name2 := f.feed
	if name2 == "" {
		name2 = feed.GlobalFeed
	}
	n := feed.Notification{Feed: name2, SessionID: session, Version: v, Timestamp: f.now, Expires: f.now.Add(time.Hour),
		Snapshot: feed.FileRef{Version: sv, URL: "files/" + name, Hash: feed.Hash(snap)}}
	for dv := int64(1); dv <= v; dv++ {
		ops, ok := deltas[dv]
		if !ok {
			continue
		}
		b, err := feed.EncodeDelta(feed.Header{SessionID: session, Version: dv}, ops)
		if err != nil {
			t.Fatal(err)
		}
		dn := fmt.Sprintf("delta-%s-%d", session, dv)
		f.files[dn] = b
		n.Deltas = append(n.Deltas, feed.FileRef{Version: dv, URL: "files/" + dn, Hash: feed.Hash(b)})
	}
	f.note = sign(t, n, f.key)
	return n
}

func sign(t *testing.T, n feed.Notification, k ed25519.PrivateKey) string {
	s, err := feed.Sign(n, k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type fixture struct {
	t   *testing.T
	reg *fakeRegistry
	srv *httptest.Server
	a   *Agent
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	key, _ := feed.NewKey()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	reg := &fakeRegistry{key: key, now: now}
	srv := httptest.NewServer(reg)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	fx := &fixture{t: t, reg: reg, srv: srv, now: now}
	fx.a = New(Config{Registry: u, TrustKeys: []ed25519.PublicKey{key.Public().(ed25519.PublicKey)}, StateDir: t.TempDir(),
		MaxAge: 24 * time.Hour, Timeout: 300 * time.Millisecond, Now: func() time.Time { return fx.now }})
	return fx
}

// sync fetches the current notification and syncs; it returns the error.
func (fx *fixture) sync() error {
	jws, _, err := fx.a.fetchNotification(context.Background(), 0)
	if err != nil {
		return err
	}
	return fx.a.Sync(context.Background(), jws)
}

func (fx *fixture) allowed(ip string) bool {
	ans, err := fx.a.Check(netip.MustParseAddr(ip))
	if err != nil {
		fx.t.Fatal(err)
	}
	return ans.Allowed
}

// mustKeep checks that err is a refusal with the reason and that the agent
// still answers from the table it had.
func (fx *fixture) mustKeep(err error, reason string, version int64) {
	fx.t.Helper()
	if err == nil || !strings.Contains(err.Error(), reason) {
		fx.t.Fatalf("sync error = %v, want %q", err, reason)
	}
	if st := fx.a.Status(); st.Version != version || !fx.allowed("14.1.104.7") {
		fx.t.Fatalf("after %s the agent is at version %d (want %d) or lost its table", reason, st.Version, version)
	}
}

func TestSyncFaults(t *testing.T) {
	fx := newFixture(t)
	base := []feed.Entry{entry("14.1.104.0/24")}
	if _, err := fx.a.Check(netip.MustParseAddr("14.1.104.7")); err != ErrNotReady {
		t.Fatalf("before the first sync: %v", err)
	}
	fx.reg.publish(t, "s1", 1, base, nil)
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	if !fx.allowed("14.1.104.7") || fx.allowed("14.1.105.7") {
		t.Fatal("wrong answers after the first sync")
	}
	good := fx.reg.note

	t.Run("forged signature", func(t *testing.T) {
		parts := strings.Split(good, ".")
		parts[2] = strings.Repeat("A", len(parts[2]))
		fx.mustKeep(fx.a.Sync(context.Background(), strings.Join(parts, ".")), "signature", 1)
	})
	t.Run("unknown key", func(t *testing.T) {
		other, _ := feed.NewKey()
		fx.reg.now = fx.reg.now.Add(time.Minute)
		n := fx.reg.publish(t, "s1", 2, append(base, entry("27.0.184.0/24")), nil)
		err := fx.a.Sync(context.Background(), sign(t, n, other))
		fx.mustKeep(err, "signature", 1)
		// The log line says which keys are trusted and what to do.
		for _, want := range []string{feed.FormatPublicKey(fx.reg.key.Public().(ed25519.PublicKey)), "ipreg key show", "--trust-key"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("signature error %q does not name %q", err, want)
			}
		}
		// The status shows it at once, still healthy: the table is
		// served until it goes stale.
		if st := fx.a.Status(); !strings.HasPrefix(st.LastRefusal, "signature: ") || !st.Healthy {
			t.Errorf("after a refused signature the status says last_refusal %q, healthy %v", st.LastRefusal, st.Healthy)
		}
	})
	t.Run("mutated snapshot", func(t *testing.T) {
		fx.reg.now = fx.reg.now.Add(time.Minute)
		n := fx.reg.publish(t, "s2", 1, base, nil) // another session: a snapshot is needed
		fx.reg.files[strings.TrimPrefix(n.Snapshot.URL, "files/")][20] ^= 1
		fx.mustKeep(fx.sync(), "hash_mismatch", 1)
	})
	t.Run("truncated gzip", func(t *testing.T) {
		fx.reg.now = fx.reg.now.Add(time.Minute)
		snap, _ := feed.EncodeSnapshot(feed.Header{SessionID: "s3", Version: 1}, base)
		cut := snap[:len(snap)-8]
		fx.reg.files["cut"] = cut
		n := feed.Notification{Feed: feed.GlobalFeed, SessionID: "s3", Version: 1, Timestamp: fx.reg.now, Expires: fx.reg.now.Add(time.Hour),
			Snapshot: feed.FileRef{Version: 1, URL: "files/cut", Hash: feed.Hash(cut)}}
		fx.mustKeep(fx.a.Sync(context.Background(), sign(t, n, fx.reg.key)), "decode", 1)
	})
	t.Run("expired notification", func(t *testing.T) {
		n := feed.Notification{Feed: feed.GlobalFeed, SessionID: "s1", Version: 1, Timestamp: fx.now.Add(-2 * time.Hour), Expires: fx.now.Add(-time.Hour),
			Snapshot: feed.FileRef{Version: 1, URL: "files/x", Hash: "x"}}
		fx.mustKeep(fx.a.Sync(context.Background(), sign(t, n, fx.reg.key)), "expired", 1)
	})
	t.Run("deltas apply", func(t *testing.T) {
		fx.reg.now = fx.reg.now.Add(time.Minute)
		// As the registry does while deltas weigh less than a snapshot, it
		// still lists the snapshot of version 1 the agent started from.
		fx.reg.publishWith(t, "s1", 2, 1, base, map[int64][]feed.Op{2: {{Op: "add", Entry: entry("27.0.184.0/24")}}})
		if err := fx.sync(); err != nil {
			t.Fatal(err)
		}
		if !fx.allowed("27.0.184.9") || fx.a.Status().Version != 2 {
			t.Fatal("delta not applied")
		}
		if r := fx.a.Status().LastRefusal; r != "" {
			t.Errorf("after a successful sync the status still says last_refusal %q", r)
		}
		if fb := fx.fallbacks(""); fb != 0 {
			t.Fatalf("a clean delta fell back to the snapshot %v times", fb)
		}
	})
	t.Run("replayed older notification", func(t *testing.T) {
		fx.mustKeep(fx.a.Sync(context.Background(), good), "replay", 2)
	})
	t.Run("delta removing an absent entry", func(t *testing.T) {
		fx.reg.now = fx.reg.now.Add(time.Minute)
		two := append(base, entry("27.0.184.0/24"))
		fx.reg.publish(t, "s1", 3, two, map[int64][]feed.Op{
			2: {{Op: "add", Entry: entry("27.0.184.0/24")}},
			3: {{Op: "remove", Entry: entry("36.255.32.0/24")}}, // never there
		})
		before := fx.fallbacks("inconsistent")
		if err := fx.sync(); err != nil {
			t.Fatalf("the snapshot should have rescued the sync: %v", err)
		}
		if fx.fallbacks("inconsistent") != before+1 || fx.rejected("inconsistent") != 0 || fx.a.Status().Version != 3 {
			t.Fatal("an inconsistent delta did not fall back to the snapshot")
		}
	})
	t.Run("gap in versions", func(t *testing.T) {
		fx.reg.now = fx.reg.now.Add(time.Minute)
		three := append(base, entry("27.0.184.0/24"), entry("36.255.40.0/24"))
		fx.reg.publish(t, "s1", 5, three, map[int64][]feed.Op{5: {{Op: "add", Entry: entry("36.255.40.0/24")}}}) // no delta 4
		before := fx.fallbacks("gap")
		if err := fx.sync(); err != nil || fx.a.Status().Version != 5 || !fx.allowed("36.255.40.1") {
			t.Fatalf("gap: %v, version %d", err, fx.a.Status().Version)
		}
		// A routine fallback (deltas pruned on a small feed): counted as a
		// fallback by reason, not as a refusal beside real attacks.
		if fx.fallbacks("gap") != before+1 || fx.rejected("gap") != 0 {
			t.Errorf("the gap: %v fallbacks, %v refusals", fx.fallbacks("gap")-before, fx.rejected("gap"))
		}
	})
	t.Run("mutated delta", func(t *testing.T) {
		fx.reg.now = fx.reg.now.Add(time.Minute)
		four := append(base, entry("27.0.184.0/24"), entry("36.255.40.0/24"), entry("39.32.0.0/24"))
		n := fx.reg.publish(t, "s1", 6, four, map[int64][]feed.Op{6: {{Op: "add", Entry: entry("39.32.0.0/24")}}})
		fx.reg.files[strings.TrimPrefix(n.Deltas[0].URL, "files/")][12] ^= 1
		if err := fx.sync(); err != nil || !fx.allowed("39.32.0.9") {
			t.Fatalf("a mutated delta must fall back to the snapshot: %v", err)
		}
	})
	t.Run("session change", func(t *testing.T) {
		fx.reg.now = fx.reg.now.Add(time.Minute)
		fx.reg.publish(t, "s9", 1, []feed.Entry{entry("39.40.0.0/24")}, nil)
		if err := fx.sync(); err != nil || fx.allowed("14.1.104.7") || !fx.allowed("39.40.0.1") {
			t.Fatalf("new session: %v", err)
		}
	})
	for _, tt := range []struct {
		name, reason string
		set          func()
	}{
		{"registry answering 500", "status 500", func() { fx.reg.status = 500 }},
		{"registry slow", "deadline", func() { fx.reg.delay = 50 * time.Millisecond }},
		{"registry down", "connection refused", func() { fx.srv.Listener.Close() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			version := fx.a.Status().Version
			tt.set()
			err := fx.sync()
			if err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("sync = %v, want %q", err, tt.reason)
			}
			if fx.a.Status().Version != version || !fx.allowed("39.40.0.1") {
				t.Fatal("the agent lost its table")
			}
			fx.reg.status, fx.reg.delay = 0, 0
		})
	}
}

func TestPersistAndRestart(t *testing.T) {
	fx := newFixture(t)
	fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24"), {MSISDN: "923001234567", Reg: "VPN-2026-000002", Cat: "mobile_vpn", Until: until}}, nil)
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	fx.a.persistNow() // as the agent's persist loop does after each sync
	fx.srv.Close()    // the registry is gone; a restarted agent still enforces
	b := New(fx.a.cfg)
	if err := b.Load(); err != nil {
		t.Fatal(err)
	}
	if st := b.Status(); !st.Ready || st.Version != 1 || st.Entries != 1 || st.Mobile != 1 {
		t.Fatalf("restored status = %+v", st)
	}
	if ans, _ := b.Check(netip.MustParseAddr("14.1.104.7")); !ans.Allowed {
		t.Fatal("restored table does not answer")
	}
	// After a delta (entries appended to the table's store, one removed),
	// what is persisted and restored is exactly the table in use.
	fx2 := newFixture(t)
	v1 := []feed.Entry{entry("14.1.104.0/24"), entry("14.1.105.7/32"), entry("2001:dd8:1c::/48")}
	fx2.reg.publish(t, "s1", 1, v1, nil)
	if err := fx2.sync(); err != nil {
		t.Fatal(err)
	}
	v2 := []feed.Entry{v1[0], {Prefix: "14.1.106.0/24", Reg: "VPN-2026-000009", Cat: "call_center", Until: until.Add(time.Hour)}, v1[2]}
	fx2.reg.publish(t, "s1", 2, v2, map[int64][]feed.Op{2: {{Op: "remove", Entry: v1[1]}, {Op: "add", Entry: v2[1]}}})
	if err := fx2.sync(); err != nil {
		t.Fatal(err)
	}
	fx2.a.persistNow()
	c := New(fx2.a.cfg)
	if err := c.Load(); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Table().Entries(), fx2.a.Table().Entries(); !slices.Equal(got, want) || len(got) != 3 {
		t.Fatalf("restored entries %v, want %v", got, want)
	}

	// A state file that does not match its entries is refused, not trusted.
	path := fx.a.cfg.StateDir + "/" + fx.a.persisted.Snapshot
	os.WriteFile(path, bytes.Repeat([]byte("x"), 10), 0o600)
	if err := New(fx.a.cfg).Load(); err == nil || !strings.Contains(err.Error(), "hash differs") {
		t.Fatalf("Load of a damaged state = %v", err)
	}
}

// TestJournal: after the first snapshot, each version appends its delta
// file to the journal instead of rewriting the entries; a restart replays
// it; a torn append restores the last whole version; a journal grown past
// half the snapshot is compacted into a new snapshot under a new name.
func TestJournal(t *testing.T) {
	fx := newFixture(t)
	dir := fx.a.cfg.StateDir
	cur := []feed.Entry{entry("14.1.104.0/24"), entry("14.1.105.7/32"), {MSISDN: "923001234567", Reg: "VPN-2026-000002", Cat: "mobile_vpn", Until: until}}
	// Enough entries, with their own numbers, that the snapshot
	// outweighs a few deltas even compressed.
	for i := 0; i < 2000; i++ {
		cur = append(cur, feed.Entry{Prefix: fmt.Sprintf("39.%d.%d.0/24", 40+i/256, i%256), Reg: fmt.Sprintf("VPN-2026-%06d", 7919*i%1000003), Cat: "company_vpn", Until: until})
	}
	slices.SortFunc(cur, func(a, b feed.Entry) int { return strings.Compare(a.Key(), b.Key()) })
	fx.reg.publish(t, "s1", 1, cur, nil)
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	fx.a.persistNow()
	first := fx.a.persisted
	if first.Snapshot == "" || first.BaseVersion != 1 || first.JournalRecords != 0 {
		t.Fatalf("first persist = %+v", first)
	}
	snapBytes, _ := os.ReadFile(filepath.Join(dir, first.Snapshot))
	deltas := map[int64][]feed.Op{}
	base := cur
	step := func(v int64, ops []feed.Op) {
		t.Helper()
		next, err := merge(cur, ops)
		if err != nil {
			t.Fatal(err)
		}
		cur, deltas[v] = next, ops
		fx.reg.publishWith(t, "s1", v, 1, base, deltas) // the registry's snapshot stays at version 1
		if err := fx.sync(); err != nil {
			t.Fatal(err)
		}
		fx.a.persistNow()
	}
	step(2, []feed.Op{{Op: "add", Entry: entry("14.1.106.0/24")}})
	step(3, []feed.Op{{Op: "remove", Entry: entry("14.1.105.7/32")}, {Op: "add", Entry: feed.Entry{MSISDN: "923331234567", Reg: "VPN-2026-000003", Cat: "mobile_vpn", Until: until}}})
	p := fx.a.persisted
	if p.Snapshot != first.Snapshot || p.JournalRecords != 2 || p.Version != 3 || p.BaseVersion != 1 {
		t.Fatalf("after two deltas: %+v", p)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, p.Snapshot)); !bytes.Equal(b, snapBytes) {
		t.Fatal("the snapshot was rewritten for a delta")
	}
	restore := func() *Agent {
		t.Helper()
		b := New(fx.a.cfg)
		if err := b.Load(); err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := restore()
	if got, want := b.Table().Entries(), fx.a.Table().Entries(); !slices.Equal(got, want) || b.Status().Version != 3 || b.Status().Mobile != 2 {
		t.Fatalf("restored %v (version %d), want %v", got, b.Status().Version, want)
	}
	// A crash in the middle of the last append: version 2 comes back.
	j := filepath.Join(dir, p.Journal)
	jb, _ := os.ReadFile(j)
	os.WriteFile(j, jb[:len(jb)-5], 0o600)
	b = restore()
	if st := b.Status(); st.Version != 2 || st.Mobile != 1 {
		t.Fatalf("after a torn append: %+v", st)
	}
	if ans, _ := b.Check(netip.MustParseAddr("14.1.105.7")); !ans.Allowed {
		t.Fatal("version 2 still had 14.1.105.7/32")
	}
	// The restored agent syncs on from version 2; its next append replaces
	// the damaged record, and a restart gets the newest version back.
	b.cfg.HTTP = fx.a.cfg.HTTP
	if err := b.Sync(context.Background(), fx.reg.note); err != nil {
		t.Fatal(err)
	}
	b.persistNow()
	if c := restore(); c.Status().Version != 3 || c.Status().Mobile != 2 {
		t.Fatalf("after syncing on from the damaged journal: %+v", c.Status())
	}
	os.WriteFile(j, jb, 0o600)
	// Deltas that outgrow half the snapshot start a new one; the old
	// files go.
	for v := int64(4); fx.a.persisted.Snapshot == first.Snapshot; v++ {
		if v > 1000 {
			t.Fatal("the journal never compacted")
		}
		var ops []feed.Op
		for k := 0; k < 3; k++ {
			ops = append(ops, feed.Op{Op: "add", Entry: entry(fmt.Sprintf("2400:%x:%x::/48", v, k))})
		}
		step(v, ops)
	}
	p = fx.a.persisted
	if p.BaseVersion != p.Version || p.JournalRecords != 0 {
		t.Fatalf("after compaction: %+v", p)
	}
	for _, f := range []string{first.Snapshot, first.Journal} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s is still there after compaction", f)
		}
	}
	b = restore()
	if got, want := b.Table().Entries(), fx.a.Table().Entries(); !slices.Equal(got, want) {
		t.Fatalf("after compaction restored %d entries, want %d", len(got), len(want))
	}
}

func TestStalePolicies(t *testing.T) {
	for _, closed := range []bool{false, true} {
		fx := newFixture(t)
		fx.a.cfg.FailClosed = closed
		fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
		if err := fx.sync(); err != nil {
			t.Fatal(err)
		}
		fx.now = fx.now.Add(25 * time.Hour)
		ans, _ := fx.a.Check(netip.MustParseAddr("14.1.104.7"))
		if !ans.Stale || ans.Allowed == closed {
			t.Errorf("fail-closed=%v: stale answer %+v", closed, ans)
		}
		if st := fx.a.Status(); st.Healthy {
			t.Errorf("stale data reported healthy: %+v", st)
		}
	}
}

func TestKeyRollover(t *testing.T) {
	fx := newFixture(t)
	next, _ := feed.NewKey()
	n := fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	n.NextSigningKey = feed.FormatPublicKey(next.Public().(ed25519.PublicKey))
	if err := fx.a.Sync(context.Background(), sign(t, n, fx.reg.key)); err != nil {
		t.Fatal(err)
	}
	fx.reg.now = fx.reg.now.Add(time.Minute)
	n = fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	if err := fx.a.Sync(context.Background(), sign(t, n, next)); err != nil {
		t.Fatalf("a notification signed with the announced next key: %v", err)
	}
	// The learned key survives a restart.
	fx.a.persistNow()
	b := New(Config{Registry: fx.a.cfg.Registry, TrustKeys: fx.a.cfg.TrustKeys, StateDir: fx.a.cfg.StateDir, Now: fx.a.cfg.Now})
	if err := b.Load(); err != nil || !containsKey(b.keys.trusted, next.Public().(ed25519.PublicKey)) {
		t.Fatalf("restart forgot the next key: %v", err)
	}
}

// TestRunRecovers: Run keeps retrying with backoff while the registry
// fails, and syncs by itself once it is healthy again.
func TestRunRecovers(t *testing.T) {
	fx := newFixture(t)
	fx.a.cfg.Now = time.Now
	fx.reg.now = time.Now()
	fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	fx.reg.status = 500
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { fx.a.Run(ctx); close(done) }()
	time.Sleep(300 * time.Millisecond)
	if fx.a.Status().Ready {
		t.Fatal("synced while the registry answered 500")
	}
	fx.reg.mu.Lock()
	fx.reg.status = 0
	fx.reg.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for !fx.a.Status().Ready {
		if time.Now().After(deadline) {
			t.Fatal("did not recover within 10 s of the registry healing")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}

// TestUntil: an entry past its validity answers "not allowed" by itself,
// without a new version from the registry.
func TestUntil(t *testing.T) {
	fx := newFixture(t)
	soon := feed.Entry{Prefix: "14.1.104.0/24", Reg: "VPN-2026-000001", Cat: "company_vpn", Until: fx.now.Add(time.Hour)}
	fx.reg.publish(t, "s1", 1, []feed.Entry{soon, entry("27.0.184.0/24")}, nil)
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	if !fx.allowed("14.1.104.7") {
		t.Fatal("not allowed while valid")
	}
	fx.now = fx.now.Add(2 * time.Hour)
	if fx.allowed("14.1.104.7") || !fx.allowed("27.0.184.7") {
		t.Fatal("an entry past its until is still allowed (or a valid one is not)")
	}
}
