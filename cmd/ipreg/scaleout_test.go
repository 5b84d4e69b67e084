package main_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// scaleoutConfig is the size of TestReplicasBehindHAProxy: the short form
// by default (3 replicas, 4 clients, one kill, 3 scenarios between
// events), the long form through IPREG_SCALEOUT_KILLS (kills, one replica
// at a time; 0 for none, to measure throughput), IPREG_SCALEOUT_CLIENTS,
// IPREG_SCALEOUT_REPLICAS and IPREG_SCALEOUT_SCENARIOS.
type scaleoutConfig struct {
	replicas, clients, kills int
	// scenarios is how many whole scenarios the clients finish between
	// two events (start, each kill, each restart, the end).
	scenarios int64
}

func scaleoutFromEnv(t *testing.T) scaleoutConfig {
	c := scaleoutConfig{replicas: 3, clients: 4, kills: 1, scenarios: 3}
	scenarios := int(c.scenarios)
	for _, e := range []struct {
		name string
		dst  *int
		min  int
	}{{"IPREG_SCALEOUT_REPLICAS", &c.replicas, 1}, {"IPREG_SCALEOUT_CLIENTS", &c.clients, 1},
		{"IPREG_SCALEOUT_KILLS", &c.kills, 0}, {"IPREG_SCALEOUT_SCENARIOS", &scenarios, 1}} {
		if v := os.Getenv(e.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < e.min {
				t.Fatalf("%s=%q: want a whole number of at least %d", e.name, v, e.min)
			}
			*e.dst = n
		}
	}
	c.scenarios = int64(scenarios)
	return c
}

// TestReplicasBehindHAProxy runs three real ipreg serve replicas over one
// PostgreSQL database, sharing one data directory (keys and documents),
// behind Debian's HAProxy (round robin, health checks on /readyz). Clients
// sign up, upload, submit, and staff confirm and approve, all through
// HAProxy, while a replica is SIGKILLed and restarted. Then: every write
// that got a 2xx is there and intact, the feed is one sequence, login
// throttles hold across replicas (one after another and in parallel), and
// each background job ran once per period.
func TestReplicasBehindHAProxy(t *testing.T) {
	haproxy := "/usr/sbin/haproxy" // Debian's, outside a non-root user's PATH
	if _, err := os.Stat(haproxy); err != nil {
		haproxy = testbin.Program(t, "haproxy", "haproxy")
	}
	cfg := scaleoutFromEnv(t)
	dsn := storetest.DSN(t, "postgres")
	dataDir := t.TempDir()
	env := []string{"IPREG_DATA_DIR=" + dataDir, "IPREG_DB=" + dsn, "IPREG_TRUSTED_PROXIES=127.0.0.1"}

	// The first replica makes the keys and the demo's users; the others
	// start on what it made, as a second machine on a shared volume would.
	reps := make([]*proc, cfg.replicas)
	ports := make([]string, cfg.replicas)
	for i := range reps {
		reps[i] = start(t, env, "--demo")
		ports[i] = reps[i].base[strings.LastIndex(reps[i].base, ":")+1:]
	}
	lb := startHAProxy(t, haproxy, ports)

	key, err := feed.ParsePublicKey(ipreg(t, env, "", "key", "show"))
	if err != nil {
		t.Fatal(err)
	}
	staff := &http.Client{Transport: fromAddress("127.0.0.2")}
	rev := login(t, staff, lb, "reviewer@demo.test", "demo-password-1")
	ops := map[string]string{}
	for _, op := range []string{"nayatel", "ptcl"} {
		ops[op] = login(t, staff, lb, "operator."+op+"@demo.test", "demo-password-1")
	}

	ctx, stop := context.WithCancel(context.Background())
	l := &scaleLoad{t: t, lb: lb, rev: rev, ops: ops, key: key}
	var wg sync.WaitGroup
	for c := 0; c < cfg.clients; c++ {
		wg.Add(1)
		go func() { defer wg.Done(); l.client(ctx, c) }()
	}
	watched := make(chan map[string]string, 1)
	go func() { watched <- l.watchFeed(ctx) }()

	waitScenarios := func(n int64) {
		t.Helper()
		target := l.done.Load() + n
		for l.done.Load() < target {
			if l.fatal.Load() != nil {
				t.Fatalf("load: %v", l.fatal.Load())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	began := time.Now()
	waitScenarios(cfg.scenarios)
	var restarts []time.Duration
	for k := 0; k < cfg.kills; k++ {
		i := k % cfg.replicas
		t.Logf("kill %d: SIGKILL replica %d after %d scenarios", k+1, i, l.done.Load())
		reps[i].Cmd.Process.Signal(syscall.SIGKILL)
		<-reps[i].Done
		waitScenarios(cfg.scenarios)
		restarted := time.Now()
		// Restarted under the clients' load, on a shared 2-core machine:
		// a longer bound than a quiet start's.
		reps[i] = &proc{t: t, Proc: testbin.StartWithin(t, 3*time.Minute, binary, append([]string{"IPREG_MAIL=log"}, env...),
			regexp.MustCompile(`serving on (http://\S+)`),
			"serve", "--listen", "127.0.0.1:"+ports[i], "--jobs-interval", "1s", "--demo")}
		reps[i].base = reps[i].Addr
		restarts = append(restarts, time.Since(restarted))
		// HAProxy sends the replica requests again once its health check
		// passes: the load goes on until it has served one (up to a
		// minute), so that the check below is of the balancer's return to
		// it, not of whether the short form's load outlasted a check.
		for deadline := time.Now().Add(time.Minute); servedRequests(t, reps[i]) == 0 && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
		}
		waitScenarios(cfg.scenarios)
	}
	stop()
	wg.Wait()
	took := time.Since(began)
	t.Logf("through HAProxy to %d replicas with %d clients: %d scenarios and %d acknowledged requests in %s: %.2f scenarios/s, %.1f requests/s",
		cfg.replicas, cfg.clients, l.done.Load(), l.acked.Load(), took.Round(time.Millisecond),
		float64(l.done.Load())/took.Seconds(), float64(l.acked.Load())/took.Seconds())
	seen := <-watched
	t.Logf("%d scenarios finished, %d requests acknowledged, %d refused or cut off (kills: %d, restarts to listening: %v)",
		l.done.Load(), l.acked.Load(), l.failed.Load(), cfg.kills, restarts)
	t.Logf("failed steps: %v", l.why)

	// Round robin reached every replica, the restarted ones included.
	for i, r := range reps {
		if n := servedRequests(t, r); n == 0 {
			t.Errorf("replica %d served no request but health checks:\n%s", i, r.Stderr())
		}
	}
	l.verifyWrites(t)
	verifyFeed(t, dsn, reps[len(reps)-1].base, key, seen, l.approvedAddresses())
	verifyThrottles(t, lb, reps)
	verifyJobsOnce(t, dsn)
	if out := ipreg(t, env, "", "audit", "verify"); !strings.Contains(out, "chain intact") {
		t.Errorf("audit verify after the run: %s", out)
	}
}

// startHAProxy runs haproxy in the foreground with a generated
// configuration: one frontend on a free loopback port, round robin over
// the replicas, each checked on /readyz every 250 ms (three failures take
// it out, two successes put it back; a slow answer, up to 10 s, on a
// loaded machine is no failure: a killed replica refuses at once), the client's address passed on in
// X-Forwarded-For. It returns the frontend's base URL.
func startHAProxy(t *testing.T, bin string, ports []string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := ln.Addr().String()
	ln.Close()
	var servers strings.Builder
	for i, p := range ports {
		fmt.Fprintf(&servers, "    server r%d 127.0.0.1:%s check\n", i, p)
	}
	conf := fmt.Sprintf(`global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    option forwardfor
    option redispatch
    retries 3
frontend registry
    bind %s
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    timeout check 10s
    default-server inter 250ms fall 3 rise 2
%s`, front, servers.String())
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s\n%s", err, out, conf)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	var logs testbin.LogBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := "http://" + front
	for i := 0; ; i++ {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return base
			}
		}
		if i == 300 {
			t.Fatalf("haproxy did not answer on %s: %v\n%s", front, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fromAddress is a transport whose connections leave from a loopback
// address of their own, so that each simulated client is a distinct client
// to the throttles (HAProxy passes it on in X-Forwarded-For).
func fromAddress(addr string) *http.Transport {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}, Timeout: 5 * time.Second}
	return &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4}
}

// spoofing claims a different client address in each request's own
// X-Forwarded-For, before the load balancer appends the real one.
type spoofing struct{ http.RoundTripper }

var spoofed atomic.Int32

func (s spoofing) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", spoofed.Add(1)%250+1))
	return s.RoundTripper.RoundTrip(r)
}

func login(t *testing.T, c *http.Client, base, email, password string) string {
	t.Helper()
	st, b, err := do(c, base, "POST", "/api/v1/login", "", map[string]string{"email": email, "password": password})
	if err != nil || st != 200 {
		t.Fatalf("login %s: %d %v %s", email, st, err, b)
	}
	return testbin.Object(b)["token"].(string)
}

// do sends one request: a JSON body when body is not nil, or the
// multipart body when body is a multipartBody.
func do(c *http.Client, base, method, path, token string, body any) (int, []byte, error) {
	var r io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case multipartBody:
		r, ct = strings.NewReader(string(b.body)), b.contentType
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		r, ct = strings.NewReader(string(j)), "application/json"
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, out, err
}

// read is do for the checks after the load: a 502, 503 or 504, or a cut
// connection, is the load balancer between health checks or a busy
// password hash, not an answer about the data, so the read is tried again
// (up to 40 times, a quarter of a second apart).
func read(c *http.Client, base, method, path, token string, body any) (int, []byte, error) {
	for i := 0; ; i++ {
		st, b, err := do(c, base, method, path, token, body)
		if i == 40 || (err == nil && st != 502 && st != 503 && st != 504) {
			return st, b, err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

type multipartBody struct {
	contentType string
	body        []byte
}

// scaleLoad is the clients' shared record of what the registry
// acknowledged (a 2xx): only these are checked afterwards, and each must
// be there, intact.
type scaleLoad struct {
	t        *testing.T
	lb, rev  string
	ops      map[string]string
	key      ed25519.PublicKey
	next     atomic.Int64 // the next /24 to apply for
	done     atomic.Int64 // whole scenarios finished
	acked    atomic.Int64
	failed   atomic.Int64
	fatal    atomic.Value
	mu       sync.Mutex
	accounts []ackedAccount
	why      map[string]int // failed steps by status, or the connection's error
	apps     []*ackedApp
}

type ackedAccount struct{ email, password string }

type ackedApp struct {
	id, token, operator, prefix string
	docs                        map[string]string // id → SHA-256 of what was uploaded
	submitted, approved         bool
	number, code                string
	// approvedNow: the registry holds it approved (verifyWrites). A
	// decision whose answer a kill cut off may have committed: then it is
	// approved though never acknowledged, and its prefix is in the feed.
	approvedNow bool
}

// client runs scenarios until ctx ends: a company signs up, logs in,
// drafts an application for a /24 of its own, uploads its three
// documents, submits; the operator confirms and a reviewer approves. A
// step that fails (a replica killed under it: 502, 503, a cut connection)
// ends the scenario; what was acknowledged before it stays recorded.
func (l *scaleLoad) client(ctx context.Context, c int) {
	for j := 0; ctx.Err() == nil; j++ {
		// A source address per scenario: sign-ups are throttled per client
		// (50 in 15 minutes), and a long run makes more than that.
		hc := &http.Client{Transport: fromAddress(fmt.Sprintf("127.1.%d.%d", c%250, 1+j%250)), Timeout: 30 * time.Second}
		if l.scenario(ctx, hc, c, j) {
			l.done.Add(1)
		} else {
			l.failed.Add(1)
			time.Sleep(100 * time.Millisecond) // a replica is down: give HAProxy's checks time to notice
		}
		hc.CloseIdleConnections()
	}
}

func (l *scaleLoad) step(hc *http.Client, want int, method, path, token string, body any) (map[string]any, []byte, bool) {
	st, b, err := do(hc, l.lb, method, path, token, body)
	if err != nil || st != want {
		// 5xx and cut connections are what a kill does; anything else
		// (a 4xx) is a bug in the registry or in this test.
		if err == nil && st < 500 {
			l.fatal.CompareAndSwap(nil, fmt.Errorf("%s %s = %d, want %d: %s", method, path, st, want, b))
		}
		why := strconv.Itoa(st)
		if err != nil {
			why = "connection: " + err.Error()
		}
		l.mu.Lock()
		if l.why == nil {
			l.why = map[string]int{}
		}
		l.why[why]++
		l.mu.Unlock()
		return nil, nil, false
	}
	l.acked.Add(1)
	return testbin.Object(b), b, true
}

func (l *scaleLoad) scenario(ctx context.Context, hc *http.Client, c, j int) bool {
	n := l.next.Add(1) - 1
	if n >= 512 {
		l.fatal.CompareAndSwap(nil, fmt.Errorf("more than 512 applications: give the load more address space"))
		<-ctx.Done()
		return false
	}
	operator, prefix := "nayatel", fmt.Sprintf("27.255.%d.0/24", n/2)
	if n%2 == 1 {
		operator, prefix = "ptcl", fmt.Sprintf("14.1.%d.0/24", n/2)
	}
	tag := randomHex(4)
	acc := ackedAccount{email: "scale-" + tag + "@example.pk", password: "correct horse " + tag}
	digits := fmt.Sprintf("%07d", n*7919%10000000)
	if _, _, ok := l.step(hc, 201, "POST", "/api/v1/signup", "", map[string]string{"email": acc.email, "password": acc.password,
		"kind": "company", "name": "Scale " + tag + " (Pvt) Ltd", "cnic": "42101-" + digits + "-1", "mobile": "0321-" + digits,
		"ntn": digits + "-" + strconv.Itoa(int(n%10))}); !ok {
		return false
	}
	l.mu.Lock()
	l.accounts = append(l.accounts, acc)
	l.mu.Unlock()
	tok, _, ok := l.step(hc, 200, "POST", "/api/v1/login", "", map[string]string{"email": acc.email, "password": acc.password})
	if !ok {
		return false
	}
	token := tok["token"].(string)
	draft, _, ok := l.step(hc, 201, "POST", "/api/v1/applications", token, map[string]any{"category": "company_vpn",
		"operator_id": operator, "subscriber_id": "SUB-" + tag, "addresses": []string{prefix},
		"vpn": map[string]any{"protocol": "wireguard"}, "purpose": "Staff reach head-office systems from home."})
	if !ok {
		return false
	}
	app := &ackedApp{id: draft["id"].(string), token: token, operator: operator, prefix: prefix, docs: map[string]string{}}
	l.mu.Lock()
	l.apps = append(l.apps, app)
	l.mu.Unlock()
	for _, r := range registry.RequiredDocuments(registry.CategoryCompany) {
		k := string(r.Kinds[0])
		content := testbin.PDF(k + " " + tag)
		ct, body := testbin.Multipart(k, k+".pdf", content)
		d, _, ok := l.step(hc, 201, "POST", "/api/v1/applications/"+app.id+"/documents", token, multipartBody{ct, body})
		if !ok {
			return false
		}
		sum := sha256.Sum256(content)
		l.mu.Lock()
		app.docs[d["id"].(string)] = hex.EncodeToString(sum[:])
		l.mu.Unlock()
	}
	if _, _, ok := l.step(hc, 200, "POST", "/api/v1/applications/"+app.id+"/submit", token, nil); !ok {
		return false
	}
	l.mu.Lock()
	app.submitted = true
	l.mu.Unlock()
	_, b, ok := l.step(hc, 200, "GET", "/api/v1/operator/checks?application_id="+app.id, l.ops[operator], nil)
	if !ok {
		return false
	}
	checks := testbin.List(b)
	if len(checks) != 1 {
		l.fatal.CompareAndSwap(nil, fmt.Errorf("checks of %s: %s", app.id, b))
		return false
	}
	if _, _, ok := l.step(hc, 200, "POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), l.ops[operator], map[string]string{"result": "confirmed"}); !ok {
		return false
	}
	dec, _, ok := l.step(hc, 200, "POST", "/api/v1/applications/"+app.id+"/decision", l.rev, map[string]any{"decision": "approve"})
	if !ok {
		return false
	}
	reg := dec["registration"].(map[string]any)
	l.mu.Lock()
	app.approved, app.number, app.code = true, reg["number"].(string), reg["verification_code"].(string)
	l.mu.Unlock()
	return true
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// watchFeed long-polls the global feed through HAProxy until ctx ends, as
// an agent does, and returns every notification it saw: "session/version"
// → the signed notification's snapshot and deltas. Two different
// notifications under one session and version would be a fork; a version
// lower than one already seen, in the same session, a step back.
func (l *scaleLoad) watchFeed(ctx context.Context) map[string]string {
	seen := map[string]string{}
	hc := &http.Client{Transport: fromAddress("127.0.0.3")}
	var after int64
	session := ""
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/feed/v1/wait?after=%d&timeout=2", l.lb, after), nil)
		res, err := hc.Do(req)
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			continue // 204 (nothing newer), or a replica killed under the poll
		}
		n, _, err := feed.Verify(string(b), l.key)
		if err != nil {
			l.fatal.CompareAndSwap(nil, fmt.Errorf("feed notification through HAProxy: %v", err))
			continue
		}
		if n.SessionID == session && n.Version < after {
			l.fatal.CompareAndSwap(nil, fmt.Errorf("feed went back from version %d to %d", after, n.Version))
		}
		k := fmt.Sprintf("%s/%d", n.SessionID, n.Version)
		v := fmt.Sprint(n.Snapshot, n.Deltas)
		if old, ok := seen[k]; ok && old != v {
			l.fatal.CompareAndSwap(nil, fmt.Errorf("feed forked at %s: %s and %s", k, old, v))
		}
		seen[k] = v
		session, after = n.SessionID, n.Version
	}
	return seen
}

// approvedAddresses are the prefixes of the applications the registry
// holds approved (read by verifyWrites, which checks that every
// acknowledged approval is among them): the feed must list exactly these,
// those of decisions committed just before a kill cut off their answer
// included.
func (l *scaleLoad) approvedAddresses() map[string]bool {
	out := map[string]bool{}
	for _, a := range l.apps {
		if a.approvedNow {
			out[a.prefix] = true
		}
	}
	return out
}

// verifyWrites reads back, through HAProxy, everything acknowledged: each
// account logs in, each application is in the state its last acknowledged
// step left it (or later), each document reads back with the SHA-256 of
// what was uploaded, and each registration verifies as active, its number
// given once.
func (l *scaleLoad) verifyWrites(t *testing.T) {
	if f := l.fatal.Load(); f != nil {
		t.Fatalf("load: %v", f)
	}
	hc := &http.Client{Transport: fromAddress("127.0.0.4")}
	for i, a := range l.accounts {
		// One source address per login: 50 logins per client over all
		// accounts is a limit of its own.
		hc := &http.Client{Transport: fromAddress(fmt.Sprintf("127.2.%d.%d", i/250, 1+i%250))}
		if st, b, err := read(hc, l.lb, "POST", "/api/v1/login", "", map[string]string{"email": a.email, "password": a.password}); err != nil || st != 200 {
			t.Errorf("acknowledged sign-up %s cannot log in: %d %v %s", a.email, st, err, b)
		}
	}
	numbers := map[string]string{}
	approved := 0
	for _, a := range l.apps {
		st, b, err := read(hc, l.lb, "GET", "/api/v1/applications/"+a.id, a.token, nil)
		if err != nil || st != 200 {
			t.Errorf("acknowledged application %s: %d %v %s", a.id, st, err, b)
			continue
		}
		state := testbin.Object(b)["state"]
		a.approvedNow = state == "approved"
		switch {
		case a.approved && state != "approved":
			t.Errorf("application %s was approved (acknowledged) but is %v", a.id, state)
		case a.submitted && state == "draft":
			t.Errorf("application %s was submitted (acknowledged) but is a draft", a.id)
		}
		for id, sum := range a.docs {
			st, b, err := read(hc, l.lb, "GET", "/api/v1/applications/"+a.id+"/documents/"+id, a.token, nil)
			got := sha256.Sum256(b)
			if err != nil || st != 200 || hex.EncodeToString(got[:]) != sum {
				t.Errorf("acknowledged document %s of %s: %d %v, SHA-256 %x, want %s", id, a.id, st, err, got, sum)
			}
		}
		if !a.approved {
			continue
		}
		approved++
		if other, dup := numbers[a.number]; dup {
			t.Errorf("registration number %s given to %s and %s", a.number, other, a.id)
		}
		numbers[a.number] = a.id
		st, b, err = read(hc, l.lb, "GET", "/api/v1/verify/"+a.number+"?code="+a.code, "", nil)
		if err != nil || st != 200 || testbin.Object(b)["status"] != "active" {
			t.Errorf("registration %s: %d %v %s", a.number, st, err, b)
		}
	}
	if approved == 0 {
		t.Fatal("no application was approved through HAProxy: the load did nothing")
	}
	t.Logf("verified %d accounts, %d applications (%d approved) and their documents", len(l.accounts), len(l.apps), approved)
}

// verifyFeed checks that the replicas published one sequence: the global
// feed's delta files have distinct, consecutive versions up to the head
// the database records, every notification the watcher saw belongs to it,
// and the newest notification (read from a replica, direct) lists exactly
// the approved prefixes. A replica publishes what other replicas approved
// when its publisher next looks (--feed-poll, 1 s), so the notification
// is read again until it lists them all, for up to 15 s: the property is
// that the feed comes to hold exactly the approvals, not how soon.
func verifyFeed(t *testing.T, dsn, direct string, key ed25519.PublicKey, seen map[string]string, approved map[string]bool) {
	p := &proc{t: t, base: direct}
	var got []string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got = p.entries(p.notification(key))
		if sameSet(got, approved) || time.Now().After(deadline) {
			break
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var session string
	var head int64
	if err := db.QueryRow(`SELECT session_id, version FROM feed_scopes WHERE scope = ''`).Scan(&session, &head); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT version FROM feed_files WHERE scope = '' AND kind = 'delta' ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	var versions []int64
	for rows.Next() {
		var v int64
		rows.Scan(&v)
		versions = append(versions, v)
	}
	rows.Close()
	if len(versions) == 0 {
		t.Fatal("no delta published")
	}
	for i := 1; i < len(versions); i++ {
		if versions[i] != versions[i-1]+1 {
			t.Errorf("global feed's delta versions jump or repeat: %d then %d", versions[i-1], versions[i])
		}
	}
	if versions[len(versions)-1] != head {
		t.Errorf("newest delta is version %d, the head %d", versions[len(versions)-1], head)
	}
	for k := range seen {
		s, v, _ := strings.Cut(k, "/")
		n, _ := strconv.ParseInt(v, 10, 64)
		if s != session || n > head {
			t.Errorf("a notification outside the one sequence (session %s, head %d): %s", session, head, k)
		}
	}
	listed := map[string]bool{}
	for _, e := range got {
		if listed[e] {
			t.Errorf("feed lists %s twice", e)
		}
		listed[e] = true
	}
	var missing []string
	for p := range approved {
		if !listed[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		t.Errorf("feed lists %d prefixes, %d applications are approved; not listed: %v", len(got), len(approved), missing)
	}
	for _, e := range got {
		if !approved[e] {
			t.Errorf("feed lists %s, which no approved application holds", e)
		}
	}
	t.Logf("feed: session %s, %d versions in one sequence, %d notifications seen through HAProxy", session, len(versions), len(seen))
}

// sameSet reports whether list holds each key of set once and nothing else.
func sameSet(list []string, set map[string]bool) bool {
	seen := map[string]bool{}
	for _, e := range list {
		if !set[e] || seen[e] {
			return false
		}
		seen[e] = true
	}
	return len(seen) == len(set)
}

// verifyThrottles checks that the login throttle counts across replicas:
// round robin sends a client's guesses to every replica in turn, and still
// five wrong passwords stop it on the account (the sixth attempt, even
// with the right password, is refused); then twenty guesses at once from
// another client check no more than five passwords.
//
// The guesser also claims another address in each request's own
// X-Forwarded-For, as a client dodging the per-address throttles would:
// HAProxy appends the real one and the replicas must believe only that
// (every replica's log names 127.3.0.2, none the claimed addresses).
func verifyThrottles(t *testing.T, lb string, reps []*proc) {
	hc := &http.Client{Transport: fromAddress("127.3.0.1")}
	signup := func(email string) {
		st, b, err := do(hc, lb, "POST", "/api/v1/signup", "", map[string]string{"email": email, "password": "correct horse battery",
			"kind": "individual", "name": "Throttle Test", "cnic": "35202-" + fmt.Sprintf("%07d", len(email)) + "-1", "mobile": "03001234567"})
		if err != nil || st != 201 {
			t.Fatalf("sign-up %s: %d %v %s", email, st, err, b)
		}
	}
	try := func(hc *http.Client, email, password string) int {
		st, _, err := do(hc, lb, "POST", "/api/v1/login", "", map[string]string{"email": email, "password": password})
		if err != nil {
			t.Errorf("login: %v", err)
		}
		return st
	}
	signup("one-by-one@example.pk")
	guesser := &http.Client{Transport: spoofing{fromAddress("127.3.0.2")}}
	for i := 1; i <= 5; i++ {
		if st := try(guesser, "one-by-one@example.pk", "wrong password "+strconv.Itoa(i)); st != 401 {
			t.Errorf("wrong password %d = %d, want 401", i, st)
		}
	}
	if st := try(guesser, "one-by-one@example.pk", "correct horse battery"); st != 429 {
		t.Errorf("after five wrong passwords spread over the replicas, the sixth attempt = %d, want 429", st)
	}

	var named bool
	for _, r := range reps {
		log := r.Stderr()
		if strings.Contains(log, "203.0.113.") {
			t.Errorf("a replica believed a client's own X-Forwarded-For entry:\n%s", log)
		}
		named = named || strings.Contains(log, "client=127.3.0.2")
	}
	if !named {
		t.Errorf("no replica's log names the guesser's real address 127.3.0.2")
	}

	signup("at-once@example.pk")
	parallel := &http.Client{Transport: fromAddress("127.3.0.3")}
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := try(parallel, "at-once@example.pk", "wrong password "+strconv.Itoa(i))
			mu.Lock()
			counts[st]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	// 503 is the hashing gate's "busy" (it counts against the client,
	// never the account); every other answer is a checked password (401)
	// or the throttle (429).
	if counts[401] > 5 || counts[401]+counts[429]+counts[503] != 20 {
		t.Errorf("twenty wrong passwords at once over the replicas: %v, want at most five 401 and the rest 429", counts)
	}
	if counts[401] == 5 {
		if st := try(parallel, "at-once@example.pk", "correct horse battery"); st != 429 {
			t.Errorf("after twenty wrong passwords at once, the right one = %d, want 429", st)
		}
	}
	t.Logf("throttle: 5 × 401 then 429 one by one; at once: %v", counts)
}

// verifyJobsOnce checks, in job_runs, that no two recorded runs of a job
// served the same due time and that no two overlapped: each scheduled run
// happened once across the replicas, kills included.
func verifyJobsOnce(t *testing.T, dsn string) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name, due_at, started_at, finished_at, runner FROM job_runs ORDER BY name, started_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type run struct{ due, start, end, runner string }
	byJob := map[string][]run{}
	runners := map[string]bool{}
	for rows.Next() {
		var name string
		var r run
		if err := rows.Scan(&name, &r.due, &r.start, &r.end, &r.runner); err != nil {
			t.Fatal(err)
		}
		byJob[name] = append(byJob[name], r)
		runners[r.runner] = true
	}
	if len(byJob) == 0 {
		t.Fatal("no job run recorded")
	}
	total := 0
	for name, runs := range byJob {
		due := map[string]bool{}
		for i, r := range runs {
			if due[r.due] {
				t.Errorf("job %s ran twice for the run due at %s", name, r.due)
			}
			due[r.due] = true
			if i > 0 && r.start < runs[i-1].end {
				t.Errorf("job %s: a run by %s started at %s before the run by %s ended at %s", name, r.runner, r.start, runs[i-1].runner, runs[i-1].end)
			}
		}
		total += len(runs)
	}
	t.Logf("jobs: %d runs of %d jobs by %d runners, each due time once, none overlapping", total, len(byJob), len(runners))
}

var metricsURL = regexp.MustCompile(`metrics on (http://\S+)`)

// servedRequests sums the replica's ipreg_http_requests_total over every
// route but the health checks (the demo serves metrics on a loopback
// port of its own, printed at start).
func servedRequests(t *testing.T, p *proc) int {
	t.Helper()
	m := metricsURL.FindStringSubmatch(p.Stderr())
	if m == nil {
		t.Fatalf("no metrics address in the replica's log:\n%s", p.Stderr())
	}
	res, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	total := 0
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "ipreg_http_requests_total{") || strings.Contains(line, "/readyz") || strings.Contains(line, "/healthz") {
			continue
		}
		f := strings.Fields(line)
		n, _ := strconv.ParseFloat(f[len(f)-1], 64)
		total += int(n)
	}
	return total
}
