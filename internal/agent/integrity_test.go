package agent

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ipreg/ipreg/internal/feed"
)

// operatorFixture is an agent following jazz's feed.
func operatorFixture(t *testing.T) *fixture {
	fx := newFixture(t)
	fx.a.cfg.Operator = "jazz"
	fx.reg.feed = feed.FeedName("jazz")
	return fx
}

func (fx *fixture) rejected(reason string) float64 {
	return testutil.ToFloat64(fx.a.metrics.rejected.WithLabelValues(reason))
}

// fallbacks counts snapshot fallbacks: for a reason, or all with "".
func (fx *fixture) fallbacks(reason string) float64 {
	if reason != "" {
		return testutil.ToFloat64(fx.a.metrics.snapshotFallbacks.WithLabelValues(reason))
	}
	sum := 0.0
	for _, r := range []string{"gap", "too_far_behind", "continuity", "version_back", "hash_changed", "hash_mismatch", "inconsistent", "decode", "fetch", "too_large", "bad_url"} {
		sum += fx.fallbacks(r)
	}
	return sum
}

// TestFeedRollback is issue 11's first example: an agent following
// /feed/v1/operators/jazz/… is served, on that path, the global feed's
// valid notification, then an older but unexpired notification of its own
// feed. Both are refused, the second by the watermark, also after a
// restart, and the agent keeps the table it had (the revoked mobile
// number stays out).
func TestFeedRollback(t *testing.T) {
	fx := operatorFixture(t)
	mob := feed.Entry{MSISDN: "923001234567", Reg: "VPN-2026-000002", Cat: "mobile_vpn", Until: until}
	// An older session of jazz's feed, still unexpired.
	fx.reg.now = fx.now.Add(-5 * time.Minute)
	fx.reg.publish(t, "s0", 7, []feed.Entry{entry("14.1.104.0/24"), mob}, nil)
	olderSession := fx.reg.note
	fx.reg.now = fx.now
	fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24"), mob}, nil)
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	older := fx.reg.note
	// Ten minutes on, the number is revoked: version 2 drops it.
	fx.reg.now, fx.now = fx.now.Add(10*time.Minute), fx.now.Add(10*time.Minute)
	fx.reg.publishWith(t, "s1", 2, 1, []feed.Entry{entry("14.1.104.0/24"), mob}, map[int64][]feed.Op{2: {{Op: "remove", Entry: mob}}})
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	if st := fx.a.Status(); st.Version != 2 || st.Mobile != 0 {
		t.Fatalf("after the revocation: %+v", st)
	}

	// The global feed's notification, valid and newer, on jazz's path.
	global := &fakeRegistry{key: fx.reg.key, now: fx.now.Add(time.Minute), feed: feed.GlobalFeed}
	global.publish(t, "g1", 40, []feed.Entry{entry("14.1.104.0/24"), entry("39.32.0.0/24")}, nil)
	fx.reg.mu.Lock()
	fx.reg.note = global.note
	for k, v := range global.files {
		fx.reg.files[k] = v
	}
	fx.reg.mu.Unlock()
	err := fx.sync()
	fx.mustKeep(err, "wrong_feed", 2)
	if fx.allowed("39.32.0.9") || Reason(err) != "wrong_feed" {
		t.Fatalf("the global feed's table was taken, or the refusal has reason %q", Reason(err))
	}
	// Then its own feed's older notifications, this session's and an older
	// session's: the watermark refuses both.
	for _, jws := range []string{older, olderSession} {
		err := fx.a.Sync(context.Background(), jws)
		fx.mustKeep(err, "replay", 2)
		if Reason(err) != "replay" {
			t.Fatalf("reason %q", Reason(err))
		}
	}
	if st := fx.a.Status(); st.Mobile != 0 || st.SessionID != "s1" {
		t.Fatalf("the revoked number came back or the session moved: %+v", st)
	}

	// A restart keeps the watermark (watermark.json in the state directory).
	fx.a.persistNow()
	if _, err := os.Stat(filepath.Join(fx.a.cfg.StateDir, watermarkFile)); err != nil {
		t.Fatal(err)
	}
	fx.a = New(fx.a.cfg)
	if err := fx.a.Load(); err != nil {
		t.Fatal(err)
	}
	for _, jws := range []string{older, olderSession} {
		fx.mustKeep(fx.a.Sync(context.Background(), jws), "replay", 2)
	}
	// Even with the state gone (removed after damage), the watermark holds:
	// the old session cannot come back as a first sync.
	for _, f := range []string{stateFile, fx.a.persisted.Snapshot} {
		os.Remove(filepath.Join(fx.a.cfg.StateDir, f))
	}
	fresh := New(fx.a.cfg)
	if err := fresh.Load(); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Sync(context.Background(), olderSession); err == nil || !strings.Contains(err.Error(), "replay") || fresh.Status().Ready {
		t.Fatalf("a fresh state took a notification older than the watermark: %v", err)
	}
}

// TestFeedName: the notification's feed name is checked against the feed
// the agent follows, both ways, and one without a name is refused.
func TestFeedName(t *testing.T) {
	for _, tt := range []struct {
		name, follows, served string
		ok                    bool
	}{
		{"global agent, global feed", "", "global", true},
		{"operator agent, its feed", "jazz", "operator:jazz", true},
		{"operator agent, global feed", "jazz", "global", false},
		{"operator agent, another operator's feed", "jazz", "operator:zong", false},
		{"global agent, an operator's feed", "", "operator:jazz", false},
		{"operator agent, operator id's prefix", "jazz", "operator:jaz", false},
		{"no feed named", "jazz", "", false},
		{"no feed named, global agent", "", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			fx.a.cfg.Operator = tt.follows
			n := fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
			n.Feed = tt.served
			err := fx.a.Sync(context.Background(), sign(t, n, fx.reg.key))
			if (err == nil) != tt.ok || (!tt.ok && Reason(err) != "wrong_feed") {
				t.Fatalf("Sync = %v", err)
			}
			if tt.ok != fx.a.Status().Ready {
				t.Fatalf("ready = %v", fx.a.Status().Ready)
			}
		})
	}
}

// TestWatermark: what a notification signed before the newest verified
// one may still do. Within MaxClockSkew, only continue the same session
// without going back (replicas' clocks differ by seconds); never change
// session or go back in version.
func TestWatermark(t *testing.T) {
	base := []feed.Entry{entry("14.1.104.0/24")}
	two := []feed.Entry{entry("14.1.104.0/24"), entry("27.0.184.0/24")}
	delta2 := map[int64][]feed.Op{2: {{Op: "add", Entry: entry("27.0.184.0/24")}}}
	for _, tt := range []struct {
		name    string
		age     time.Duration // signed this long before the watermark
		session string
		version int64
		ok      bool
	}{
		{"same version a minute older", time.Minute, "s1", 2, true},
		{"newer version a minute older", time.Minute, "s1", 3, true},
		{"same version just within the skew", MaxClockSkew, "s1", 2, true},
		{"same version beyond the skew", MaxClockSkew + time.Second, "s1", 2, false},
		{"lower version a second older", time.Second, "s1", 1, false},
		{"another session a second older", time.Second, "s2", 5, false},
		{"another session signed at the watermark", 0, "s2", 5, true},
		{"lower version signed at the watermark", 0, "s1", 1, true}, // the registry went back: a snapshot
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			fx.reg.publish(t, "s1", 1, base, nil)
			if err := fx.sync(); err != nil {
				t.Fatal(err)
			}
			fx.reg.now, fx.now = fx.now.Add(10*time.Minute), fx.now.Add(10*time.Minute)
			fx.reg.publishWith(t, "s1", 2, 1, base, delta2)
			if err := fx.sync(); err != nil {
				t.Fatal(err)
			}
			wm := fx.a.watermark
			fx.reg.now = wm.Add(-tt.age)
			switch {
			case tt.session != "s1":
				fx.reg.publish(t, tt.session, tt.version, two, nil)
			case tt.version == 3:
				d := map[int64][]feed.Op{2: delta2[2], 3: {{Op: "add", Entry: entry("36.255.32.0/24")}}}
				fx.reg.publishWith(t, "s1", 3, 1, base, d)
			case tt.version == 2:
				fx.reg.publishWith(t, "s1", 2, 1, base, delta2)
			default:
				fx.reg.publish(t, "s1", tt.version, base, nil)
			}
			err := fx.sync()
			if (err == nil) != tt.ok {
				t.Fatalf("Sync = %v, want ok=%v", err, tt.ok)
			}
			st := fx.a.Status()
			if !tt.ok && (Reason(err) != "replay" || st.Version != 2 || st.SessionID != "s1") {
				t.Fatalf("refusal %v left %+v", err, st)
			}
			if tt.ok && (st.Version != tt.version || st.SessionID != tt.session) {
				t.Fatalf("accepted but at %s/%d", st.SessionID, st.Version)
			}
			if fx.a.watermark.Before(wm) {
				t.Fatalf("the watermark went back from %s to %s", wm, fx.a.watermark)
			}
		})
	}
}

// TestContinuity: within a session, the agent continues by deltas only
// when the notification provably continues what it applied; otherwise it
// takes the snapshot, counted by reason. Issue 11's second example, seen
// from the agent: a registry restored from a backup reissues version 3
// with other content under the same session.
func TestContinuity(t *testing.T) {
	a := entry("14.1.104.0/24")
	b := entry("27.0.184.0/24")
	c := entry("36.255.32.0/24")
	d := entry("39.32.0.0/24")
	for _, tt := range []struct {
		name   string
		reason string // "" when the deltas apply
		// publish makes the next notification; the agent is at version 3
		// (A at 2 and B at 3) from snapshot 1, deltas 2 and 3.
		publish func(fx *fixture)
		want    []feed.Entry
	}{
		{"next version, chain intact", "", func(fx *fixture) {
			fx.reg.publishWith(t, "s1", 4, 1, nil, map[int64][]feed.Op{2: add(a), 3: add(b), 4: add(c)})
		}, []feed.Entry{a, b, c}},
		{"same version re-signed", "", func(fx *fixture) {
			fx.reg.publishWith(t, "s1", 3, 1, nil, map[int64][]feed.Op{2: add(a), 3: add(b)})
		}, []feed.Entry{a, b}},
		{"version 3 reissued with other content", "hash_changed", func(fx *fixture) {
			fx.reg.publish(t, "s1", 3, []feed.Entry{a, c}, map[int64][]feed.Op{2: add(a), 3: add(c)})
		}, []feed.Entry{a, c}},
		{"version 3 reissued, then 4", "hash_changed", func(fx *fixture) {
			fx.reg.publish(t, "s1", 4, []feed.Entry{a, c, d}, map[int64][]feed.Op{2: add(a), 3: add(c), 4: add(d)})
		}, []feed.Entry{a, c, d}},
		{"version 4 listed without the applied version's file", "continuity", func(fx *fixture) {
			fx.reg.publish(t, "s1", 4, []feed.Entry{a, c, d}, map[int64][]feed.Op{4: add(d)})
		}, []feed.Entry{a, c, d}},
		{"same version, only an unknown snapshot listed", "continuity", func(fx *fixture) {
			fx.reg.publish(t, "s1", 3, []feed.Entry{a, c}, nil)
		}, []feed.Entry{a, c}},
		{"lower version in the same session", "version_back", func(fx *fixture) {
			fx.reg.publish(t, "s1", 2, []feed.Entry{a}, map[int64][]feed.Op{2: add(a)})
		}, []feed.Entry{a}},
		{"snapshot 1 reissued with other content", "hash_changed", func(fx *fixture) {
			fx.reg.publishWith(t, "s1", 3, 1, []feed.Entry{d}, map[int64][]feed.Op{2: add(a), 3: add(b)})
		}, []feed.Entry{a, b, d}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := syncedThrough3(t, a, b)
			if fb := fx.fallbacks(""); fb != 0 {
				t.Fatalf("setting up took %v snapshots", fb)
			}
			fx.reg.now = fx.reg.now.Add(time.Minute)
			tt.publish(fx)
			err := fx.sync()
			if err != nil {
				t.Fatal(err)
			}
			// A fallback is counted as one, by reason, and never as a
			// refusal (ipreg_agent_rejected_total is for attacks and
			// failures).
			fb := fx.fallbacks("")
			if tt.reason == "" && fb != 0 || tt.reason != "" && (fb != 1 || fx.fallbacks(tt.reason) != 1) || fx.rejected(tt.reason) != 0 {
				t.Fatalf("snapshot fallbacks %v (%q: %v), %q refusals %v", fb, tt.reason, fx.fallbacks(tt.reason), tt.reason, fx.rejected(tt.reason))
			}
			got := fx.a.Table().Entries()
			if len(got) != len(tt.want) {
				t.Fatalf("table %v, want %v", got, tt.want)
			}
			for _, e := range tt.want {
				if !fx.allowed(strings.TrimSuffix(e.Prefix, "0/24") + "1") {
					t.Fatalf("%s missing from %v", e.Prefix, got)
				}
			}
		})
	}
}

// TestRunCountsRefusals: Run counts each refusal by its reason in
// ipreg_agent_rejected_total and keeps serving the table it had.
func TestRunCountsRefusals(t *testing.T) {
	fx := operatorFixture(t)
	fx.a.cfg.Now = time.Now
	fx.reg.now = time.Now()
	fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	fx.reg.mu.Lock()
	fx.reg.feed = feed.GlobalFeed // the global feed's notification on jazz's path
	fx.reg.mu.Unlock()
	fx.reg.now = fx.reg.now.Add(time.Second)
	fx.reg.publish(t, "g1", 9, []feed.Entry{entry("39.32.0.0/24")}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fx.a.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for fx.rejected("wrong_feed") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no wrong_feed refusal counted within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if st := fx.a.Status(); st.SessionID != "s1" || st.Version != 1 || !fx.allowed("14.1.104.7") || fx.allowed("39.32.0.9") {
		t.Fatalf("after the refusal: %+v", st)
	}
}

// TestStateOfAnotherFeed: an agent restarted to follow another feed does
// not serve the table persisted for the previous one, nor take its
// watermark; a state from before feeds were named is taken as the followed
// feed's.
func TestStateOfAnotherFeed(t *testing.T) {
	fx := newFixture(t)
	fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	fx.a.persistNow()
	for _, tt := range []struct {
		name, operator string
		unnamed        bool // state.json written before feeds were named
		ready          bool
	}{
		{"same feed", "", false, true},
		{"now an operator's feed", "jazz", false, false},
		{"state from before feed names", "", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := fx.a.cfg
			cfg.Operator = tt.operator
			if tt.unnamed {
				path := filepath.Join(cfg.StateDir, stateFile)
				b, _ := os.ReadFile(path)
				unnamed := strings.Replace(string(b), `"feed": "global",`, "", 1)
				if unnamed == string(b) {
					t.Fatalf("state.json does not name the feed:\n%s", b)
				}
				os.WriteFile(path, []byte(unnamed), 0o600)
				os.Remove(filepath.Join(cfg.StateDir, watermarkFile))
			}
			b := New(cfg)
			if err := b.Load(); err != nil {
				t.Fatal(err)
			}
			if b.Status().Ready != tt.ready {
				t.Fatalf("ready = %v", b.Status().Ready)
			}
			if tt.ready != !b.watermark.IsZero() {
				t.Fatalf("watermark %v", b.watermark)
			}
		})
	}
}

// TestSkewNeverReplaces is the third round's first finding: a registry
// restored from a backup reissued version 3 with other content (signed
// later; the agent rightly took its snapshot), and a notification of the
// pre-restore version 3, signed before the watermark but within
// MaxClockSkew, switched the agent back through hash_changed. A
// notification accepted only under the skew allowance may continue the
// applied history, never replace it: each case is refused as a replay,
// counted nowhere as a snapshot fallback, and the table stays.
func TestSkewNeverReplaces(t *testing.T) {
	a, b, c, d := entry("14.1.104.0/24"), entry("27.0.184.0/24"), entry("36.255.32.0/24"), entry("39.32.0.0/24")
	for _, tt := range []struct {
		name string
		// old publishes, before the restore, what the MITM replays later
		old func(fx *fixture)
	}{
		{"pre-restore version 3, same version other hashes", func(fx *fixture) {
			fx.reg.publishWith(t, "s1", 3, 1, nil, map[int64][]feed.Op{2: add(a), 3: add(b)})
		}},
		{"pre-restore version 4 built on the old version 3", func(fx *fixture) {
			fx.reg.publishWith(t, "s1", 4, 1, nil, map[int64][]feed.Op{2: add(a), 3: add(b), 4: add(d)})
		}},
		{"same version, only an unknown snapshot listed", func(fx *fixture) {
			fx.reg.publish(t, "s1", 3, []feed.Entry{a, b}, nil)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := syncedThrough3(t, a, b)
			// The MITM keeps a notification (and its files) from before
			// the restore.
			fx.reg.now = fx.reg.now.Add(time.Minute)
			tt.old(fx)
			fx.reg.mu.Lock()
			oldNote, oldFiles := fx.reg.note, maps.Clone(fx.reg.files)
			fx.reg.mu.Unlock()
			// The restored registry reissues version 3 with other
			// content, signed a minute later: a legitimate fallback.
			fx.reg.now = fx.reg.now.Add(time.Minute)
			fx.reg.publishWith(t, "s1", 3, 1, nil, map[int64][]feed.Op{2: add(a), 3: add(c)})
			if err := fx.sync(); err != nil {
				t.Fatal(err)
			}
			if fx.fallbacks("") != 1 || !fx.allowed("36.255.32.1") || fx.allowed("27.0.184.1") {
				t.Fatalf("the reissued version 3 was not taken (fallbacks %v)", fx.fallbacks(""))
			}
			wm := fx.a.watermark
			fx.reg.mu.Lock()
			fx.reg.note, fx.reg.files = oldNote, oldFiles
			fx.reg.mu.Unlock()
			err := fx.sync()
			if Reason(err) != "replay" {
				t.Fatalf("Sync of the old notification = %v, want a replay refusal", err)
			}
			st := fx.a.Status()
			if st.Version != 3 || fx.fallbacks("") != 1 || !fx.allowed("36.255.32.1") || fx.allowed("27.0.184.1") || fx.allowed("39.32.0.1") {
				t.Fatalf("the old notification changed the agent: version %d, fallbacks %v", st.Version, fx.fallbacks(""))
			}
			if !fx.a.watermark.Equal(wm) {
				t.Fatalf("the watermark moved from %s to %s", wm, fx.a.watermark)
			}
		})
	}
}

// TestRunPacesNotNewer is the third round's fifth finding: a long-poll
// (GET wait?after=N) answered with a notification that is not newer (a
// MITM replaying the current one) made Run ask again at once, ~44 times a
// second. Such an answer is now paced like a refusal (not_newer, counted;
// jittered exponential backoff), while a newer answer is applied at once
// and ends the backoff. The pauses are recorded, not slept.
func TestRunPacesNotNewer(t *testing.T) {
	for _, tt := range []struct {
		name   string
		pauses int
		// onPause runs at pause i (0-based) before Run goes on
		onPause func(fx *fixture, i int)
		// want checks the recorded pauses
		want func(t *testing.T, fx *fixture, pauses []time.Duration)
	}{
		{"the same notification again and again", 5, nil, func(t *testing.T, fx *fixture, pauses []time.Duration) {
			for i, d := range pauses {
				b := time.Second << i
				if d < b/2 || d > b {
					t.Errorf("pause %d = %s, want between %s and %s", i, d, b/2, b)
				}
			}
			if fx.rejected("not_newer") != float64(len(pauses)) {
				t.Errorf("not_newer counted %v times, want %d", fx.rejected("not_newer"), len(pauses))
			}
		}},
		{"a real update in between", 3, func(fx *fixture, i int) {
			if i == 1 {
				fx.reg.now = fx.reg.now.Add(time.Second)
				fx.reg.publish(fx.t, "s1", 2, []feed.Entry{entry("14.1.104.0/24"), entry("27.0.184.0/24")}, nil)
			}
		}, func(t *testing.T, fx *fixture, pauses []time.Duration) {
			if st := fx.a.Status(); st.Version != 2 || !fx.allowed("27.0.184.1") {
				t.Fatalf("the update was not applied: %+v", st)
			}
			// Pause 1 (backoff 2 s) came before the update; the update
			// was taken without one and ended the backoff: pause 2 is
			// back at 1 s.
			if pauses[1] < time.Second || pauses[2] > time.Second {
				t.Errorf("pauses %v: the update did not end the backoff", pauses)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t)
			fx.a.cfg.Poll = time.Hour // long-polls only, after the first fetch
			fx.a.cfg.Now = time.Now
			fx.reg.now = time.Now()
			fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var pauses []time.Duration
			fx.a.pause = func(_ context.Context, d time.Duration) bool {
				pauses = append(pauses, d)
				if tt.onPause != nil {
					tt.onPause(fx, len(pauses)-1)
				}
				if len(pauses) == tt.pauses {
					cancel()
					return false
				}
				return true
			}
			fx.a.Run(ctx)
			if len(pauses) != tt.pauses {
				t.Fatalf("pauses %v", pauses)
			}
			tt.want(t, fx, pauses)
		})
	}
}

// syncedThrough3 is an agent that followed session s1 from version 1 (no
// entries) through 2 (a added) and 3 (b added), one delta at a time, a
// minute apart.
func syncedThrough3(t *testing.T, a, b feed.Entry) *fixture {
	t.Helper()
	fx := newFixture(t)
	fx.reg.publish(t, "s1", 1, nil, nil)
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	fx.reg.now = fx.reg.now.Add(time.Minute)
	fx.reg.publishWith(t, "s1", 2, 1, nil, map[int64][]feed.Op{2: add(a)})
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	fx.reg.now = fx.reg.now.Add(time.Minute)
	fx.reg.publishWith(t, "s1", 3, 1, nil, map[int64][]feed.Op{2: add(a), 3: add(b)})
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	return fx
}

// add is a delta that adds e.
func add(e feed.Entry) []feed.Op { return []feed.Op{{Op: "add", Entry: e}} }
