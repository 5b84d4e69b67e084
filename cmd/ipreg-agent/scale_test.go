package main_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestAgentsAtScale holds many long-polling agents against one real
// `ipreg serve`, directly and through Debian's nginx running
// deploy/nginx-feed.conf, approves registrations, and checks that every
// agent received every approved prefix through a verified notification
// and a delta whose hash matched. Through nginx it also checks that the
// cache took the files and the start-up notification off the registry.
// It logs approval-to-agent latency, the registry's RSS and its requests
// and bytes per approval (figures, never asserted: the machine is shared).
//
// 200 agents and 2 approvals by default (seconds); IPREG_BENCH_AGENTS=10000
// and IPREG_BENCH_APPROVALS=5 for the full run (BENCHMARKS.md, "10,000
// agents").
func TestAgentsAtScale(t *testing.T) {
	n := envInt(t, "IPREG_BENCH_AGENTS", 200)
	approvals := envInt(t, "IPREG_BENCH_APPROVALS", 2)
	raiseNoFile(t, n+512)
	// The fleet stands for 10,000 machines, each with its own collector;
	// in one process, the collector scanning some 30,000 goroutine stacks
	// at Go's default pace was 40 % of the fleet's CPU (a profile of 2,000
	// agents), CPU the registry, on the same two cores, then lacked.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	t.Run("direct", func(t *testing.T) { runAgentsAtScale(t, n, approvals, false) })
	t.Run("nginx", func(t *testing.T) {
		testbin.Program(t, "nginx", "nginx")
		runAgentsAtScale(t, n, approvals, true)
	})
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a whole number above 0", name, v)
	}
	return n
}

// raiseNoFile lifts this process's open-file limit to want (each agent
// holds a connection), failing with what to do when the hard limit is
// lower.
func raiseNoFile(t *testing.T, want int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= uint64(want) {
		return
	}
	if lim.Max < uint64(want) {
		lim.Max = uint64(want) // succeeds as root only
	}
	lim.Cur = uint64(want)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("open-file limit: %d agents need %d descriptors: %v (raise it: ulimit -n %d)", want-512, want, err, want)
	}
}

// procLimit reads a process's soft open-file limit from /proc.
func procLimit(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); strings.HasPrefix(l, "Max open files") && len(f) > 3 {
			n, _ := strconv.Atoi(f[3])
			return n
		}
	}
	t.Fatalf("no open-file limit in /proc/%d/limits", pid)
	return 0
}

// procMemory returns a process's resident and peak resident size in bytes.
func procMemory(t *testing.T, pid int) (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// procCPU returns the CPU time (user and system) a process has used, from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s, the
// value of sysconf(_SC_CLK_TCK) on Linux).
func procCPU(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name (field 2) may hold spaces: count after its ")".
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// registryCounts is what the registry's /metrics says it served on the
// feed's routes: requests and response bytes by route, and long-polls
// held open now.
type registryCounts struct {
	requests map[string]float64 // route → requests (all codes)
	bytes    map[string]float64
	waiting  float64 // long-polls and streams held open now
}

var metricLine = regexp.MustCompile(`^(ipreg_http_requests_total|ipreg_http_response_bytes_total)\{.*route="(GET /feed/v1/[^"]*)".*\} (\S+)$|^ipreg_feed_(?:waiting|streams) (\S+)$`)

func scrape(t *testing.T, base, token string) registryCounts {
	t.Helper()
	c := registryCounts{requests: map[string]float64{}, bytes: map[string]float64{}}
	sc := bufio.NewScanner(strings.NewReader(string(testbin.Call(t, base, "GET", "/metrics", token, nil, 200))))
	for sc.Scan() {
		m := metricLine.FindStringSubmatch(sc.Text())
		switch {
		case m == nil:
		case m[4] != "": // long-polls and streams: agents the registry holds
			v, _ := strconv.ParseFloat(m[4], 64)
			c.waiting += v
		case m[1] == "ipreg_http_requests_total":
			v, _ := strconv.ParseFloat(m[3], 64)
			c.requests[m[2]] += v
		default:
			v, _ := strconv.ParseFloat(m[3], 64)
			c.bytes[m[2]] += v
		}
	}
	return c
}

// minus returns c−o per route, and the totals.
func (c registryCounts) minus(o registryCounts) (req, bytes map[string]float64, totalReq, totalBytes float64) {
	req, bytes = map[string]float64{}, map[string]float64{}
	for k, v := range c.requests {
		req[k] = v - o.requests[k]
		totalReq += req[k]
	}
	for k, v := range c.bytes {
		bytes[k] = v - o.bytes[k]
		totalBytes += bytes[k]
	}
	return req, bytes, totalReq, totalBytes
}

const (
	routeWait  = "GET /feed/v1/wait"
	routeFile  = "GET /feed/v1/files/{name}"
	routeNotif = "GET /feed/v1/notification.jose"
)

// fleet is the lightweight agents: goroutines that do what ipreg-agent's
// sync does on the wire (fetch the notification, take the snapshot, then
// long-poll and fetch each new delta; verify the signature and every
// file's hash) without building tables. seen[k][i] is when agent i applied
// the delta holding approval k's prefix.
type fleet struct {
	base         string
	notification *url.URL // file URLs are relative to it
	key          ed25519.PublicKey
	// clients[i] is agent i's own: a real agent is a process with its own
	// connection pool. One Transport shared by 10,000 agents serialised
	// them on its pool's lock (the goroutine dump of a stalled run held
	// 2,770 agents queued on Transport.idleMu), which the registry never
	// sees in the field.
	clients []*http.Client
	targets []string // approval k's prefix

	mu          sync.Mutex
	seen        [][]time.Time
	got         []atomic.Int64 // agents that have approval k
	cacheHits   atomic.Int64   // file responses nginx answered from its cache
	waitCached  atomic.Int64   // long-poll answers that went through nginx's cache (must be none)
	waitAnswers atomic.Int64   // long-poll answers (200 or 204) the agents got
	ready       atomic.Int64   // agents past their first snapshot
	failures    atomic.Int64
	retries     atomic.Int64 // requests failed and retried, as the agent would
	polling     atomic.Int64 // agents inside a long-poll request or a stream now
	stream      bool         // follow the feed stream (as ipreg-agent does by default), else long-poll
	streamBytes atomic.Int64 // bytes the agents read from their streams
	inlineUsed  atomic.Int64 // files the agents took from their stream instead of fetching
	firstErr    atomic.Value
	// verifyOnce: verify each distinct notification once for the fleet
	// (see verify); verified holds those results, verifications counts them.
	verifyOnce    bool
	verifiedMu    sync.Mutex
	verified      map[string]*verified
	verifications atomic.Int64
	agents        []agentState  // what each agent is doing, for a stall's report
	onStall       func() string // saves what explains a stall, says where
}

// agentState is where one agent stands, read when a wait gives up so a
// stall names its mechanism (agents waiting on a version they already
// have, requests failing, requests answered 204) instead of a count.
type agentState struct {
	phase   atomic.Int32 // phaseStart…
	version atomic.Int64 // the version it has (its next long-poll's after)
	since   atomic.Int64 // unix nanoseconds of its last phase change
	polls   atomic.Int64 // long-polls answered 204
	lastErr atomic.Value // string: the last error it retried
}

const (
	phaseStart int32 = iota
	phaseWait
	phaseSync
	phaseBackoff
	phaseDone
)

var phaseNames = []string{"starting", "in a long-poll", "fetching files", "backing off", "stopped"}

func (a *agentState) set(p int32) { a.phase.Store(p); a.since.Store(time.Now().UnixNano()) }

// stalled describes the agents that lack approval k: how many in each
// phase, for how long at most, the versions they wait after, and their
// most frequent errors.
func (f *fleet) stalled(k int) string {
	phases := map[string]int{}
	oldest := map[string]time.Duration{}
	versions := map[int64]int{}
	errs := map[string]int{}
	n204 := int64(0)
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.agents {
		if !f.seen[k][i].IsZero() {
			continue
		}
		a := &f.agents[i]
		ph := phaseNames[a.phase.Load()]
		phases[ph]++
		oldest[ph] = max(oldest[ph], time.Since(time.Unix(0, a.since.Load())).Round(time.Second))
		versions[a.version.Load()]++
		n204 += a.polls.Load()
		if e, ok := a.lastErr.Load().(string); ok {
			errs[regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAllString(e, "127.0.0.1:PORT")]++
		}
	}
	var b strings.Builder
	for ph, c := range phases {
		fmt.Fprintf(&b, "%d %s (longest %s); ", c, ph, oldest[ph])
	}
	fmt.Fprintf(&b, "their versions %v; 204s they had in all %d; their last errors:", versions, n204)
	for e, c := range errs {
		fmt.Fprintf(&b, " %d× %q;", c, e)
	}
	return b.String()
}

func (f *fleet) fail(err error) {
	if f.failures.Add(1) == 1 {
		f.firstErr.Store(err)
	}
}

func (f *fleet) get(ctx context.Context, i int, u string) (int, []byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	res, err := f.clients[i].Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header, err
}

func (f *fleet) file(ctx context.Context, i int, ref feed.FileRef, inline map[string][]byte) ([]byte, error) {
	if b, ok := inline[ref.Hash]; ok { // keyed by the content's own hash
		f.inlineUsed.Add(1)
		return b, nil
	}
	rel, err := url.Parse(ref.URL)
	if err != nil {
		return nil, err
	}
	code, b, h, err := f.get(ctx, i, f.notification.ResolveReference(rel).String())
	if err != nil {
		return nil, err
	}
	if code != 200 {
		return nil, fmt.Errorf("GET %s: status %d", ref.URL, code)
	}
	if feed.Hash(b) != ref.Hash {
		return nil, errVerify{fmt.Errorf("GET %s: SHA-256 differs from the notification's", ref.URL)}
	}
	if h.Get("X-Cache-Status") == "HIT" {
		f.cacheHits.Add(1)
	}
	return b, nil
}

// verify checks a notification's signature as each agent does. The
// fleet stands for 10,000 machines, each verifying on its own CPU at the
// same moment (some 100 µs); in this one process the 10,000 Ed25519
// verifications of one notification queue on two cores behind each other
// and the registry, and were 42 % of the fleet's CPU: the approval-to-
// agent latency then measured this machine, not the registry's fan-out.
// So, as a lightweight client, the fleet verifies each distinct
// notification (the exact bytes) once and every agent takes that result;
// every agent still checks every file's SHA-256 and decodes it.
// IPREG_BENCH_VERIFY=each makes every agent verify on its own.
func (f *fleet) verify(jws []byte) (*feed.Notification, error) {
	if !f.verifyOnce {
		n, _, err := feed.Verify(string(jws), f.key)
		return n, err
	}
	f.verifiedMu.Lock()
	v, ok := f.verified[string(jws)]
	if !ok {
		v = &verified{}
		if len(f.verified) >= 64 {
			clear(f.verified) // a notification is re-signed every few minutes at most
		}
		f.verified[string(jws)] = v
	}
	f.verifiedMu.Unlock()
	v.once.Do(func() {
		v.n, _, v.err = feed.Verify(string(jws), f.key)
		f.verifications.Add(1)
	})
	if v.err != nil {
		return nil, v.err
	}
	c := *v.n // each agent its own copy, as if it had parsed it
	return &c, nil
}

// verified is one notification's verification, shared by the fleet.
type verified struct {
	once sync.Once
	n    *feed.Notification
	err  error
}

// run is one agent until ctx ends; start limits how many start at once
// (a real fleet does not start in the same millisecond either).
func (f *fleet) run(ctx context.Context, i int, start chan struct{}) {
	a := &f.agents[i]
	a.set(phaseStart)
	defer a.set(phaseDone)
	start <- struct{}{}
	session, version := "", int64(0)
	for {
		n, err := f.notify(ctx, i, f.base+"/feed/v1/notification.jose")
		if err == nil {
			session, version, err = f.sync(ctx, i, n, session, version, nil)
		}
		a.version.Store(version)
		if err == nil || !f.retry(ctx, a, err) {
			<-start
			if err != nil {
				f.fail(fmt.Errorf("agent %d start: %w", i, err))
				return
			}
			break
		}
	}
	f.ready.Add(1)
	for ctx.Err() == nil && f.stream {
		var err error
		session, version, err = f.follow(ctx, i, session, version)
		if ctx.Err() != nil {
			return
		}
		if err != nil && !f.retry(ctx, a, err) {
			f.fail(fmt.Errorf("agent %d: %w", i, err))
			return
		}
	}
	for ctx.Err() == nil {
		f.polling.Add(1)
		a.set(phaseWait)
		n, err := f.notify(ctx, i, f.base+"/feed/v1/wait?after="+strconv.FormatInt(version, 10)+"&timeout=25")
		f.polling.Add(-1)
		if ctx.Err() != nil {
			return
		}
		if err == nil && n == nil {
			a.polls.Add(1)
			continue // 204: nothing newer in 25 s
		}
		if err == nil && n.SessionID == session && n.Version <= version {
			err = fmt.Errorf("wait after %d answered version %d", version, n.Version)
		}
		if err == nil {
			a.set(phaseSync)
			session, version, err = f.sync(ctx, i, n, session, version, nil)
			a.version.Store(version)
		}
		if err != nil && !f.retry(ctx, a, err) {
			f.fail(fmt.Errorf("agent %d: %w", i, err))
			return
		}
	}
}

// follow is one feed stream (GET …/stream?after=version), read as
// ipreg-agent reads it: files kept by their content's hash, each
// notification verified and synced from them (fetching what the stream
// did not send). It returns when the stream ends (nil: the caller opens
// it again) or fails.
func (f *fleet) follow(ctx context.Context, i int, session string, version int64) (string, int64, error) {
	a := &f.agents[i]
	req, err := http.NewRequestWithContext(ctx, "GET", f.base+"/feed/v1/stream?after="+strconv.FormatInt(version, 10), nil)
	if err != nil {
		return session, version, err
	}
	res, err := f.clients[i].Do(req)
	if err != nil {
		return session, version, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return session, version, fmt.Errorf("GET %s: status %d", req.URL, res.StatusCode)
	}
	f.polling.Add(1)
	a.set(phaseWait)
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 0, 2048), 1<<20)
	inline := map[string][]byte{}
	var event string
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		f.streamBytes.Add(int64(len(line) + 1))
		switch {
		case len(line) == 0:
		case line[0] == ':':
			continue
		default:
			field, value, _ := strings.Cut(string(line), ": ")
			switch field {
			case "event":
				event = value
			case "data":
				data = append(data[:0], value...)
			}
			continue
		}
		switch event {
		case "file":
			var fe struct{ Content string }
			if err := json.Unmarshal(data, &fe); err != nil {
				f.polling.Add(-1)
				return session, version, errVerify{err}
			}
			b, err := base64.StdEncoding.DecodeString(fe.Content)
			if err != nil {
				f.polling.Add(-1)
				return session, version, errVerify{err}
			}
			inline[feed.Hash(b)] = b
		case "notification":
			n, err := f.verify(data)
			if err != nil {
				f.polling.Add(-1)
				return session, version, errVerify{err}
			}
			if n.SessionID != session || n.Version > version {
				f.polling.Add(-1)
				a.set(phaseSync)
				session, version, err = f.sync(ctx, i, n, session, version, inline)
				a.version.Store(version)
				f.polling.Add(1)
				a.set(phaseWait)
				if err != nil {
					f.polling.Add(-1)
					return session, version, err
				}
			}
			clear(inline)
		}
		event = ""
	}
	f.polling.Add(-1)
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return session, version, err
	}
	return session, version, nil
}

// errVerify marks what no retry mends: a signature or a hash that does
// not verify, a feed that does not hold together.
type errVerify struct{ error }

// retry counts a failure the agent would retry (connection refused or
// timed out: a registry too busy to answer) and pauses 0.5-1.5 s, as the
// agent's jittered backoff does; false for a verification failure.
func (f *fleet) retry(ctx context.Context, a *agentState, err error) bool {
	if _, ok := err.(errVerify); ok {
		return false
	}
	f.retries.Add(1)
	a.lastErr.Store(err.Error())
	a.set(phaseBackoff)
	select {
	case <-ctx.Done():
	case <-time.After(500*time.Millisecond + rand.N(time.Second)):
	}
	return true
}

// notify fetches and verifies a notification (nil for a 204).
func (f *fleet) notify(ctx context.Context, i int, u string) (*feed.Notification, error) {
	code, b, h, err := f.get(ctx, i, u)
	if err == nil && strings.Contains(u, "/wait?") && h.Get("X-Cache-Status") != "" {
		// A long-poll answered through the cache (even a MISS stored
		// for the next agent) would hold agents back behind a stale 204.
		f.waitCached.Add(1)
	}
	if err == nil && strings.Contains(u, "/wait?") && (code == http.StatusOK || code == http.StatusNoContent) {
		f.waitAnswers.Add(1)
	}
	switch {
	case err != nil:
		return nil, err
	case code == http.StatusNoContent:
		return nil, nil
	case code != http.StatusOK:
		return nil, fmt.Errorf("GET %s: status %d", u, code)
	}
	n, err := f.verify(b)
	if err != nil {
		return nil, errVerify{err}
	}
	return n, nil
}

// sync brings agent i from (session, version) to n's version as the agent
// does: the deltas when the session is the same and they chain, otherwise
// the snapshot and the deltas after it.
func (f *fleet) sync(ctx context.Context, i int, n *feed.Notification, session string, version int64, inline map[string][]byte) (string, int64, error) {
	byVersion := map[int64]feed.FileRef{}
	for _, d := range n.Deltas {
		byVersion[d.Version] = d
	}
	// As the agent's continuity rule: the deltas after the version held
	// apply only when the notification also lists a file of that version
	// (the link to what was applied), else the snapshot.
	_, linked := byVersion[version]
	chained := n.SessionID == session && (linked || n.Snapshot.Version == version)
	for v := version + 1; chained && v <= n.Version; v++ {
		_, chained = byVersion[v]
	}
	if !chained {
		b, err := f.file(ctx, i, n.Snapshot, inline)
		if err != nil {
			return session, version, err
		}
		entries, err := feed.DecodeSnapshot(b, n.SessionID, n.Snapshot.Version)
		if err != nil {
			return session, version, errVerify{err}
		}
		ops := make([]feed.Op, len(entries))
		for j, e := range entries {
			ops[j] = feed.Op{Op: "add", Entry: e}
		}
		f.apply(i, ops)
		session, version = n.SessionID, n.Snapshot.Version
	}
	for v := version + 1; v <= n.Version; v++ {
		d, ok := byVersion[v]
		if !ok {
			return session, version, errVerify{fmt.Errorf("notification of version %d (snapshot %d) has no delta for version %d", n.Version, n.Snapshot.Version, v)}
		}
		b, err := f.file(ctx, i, d, inline)
		if err != nil {
			return session, version, err
		}
		ops, err := feed.DecodeDelta(b, n.SessionID, v)
		if err != nil {
			return session, version, errVerify{err}
		}
		f.apply(i, ops)
		version = v
	}
	return session, version, nil
}

func (f *fleet) apply(i int, ops []feed.Op) {
	now := time.Now()
	for _, op := range ops {
		if op.Op != "add" {
			continue
		}
		if k := slices.Index(f.targets, op.Prefix); k >= 0 {
			f.mu.Lock()
			if f.seen[k][i].IsZero() {
				f.seen[k][i] = now
				f.got[k].Add(1)
			}
			f.mu.Unlock()
		}
	}
}

// waitFor polls cond every 50 ms until it holds, failing after limit with
// state (what it was waiting for, and where things stand); every 30 s it
// logs state, so that a long run shows its progress.
func waitFor(t *testing.T, f *fleet, limit time.Duration, cond func() bool, state func() string) {
	t.Helper()
	start := time.Now()
	deadline, report := start.Add(limit), start.Add(30*time.Second)
	for !cond() {
		if f.failures.Load() > 0 {
			t.Fatalf("%d agents failed, the first: %v", f.failures.Load(), f.firstErr.Load())
		}
		if now := time.Now(); now.After(deadline) {
			st := state()
			if f.onStall != nil {
				st += "; " + f.onStall()
			}
			t.Fatalf("not within %s: %s", limit, st)
		} else if now.After(report) {
			t.Logf("after %s: %s", now.Sub(start).Round(time.Second), state())
			report = now.Add(30 * time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fileApprovals files k applications with their documents, each for its
// own /24, and has the operator confirm them, ready for approval.
func fileApprovals(t *testing.T, base string, k int) (ids, prefixes []string) {
	call(t, base, "POST", "/api/v1/signup", "", map[string]string{"email": "scale@example.pk", "password": "correct horse battery",
		"kind": "company", "name": "Scale", "cnic": "35202-1234567-1", "mobile": "03211234567", "ntn": "7654321-0"}, 201)
	alice := login(t, base, "scale@example.pk", "correct horse battery")
	for i := 0; i < k; i++ {
		p := fmt.Sprintf("39.33.%d.0/24", i)
		id := call(t, base, "POST", "/api/v1/applications", alice, map[string]any{"category": "company_vpn", "operator_id": "ptcl",
			"subscriber_id": "PTCL-1", "addresses": []string{p}, "vpn": map[string]any{"protocol": "ipsec"},
			"purpose": "Branch offices reach the head office."}, 201)["id"].(string)
		testbin.UploadRequired(t, base, alice, id, registry.CategoryCompany)
		call(t, base, "POST", "/api/v1/applications/"+id+"/submit", alice, nil, 200)
		ids, prefixes = append(ids, id), append(prefixes, p)
	}
	op := login(t, base, "operator.ptcl@demo.test", "demo-password-1")
	for _, c := range call(t, base, "GET", "/api/v1/operator/checks", op, nil, 200)["list"].([]map[string]any) {
		call(t, base, "POST", "/api/v1/operator/checks/"+c["id"].(string), op, map[string]string{"result": "confirmed"}, 200)
	}
	return ids, prefixes
}

func runAgentsAtScale(t *testing.T, n, approvals int, viaNginx bool) {
	dataDir := t.TempDir()
	metricsToken := "scale-test-metrics-token-0123456789"
	tokenFile := filepath.Join(t.TempDir(), "metrics-token")
	if err := os.WriteFile(tokenFile, []byte(metricsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := testbin.Start(t, ipregBin, []string{"IPREG_DATA_DIR=" + dataDir}, regexp.MustCompile(`serving on (http://\S+)`),
		"serve", "--demo", "--listen", "127.0.0.1:0", "--log-level", "warn", "--metrics-token-file", tokenFile)
	base, pid := srv.Addr, srv.Cmd.Process.Pid
	if lim := procLimit(t, pid); lim < n+256 {
		t.Fatalf("ipreg serve may open %d files, too few for %d agents: raise the hard limit (ulimit -Hn %d)", lim, n, n+512)
	}
	keyText, err := exec.Command(ipregBin, "key", "show", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatal(err)
	}
	key, err := feed.ParsePublicKey(strings.TrimSpace(string(keyText)))
	if err != nil {
		t.Fatal(err)
	}
	ids, prefixes := fileApprovals(t, base, approvals)
	reviewer := login(t, base, "reviewer@demo.test", "demo-password-1")

	feedBase := base
	if viaNginx {
		feedBase = startNginx(t, base, n)
	}
	notification, err := url.Parse(feedBase + "/feed/v1/notification.jose")
	if err != nil {
		t.Fatal(err)
	}
	f := &fleet{base: feedBase, notification: notification, key: key, targets: prefixes, seen: make([][]time.Time, approvals), got: make([]atomic.Int64, approvals),
		agents: make([]agentState, n), stream: os.Getenv("IPREG_BENCH_FEED") != "wait",
		verifyOnce: os.Getenv("IPREG_BENCH_VERIFY") != "each", verified: map[string]*verified{}}
	for k := range f.seen {
		f.seen[k] = make([]time.Time, n)
	}
	f.clients = make([]*http.Client, n)
	for i := range f.clients {
		f.clients[i] = &http.Client{Transport: &http.Transport{
			Proxy: nil, DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 2, IdleConnTimeout: 2 * time.Minute, DisableCompression: true,
		}}
	}

	f.onStall = func() string { return dumpStall(t, srv) }
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		for _, c := range f.clients {
			c.CloseIdleConnections()
		}
	})
	before := scrape(t, base, metricsToken)
	start := make(chan struct{}, 64)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); f.run(ctx, i, start) }()
	}
	waitFor(t, f, 5*time.Minute, func() bool {
		return f.ready.Load() == int64(n) && scrape(t, base, metricsToken).waiting >= float64(n)
	}, func() string {
		return fmt.Sprintf("%d of %d agents started, %.0f long-polls held by the registry, %d requests retried so far",
			f.ready.Load(), n, scrape(t, base, metricsToken).waiting, f.retries.Load())
	})
	startReq, _, startTotal, startTotalBytes := scrape(t, base, metricsToken).minus(before)
	t.Logf("start-up of %d agents: the registry served %.0f requests, %.0f bytes (notification %.0f, files %.0f); its RSS %s",
		n, startTotal, startTotalBytes, startReq[routeNotif], startReq[routeFile], mib(procMemory(t, pid)))

	var lat []time.Duration
	var perReq, perBytes, fileReq float64
	var regCPU, fleetCPU time.Duration
	for k, id := range ids {
		time.Sleep(1100 * time.Millisecond) // the feed makes at most one version a second
		c0 := scrape(t, base, metricsToken)
		reg0, fleet0 := procCPU(t, pid), procCPU(t, os.Getpid())
		call(t, base, "POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "approve"}, 200)
		decided := time.Now()
		waitFor(t, f, 5*time.Minute, func() bool { return f.got[k].Load() == int64(n) }, func() string {
			return fmt.Sprintf("%d of %d agents have %s; %d agents in a long-poll, %d requests retried so far; the registry holds %.0f long-polls; the agents without it: %s",
				f.got[k].Load(), n, prefixes[k], f.polling.Load(), f.retries.Load(), scrape(t, base, metricsToken).waiting, f.stalled(k))
		})
		// CPU from the decision to the last agent's delta: the registry's
		// and this process's (the fleet: its HTTP clients, signature
		// checks and hashing, which real agents do on their own machines).
		regCPU += procCPU(t, pid) - reg0
		fleetCPU += procCPU(t, os.Getpid()) - fleet0
		// The agents go back to waiting before the next approval, so its
		// counts hold its own traffic only.
		waitFor(t, f, 5*time.Minute, func() bool { return scrape(t, base, metricsToken).waiting >= float64(n) }, func() string {
			return fmt.Sprintf("%.0f of %d long-polls held again", scrape(t, base, metricsToken).waiting, n)
		})
		req, _, total, bytes := scrape(t, base, metricsToken).minus(c0)
		perReq, perBytes, fileReq = perReq+total, perBytes+bytes, fileReq+req[routeFile]
		f.mu.Lock()
		first, last := time.Duration(1<<62), time.Duration(0)
		for _, s := range f.seen[k] {
			lat = append(lat, s.Sub(decided))
			first, last = min(first, s.Sub(decided)), max(last, s.Sub(decided))
		}
		f.mu.Unlock()
		t.Logf("approval %d: the first agent had it after %s, the last after %s", k+1, first.Round(time.Millisecond), last.Round(time.Millisecond))
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))].Round(time.Millisecond) }
	rss, peak := procMemory(t, pid)
	mode := "direct"
	if viaNginx {
		mode = "through nginx"
	}
	if f.stream {
		mode += ", streams"
	} else {
		mode += ", long-polls"
	}
	if f.verifyOnce {
		mode += fmt.Sprintf(", each notification verified once for the fleet (%d verifications)", f.verifications.Load())
	} else {
		mode += ", every agent verifying"
	}
	t.Logf("%s, %d agents, %d approvals: approval → agent p50 %s, p99 %s, max %s; registry RSS %s (peak %s); per approval the registry served %.0f requests (%.0f of files), %.0f bytes, and %.0f bytes on streams (%d files inline in all); %d requests retried; CPU per approval until the last agent had it: registry %s, the agents' fleet (this process) %s",
		mode, n, approvals, pct(0.5), pct(0.99), lat[len(lat)-1].Round(time.Millisecond), mibOf(rss), mibOf(peak),
		perReq/float64(approvals), fileReq/float64(approvals), perBytes/float64(approvals), float64(f.streamBytes.Load())/float64(approvals), f.inlineUsed.Load(), f.retries.Load(),
		(regCPU / time.Duration(approvals)).Round(10*time.Millisecond), (fleetCPU / time.Duration(approvals)).Round(10*time.Millisecond))
	// Correctness: every agent has every approval (waitFor above), and a
	// cache takes the files and the start-up notification off the registry.
	if f.stream {
		// Every approval's file came on the stream, none fetched.
		if used := f.inlineUsed.Load(); used < int64(n*approvals) || fileReq >= float64(n*approvals) {
			t.Errorf("streams: %d files inline for %d agents × %d approvals, and the registry served %.0f file requests: the stream must carry the file each approval needs",
				used, n, approvals, fileReq)
		}
		return
	}
	if viaNginx {
		// Passed through, every answer an agent got was one the registry
		// gave (it counts a request when it answers, before the agent
		// reads it); a cache would answer many agents with one.
		if total, got := scrape(t, base, metricsToken).requests[routeWait]-before.requests[routeWait], f.waitAnswers.Load(); total < float64(got) {
			t.Errorf("the registry answered %.0f long-polls, the agents got %d answers: long-polls must be passed through, not cached", total, got)
		}
		// A 204 says "nothing newer for ?timeout seconds": one answered
		// sooner came from a cache that kept an earlier long-poll's
		// answer (it would hold agents back behind a stale 204 for as
		// long as it keeps it). Asked again and again, each must wait.
		v := strconv.FormatInt(f.agents[0].version.Load(), 10)
		for k := 0; k < 3; k++ {
			began := time.Now()
			n, err := f.notify(context.Background(), 0, f.base+"/feed/v1/wait?after="+v+"&timeout=1")
			if took := time.Since(began); err != nil || n != nil || took < time.Second {
				t.Errorf("long-poll %d through nginx after version %s with timeout=1: %v, %v after %s; want a 204 from the registry after a second", k+1, v, n, err, took)
			}
		}
		if c := f.waitCached.Load(); c > 0 {
			t.Errorf("%d long-poll answers went through nginx's cache (X-Cache-Status set): long-polls must be passed through", c)
		}
		if f.cacheHits.Load() == 0 {
			t.Error("no file came from nginx's cache (X-Cache-Status: HIT)")
		}
		if fileReq >= float64(n*approvals) {
			t.Errorf("the registry served %.0f file requests for %d agents × %d approvals: the cache took none", fileReq, n, approvals)
		}
		if startReq[routeNotif] >= float64(n) {
			t.Errorf("the registry served the notification %.0f times to %d starting agents: the cache took none", startReq[routeNotif], n)
		}
	} else if fileReq < float64(n*approvals) || startReq[routeNotif] < float64(n) {
		t.Errorf("direct: the registry counted %.0f file requests (want at least %d) and %.0f start-up notifications (want at least %d)",
			fileReq, n*approvals, startReq[routeNotif], n)
	}
}

// dumpStall writes the goroutines of this process (the agents) and of the
// registry (SIGQUIT: it exits, printing them) to files in the system's
// temporary directory, kept after the test, and says where.
func dumpStall(t *testing.T, srv *testbin.Proc) string {
	dir, err := os.MkdirTemp("", "ipreg-scale-stall-")
	if err != nil {
		return err.Error()
	}
	agents, err := os.Create(filepath.Join(dir, "agents-goroutines.txt"))
	if err == nil {
		pprof.Lookup("goroutine").WriteTo(agents, 1)
		agents.Close()
	}
	srv.Cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-srv.Done:
	case <-time.After(20 * time.Second):
	}
	time.Sleep(time.Second) // the pipe's last lines
	os.WriteFile(filepath.Join(dir, "registry-goroutines.txt"), []byte(srv.Stderr()), 0o644)
	return "goroutine dumps of the agents and the registry in " + dir
}

func mib(rss, peak int64) string { return mibOf(rss) + " (peak " + mibOf(peak) + ")" }

func mibOf(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// startNginx runs Debian's nginx with deploy/nginx-feed.conf, only its
// three marked lines changed (cache directory, registry, listen address),
// inside a main configuration sized for n agents (each uses two
// connections through the proxy). It returns the proxy's base URL.
func startNginx(t *testing.T, registryBase string, n int) string {
	bin := testbin.Program(t, "nginx", "nginx")
	dir := t.TempDir()
	sample, err := os.ReadFile("../../deploy/nginx-feed.conf")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	conf := string(sample)
	for _, r := range [][2]string{
		{"/var/cache/nginx/ipreg-feed", filepath.Join(dir, "cache")},
		{"server 127.0.0.1:8080;", "server " + strings.TrimPrefix(registryBase, "http://") + ";"},
		{"listen 80;", "listen " + addr + " backlog=4096 reuseport;"},
	} {
		if strings.Count(conf, r[0]) != 1 {
			t.Fatalf("deploy/nginx-feed.conf: want %q exactly once (the line the README says to change)", r[0])
		}
		conf = strings.Replace(conf, r[0], r[1], 1)
	}
	if err := os.WriteFile(filepath.Join(dir, "feed.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// Each worker needs two descriptors per agent it proxies; nginx can
	// raise its limit only as far as the hard one (unprivileged, or in a
	// container without CAP_SYS_RESOURCE, not even that far as root).
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	files := min(uint64(4*n+1024), lim.Max)
	main := fmt.Sprintf(`user root;
worker_processes 2;
worker_rlimit_nofile %d;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections %[3]d; multi_accept on; }
http {
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    include %[2]s/feed.conf;
}
`, files, dir, min(uint64(2*n+512), files))
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-g", "daemon off;")
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		select {
		case err := <-done:
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s%s", err, out.String(), b)
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
