package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/testbin"
)

// feeds is a registry with several feeds, each a fakeRegistry on its own
// path, and a /api/v1/me whose answer the test sets, as a man in the
// middle of a plain-HTTP registry URL could.
type feeds struct {
	mu     sync.Mutex
	me     string                   // the operator /api/v1/me names
	down   bool                     // every request fails (a registry unreachable)
	byFeed map[string]*fakeRegistry // by operator id ("" for the global feed)
}

func (f *feeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	me, down := f.me, f.down
	f.mu.Unlock()
	if down {
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	if r.URL.Path == "/api/v1/me" {
		json.NewEncoder(w).Encode(map[string]any{"user": map[string]string{"role": "operator", "operator_id": me}})
		return
	}
	op := ""
	if rest, ok := strings.CutPrefix(r.URL.Path, "/feed/v1/operators/"); ok {
		op, _, _ = strings.Cut(rest, "/")
	}
	reg, ok := f.byFeed[op]
	if !ok {
		http.NotFound(w, r)
		return
	}
	reg.ServeHTTP(w, r)
}

func (f *feeds) setMe(op string) {
	f.mu.Lock()
	f.me = op
	f.mu.Unlock()
}

// runningAgent is ipreg-agent run by Main until stop.
type runningAgent struct {
	url    string
	stderr *testbin.LogBuffer
	stop   func() int
}

// startMain runs Main with the arguments and waits until it serves.
func startMain(t *testing.T, args ...string) *runningAgent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errOut := &testbin.LogBuffer{}
	code := make(chan int, 1)
	noEnv := func(string) (string, bool) { return "", false }
	go func() {
		code <- Main(ctx, append([]string{"--listen", "127.0.0.1:0", "--poll", "100ms"}, args...), noEnv, IO{Stdout: errOut, Stderr: errOut})
	}()
	serving := regexp.MustCompile(`serving lookups on (http://\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := serving.FindStringSubmatch(errOut.String()); m != nil {
			ra := &runningAgent{url: m[1], stderr: errOut}
			var once sync.Once
			rc := 0
			ra.stop = func() int { once.Do(func() { cancel(); rc = <-code }); return rc }
			t.Cleanup(func() { ra.stop() })
			return ra
		}
		select {
		case rc := <-code:
			cancel()
			t.Fatalf("ipreg-agent exited %d before serving:\n%s", rc, errOut)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("ipreg-agent did not serve within 20 s:\n%s", errOut)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// status returns /v1/status.
func (ra *runningAgent) status(t *testing.T) Status {
	t.Helper()
	res, err := http.Get(ra.url + "/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st Status
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// waitFor polls /v1/status until cond holds.
func (ra *runningAgent) waitFor(t *testing.T, what string, cond func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := ra.status(t)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s; status %+v\n%s", what, st, ra.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// allowed asks /v1/check.
func (ra *runningAgent) allowed(t *testing.T, ip string) bool {
	t.Helper()
	res, err := http.Get(ra.url + "/v1/check?ip=" + ip)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ans struct{ Allowed bool }
	json.NewDecoder(res.Body).Decode(&ans)
	return ans.Allowed
}

// pinRig is a registry with jazz's and zong's feeds signed by one key,
// and the agent's flags for it.
type pinRig struct {
	reg               *feeds
	jazz, zong        *fakeRegistry
	args              []string
	stateDir          string
	olderJazz         string // jazz's notification of an earlier session, unexpired, holding the surrendered entry
	now               time.Time
	kept, surrendered string // addresses in jazz's current feed and in the older notification only
}

func newPinRig(t *testing.T) *pinRig {
	key, _ := feed.NewKey()
	now := time.Now().UTC().Truncate(time.Second)
	r := &pinRig{now: now, kept: "14.1.104.7", surrendered: "39.32.0.9"}
	r.jazz = &fakeRegistry{key: key, now: now.Add(-10 * time.Minute), feed: feed.FeedName("jazz")}
	r.zong = &fakeRegistry{key: key, now: now.Add(time.Minute), feed: feed.FeedName("zong")}
	// An earlier session of jazz's feed, signed ten minutes ago, still
	// holding 39.32.0.0/24, since surrendered.
	r.jazz.publish(t, "j0", 4, []feed.Entry{entry("14.1.104.0/24"), entry("39.32.0.0/24")}, nil)
	r.olderJazz = r.jazz.note
	r.jazz.now = now
	r.jazz.publish(t, "j1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	r.zong.publish(t, "z1", 9, []feed.Entry{entry("27.0.184.0/24")}, nil)
	r.reg = &feeds{me: "jazz", byFeed: map[string]*fakeRegistry{"jazz": r.jazz, "zong": r.zong}}
	srv := httptest.NewServer(r.reg)
	t.Cleanup(srv.Close)
	token := filepath.Join(t.TempDir(), "token")
	os.WriteFile(token, []byte("ipreg_tok\n"), 0o600)
	r.stateDir = t.TempDir()
	r.args = []string{"--registry", srv.URL, "--trust-key", feed.FormatPublicKey(key.Public().(ed25519.PublicKey)),
		"--state-dir", r.stateDir, "--operator-token-file", token}
	return r
}

// serveOlderJazz makes jazz's feed serve its older, unexpired notification
// (a saved copy replayed by whoever is in the agent's path).
func (r *pinRig) serveOlderJazz() {
	r.jazz.mu.Lock()
	r.jazz.note = r.olderJazz
	r.jazz.mu.Unlock()
}

func watermarks(t *testing.T, dir string) map[string]time.Time {
	w, err := readWatermarks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestPinnedFeed is the security tester's first report: an operator agent
// learnt its operator from the unsigned /api/v1/me at every start. A start
// with /me naming zong (zong's real feed served) made the state and the
// watermark zong's; the next start with the real /me took a saved older
// notification of jazz's feed, allowing a surrendered entry again. Now the
// feed is pinned at the first sync: the lying /me is refused (the agent
// keeps jazz's feed, says so in /v1/status and the log), and the replay
// after it is refused by jazz's watermark.
func TestPinnedFeed(t *testing.T) {
	r := newPinRig(t)
	ra := startMain(t, r.args...)
	ra.waitFor(t, "first sync of jazz's feed", func(s Status) bool { return s.SessionID == "j1" && s.Feed == "operator:jazz" })
	ra.stop()
	if pin, _ := ReadPin(r.stateDir); pin != "operator:jazz" {
		t.Fatalf("pin after the first sync = %q", pin)
	}
	jazzMark := watermarks(t, r.stateDir)["operator:jazz"]
	if !jazzMark.Equal(r.now) {
		t.Fatalf("jazz's watermark %v, want %v", jazzMark, r.now)
	}

	// /api/v1/me lies: zong.
	r.reg.setMe("zong")
	ra = startMain(t, r.args...)
	st := ra.waitFor(t, "the conflict reported", func(s Status) bool { return s.FeedConflict != "" })
	if st.Feed != "operator:jazz" || st.SessionID != "j1" || !ra.allowed(t, r.kept) || ra.allowed(t, "27.0.184.9") {
		t.Fatalf("the agent left jazz's feed: %+v", st)
	}
	if !strings.Contains(st.FeedConflict, "--operator zong") || !strings.Contains(ra.stderr.String(), "refused the registry's /api/v1/me") {
		t.Fatalf("the conflict does not say how to re-point: %q\n%s", st.FeedConflict, ra.stderr)
	}
	time.Sleep(300 * time.Millisecond) // a few polls: none may move the agent
	if st := ra.status(t); st.SessionID != "j1" {
		t.Fatalf("moved to %+v", st)
	}
	ra.stop()
	if w := watermarks(t, r.stateDir); !w["operator:jazz"].Equal(jazzMark) || !w["operator:zong"].IsZero() {
		t.Fatalf("watermarks after the lying /me: %v", w)
	}

	// The real /me again, and a saved older notification of jazz's feed.
	r.reg.setMe("jazz")
	r.serveOlderJazz()
	ra = startMain(t, r.args...)
	ra.waitFor(t, "the replay refused", func(Status) bool { return strings.Contains(ra.stderr.String(), "replay") })
	if st := ra.status(t); st.SessionID != "j1" || st.FeedConflict != "" || ra.allowed(t, r.surrendered) {
		t.Fatalf("the older notification was taken: %+v", st)
	}
	ra.stop()
}

// TestRepoint: --operator re-points the agent deliberately, and each
// feed's watermark is kept: back on jazz's feed, the older notification is
// still refused. The global feed chosen by the flags keeps them too.
func TestRepoint(t *testing.T) {
	r := newPinRig(t)
	ra := startMain(t, r.args...)
	ra.waitFor(t, "first sync", func(s Status) bool { return s.SessionID == "j1" })
	ra.stop()

	r.reg.setMe("zong") // the token now is zong's, and the operator says so
	ra = startMain(t, append(r.args, "--operator", "zong")...)
	st := ra.waitFor(t, "zong's feed", func(s Status) bool { return s.SessionID == "z1" })
	if st.Feed != "operator:zong" || st.FeedConflict != "" || !ra.allowed(t, "27.0.184.9") || ra.allowed(t, r.kept) {
		t.Fatalf("after re-pointing: %+v", st)
	}
	ra.stop()
	w := watermarks(t, r.stateDir)
	if !w["operator:jazz"].Equal(r.now) || !w["operator:zong"].Equal(r.now.Add(time.Minute)) {
		t.Fatalf("watermarks %v", w)
	}
	if pin, _ := ReadPin(r.stateDir); pin != "operator:zong" {
		t.Fatalf("pin %q", pin)
	}

	// Back to jazz, deliberately; its feed replays the older notification.
	r.reg.setMe("jazz")
	r.serveOlderJazz()
	ra = startMain(t, append(r.args, "--operator", "jazz")...)
	ra.waitFor(t, "the replay refused", func(Status) bool { return strings.Contains(ra.stderr.String(), "replay") })
	if st := ra.status(t); st.Ready || ra.allowed(t, r.surrendered) {
		t.Fatalf("jazz's older notification was taken after a round trip through zong's feed: %+v", st)
	}
	ra.stop()
}

// TestReadPin: the pin of a state directory from before feed.json is the
// feed its state.json names, else its one watermark's.
func TestReadPin(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"empty", nil, ""},
		{"feed.json", map[string]string{pinFile: `{"feed":"operator:jazz"}`, stateFile: `{"feed":"global"}`}, "operator:jazz"},
		{"state.json", map[string]string{stateFile: `{"feed":"operator:jazz","version":3}`}, "operator:jazz"},
		{"unnamed state, old watermark", map[string]string{stateFile: `{"version":3}`, watermarkFile: `{"feed":"operator:ufone","timestamp":"2026-11-27T10:00:00Z"}`}, "operator:ufone"},
		{"two watermarks", map[string]string{watermarkFile: `{"feeds":{"global":"2026-11-27T10:00:00Z","operator:jazz":"2026-11-27T10:00:00Z"}}`}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for f, b := range tt.files {
				os.WriteFile(filepath.Join(dir, f), []byte(b), 0o600)
			}
			if got, err := ReadPin(dir); err != nil || got != tt.want {
				t.Fatalf("ReadPin = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, pinFile), []byte("{"), 0o600)
	if _, err := ReadPin(bad); err == nil || !strings.Contains(err.Error(), pinFile) {
		t.Fatalf("a damaged feed.json: %v", err)
	}

}

// TestStartWithoutRegistry is the restoring operator's report: an operator
// agent (--operator-token-file) asked /api/v1/me at start and exited 1
// while the registry was unreachable. With its feed pinned it now starts
// from its saved state, enforces at once, and confirms the pin once the
// registry answers (here with another operator: the conflict is reported).
func TestStartWithoutRegistry(t *testing.T) {
	r := newPinRig(t)
	ra := startMain(t, r.args...)
	ra.waitFor(t, "first sync", func(s Status) bool { return s.SessionID == "j1" })
	ra.stop()

	for _, tt := range []struct {
		name  string
		extra []string
	}{
		{"pinned by the first sync", nil},
		{"pinned by --operator", []string{"--operator", "jazz"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r.reg.mu.Lock()
			r.reg.down, r.reg.me = true, "zong"
			r.reg.mu.Unlock()
			ra := startMain(t, append(r.args, tt.extra...)...)
			if st := ra.status(t); !st.Ready || st.SessionID != "j1" || !ra.allowed(t, r.kept) || st.FeedConflict != "" {
				t.Fatalf("with the registry down: %+v", st)
			}
			r.reg.mu.Lock()
			r.reg.down = false
			r.reg.mu.Unlock()
			ra.waitFor(t, "the late /api/v1/me checked", func(s Status) bool { return strings.Contains(s.FeedConflict, "--operator zong") })
			if rc := ra.stop(); rc != 0 {
				t.Fatalf("exit %d", rc)
			}
		})
	}
	// Without a pin nothing says which operator's feed to follow: /me is
	// needed, and the error says how to start without it.
	r.reg.mu.Lock()
	r.reg.down = true
	r.reg.mu.Unlock()
	var errOut bytes.Buffer
	noEnv := func(string) (string, bool) { return "", false }
	args := append([]string{}, r.args...)
	args[5] = t.TempDir() // a fresh --state-dir
	if rc := Main(context.Background(), append(args, "--listen", "127.0.0.1:0"), noEnv, IO{Stdout: &errOut, Stderr: &errOut}); rc != 1 || !strings.Contains(errOut.String(), "pass --operator ID") {
		t.Fatalf("a first start without the registry: exit %d, %s", rc, errOut.String())
	}
}

// TestClearTextToken: the agent warns when its operator token would travel
// in clear over plain http to a host beyond this one, and never logs the
// token itself.
func TestClearTextToken(t *testing.T) {
	for _, tt := range []struct {
		url  string
		warn bool
	}{
		{"http://192.0.2.10:8080", true},
		{"http://registry.example.pk", true},
		{"http://[2001:db8::1]:8080", true},
		{"https://registry.example.pk", false},
		{"http://127.0.0.1:8080", false},
		{"http://127.8.9.1", false},
		{"http://[::1]:8080", false},
		{"http://LocalHost:8080", false},
	} {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := clearTextToken(u); got != tt.warn {
			t.Errorf("clearTextToken(%s) = %v, want %v", tt.url, got, tt.warn)
		}
	}
	r := newPinRig(t)
	args := append([]string{}, r.args...)
	args[1] = "http://192.0.2.10:1" // TEST-NET-1: nothing answers, and it is not loopback
	ra := startMain(t, append(args, "--operator", "jazz")...)
	ra.stop()
	if l := ra.stderr.String(); !strings.Contains(l, "sent in clear over plain http") || strings.Contains(l, "ipreg_tok") {
		t.Fatalf("no warning, or the token logged:\n%s", l)
	}
	ra = startMain(t, append(r.args, "--operator", "jazz")...) // the loopback registry
	ra.stop()
	if strings.Contains(ra.stderr.String(), "sent in clear") {
		t.Fatalf("a loopback registry warned:\n%s", ra.stderr)
	}
}
