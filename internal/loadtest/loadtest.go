// Package loadtest drives a running ipreg server with a realistic mix of
// requests from many concurrent clients and measures each operation: the
// engine of "ipreg loadtest", and a library for tests that need load (the
// durability and scale-out tests watch every acknowledged write through
// Config.OnWrite).
//
// It is built on net/http rather than a load library such as
// tsenart/vegeta: vegeta's attacker fires independent requests from a
// target list at a fixed rate, while this mix is a set of per-client
// sessions in which each request depends on the answers before it (the
// draft's id for its uploads and submission, the operator check's id, the
// registration's number and code for look-ups), a closed loop that vegeta
// would have to be bent into. Latencies are kept whole (a 30-second run
// holds some hundred thousand) and sorted for exact percentiles.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mixes names the request mixes Run knows, in the order --help lists them.
var Mixes = []string{"default", "read-heavy", "deadline-rush", "file-only"}

// Config says what to run. Target, and Duration or (for the file-only mix)
// Applications, are required; the rest have defaults.
type Config struct {
	// Target is the registry's base URL, e.g. http://127.0.0.1:8080.
	Target string
	// Duration bounds the run (the file-only mix stops at Applications
	// first when it is set). In-flight requests finish after it.
	Duration time.Duration
	// Clients is the number of concurrent clients (default 64); each
	// keeps one connection and acts as one person at a time.
	Clients int
	// Rate caps all clients' requests together, per second (0: as fast
	// as the server answers).
	Rate float64
	// Mix is one of Mixes (default "default").
	Mix string
	// Applications, for the file-only mix: take this many applications
	// from sign-up to an approved registration, then stop.
	Applications int
	// PerApplicant is how many applications one signed-up applicant files
	// before its client signs up another (default 3): sign-ups hash a
	// password (argon2id), so one per application would measure hashing.
	PerApplicant int
	// DocumentBytes is the mean size of the generated scans (default
	// 1,000,000: scans of 400 KB to 1.9 MB).
	DocumentBytes int
	// ReviewerToken and OperatorTokens (operator id → token) are the
	// staff's API tokens. Empty, the run logs in as the demo's staff
	// (reviewer@demo.test, operator.<id>@demo.test) with StaffPassword.
	ReviewerToken  string
	OperatorTokens map[string]string
	// StaffPassword is the demo staff's password (default
	// "demo-password-1", ipreg serve --demo's).
	StaffPassword string
	// SpreadSources makes each applicant connect from its own loopback
	// address (127.x.y.z), so that the registry's sign-up throttle (50 per
	// client address in 15 minutes) sees many clients. Run turns it on by
	// itself when the target is on loopback.
	SpreadSources *bool
	// Progress, when not nil, gets a progress line once a second.
	Progress io.Writer
	// OnWrite, when not nil, is called for every acknowledged (2xx)
	// write, from the client's goroutine: keep it quick and safe for
	// concurrent calls.
	OnWrite func(Write)
	// OnSecret, when not nil, is called with every credential the run
	// makes or receives (kind: "password", "session token"), so that a
	// test can look for them in the server's log. Safe for concurrent
	// calls, as OnWrite.
	OnSecret func(kind, value string)
	// Seed makes the run's choices repeatable (0: a random seed).
	Seed uint64
}

// Write is an acknowledged write and what the server returned for it.
type Write struct {
	// Op is the operation: signup, create_draft, upload_document, submit,
	// operator_confirm or decide.
	Op string
	// Email is the applicant's (signup, and every write of theirs).
	Email string
	// ApplicationID is set for every write but signup.
	ApplicationID string
	// DocumentID, DocumentKind and DocumentSHA256 (hex of the bytes
	// sent) are set for upload_document.
	DocumentID, DocumentKind, DocumentSHA256 string
	// CheckID is set for operator_confirm.
	CheckID string
	// Registration and VerificationCode are set for decide (an approval).
	Registration, VerificationCode string
	// Status is the HTTP status; Body the answer's JSON.
	Status int
	Body   []byte
}

// Result is what a run measured.
type Result struct {
	Ops      []OpResult
	Elapsed  time.Duration
	Requests int
	Errors   int
	// Filed counts applications submitted; Approved those that became
	// registrations.
	Filed, Approved int
}

// WriteTable writes the result's table and totals line (see WriteTable).
func (r Result) WriteTable(w io.Writer) error { return WriteTable(w, r.Ops, r.Elapsed) }

// opOrder is the table's row order: the filing path, then the reads.
var opOrder = []string{"signup", "login", "create_draft", "upload_document", "submit", "operator_checks",
	"operator_confirm", "decide", "verify", "get_application", "list_applications", "review_queue",
	"portal_home", "portal_verify", "portal_application", "portal_review", "feed_wait"}

// mix gives each action's weight; "file" advances a client's application
// by one step (sign-up, draft, an upload, submission, the operator's
// confirmation, the reviewer's decision), every other action is one read.
type mix map[string]int

var mixes = map[string]mix{
	"default": {"file": 40, "verify": 12, "get_application": 8, "list_applications": 4, "review_queue": 6,
		"operator_checks": 4, "portal_home": 5, "portal_verify": 5, "portal_application": 5, "portal_review": 3, "feed_wait": 8},
	"read-heavy": {"file": 8, "verify": 25, "get_application": 12, "list_applications": 6, "review_queue": 8,
		"operator_checks": 5, "portal_home": 10, "portal_verify": 10, "portal_application": 8, "portal_review": 4, "feed_wait": 4},
	"deadline-rush": {"file": 85, "verify": 3, "get_application": 4, "list_applications": 2, "review_queue": 1,
		"portal_home": 2, "portal_application": 2, "feed_wait": 1},
	"file-only": {"file": 1},
}

// Run drives cfg.Target with cfg's mix until cfg.Duration passes (or,
// for file-only, cfg.Applications are approved), then returns the
// measurements. It fails before any load on a bad configuration or a
// failed staff bootstrap (the message says which flag to give); errors of
// the load itself are in the Result. Cancelling ctx stops at once.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.defaults(); err != nil {
		return Result{}, err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	target, err := url.Parse(strings.TrimSuffix(cfg.Target, "/"))
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return Result{}, fmt.Errorf("--target %q: give the registry's base URL, like http://127.0.0.1:8080", cfg.Target)
	}
	spread := loopback(target.Hostname())
	if cfg.SpreadSources != nil {
		spread = *cfg.SpreadSources
	}
	docs, err := makeDocuments(cfg.DocumentBytes, seed)
	if err != nil {
		return Result{}, err
	}
	r := &run{cfg: cfg, base: target.String(), docs: docs, rec: newRecorder(), addrs: newAddressPool(seed),
		spread: spread, mix: mixes[cfg.Mix], pace: newPacer(cfg.Rate), nonce: rand.Uint64()}
	r.hardCtx, r.hardCancel = context.WithCancel(ctx)
	r.softCtx = r.hardCtx // until the measured window starts
	defer r.hardCancel()
	if err := r.bootstrap(r.hardCtx); err != nil {
		if ctx.Err() != nil { // not the registry's answer: the hint would mislead
			return Result{}, fmt.Errorf("loadtest interrupted during the staff bootstrap: %w", ctx.Err())
		}
		return Result{}, err
	}
	clients := make([]*client, cfg.Clients)
	for i := range clients {
		clients[i] = r.newClient(i, seed)
	}
	if cfg.Mix != "file-only" {
		if err := r.warmUp(clients); err != nil {
			return Result{}, err
		}
	}
	r.rec = newRecorder() // the bootstrap and warm-up are not measured

	start := time.Now()
	var stop atomic.Bool
	r.stop = &stop
	softCtx, softCancel := context.WithCancel(r.hardCtx) // ends long-polls at the deadline
	r.softCtx = softCtx
	timer := time.AfterFunc(cfg.Duration, func() { stop.Store(true); softCancel() })
	defer timer.Stop()
	defer softCancel()
	progressDone := make(chan struct{})
	go r.progress(start, progressDone)

	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { c.loop() })
	}
	wg.Wait()
	close(progressDone)
	elapsed := time.Since(start)
	res := Result{Ops: r.rec.results(opOrder), Elapsed: elapsed, Filed: int(r.filed.Load()), Approved: int(r.approved.Load())}
	res.Requests, res.Errors = r.rec.counts()
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("loadtest interrupted: %w", err)
	}
	return res, nil
}

// warmUp signs up and logs in every client's first applicant, unmeasured,
// so that the measured window is the registry's steady state rather than
// one burst of password hashes (argon2id, which the registry bounds and
// answers 503 beyond); sign-ups go on in the window at one per
// PerApplicant applications. The file-only mix has no warm-up: its time
// runs from an empty database.
func (r *run) warmUp(clients []*client) error {
	// Two at a time: more would only queue at the registry's hashing gate
	// (about one hash a core) and use up their retries there.
	// It takes a while (a hash each, two at a time: a minute for a few
	// hundred clients), so it says so and how far it is.
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, "signing up %d applicants before the measured window…\n", len(clients))
	}
	var wg sync.WaitGroup
	var done atomic.Int64
	gate := make(chan struct{}, 2)
	for _, c := range clients {
		wg.Go(func() {
			gate <- struct{}{}
			defer func() { <-gate }()
			c.signup()
			done.Add(1)
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	start := time.Now()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for waiting := true; waiting; {
		select {
		case <-finished:
			waiting = false
		case <-t.C:
			if r.cfg.Progress != nil {
				fmt.Fprintf(r.cfg.Progress, "%5.0fs  warm-up: %d of %d applicants signed up\n", time.Since(start).Seconds(), done.Load(), len(clients))
			}
		}
	}
	if err := r.hardCtx.Err(); err != nil {
		return fmt.Errorf("loadtest interrupted while signing up its applicants: %w", err)
	}
	for _, op := range r.rec.results(opOrder) {
		for msg := range op.Errors {
			return fmt.Errorf("sign up the clients' first applicants: %s: %d failed, such as: %s", op.Op, op.ErrorCount(), msg)
		}
	}
	return nil
}

func (cfg *Config) defaults() error {
	if cfg.Clients == 0 {
		cfg.Clients = 64
	}
	if cfg.Mix == "" {
		cfg.Mix = "default"
	}
	if cfg.PerApplicant == 0 {
		cfg.PerApplicant = 3
	}
	if cfg.DocumentBytes == 0 {
		cfg.DocumentBytes = 1_000_000
	}
	if cfg.StaffPassword == "" {
		cfg.StaffPassword = "demo-password-1"
	}
	switch {
	case mixes[cfg.Mix] == nil:
		return fmt.Errorf("--mix %q: give one of %s", cfg.Mix, strings.Join(Mixes, ", "))
	case cfg.Clients < 1 || cfg.Clients > 100_000:
		return fmt.Errorf("--clients %d: give 1 to 100000", cfg.Clients)
	case cfg.Rate < 0:
		return fmt.Errorf("--rate %v: give requests per second, or 0 for no cap", cfg.Rate)
	case cfg.PerApplicant < 1:
		return fmt.Errorf("--per-applicant %d: give 1 or more", cfg.PerApplicant)
	case cfg.DocumentBytes < 10_000 || cfg.DocumentBytes > 2_500_000:
		// 1.9 times the mean must stay under the registry's default 5 MiB.
		return fmt.Errorf("--document-bytes %d: give 10000 to 2500000 (the largest scan is 1.9 times it)", cfg.DocumentBytes)
	case cfg.Applications < 0:
		return fmt.Errorf("--applications %d: give a count, like 31000", cfg.Applications)
	case cfg.Mix == "file-only" && cfg.Applications == 0 && cfg.Duration <= 0:
		return errors.New("the file-only mix needs --applications N (or a --duration)")
	case cfg.Mix != "file-only" && cfg.Applications > 0:
		return errors.New("--applications is for --mix file-only; the other mixes run for --duration")
	case cfg.Duration < 0 || cfg.Duration == 0 && cfg.Mix != "file-only":
		return fmt.Errorf("--duration %s: give how long to run, like 30s", cfg.Duration)
	}
	if cfg.Duration == 0 {
		cfg.Duration = 1<<63 - 1 // file-only until its count
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// run is one Run's shared state.
type run struct {
	cfg    Config
	base   string
	docs   []document
	rec    *recorder
	addrs  *addressPool
	spread bool
	mix    mix
	pace   *pacer

	hardCtx    context.Context // cancelled on interrupt: requests stop at once
	hardCancel context.CancelFunc
	softCtx    context.Context // cancelled at the deadline too: long-polls end
	stop       *atomic.Bool

	reviewer  string
	operators []operator // those with a token

	claimed, filed, approved atomic.Int64
	sources                  atomic.Uint32
	uploads                  atomic.Int64 // stamps each upload distinct
	seq                      atomic.Int64
	nonce                    uint64 // unseeded: the run's identities differ from every other run's

	regMu         sync.Mutex
	registrations []registration
	feedVersion   atomic.Int64
}

type operator struct {
	id, kind, token string
}

type registration struct{ number, code string }

func (r *run) addRegistration(reg registration) {
	r.regMu.Lock()
	r.registrations = append(r.registrations, reg)
	r.regMu.Unlock()
}

func (r *run) someRegistration(rng *rand.Rand) (registration, bool) {
	r.regMu.Lock()
	defer r.regMu.Unlock()
	if len(r.registrations) == 0 {
		return registration{}, false
	}
	return r.registrations[rng.IntN(len(r.registrations))], true
}

// sourceAddr is the next loopback address for an applicant's connections:
// 127.0.1.1 onwards, skipping .0 and .255 (2^16 × 254 of them).
func (r *run) sourceAddr() net.Addr {
	n := r.sources.Add(1) - 1
	host := n % 254
	rest := n / 254
	return &net.TCPAddr{IP: net.IPv4(127, byte(rest>>8), byte(1+rest), byte(1+host))}
}

func (r *run) progress(start time.Time, done <-chan struct{}) {
	if r.cfg.Progress == nil {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := 0
	for {
		select {
		case <-done:
			return
		case <-t.C:
			n, e := r.rec.counts()
			fmt.Fprintf(r.cfg.Progress, "%5.0fs  %d requests (%d/s)  %d errors  %d filed  %d approved\n",
				time.Since(start).Seconds(), n, n-last, e, r.filed.Load(), r.approved.Load())
			last = n
		}
	}
}

// pacer spaces requests 1/rate apart over all clients (nil: no cap).
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return nil
	}
	return &pacer{interval: time.Duration(float64(time.Second) / rate)}
}

// wait blocks until the caller's turn, or ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.interval)
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func newTransport(local net.Addr) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: local}
	return &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
}
