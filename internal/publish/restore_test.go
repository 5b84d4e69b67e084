package publish_test

import (
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/agent"
	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// backup copies the database as an operator's backup would and returns a
// handle for restore: VACUUM INTO (a consistent file copy) on SQLite, a
// database made from it as a template on PostgreSQL.
func (e *env) backup() string {
	e.t.Helper()
	switch e.kind {
	case "sqlite":
		path := fmt.Sprintf("%s.copy-%d", e.dsn, time.Now().UnixNano())
		if _, err := e.db.SQL().ExecContext(e.ctx, "VACUUM INTO ?", path); err != nil {
			e.t.Fatal(err)
		}
		return path
	}
	name := e.pgName() + fmt.Sprintf("_copy%d", time.Now().UnixNano()%1e9)
	e.db.Close() // a template database must have no other connections
	e.pgAdmin("CREATE DATABASE " + name + " TEMPLATE " + e.pgName())
	e.t.Cleanup(func() { e.pgAdmin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	e.open()
	return name
}

// restore puts a backup back in place of the database and restarts the
// registry's parts over it (as a restarted ipreg serve would).
func (e *env) restore(copy string) {
	e.t.Helper()
	e.db.Close()
	switch e.kind {
	case "sqlite":
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(e.dsn + suffix); err != nil && !os.IsNotExist(err) {
				e.t.Fatal(err)
			}
		}
		b, err := os.ReadFile(copy)
		if err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(e.dsn, b, 0o600); err != nil {
			e.t.Fatal(err)
		}
	default:
		e.pgAdmin("DROP DATABASE " + e.pgName() + " WITH (FORCE)")
		e.pgAdmin("CREATE DATABASE " + e.pgName() + " TEMPLATE " + copy)
	}
	e.open()
}

func (e *env) pgName() string {
	u, err := url.Parse(e.dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func (e *env) pgAdmin(stmt string) {
	e.t.Helper()
	u, _ := url.Parse(e.dsn)
	u.Path = "/postgres"
	admin, err := sql.Open("pgx", u.String())
	if err != nil {
		e.t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(e.ctx, stmt); err != nil {
		e.t.Fatalf("%s: %v", stmt, err)
	}
}

// logged makes the publisher log into a buffer, for the test to read.
func (e *env) logged() *testbin.LogBuffer {
	var b testbin.LogBuffer
	e.pub = publish.NewPublisher(e.db, e.keys, e.clock.Now, slog.New(slog.NewTextHandler(&b, nil)))
	e.pub.SetMarkerCopy(e.markerCopy)
	return &b
}

// feedAgent is an ipreg-agent following the env's global feed through the
// registry's real API (whatever database is in place at the time).
type feedAgent struct {
	e *env
	a *agent.Agent
	h atomic.Pointer[http.Handler] // the API over the database in place
}

func newFeedAgent(e *env) *feedAgent {
	f := &feedAgent{e: e}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*f.h.Load()).ServeHTTP(w, r)
	}))
	e.t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	f.a = agent.New(agent.Config{Registry: u, TrustKeys: []ed25519.PublicKey{e.key()}, StateDir: e.t.TempDir(), Now: e.clock.Now})
	return f
}

// sync hands the agent the registry's current notification.
func (f *feedAgent) sync() {
	f.e.t.Helper()
	h := api.New(f.e.svc, slog.New(slog.DiscardHandler), api.Config{Feed: f.e.rd}).Handler()
	f.h.Store(&h)
	jws, _, err := f.e.rd.Notification(f.e.ctx, nil, "")
	if err != nil {
		f.e.t.Fatal(err)
	}
	if err := f.a.Sync(f.e.ctx, jws); err != nil {
		f.e.t.Fatalf("agent sync: %v", err)
	}
}

// holds checks which /24s the agent allows.
func (f *feedAgent) holds(allowed, refused []string) {
	f.e.t.Helper()
	for _, p := range append(allowed, refused...) {
		ans, err := f.a.Check(netip.MustParsePrefix(p).Addr().Next())
		if err != nil {
			f.e.t.Fatal(err)
		}
		if want := strings.Contains(strings.Join(allowed, " "), p); ans.Allowed != want {
			f.e.t.Fatalf("agent at %s/%d: %s allowed=%v, want %v", f.a.Status().SessionID, f.a.Status().Version, p, ans.Allowed, want)
		}
	}
}

// step publishes after the batching window.
func (e *env) step() *feed.Notification {
	e.t.Helper()
	e.clock.Add(2 * time.Second)
	e.publish()
	return e.check("", nil)
}

// mark reads the feed-state marker's record of the global feed.
func (e *env) mark(dir string) publish.Mark {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "feed-state"))
	if err != nil {
		e.t.Fatal(err)
	}
	var m struct{ Scopes map[string]publish.Mark }
	if err := json.Unmarshal(b, &m); err != nil {
		e.t.Fatal(err)
	}
	return m.Scopes[""]
}

const pA, pB, pC, pD = "14.1.104.0/24", "14.1.105.0/24", "14.1.106.0/24", "14.1.107.0/24"

// TestRestoredDatabase is issue 11's second example end to end, on both
// databases: approve A (version 2); copy the database; approve B (version
// 3), which the agent syncs; put the copy back and restart; approve C and
// D. The registry starts a new session and says so; the agent takes its
// snapshot and ends with A, C and D, without B.
func TestRestoredDatabase(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, kind)
			ag := newFeedAgent(e)
			e.publish()
			ag.sync()
			e.approve("ptcl", []string{pA}, nil)
			if n := e.step(); n.Version != 2 {
				t.Fatalf("A made version %d", n.Version)
			}
			copy := e.backup()
			e.approve("ptcl", []string{pB}, nil)
			old := e.step()
			if old.Version != 3 {
				t.Fatalf("B made version %d", old.Version)
			}
			ag.sync()
			ag.holds([]string{pA, pB}, nil)
			oldJazz := e.check("jazz", e.staff("operator.jazz@demo.test"))

			e.restore(copy)
			logs := e.logged()
			n := e.step() // the publish ipreg serve makes at start
			if n.SessionID == old.SessionID || n.Version <= old.Version {
				t.Fatalf("after the restore: session %s version %d (before: %s version %d)", n.SessionID, n.Version, old.SessionID, old.Version)
			}
			if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "starting a new session") ||
				!strings.Contains(l, old.SessionID) || !strings.Contains(l, n.SessionID) {
				t.Errorf("the new session is not logged loudly with both sessions:\n%s", l)
			}
			// Every feed: the operators' too.
			if nj := e.check("jazz", e.staff("operator.jazz@demo.test")); nj.SessionID == oldJazz.SessionID || nj.Version <= oldJazz.Version {
				t.Fatalf("jazz's feed after the restore: session %s version %d (before: %s version %d)", nj.SessionID, nj.Version, oldJazz.SessionID, oldJazz.Version)
			}
			e.approve("ptcl", []string{pC}, nil)
			e.approve("ptcl", []string{pD}, nil)
			n2 := e.step()
			if n2.SessionID != n.SessionID || n2.Version != n.Version+1 {
				t.Fatalf("C and D: session %s version %d", n2.SessionID, n2.Version)
			}
			ag.sync()
			ag.holds([]string{pA, pC, pD}, []string{pB})
			if st := ag.a.Status(); st.SessionID != n2.SessionID || st.Version != n2.Version {
				t.Fatalf("agent status %+v", st)
			}
			if m := e.mark(e.keys.Dir); m.SessionID != n2.SessionID || m.Version != n2.Version {
				t.Fatalf("marker %+v, want session %s version %d", m, n2.SessionID, n2.Version)
			}
		})
	}
}

// TestFeedStateMarker: the neighbours of a restore. Only a database behind
// the marker starts a new session; replicas, sharing the data directory or
// holding copies of its keys, never make one fight the other.
func TestFeedStateMarker(t *testing.T) {
	// replica is another ipreg serve over the same database whose data
	// directory holds a copy of the key files (and so its own marker).
	replica := func(e *env) *publish.Publisher {
		dir := e.t.TempDir()
		for _, f := range []string{"feed-signing-key.pem"} {
			b, err := os.ReadFile(filepath.Join(e.keys.Dir, f))
			if err != nil {
				e.t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, f), b, 0o600)
		}
		return publish.NewPublisher(e.db, publish.Keys{Dir: dir}, e.clock.Now, nil)
	}
	run := func(e *env, p *publish.Publisher) *feed.Notification {
		e.t.Helper()
		e.clock.Add(2 * time.Second)
		if _, err := p.PublishOnce(e.ctx); err != nil {
			e.t.Fatal(err)
		}
		e.rd.Refresh(e.ctx)
		return e.check("", nil)
	}
	for _, tt := range []struct {
		name       string
		newSession bool
		// do runs the scenario from version 2 (A approved) and returns the
		// notification before the decisive publish; then e.pub publishes.
		do func(e *env) *feed.Notification
	}{
		{"copy of the current version put back", false, func(e *env) *feed.Notification {
			copy := e.backup()
			before := e.check("", nil)
			e.restore(copy)
			return before
		}},
		{"marker behind the database (a replica published)", false, func(e *env) *feed.Notification {
			e.approve("ptcl", []string{pB}, nil)
			return run(e, replica(e))
		}},
		{"version reissued by a replica without the marker", true, func(e *env) *feed.Notification {
			copy := e.backup()
			e.approve("ptcl", []string{pB}, nil)
			e.step()
			e.restore(copy)
			e.approve("ptcl", []string{pC}, nil)
			n := run(e, replica(e)) // version 3 again, with C
			if n.Version != 3 {
				e.t.Fatalf("the replica made version %d", n.Version)
			}
			return n
		}},
		{"copy from before the first publish", true, func(e *env) *feed.Notification {
			n := e.check("", nil)
			e.restore(e.first)
			return n
		}},
		{"copy from before a session change", true, func(e *env) *feed.Notification {
			copy := e.backup()
			e.approve("ptcl", []string{pB}, nil)
			e.step()
			e.restore(copy)
			n := e.step() // a new session …
			e.restore(copy)
			return n // … and the copy's older session must not come back
		}},
		{"damaged marker", false, func(e *env) *feed.Notification {
			os.WriteFile(filepath.Join(e.keys.Dir, "feed-state"), []byte("{not json"), 0o600)
			return e.check("", nil)
		}},
	} {
		for _, kind := range storetest.Kinds {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, kind)
				e.first = e.backup()
				e.publish()
				e.approve("ptcl", []string{pA}, nil)
				e.step()
				before := tt.do(e)
				e.pub = publish.NewPublisher(e.db, e.keys, e.clock.Now, nil)
				n := e.step()
				if got := n.SessionID != before.SessionID; got != tt.newSession {
					t.Fatalf("new session = %v (session %s version %d, before %s version %d)", got, n.SessionID, n.Version, before.SessionID, before.Version)
				}
				if tt.newSession && n.Version <= before.Version {
					t.Errorf("the new session starts at version %d, not above %d", n.Version, before.Version)
				}
				if m := e.mark(e.keys.Dir); m.SessionID != n.SessionID || m.Version != n.Version {
					t.Errorf("marker %+v, want session %s version %d", m, n.SessionID, n.Version)
				}
				// Restarted replicas sharing the data directory, taking turns:
				// the session stays.
				for i := 0; i < 3; i++ {
					e.pub = publish.NewPublisher(e.db, e.keys, e.clock.Now, nil)
					e.approve("ptcl", []string{fmt.Sprintf("14.1.%d.0/24", 110+i)}, nil)
					if m := e.step(); m.SessionID != n.SessionID {
						t.Fatalf("publisher %d started another session", i)
					}
				}
			})
		}
	}
}

// TestRestoredDataDirectory is the restoring operator's report: the whole
// data directory, database and feed-state marker together, put back from a
// backup. The registry could not tell, and agents refused its notification
// (signed before the backup) as a replay for up to 15 minutes while still
// allowing B, which the registry no longer held. Now every start re-signs
// at once: the agent sees the version go back and takes the snapshot. With
// a second marker copy outside the data directory (--feed-state-copy) the
// restore is detected as well, and a new session starts.
func TestRestoredDataDirectory(t *testing.T) {
	for _, copied := range []bool{false, true} {
		for _, kind := range storetest.Kinds {
			t.Run(fmt.Sprintf("%s/marker_copy=%v", kind, copied), func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, kind)
				if copied {
					e.markerCopy = filepath.Join(t.TempDir(), "ipreg-feed-state")
					e.pub.SetMarkerCopy(e.markerCopy)
				}
				ag := newFeedAgent(e)
				e.publish()
				ag.sync()
				e.approve("ptcl", []string{pA}, nil)
				e.step()
				copy := e.backup()
				savedMarker, err := os.ReadFile(filepath.Join(e.keys.Dir, "feed-state"))
				if err != nil {
					t.Fatal(err)
				}
				e.approve("ptcl", []string{pB}, nil)
				old := e.step()
				ag.sync()
				ag.holds([]string{pA, pB}, nil)

				// Minutes later, the data directory is restored whole.
				e.clock.Add(3 * time.Minute)
				e.restore(copy)
				os.WriteFile(filepath.Join(e.keys.Dir, "feed-state"), savedMarker, 0o600)
				logs := e.logged()
				n := e.step() // the publish ipreg serve makes at start
				if !n.Timestamp.After(old.Timestamp) {
					t.Fatalf("the restarted registry's notification was signed at %s, before the one the agent holds (%s)", n.Timestamp, old.Timestamp)
				}
				if newSession := n.SessionID != old.SessionID; newSession != copied {
					t.Fatalf("new session = %v with marker copy = %v\n%s", newSession, copied, logs)
				}
				if copied && !strings.Contains(logs.String(), "starting a new session") {
					t.Errorf("the new session is not logged:\n%s", logs)
				}
				ag.sync() // at once: not refused as a replay
				ag.holds([]string{pA}, []string{pB})
				e.approve("ptcl", []string{pC}, nil)
				e.approve("ptcl", []string{pD}, nil)
				e.step()
				ag.sync()
				ag.holds([]string{pA, pC, pD}, []string{pB})
			})
		}
	}
}
