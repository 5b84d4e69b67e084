package loadtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// client is one simulated person at a time: an applicant filing, and the
// operator and reviewer acting on that applicant's application (so no two
// clients race for the same check or decision), with reads in between.
type client struct {
	r    *run
	rng  *rand.Rand // the seeded choices
	ids  *rand.Rand // identities, from the run's nonce
	http *http.Client

	// The applicant in hand and their application in progress.
	email, token string
	company      bool
	filedBy      int // applications this applicant has started
	app          *filing
	lastApp      string // the applicant's last application, for reads
	actions      []string
	backoff      time.Duration // the last wait after a transport error; 0 after an answer
}

// filing is an application on its way from draft to decision.
type filing struct {
	id, operatorID, category string
	kinds                    []string // documents still to upload
	checkID                  string
	step                     int
}

const (
	stepDraft = iota
	stepUpload
	stepSubmit
	stepFindCheck
	stepConfirm
	stepDecide
)

func (r *run) newClient(i int, seed uint64) *client {
	c := &client{r: r, rng: rand.New(rand.NewPCG(seed, uint64(i)+1)), ids: rand.New(rand.NewPCG(r.nonce, uint64(i)+1))}
	c.http = &http.Client{Transport: newTransport(nil), CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a portal page's redirect is its answer
	}}
	for _, a := range slices.Sorted(maps.Keys(r.mix)) {
		for range r.mix[a] {
			c.actions = append(c.actions, a)
		}
	}
	return c
}

func (c *client) loop() {
	defer c.http.CloseIdleConnections()
	for !c.r.stop.Load() && c.r.hardCtx.Err() == nil {
		if !c.act(c.actions[c.rng.IntN(len(c.actions))]) {
			return
		}
	}
}

// act performs one action; false when the client has nothing more to do
// (file-only reached its count).
func (c *client) act(a string) bool {
	switch a {
	case "file":
		return c.file()
	case "verify":
		if reg, ok := c.r.someRegistration(c.rng); ok {
			c.get("verify", "/api/v1/verify/"+reg.number+"?code="+url.QueryEscape(reg.code), "", false)
			return true
		}
	case "portal_verify":
		if reg, ok := c.r.someRegistration(c.rng); ok {
			c.get("portal_verify", "/verify/"+reg.number+"?code="+url.QueryEscape(reg.code), "", false)
			return true
		}
	case "get_application":
		if c.lastApp != "" {
			c.get("get_application", "/api/v1/applications/"+c.lastApp, c.token, false)
			return true
		}
	case "portal_application":
		if c.lastApp != "" {
			c.get("portal_application", "/applications/"+c.lastApp, c.token, true)
			return true
		}
	case "list_applications":
		if c.token != "" {
			c.get("list_applications", "/api/v1/applications", c.token, false)
			return true
		}
	case "review_queue":
		c.get("review_queue", "/api/v1/review/queue?limit=50", c.r.reviewer, false)
		return true
	case "portal_review":
		c.get("portal_review", "/review", c.r.reviewer, true)
		return true
	case "operator_checks":
		op := c.r.operators[c.rng.IntN(len(c.r.operators))]
		c.get("operator_checks", "/api/v1/operator/checks?state=pending", op.token, false)
		return true
	case "portal_home":
		c.get("portal_home", "/", "", false)
		return true
	case "feed_wait":
		c.feedWait()
		return true
	}
	// A read with nothing to read yet: file instead, which makes some.
	return c.file()
}

// feedWait long-polls the feed for the version after the newest seen,
// for at most two seconds (an approval answers it sooner).
func (c *client) feedWait() {
	after := c.r.feedVersion.Load()
	res := c.do("feed_wait", http.MethodGet, "/feed/v1/wait?timeout=2&after="+strconv.FormatInt(after, 10), "", false, nil, "", c.r.softCtx)
	if res.ok {
		if v, err := strconv.ParseInt(res.header.Get("X-Feed-Version"), 10, 64); err == nil {
			for old := c.r.feedVersion.Load(); v > old && !c.r.feedVersion.CompareAndSwap(old, v); old = c.r.feedVersion.Load() {
			}
		}
	}
}

// file advances the client's application by one step, signing up a new
// applicant first when the current one has filed PerApplicant. False
// when file-only has claimed all its applications.
func (c *client) file() bool {
	if c.app == nil {
		if n := c.r.cfg.Applications; n > 0 && c.r.claimed.Add(1) > int64(n) {
			return false
		}
		c.app = &filing{}
	}
	if c.token == "" || c.filedBy >= c.r.cfg.PerApplicant && c.app.step == stepDraft {
		c.signup()
		return true
	}
	a := c.app
	switch a.step {
	case stepDraft:
		c.createDraft()
	case stepUpload:
		c.upload()
	case stepSubmit:
		c.submit()
	case stepFindCheck:
		c.findCheck()
	case stepConfirm:
		c.confirm()
	case stepDecide:
		c.decide()
	}
	return true
}

// signup opens a new applicant account and logs it in: a company for a
// company VPN, an individual (a freelancer or a mobile VPN user) otherwise.
func (c *client) signup() {
	if c.r.spread {
		c.http.CloseIdleConnections()
		c.http.Transport = newTransport(c.r.sourceAddr())
	}
	// Identities are unique to the run, whatever the seed: one account per
	// CNIC (individuals) or NTN (companies), so a second run against the
	// same registry must not repeat them. NTNs count up from the run's
	// random base, as seven digits leave too little room for chance.
	n := c.r.seq.Add(1)
	email := fmt.Sprintf("lt-%x-%d@example.com.pk", c.r.nonce>>32, n)
	password := fmt.Sprintf("load test passphrase %x", c.ids.Uint64())
	body := map[string]string{"email": email, "password": password, "cnic": cnic(c.ids), "mobile": mobileNumber(c.rng)}
	if c.rng.IntN(2) == 0 {
		body["kind"], body["name"] = "company", fmt.Sprintf("Load Test Traders %d (Pvt) Ltd", n)
		body["ntn"] = fmt.Sprintf("%07d-%d", (c.r.nonce+uint64(n))%10_000_000, c.ids.IntN(10))
	} else {
		body["kind"], body["name"] = "individual", givenNames[c.rng.IntN(len(givenNames))]+" "+familyNames[c.rng.IntN(len(familyNames))]
	}
	c.r.secret("password", password)
	res := c.postJSON("signup", "/api/v1/signup", "", body)
	if !res.ok {
		return
	}
	c.r.write(Write{Op: "signup", Email: email, Status: res.status, Body: res.body})
	res = c.postJSON("login", "/api/v1/login", "", map[string]string{"email": email, "password": password})
	var login struct {
		Token string `json:"token"`
	}
	if !res.ok || json.Unmarshal(res.body, &login) != nil || login.Token == "" {
		return
	}
	c.r.secret("session token", login.Token)
	c.email, c.token, c.filedBy, c.lastApp = email, login.Token, 0, ""
	c.company = body["kind"] == "company"
}

// givenNames and familyNames make the individuals' names (24 × 20).
var (
	givenNames = []string{"Ayesha", "Bilal", "Fatima", "Usman", "Zainab", "Hamza", "Maryam", "Ali", "Sana", "Omar",
		"Hira", "Imran", "Nadia", "Faisal", "Sadia", "Kamran", "Amna", "Tariq", "Rabia", "Asad", "Mehwish", "Junaid", "Iqra", "Waqas"}
	familyNames = []string{"Khan", "Ahmed", "Malik", "Tariq", "Hussain", "Qureshi", "Siddiqui", "Butt", "Chaudhry", "Shah",
		"Raza", "Javed", "Iqbal", "Baig", "Mirza", "Abbasi", "Sheikh", "Awan", "Rana", "Memon"}
)

func (c *client) createDraft() {
	a := c.app
	body := map[string]any{"vpn": map[string]any{"protocol": []string{"wireguard", "ipsec", "openvpn", "ikev2"}[c.rng.IntN(4)]},
		"purpose": "Staff reach the office's systems from home over the VPN."}
	mobile := !c.company && c.rng.IntN(3) == 0 && c.r.hasKind("mobile")
	switch {
	case c.company:
		a.category = "company_vpn"
		a.kinds = []string{"cnic_front", "cnic_back", "incorporation_proof"}
	case mobile:
		a.category = "mobile_vpn"
		a.kinds = []string{"cnic_front", "cnic_back", "authentication_letter"}
	default:
		a.category = "freelancer_vpn"
		a.kinds = []string{"cnic_front", "cnic_back", "authentication_letter"}
	}
	kind := "fixed"
	if mobile {
		kind = "mobile"
	}
	op := c.r.operatorOf(kind, c.rng)
	a.operatorID = op.id
	body["category"], body["operator_id"] = a.category, op.id
	body["subscriber_id"] = fmt.Sprintf("%s-%08d", strings.ToUpper(op.id), c.rng.IntN(100_000_000))
	n := 1 + c.rng.IntN(8)
	if mobile {
		nums := make([]string, n)
		for i := range nums {
			nums[i] = mobileNumber(c.rng)
		}
		body["mobile_numbers"] = nums
	} else {
		body["addresses"] = c.r.addrs.take(n)
	}
	res := c.postJSON("create_draft", "/api/v1/applications", c.token, body)
	var out struct {
		ID string `json:"id"`
	}
	if !res.ok || json.Unmarshal(res.body, &out) != nil || out.ID == "" {
		c.abandon()
		return
	}
	a.id = out.ID
	c.lastApp, c.filedBy = out.ID, c.filedBy+1
	c.r.write(Write{Op: "create_draft", Email: c.email, ApplicationID: a.id, Status: res.status, Body: res.body})
	a.step = stepUpload
}

func (c *client) upload() {
	a := c.app
	kind := a.kinds[0]
	doc := c.r.docs[c.rng.IntN(len(c.r.docs))]
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("kind", kind)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s-%s"`, kind, doc.name))
	h.Set("Content-Type", doc.contentType)
	pw, _ := mw.CreatePart(h)
	data := doc.stamped(uint64(c.r.uploads.Add(1)) ^ c.r.nonce)
	pw.Write(data)
	mw.Close()
	res := c.do("upload_document", http.MethodPost, "/api/v1/applications/"+a.id+"/documents", c.token, false, buf.Bytes(), mw.FormDataContentType(), c.r.hardCtx)
	var out struct {
		ID string `json:"id"`
	}
	if !res.ok || json.Unmarshal(res.body, &out) != nil {
		c.abandon()
		return
	}
	sum := sha256.Sum256(data)
	c.r.write(Write{Op: "upload_document", Email: c.email, ApplicationID: a.id, DocumentID: out.ID, DocumentKind: kind,
		DocumentSHA256: hex.EncodeToString(sum[:]), Status: res.status, Body: res.body})
	a.kinds = a.kinds[1:]
	if len(a.kinds) == 0 {
		a.step = stepSubmit
	}
}

func (c *client) submit() {
	a := c.app
	res := c.do("submit", http.MethodPost, "/api/v1/applications/"+a.id+"/submit", c.token, false, nil, "", c.r.hardCtx)
	if !res.ok {
		c.abandon()
		return
	}
	c.r.filed.Add(1)
	c.r.write(Write{Op: "submit", Email: c.email, ApplicationID: a.id, Status: res.status, Body: res.body})
	a.step = stepFindCheck
}

// findCheck is the operator opening its queue at this application's check.
func (c *client) findCheck() {
	a := c.app
	res := c.get("operator_checks", "/api/v1/operator/checks?application_id="+url.QueryEscape(a.id), c.r.tokenOf(a.operatorID), false)
	var checks []struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	if !res.ok || json.Unmarshal(res.body, &checks) != nil {
		c.abandon()
		return
	}
	for _, ch := range checks {
		if ch.State == "pending" {
			a.checkID, a.step = ch.ID, stepConfirm
			return
		}
	}
	c.r.rec.add("operator_checks", 0, "no pending check for the submitted application")
	c.abandon()
}

func (c *client) confirm() {
	a := c.app
	res := c.postJSON("operator_confirm", "/api/v1/operator/checks/"+a.checkID, c.r.tokenOf(a.operatorID), map[string]string{"result": "confirmed"})
	if !res.ok {
		c.abandon()
		return
	}
	c.r.write(Write{Op: "operator_confirm", Email: c.email, ApplicationID: a.id, CheckID: a.checkID, Status: res.status, Body: res.body})
	a.step = stepDecide
}

func (c *client) decide() {
	a := c.app
	res := c.postJSON("decide", "/api/v1/applications/"+a.id+"/decision", c.r.reviewer, map[string]string{"decision": "approve"})
	var out struct {
		Registration *struct {
			Number           string `json:"number"`
			VerificationCode string `json:"verification_code"`
		} `json:"registration"`
	}
	if res.ok && json.Unmarshal(res.body, &out) == nil && out.Registration != nil {
		c.r.addRegistration(registration{out.Registration.Number, out.Registration.VerificationCode})
		c.r.approved.Add(1)
		c.r.write(Write{Op: "decide", Email: c.email, ApplicationID: a.id, Registration: out.Registration.Number,
			VerificationCode: out.Registration.VerificationCode, Status: res.status, Body: res.body})
	} else if res.ok {
		c.r.rec.add("decide", 0, "approval answered without a registration")
	}
	c.app = nil
}

// abandon drops the application in progress after a failed step (the
// failure is in the table); the next filing starts afresh.
func (c *client) abandon() {
	c.app = nil
	if c.r.cfg.Applications > 0 {
		c.r.claimed.Add(-1) // file-only still owes the count
	}
}

// response is one answer; ok when it was a 2xx.
type response struct {
	ok     bool
	status int
	body   []byte
	header http.Header
}

func (c *client) get(op, path, token string, cookie bool) response {
	return c.do(op, http.MethodGet, path, token, cookie, nil, "", c.r.hardCtx)
}

func (c *client) postJSON(op, path, token string, body any) response {
	b, err := json.Marshal(body)
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return c.do(op, http.MethodPost, path, token, false, b, "application/json", c.r.hardCtx)
}

// do sends one request and records its latency (the whole answer read)
// and, unless it was a 2xx, its error. A request cut short by ctx (the
// deadline for long-polls, or an interrupt) is not recorded.
func (c *client) do(op, method, path, token string, cookie bool, body []byte, contentType string, ctx context.Context) response {
	// The pacer's wait ends at the deadline too: a low --rate must not
	// hold clients past --duration for slots beyond it.
	if err := c.r.pace.wait(c.r.softCtx); err != nil {
		return response{}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.r.base+path, rd)
	if err != nil {
		c.r.rec.add(op, 0, "request: "+err.Error())
		return response{}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	switch {
	case token != "" && cookie:
		req.AddCookie(&http.Cookie{Name: "ipreg_session", Value: token})
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	var res *http.Response
	var b []byte
	for attempt := 1; ; attempt++ {
		res, err = c.http.Do(req)
		if err == nil {
			b, err = io.ReadAll(res.Body)
			res.Body.Close()
		}
		// A 503 with Retry-After is the registry's back-pressure (its
		// password-hashing gate is full): a client waits and sends again,
		// as the portal tells a person to. The retry is tallied, not an
		// error, and the latency is the person's: until the last answer.
		wait, busy := retryAfter(res, err)
		if !busy || attempt == maxAttempts {
			break
		}
		c.r.rec.retry(op, errorMessage(res.StatusCode, b))
		if sleep(c.r.softCtx, wait) != nil { // the deadline ends a wait: the request goes unrecorded
			return response{}
		}
		if body != nil {
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
	}
	d := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return response{}
		}
		c.r.rec.add(op, d, transportMessage(err))
		c.backOff()
		return response{}
	}
	out := response{ok: res.StatusCode/100 == 2, status: res.StatusCode, body: b, header: res.Header}
	if !out.ok {
		c.r.rec.add(op, d, errorMessage(res.StatusCode, b))
		if res.StatusCode >= 500 { // a proxy before a dead registry (502, 503 without Retry-After), or a failing one
			c.backOff()
		} else {
			c.backoff = 0
		}
		return out
	}
	c.backoff = 0 // the registry answers again
	c.r.rec.add(op, d, "")
	return out
}

// backOff makes the client wait after a transport error (no answer: the
// registry is down or unreachable) or a 5xx before its next request, doubling from
// minBackoff to maxBackoff with jitter, so that a dead target gets a few
// requests a client a few seconds rather than a tight loop of dials and
// re-sign-ups. Any answer below 500 resets it. The deadline ends the wait.
func (c *client) backOff() {
	c.backoff = min(max(2*c.backoff, minBackoff), maxBackoff)
	jitter := time.Duration(c.rng.Int64N(int64(c.backoff)/2 + 1))
	sleep(c.r.softCtx, c.backoff/2+jitter)
}

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// addrPattern matches the addresses and ports in a dial error
// ("dial tcp 127.0.1.100:41234->127.0.0.1:21000: …"), IPv4 or bracketed
// IPv6, which differ per client and per connection.
var addrPattern = regexp.MustCompile(`(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.%a-z]+\])(:\d+)?`)

// transportMessage is a transport error's table key: the system's reason
// when there is one ("transport: connection refused"), otherwise the
// message with its addresses and ports taken out, so that one cause is
// one row however many clients and source addresses met it.
func transportMessage(err error) string {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		return "transport: " + errno.Error()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "transport: connection closed before the answer (EOF)"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "transport: timeout"
	}
	if u := errors.Unwrap(err); u != nil { // drop *url.Error's method and URL (ids)
		err = u
	}
	return "transport: " + addrPattern.ReplaceAllString(err.Error(), "ADDR")
}

// maxAttempts bounds the sends of one request that the registry answers
// 503 with Retry-After.
const maxAttempts = 30

// retryAfter reports whether res asks to be retried (503 with a
// Retry-After in seconds), and after how long (at most 10 s).
func retryAfter(res *http.Response, err error) (time.Duration, bool) {
	if err != nil || res.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	n, perr := strconv.Atoi(res.Header.Get("Retry-After"))
	if perr != nil || n < 0 {
		return 0, false
	}
	return time.Duration(min(max(n, 1), 10)) * time.Second, true
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errorMessage is "status code: message" from the API's error shape, or
// the status text; at most 160 characters, so that one table line holds it.
func errorMessage(status int, body []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	msg := http.StatusText(status)
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		msg = e.Error.Code + ": " + e.Error.Message
	}
	s := fmt.Sprintf("%d %s", status, msg)
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

func (r *run) secret(kind, value string) {
	if r.cfg.OnSecret != nil && value != "" {
		r.cfg.OnSecret(kind, value)
	}
}

func (r *run) write(w Write) {
	if r.cfg.OnWrite != nil {
		r.cfg.OnWrite(w)
	}
}
