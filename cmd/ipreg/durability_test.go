package main_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	be "encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestDurabilityUnderSIGKILL runs the real ipreg serve under a writing load
// (sign-ups, drafts, PNG and PDF uploads, submissions, operator
// confirmations, reviewer approvals and rejections), kills it with SIGKILL
// at a random moment, restarts it and checks, after every kill:
//
//   - every write that got a 2xx is there and intact: accounts (their tokens
//     still work), applications (addresses, state), documents (readable, the
//     SHA-256 of the bytes sent), decisions and registrations (number, code,
//     addresses, verifiable);
//   - nothing half-written: every document record's file opens and matches
//     its recorded SHA-256, every registration belongs to an approved
//     application and every approved application has its registration;
//   - the audit chain verifies (ipreg audit verify, with the server dead);
//   - no registration number was acknowledged twice;
//   - the feed's newest state (snapshot and deltas) is exactly the items of
//     the active registrations;
//   - after the sweep at start the documents directory holds exactly the
//     recorded documents and no temporary file.
//
// The sweep removes only files older than registry.SweepGrace (an hour),
// and must keep that grace in production; the test lets the hour pass
// while the server is dead by ageing every file in the documents
// directory (os.Chtimes, as TestServeSweepsDocuments does), so the real
// sweep at start is what removes what the kill left.
//
// Short form (plain go test): IPREG_DURABILITY_KILLS=3 kills per database
// with 4 clients. Long form: IPREG_DURABILITY_KILLS=25
// IPREG_DURABILITY_CLIENTS=8. Restart times and counts are logged with -v
// ("durability:" lines) for BENCHMARKS.md; nothing asserts a time.
func TestDurabilityUnderSIGKILL(t *testing.T) {
	kills := envInt(t, "IPREG_DURABILITY_KILLS", 3)
	clients := envInt(t, "IPREG_DURABILITY_CLIENTS", 4)
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			runDurability(t, kind, kills, clients)
		})
	}
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: must be a whole number of at least 1", name, v)
	}
	return n
}

// ackApp is what the registry acknowledged (a 2xx) about one application,
// and what an unacknowledged request may have done to it as well.
type ackApp struct {
	id, token string
	addrs     []string
	// states the application may be in: the last acknowledged one and,
	// when a later request got no answer, the one it would have led to.
	states []string
	docs   map[string]string // document id → hex SHA-256 of the bytes sent
	number string            // registration number acknowledged
	code   string            // its verification code
	// mayBeDecided: a decision was sent without an answer, so a
	// registration may exist that the ledger does not know.
	mayBeDecided bool
}

// ledger records every acknowledged write of a run.
type ledger struct {
	mu      sync.Mutex
	apps    []*ackApp
	acks    int
	numbers map[string]string // registration number → application id
}

// docs counts the acknowledged documents.
func (l *ledger) docs() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.apps {
		n += len(a.docs)
	}
	return n
}

func (l *ledger) ack(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acks++
	if f != nil {
		f()
	}
}

// durClient is one applicant of the load, with the address its requests
// come from (127.0.0.x: the registry throttles sign-ups per client
// address, and a real load has many).
type durClient struct {
	n               int
	http            *http.Client
	email, password string
	cnic            string
	signedUp        bool
	token           string
}

// errGone is a request that got no answer: the server was killed.
type errGone struct{ err error }

func (e errGone) Error() string { return "no answer: " + e.err.Error() }

type durRun struct {
	t        *testing.T
	led      *ledger
	base     string
	opToken  string
	revToken string
	addrs    *atomic.Uint32
	pngs     [][]byte
	pdfs     [][]byte
}

func runDurability(t *testing.T, kind string, kills, clients int) {
	dataDir := t.TempDir()
	env := []string{"IPREG_DATA_DIR=" + dataDir}
	dsn := filepath.Join(dataDir, "ipreg.db")
	if kind == "postgres" {
		dsn = storetest.DSN(t, kind)
		env = append(env, "IPREG_DB="+dsn)
	}
	r := &durRun{t: t, led: &ledger{numbers: map[string]string{}}, addrs: new(atomic.Uint32)}
	for i := range 4 {
		r.pngs = append(r.pngs, scanPNG(uint64(i)))
		r.pdfs = append(r.pdfs, testbin.PDF(fmt.Sprintf("Letter of authentication %d from the employer", i)))
	}
	tag := strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
	cs := make([]*durClient, clients)
	// Loopback addresses other than 127.0.0.1 answer on Linux; where they
	// do not (macOS), every client comes from 127.0.0.1, which the
	// sign-up throttle allows for the short form.
	spread := true
	if ln, err := net.Listen("tcp", "127.0.0.10:0"); err != nil {
		spread = false
	} else {
		ln.Close()
	}
	for i := range cs {
		dialer := &net.Dialer{}
		if spread {
			dialer.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(10+i))}
		}
		cs[i] = &durClient{n: i, email: fmt.Sprintf("load%d-%s@example.pk", i, tag), password: "correct horse battery",
			cnic: fmt.Sprintf("35202%07d%d", (i*100003+len(tag))%10000000, i%10),
			http: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
				DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4}}}
	}

	var restarts []time.Duration
	var orphans, temps int
	p := startTimed(t, env, nil)
	for cycle := 0; ; cycle++ {
		r.base = p.base
		r.opToken = p.login("operator.nayatel@demo.test", "demo-password-1")
		r.revToken = p.login("reviewer@demo.test", "demo-password-1")
		r.check(p, dataDir, dsn)
		if cycle == kills {
			break
		}
		// The load, killed at a random moment.
		var wg sync.WaitGroup
		for _, c := range cs {
			wg.Go(func() { r.load(c) })
		}
		// A random moment once the load is under way: after a random
		// number of acknowledged writes (sign-ups hash a password and
		// take a second or more on a busy machine, so a fixed delay would
		// often kill before any upload), then up to 200 ms more.
		r.led.mu.Lock()
		target := r.led.acks + 1 + rand.N(8*clients)
		r.led.mu.Unlock()
		// And not before the registry holds more documents than a kill
		// can leave unrecorded (one per uploading client) plus the planted
		// one: the start's sweep refuses, by design, when the files no
		// record names outnumber those recorded (a wrong database beside
		// the documents), and the check below would see that refusal's
		// leftovers (CI, once: a first kill before any upload).
		minDocs := 2*clients + 2
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			r.led.mu.Lock()
			n := r.led.acks
			r.led.mu.Unlock()
			if n >= target && r.led.docs() >= minDocs || t.Failed() {
				break
			}
		}
		time.Sleep(rand.N(200 * time.Millisecond))
		p.Cmd.Process.Signal(syscall.SIGKILL)
		<-p.Done
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		if out := ipreg(t, env, "", "audit", "verify"); !strings.Contains(out, "chain intact") {
			t.Fatalf("audit verify after kill %d: %s", cycle+1, out)
		}
		plantLeftovers(t, dataDir, cycle)
		o, tm := ageDocuments(t, dataDir, dsn)
		orphans += o
		temps += tm
		p = startTimed(t, env, &restarts)
		t.Logf("kill %d: %d acknowledged writes so far; %d unrecorded sealed files and %d temporary files left; restart %s",
			cycle+1, r.led.acks, o, tm, restarts[len(restarts)-1].Round(time.Millisecond))
	}
	p.Cmd.Process.Signal(syscall.SIGTERM)
	<-p.Done

	slices.Sort(restarts)
	t.Logf("durability: %s: %d kills, %d clients, %d acknowledged writes checked (%d applications, %d registrations), "+
		"restart p50 %s max %s, swept %d unrecorded sealed files and %d temporary files",
		kind, kills, clients, r.led.acks, len(r.led.apps), len(r.led.numbers),
		restarts[len(restarts)/2].Round(time.Millisecond), restarts[len(restarts)-1].Round(time.Millisecond), orphans, temps)
}

// startTimed starts ipreg serve (the demo's operators and staff) and, when
// restarts is not nil, adds the time from exec to serving to it.
func startTimed(t *testing.T, env []string, restarts *[]time.Duration) *proc {
	began := time.Now()
	p := start(t, env, "--demo")
	if restarts != nil {
		*restarts = append(*restarts, time.Since(began))
	}
	return p
}

// plantLeftovers leaves, besides whatever the kill left, one sealed file
// no record names and one temporary file, as a kill between sealing and
// recording or inside the atomic write would: a kill does not always land
// there, and the check that the start sweeps exactly the leftovers must
// not depend on luck.
func plantLeftovers(t *testing.T, dataDir string, cycle int) {
	t.Helper()
	id := fmt.Sprintf("doc_planted%d", cycle)
	rel, err := docstore.RelPath(id)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(dataDir, "documents", filepath.FromSlash(path.Dir(rel)))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{id, ".doc_planted-" + strconv.Itoa(cycle)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("left by a kill"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// ageDocuments lets the sweep's grace pass for every file in the
// documents directory (the server is dead), and returns how many of them
// no record names and how many are temporary: what the start must sweep.
func ageDocuments(t *testing.T, dataDir, dsn string) (orphans, temps int) {
	t.Helper()
	ctx := context.Background()
	docs, err := docstore.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	files, tmp, err := docs.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for id := range recordedDocuments(t, dsn) {
		delete(files, id)
	}
	old := time.Now().Add(-2 * registry.SweepGrace)
	err = filepath.WalkDir(filepath.Join(dataDir, "documents"), func(path string, d os.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == filepath.Join(dataDir, "documents") {
			return nil // no upload yet
		}
		if err != nil || d.IsDir() {
			return err
		}
		return os.Chtimes(path, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(files), len(tmp)
}

// recordedDocuments reads every document record's id and SHA-256 from the
// database itself.
func recordedDocuments(t *testing.T, dsn string) map[string]string {
	t.Helper()
	db := openStore(t, dsn)
	defer db.Close()
	out := map[string]string{}
	rows, err := db.SQL().Query(`SELECT id, sha256 FROM documents`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, sum string
		if err := rows.Scan(&id, &sum); err != nil {
			t.Fatal(err)
		}
		out[id] = sum
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func openStore(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// scanPNG is a real PNG of a phone scan's size (about 230 KB: noise does
// not compress), different for each seed.
func scanPNG(seed uint64) []byte {
	rnd := rand.New(rand.NewPCG(seed, 14))
	img := image.NewNRGBA(image.Rect(0, 0, 320, 240))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = byte(rnd.Uint32()), byte(rnd.Uint32()), byte(rnd.Uint32()), 255
	}
	img.Set(0, 0, color.NRGBA{byte(seed), 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// do sends one request from the client; a transport error is errGone (the
// server died), a status other than want fails the test: the load expects
// no error while the server lives.
//
// A 503 (the password-hashing gate is full: eight clients signing up at
// once on two cores) wrote nothing and says to try again in a second, which
// the client does, as a person would.
func (r *durRun) do(c *http.Client, method, path, token, contentType string, body []byte, want ...int) (int, []byte, error) {
	var res *http.Response
	var b []byte
	for try := 0; ; try++ {
		req, err := http.NewRequest(method, r.base+path, bytes.NewReader(body))
		if err != nil {
			r.t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err = c.Do(req)
		if err != nil {
			return 0, nil, errGone{err}
		}
		b, err = io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return 0, nil, errGone{err}
		}
		if res.StatusCode != http.StatusServiceUnavailable || try == 60 {
			break
		}
		time.Sleep(time.Second)
	}
	if !slices.Contains(want, res.StatusCode) {
		r.t.Errorf("%s %s = %d, want %v: %s", method, path, res.StatusCode, want, b)
		return res.StatusCode, b, fmt.Errorf("status %d", res.StatusCode)
	}
	return res.StatusCode, b, nil
}

func (r *durRun) json(c *http.Client, method, path, token string, body any, want ...int) (int, map[string]any, error) {
	var b []byte
	ct := ""
	if body != nil {
		b, _ = json.Marshal(body)
		ct = "application/json"
	}
	status, out, err := r.do(c, method, path, token, ct, b, want...)
	return status, testbin.Object(out), err
}

// load runs one client's applications until the server dies (or the test
// fails): each a draft, three documents, a submission, the operator's
// confirmation and the reviewer's decision, every 2xx recorded.
func (r *durRun) load(c *durClient) {
	for !r.t.Failed() {
		if err := r.application(c); err != nil {
			return
		}
	}
}

func (r *durRun) application(c *durClient) error {
	led := r.led
	if !c.signedUp {
		// 409: an earlier sign-up the kill left unanswered was committed.
		status, _, err := r.json(c.http, "POST", "/api/v1/signup", "", map[string]string{"email": c.email, "password": c.password,
			"kind": "individual", "name": fmt.Sprintf("Load Client %d", c.n), "cnic": c.cnic, "mobile": "03001234567"}, 201, 409)
		if err != nil {
			return err
		}
		if status == 201 {
			led.ack(nil)
		}
		c.signedUp = true
	}
	if c.token == "" {
		_, out, err := r.json(c.http, "POST", "/api/v1/login", "", map[string]string{"email": c.email, "password": c.password}, 200)
		if err != nil {
			return err
		}
		c.token = out["token"].(string)
		led.ack(nil)
	}
	// One to three /28s of Pakistani address space (39.32.0.0/11), never
	// overlapping another application's.
	var addrs []string
	for range 1 + rand.N(3) {
		var a [4]byte
		be.BigEndian.PutUint32(a[:], 39<<24|32<<16+r.addrs.Add(1)*16)
		addrs = append(addrs, netip.PrefixFrom(netip.AddrFrom4(a), 28).String())
	}
	_, out, err := r.json(c.http, "POST", "/api/v1/applications", c.token, map[string]any{"category": "freelancer_vpn",
		"operator_id": "nayatel", "subscriber_id": fmt.Sprintf("NT-%d", r.addrs.Load()), "addresses": addrs,
		"vpn": map[string]any{"protocol": "wireguard"}, "purpose": "Reach clients' systems abroad for contract work."}, 201)
	if err != nil {
		return err
	}
	app := &ackApp{id: out["id"].(string), token: c.token, addrs: addrs, states: []string{"draft"}, docs: map[string]string{}}
	led.ack(func() { led.apps = append(led.apps, app) })
	// set records, under the ledger's lock, what the application may be in.
	set := func(f func()) { led.mu.Lock(); f(); led.mu.Unlock() }
	fail := func(err error, next ...string) error {
		if _, gone := err.(errGone); gone {
			set(func() { app.states = append(app.states, next...) })
		}
		return err
	}

	uploads := []struct{ kind, name, ct string }{{"cnic_front", "front.png", "image/png"}, {"cnic_back", "back.png", "image/png"},
		{"authentication_letter", "letter.pdf", "application/pdf"}}
	for _, u := range uploads {
		content := r.pngs[rand.N(len(r.pngs))]
		if u.ct == "application/pdf" {
			content = r.pdfs[rand.N(len(r.pdfs))]
		}
		ct, body := testbin.Multipart(u.kind, u.name, content)
		_, b, err := r.do(c.http, "POST", "/api/v1/applications/"+app.id+"/documents", c.token, ct, body, 201)
		if err != nil {
			return fail(err)
		}
		doc := testbin.Object(b)
		sum := sha256.Sum256(content)
		if doc["sha256"] != hex.EncodeToString(sum[:]) {
			r.t.Errorf("upload answered sha256 %v, want %x", doc["sha256"], sum)
		}
		led.ack(func() { app.docs[doc["id"].(string)] = hex.EncodeToString(sum[:]) })
	}
	_, out, err = r.json(c.http, "POST", "/api/v1/applications/"+app.id+"/submit", c.token, nil, 200)
	if err != nil {
		return fail(err, "operator_check")
	}
	led.ack(func() { app.states = []string{out["state"].(string)} })
	if out["state"] != "operator_check" {
		return nil
	}

	_, b, err := r.do(c.http, "GET", "/api/v1/operator/checks?application_id="+app.id, r.opToken, "", nil, 200)
	if err != nil {
		return err
	}
	checks := testbin.List(b)
	if len(checks) != 1 {
		r.t.Errorf("operator checks of %s: %s", app.id, b)
		return fmt.Errorf("checks")
	}
	_, out, err = r.json(c.http, "POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), r.opToken,
		map[string]string{"result": "confirmed"}, 200)
	if err != nil {
		return fail(err, "review")
	}
	led.ack(func() { app.states = []string{"review"} })

	decision := map[string]any{"decision": "approve"}
	if rand.N(5) == 0 {
		decision = map[string]any{"decision": "reject", "reason_code": "insufficient_purpose"}
	}
	_, out, err = r.json(c.http, "POST", "/api/v1/applications/"+app.id+"/decision", r.revToken, decision, 200)
	if err != nil {
		set(func() { app.mayBeDecided = true })
		return fail(err, "approved", "rejected")
	}
	state := out["application"].(map[string]any)["state"].(string)
	if reg, ok := out["registration"].(map[string]any); ok {
		number := reg["number"].(string)
		led.ack(func() {
			app.states, app.number, app.code = []string{state}, number, reg["verification_code"].(string)
			if other, dup := led.numbers[number]; dup {
				r.t.Errorf("registration number %s acknowledged for %s and for %s", number, other, app.id)
			}
			led.numbers[number] = app.id
		})
	} else {
		led.ack(func() { app.states = []string{state} })
	}
	return nil
}

// check asserts every invariant against a server that runs with no load.
func (r *durRun) check(p *proc, dataDir, dsn string) {
	t := r.t
	t.Helper()
	c := http.DefaultClient
	get := func(path, token string) map[string]any {
		_, out, err := r.json(c, "GET", path, token, nil, 200)
		if err != nil {
			t.FailNow()
		}
		return out
	}
	// Every acknowledged application, document, decision and registration.
	for _, app := range r.led.apps {
		a := get("/api/v1/applications/"+app.id, app.token)
		if got := fmt.Sprint(a["addresses"]); got != fmt.Sprint(app.addrs) {
			t.Errorf("%s: addresses %s, acknowledged %v", app.id, got, app.addrs)
		}
		state, _ := a["state"].(string)
		if !slices.Contains(app.states, state) {
			t.Errorf("%s: state %q, acknowledged %v", app.id, state, app.states)
		}
		listed := map[string]string{}
		ds, _ := a["documents"].([]any) // absent when there are none
		for _, d := range ds {
			d := d.(map[string]any)
			listed[d["id"].(string)] = d["sha256"].(string)
		}
		for id, sum := range app.docs {
			if listed[id] != sum {
				t.Errorf("%s: acknowledged document %s (sha256 %s) listed as %q", app.id, id, sum, listed[id])
			}
		}
		for id, sum := range listed {
			_, body, err := r.do(c, "GET", "/api/v1/applications/"+app.id+"/documents/"+id, app.token, "", nil, 200)
			if err != nil {
				t.FailNow()
			}
			if got := sha256.Sum256(body); hex.EncodeToString(got[:]) != sum {
				t.Errorf("%s: document %s reads with sha256 %x, recorded %s", app.id, id, got, sum)
			}
		}
		if app.number != "" {
			if a["registration"] != app.number {
				t.Errorf("%s: registration %v, acknowledged %s", app.id, a["registration"], app.number)
			}
			reg := get("/api/v1/registrations/"+app.number, r.revToken)
			if reg["application_id"] != app.id || reg["status"] != "active" || reg["verification_code"] != app.code ||
				fmt.Sprint(reg["addresses"]) != fmt.Sprint(app.addrs) {
				t.Errorf("registration %s = %v; acknowledged for %s, %v, code %s", app.number, reg, app.id, app.addrs, app.code)
			}
			if v := get("/api/v1/verify/"+app.number+"?code="+app.code, ""); v["status"] != "active" {
				t.Errorf("verify %s = %v", app.number, v)
			}
		} else if state == "approved" && !app.mayBeDecided {
			t.Errorf("%s approved without an acknowledged decision", app.id)
		}
	}

	// Nothing half-written, read from the database and the documents
	// directory themselves.
	ctx := context.Background()
	db := openStore(t, dsn)
	defer db.Close()
	recorded := recordedDocuments(t, dsn)
	docs, err := docstore.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	for id, sum := range recorded {
		b, err := docs.Get(ctx, id)
		if err != nil {
			t.Errorf("document %s: %v", id, err)
			continue
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
			t.Errorf("document %s opens with sha256 %x, recorded %s", id, got, sum)
		}
	}
	files, temps, err := docs.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(slices.Sorted(maps.Keys(files)), slices.Sorted(maps.Keys(recorded))) || len(temps) != 0 {
		extra, missing := 0, 0
		for id := range files {
			if _, ok := recorded[id]; !ok {
				extra++
			}
		}
		for id := range recorded {
			if _, ok := files[id]; !ok {
				missing++
			}
		}
		t.Errorf("documents directory: %d files no record names, %d records without a file, %d temporary files", extra, missing, len(temps))
	}
	var halfDecided int
	if err := db.SQL().QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM registrations r JOIN applications a ON a.id = r.application_id WHERE a.state <> 'approved') +
		(SELECT COUNT(*) FROM applications a WHERE a.state = 'approved' AND NOT EXISTS (SELECT 1 FROM registrations r WHERE r.application_id = a.id))`).
		Scan(&halfDecided); err != nil {
		t.Fatal(err)
	}
	if halfDecided != 0 {
		t.Errorf("%d registrations without an approved application, or approved applications without a registration", halfDecided)
	}

	// The feed's newest state is exactly the active registrations' items.
	var want []string
	rows, err := db.SQL().QueryContext(ctx, `SELECT i.value FROM registration_items i JOIN registrations r ON r.number = i.registration_number WHERE r.status = 'active'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		want = append(want, v)
	}
	rows.Close()
	key, err := feed.ParsePublicKey(ipreg(t, []string{"IPREG_DATA_DIR=" + dataDir}, "", "key", "show"))
	if err != nil {
		t.Fatal(err)
	}
	got := p.entries(p.notification(key))
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("feed holds %d entries, active registrations %d items:\nfeed %v\nregistrations %v", len(got), len(want), got, want)
	}
}
