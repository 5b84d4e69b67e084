package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/go-json-experiment/json/jsontext"
	"hash/fnv"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// spec loads openapi.json once per test and fails if it is not a valid
// OpenAPI 3 document.
func spec(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	// A key written twice loads (the last wins) and hides the first from
	// readers and tools: the strict reader the API decodes bodies with
	// refuses it.
	if err := jsontext.NewDecoder(bytes.NewReader(api.OpenAPI())).SkipValue(); err != nil {
		t.Fatalf("openapi.json is not strict JSON: %v", err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI())
	if err != nil {
		t.Fatalf("openapi.json does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not valid OpenAPI 3: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, router
}

// TestEveryRouteDocumented fails on a served route that openapi.json does
// not describe, and on a documented one that is not served.
func TestEveryRouteDocumented(t *testing.T) {
	doc, _ := spec(t)
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	served := api.Routes()
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is served but not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(served, d) {
			t.Errorf("openapi.json documents %s, which is not served", d)
		}
	}
}

type client struct {
	t      *testing.T
	base   string
	router routers.Router
	seen   map[string]bool // "METHOD /path status" validated
	key    ed25519.PublicKey
	svc    *registry.Service
	mail   *mailbox  // what the service's outbox delivered
	db     *store.DB // the server's database, for before-and-after snapshots
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (r response) list(t *testing.T) []map[string]any {
	t.Helper()
	var m []map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON array: %v: %s", err, r.body)
	}
	return m
}

func (r response) errorField(t *testing.T, field string) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	fields, _ := e["fields"].(map[string]any)
	s, _ := fields[field].(string)
	return s
}

// raw sends a request as given and validates the response against the
// OpenAPI document.
func (c *client) raw(method, path, token, contentType string, body []byte, hdr ...string) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, body: b}
	c.validate(req, out)
	return out
}

func (c *client) validate(req *http.Request, res response) {
	c.t.Helper()
	if err := c.check(req, res); err != nil {
		c.t.Error(err)
	}
}

// check validates one response against the OpenAPI document.
func (c *client) check(req *http.Request, res response) error {
	// Route against a copy whose URL carries only the path, as the spec's
	// servers entry is relative.
	vr := req.Clone(context.Background())
	vr.URL.Scheme, vr.URL.Host, vr.Host = "", "", ""
	route, params, err := c.router.FindRoute(vr)
	if err != nil {
		if res.status == http.StatusNotFound || res.status == http.StatusMethodNotAllowed {
			// Unknown routes and methods answer in the error shape; there is
			// no operation to look up.
			var e struct {
				Error struct{ Code, Message string }
			}
			if json.Unmarshal(res.body, &e) != nil || e.Error.Message == "" {
				return fmt.Errorf("%s %s → %d is not in the error shape: %s", req.Method, req.URL.Path, res.status, res.body)
			}
			return nil
		}
		return fmt.Errorf("%s %s answered %d but is not in openapi.json: %v", req.Method, req.URL.Path, res.status, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.status, Header: res.header, Body: io.NopCloser(bytes.NewReader(res.body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}})
	if err != nil {
		return fmt.Errorf("%s %s → %d does not match openapi.json: %v\nbody: %s", req.Method, req.URL.Path, res.status, err, res.body)
	}
	c.seen[fmt.Sprintf("%s %s", route.Method, route.Path)] = true
	return nil
}

// TestValidatorCatchesDrift makes sure the response check can fail: an
// undocumented field, a wrong type and an undocumented status are caught.
func TestValidatorCatchesDrift(t *testing.T) {
	_, router := spec(t)
	c := &client{t: t, router: router, seen: map[string]bool{}}
	req, _ := http.NewRequest("GET", "http://x/api/v1/operators", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	good := `[{"id":"ptcl","name":"PTCL","kind":"fixed","prefix_count":0}]`
	if err := c.check(req, response{status: 200, header: h, body: []byte(good)}); err != nil {
		t.Fatalf("a correct response fails: %v", err)
	}
	for _, bad := range []response{
		{status: 200, header: h, body: []byte(`[{"id":"ptcl","name":"PTCL","kind":"fixed","prefix_count":0,"secret":1}]`)},
		{status: 200, header: h, body: []byte(`[{"id":"ptcl","name":"PTCL","kind":"fixed","prefix_count":"0"}]`)},
		{status: 418, header: h, body: []byte(`{}`)},
	} {
		if err := c.check(req, bad); err == nil {
			t.Errorf("drift not caught: %d %s", bad.status, bad.body)
		}
	}
}

func (c *client) do(method, path, token string, body any) response {
	c.t.Helper()
	var b []byte
	ct := ""
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			c.t.Fatal(err)
		}
		ct = "application/json"
	}
	return c.raw(method, path, token, ct, b)
}

func (c *client) want(res response, status int) response {
	c.t.Helper()
	if res.status != status {
		c.t.Fatalf("status %d, want %d: %s", res.status, status, res.body)
	}
	return res
}

func (c *client) login(email string) string {
	c.t.Helper()
	res := c.want(c.do("POST", "/api/v1/login", "", map[string]string{"email": email, "password": "demo-password-1"}), 200)
	return res.json(c.t)["token"].(string)
}

func init() {
	// Feed bodies are a JWS and gzip files; the validator checks their
	// status and content type, not their bytes.
	openapi3filter.RegisterBodyDecoder("application/jose", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/gzip", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/pdf", openapi3filter.FileBodyDecoder)
}

// testMetricsToken is the metrics token newClient's server requires.
const testMetricsToken = "metrics-token-for-the-tests-0123"

// newClient serves the API over a fresh store of kind; opts adjust the
// service's configuration.
func newClient(t *testing.T, kind string, opts ...func(*registry.Config)) *client {
	db := storetest.Open(t, kind)
	keys := publish.Keys{Dir: t.TempDir()}
	pub := publish.NewPublisher(db, keys, nil, nil)
	rd := publish.NewReader(db, nil)
	pub.OnPublish(func() { rd.Refresh(context.Background()) })
	docs, err := docstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	box := &mailbox{}
	cfg := registry.Config{Hashing: auth.TestParams, FeedChanged: pub.Kick, FeedPublished: pub.WaitPublished, Documents: docs, DemoWithoutTOTP: true,
		CertificateKeys: certificate.Keys{Dir: t.TempDir()}, PublicURL: "https://ipreg.example.pk",
		Mailer: box, Texter: box, Attach: attachCertificate}
	for _, o := range opts {
		o(&cfg)
	}
	svc := registry.NewService(db, cfg)
	if err := svc.EnsureDemo(context.Background(), "demo-password-1"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { pub.Run(ctx, 50*time.Millisecond); close(done) }()
	srv := httptest.NewServer(api.New(svc, slog.New(slog.DiscardHandler), api.Config{MaxBodyBytes: 64 << 10, Feed: rd, MetricsToken: testMetricsToken,
		StreamKeepAlive: 200 * time.Millisecond,
		FeedKeys: func() (cur, next ed25519.PublicKey, err error) {
			c, n, err := keys.Load()
			if err != nil || n == nil {
				return c.Public().(ed25519.PublicKey), nil, err
			}
			return c.Public().(ed25519.PublicKey), n.Public().(ed25519.PublicKey), nil
		}}).Handler())
	t.Cleanup(func() { srv.Close(); cancel(); <-done })
	_, router := spec(t)
	cur, _, err := keys.Load()
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: srv.URL, router: router, seen: map[string]bool{}, key: cur.Public().(ed25519.PublicKey), svc: svc, mail: box, db: db}
}

func TestAPI(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, kind)
			testWorkflow(t, c)
			testFeed(t, c)
			testBadInput(t, c)
			testAppeals(t, c)
			testMyData(t, c)
			testJobs(t, c)
			testNotifications(t, c)
			testEligibility(t, c)
			testProviders(t, c)
			testNotices(t, c)
			testInvitations(t, c)
			testImport(t, c)
			// Every documented route was exercised and its answer validated.
			for _, r := range api.Routes() {
				if !c.seen[r] {
					t.Errorf("no test exercised %s", r)
				}
			}
		})
	}
}

// identityFor gives each e-mail its own CNIC and NTN: one account per
// CNIC (individuals) or NTN (companies).
func identityFor(email string) (cnic, ntn string) {
	h := fnv.New32a()
	h.Write([]byte(email))
	n := h.Sum32() % 10_000_000
	return fmt.Sprintf("42101%07d1", n), fmt.Sprintf("%07d-8", n)
}

func signup(c *client, email, kind string) string {
	cnic, ntn := identityFor(email)
	body := map[string]string{"email": email, "password": "correct horse battery", "kind": kind,
		"name": "Zaitoon Software (Pvt) Ltd", "cnic": cnic, "mobile": "+92 300 1234567"}
	if kind == "company" {
		// A company's CNIC is its authorised person's, who may act for several.
		body["cnic"], body["ntn"] = "3520212345671", ntn
	}
	c.want(c.do("POST", "/api/v1/signup", "", body), 201)
	res := c.want(c.do("POST", "/api/v1/login", "", map[string]string{"email": email, "password": "correct horse battery"}), 200)
	return res.json(c.t)["token"].(string)
}

func testWorkflow(t *testing.T, c *client) {
	c.want(c.do("GET", "/healthz", "", nil), 200)
	c.want(c.do("GET", "/readyz", "", nil), 200)
	c.want(c.do("GET", "/api/v1/openapi.json", "", nil), 200)
	ops := c.want(c.do("GET", "/api/v1/operators", "", nil), 200).list(t)
	if len(ops) != len(registry.DemoOperators) {
		t.Fatalf("operators = %d", len(ops))
	}
	alice := signup(c, "alice@zaitoon.pk", "company")
	me := c.want(c.do("GET", "/api/v1/me", alice, nil), 200).json(t)
	if me["account"].(map[string]any)["mobile"] != "923001234567" || me["account"].(map[string]any)["cnic"] != "35202-1234567-1" {
		t.Errorf("me = %v", me)
	}
	// One company account per NTN: the refusal points to login and reset,
	// and does not say which e-mail holds the account.
	_, ntn := identityFor("alice@zaitoon.pk")
	dup := c.want(c.do("POST", "/api/v1/signup", "", map[string]string{"email": "other@zaitoon.pk", "password": "correct horse battery",
		"kind": "company", "name": "Zaitoon Again", "cnic": "3520212345671", "mobile": "03001234567", "ntn": strings.TrimSuffix(ntn, "-8")}), 409)
	if e := dup.json(t)["error"].(map[string]any); e["message"] != "A company account with this NTN already exists. Log in, or reset your password if you forgot it." ||
		dup.errorField(t, "ntn") == "" || strings.Contains(string(dup.body), "alice") {
		t.Errorf("second company with one NTN: %s", dup.body)
	}
	// API tokens for programs.
	tok := c.want(c.do("POST", "/api/v1/tokens", alice, map[string]any{"name": "ci script", "expires_in_days": 30}), 201).json(t)
	script := tok["token"].(string)
	c.want(c.do("GET", "/api/v1/me", script, nil), 200)
	toks := c.want(c.do("GET", "/api/v1/tokens", alice, nil), 200).list(t)
	for _, k := range toks {
		if _, leaked := k["token"]; leaked {
			t.Error("token list shows a secret")
		}
	}
	c.want(c.do("DELETE", "/api/v1/tokens/"+tok["id"].(string), alice, nil), 204)
	c.want(c.do("GET", "/api/v1/me", script, nil), 401)

	app := c.want(c.do("POST", "/api/v1/applications", alice, map[string]any{
		"category": "company_vpn", "operator_id": "ptcl", "addresses": []string{"14.1.104.0/24", "10.1.2.3"},
	}), 422)
	if msg := app.errorField(t, "addresses[1]"); msg != "10.1.2.3/32 is private address space (10.0.0.0/8, RFC 1918) and cannot be registered" {
		t.Errorf("addresses[1] message = %q", msg)
	}
	created := c.want(c.do("POST", "/api/v1/applications", alice, map[string]any{
		"category": "company_vpn", "operator_id": "ptcl", "addresses": []string{"14.1.104.0/24"},
	}), 201)
	if !strings.HasPrefix(created.header.Get("Location"), "/api/v1/applications/app_") {
		t.Errorf("Location = %q", created.header.Get("Location"))
	}
	id := created.json(t)["id"].(string)
	c.want(c.do("PATCH", "/api/v1/applications/"+id, alice, map[string]any{
		"subscriber_id": "PTCL-0042-771", "vpn": map[string]any{"protocol": "ipsec", "endpoints": []string{"vpn.zaitoon.pk"}},
		"purpose": "Developers reach the client's build servers.",
	}), 200)
	docs := testDocuments(t, c, alice, id)
	sub := c.want(c.do("POST", "/api/v1/applications/"+id+"/submit", alice, nil), 200).json(t)
	if sub["state"] != "operator_check" || sub["sla_due_at"] == nil {
		t.Fatalf("submitted = %v", sub)
	}
	mine := c.want(c.do("GET", "/api/v1/applications?state=operator_check,review", alice, nil), 200).list(t)
	if len(mine) != 1 {
		t.Fatalf("list = %d", len(mine))
	}

	// Another account sees nothing of it.
	bob := signup(c, "bob@example.pk", "individual")
	c.want(c.do("GET", "/api/v1/applications/"+id, bob, nil), 404)
	c.want(c.do("POST", "/api/v1/applications/"+id+"/withdraw", bob, nil), 404)

	ptcl := c.login("operator.ptcl@demo.test")
	checks := c.want(c.do("GET", "/api/v1/operator/checks", ptcl, nil), 200).list(t)
	if len(checks) != 1 {
		t.Fatalf("checks = %v", checks)
	}
	jazz := c.login("operator.jazz@demo.test")
	c.want(c.do("GET", "/api/v1/operator/checks", jazz, nil), 200)
	// Whose first, then what: another operator's check is not found, with
	// a valid answer or not, and an operator's feed without its token is
	// 401 whatever the parameters.
	for _, body := range []map[string]string{{"result": "confirmed"}, {"result": "bogus"}, {"result": "disputed"}} {
		c.want(c.do("POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), jazz, body), 404)
	}
	c.want(c.raw("GET", "/feed/v1/operators/ptcl/wait?after=0&timeout=bad", "", "", nil), 401)
	c.want(c.raw("GET", "/feed/v1/operators/ptcl/wait?after=0&timeout=bad", jazz, "", nil), 404)
	c.want(c.do("POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), ptcl, map[string]string{"result": "confirmed"}), 200)
	c.want(c.do("GET", "/api/v1/applications?state=review", ptcl, nil), 200)

	reviewer := c.login("reviewer@demo.test")
	q := c.want(c.do("GET", "/api/v1/review/queue?operator=ptcl&overdue=false", reviewer, nil), 200).list(t)
	if len(q) != 1 || q[0]["overdue"] != false {
		t.Fatalf("queue = %v; want the one application, not overdue", q)
	}
	if q := c.want(c.do("GET", "/api/v1/review/queue?operator=ptcl&overdue=true", reviewer, nil), 200).list(t); len(q) != 0 {
		t.Fatalf("overdue queue = %v; the application was just submitted", q)
	}
	c.want(c.do("GET", "/api/v1/applications/"+id, reviewer, nil), 200)
	testStaffDocuments(t, c, alice, reviewer, ptcl, id, docs)
	dec := c.want(c.do("POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "approve", "valid_days": 365}), 200).json(t)
	reg := dec["registration"].(map[string]any)
	number, code := reg["number"].(string), reg["verification_code"].(string)

	c.want(c.do("GET", "/api/v1/registrations", alice, nil), 200)
	c.want(c.do("GET", "/api/v1/registrations/"+number, alice, nil), 200)
	c.want(c.do("GET", "/api/v1/registrations/"+number, bob, nil), 404)
	// Renewal and amendment (renew_test.go walks them): not yet in the
	// window, and not giving up the only address.
	c.want(c.do("POST", "/api/v1/registrations/"+number+"/renewal", alice, nil), 409)
	if res := c.want(c.do("POST", "/api/v1/registrations/"+number+"/amendment", alice, map[string]any{"remove": []string{"14.1.104.0/24"}}), 422); !strings.Contains(res.errorField(t, "remove"), "surrender") {
		t.Errorf("giving up everything: %s", res.body)
	}
	v := c.want(c.do("GET", "/api/v1/verify/"+number+"?code="+code, "", nil), 200).json(t)
	if v["holder"] != "Za***** So****** (P**) L**" || v["status"] != "active" {
		t.Errorf("verify = %v", v)
	}
	for k := range v {
		if !slices.Contains([]string{"number", "status", "category", "valid_from", "valid_until", "holder"}, k) {
			t.Errorf("verify discloses %q", k)
		}
	}
	c.want(c.do("GET", "/api/v1/verify/"+number+"?code=AAAAAAAAAA", "", nil), 404)
	token := testCertificate(t, c, number, code, alice, bob, reviewer)

	supervisor := c.login("supervisor@demo.test")
	rev := c.want(c.do("POST", "/api/v1/registrations/"+number+"/revocations", reviewer, map[string]string{"reason": "Used for a prohibited service."}), 201).json(t)
	c.want(c.do("POST", "/api/v1/revocations/"+rev["id"].(string)+"/cancel", reviewer, nil), 200)
	rev = c.want(c.do("POST", "/api/v1/registrations/"+number+"/revocations", supervisor, map[string]string{"reason": "Used for a prohibited service."}), 201).json(t)
	c.want(c.do("POST", "/api/v1/revocations/"+rev["id"].(string)+"/confirm", supervisor, nil), 403)
	pending := c.want(c.do("GET", "/api/v1/revocations", reviewer, nil), 200).list(t)
	if len(pending) != 1 {
		t.Fatalf("pending revocations = %v", pending)
	}
	// The second signature comes from a second supervisor.
	admin := c.login("admin@demo.test")
	set := c.want(c.do("GET", "/api/v1/admin/settings", admin, nil), 200).json(t)
	if set["fee_threshold"] != float64(5) {
		t.Errorf("settings = %v", set)
	}
	c.want(c.do("PUT", "/api/v1/admin/settings", admin, map[string]any{"sla_working_hours": 16}), 200)
	c.want(c.do("PUT", "/api/v1/admin/settings", reviewer, map[string]any{"sla_working_hours": 16}), 403)
	c.want(c.do("PUT", "/api/v1/admin/settings", admin, map[string]any{"min_prefix_v4": 2}), 422)
	// null is not zero: 400 naming the field, and the fee stays.
	if res := c.want(c.do("PUT", "/api/v1/admin/settings", admin, map[string]any{"fee_amount_pkr": nil}), 400); !strings.Contains(string(res.body), "fee_amount_pkr cannot be null") {
		t.Errorf("null fee = %s", res.body)
	}
	if got := c.want(c.do("GET", "/api/v1/admin/settings", admin, nil), 200).json(t)["fee_amount_pkr"]; got != set["fee_amount_pkr"] {
		t.Errorf("fee after a null = %v, want %v", got, set["fee_amount_pkr"])
	}
	c.want(c.do("POST", "/api/v1/revocations/"+rev["id"].(string)+"/confirm", reviewer, nil), 403)

	// Alice surrenders a second registration; then withdraws a draft.
	id2 := c.want(c.do("POST", "/api/v1/applications", alice, map[string]any{"category": "company_vpn"}), 201).json(t)["id"].(string)
	c.want(c.do("POST", "/api/v1/applications/"+id2+"/withdraw", alice, nil), 200)
	c.want(c.do("POST", "/api/v1/applications/"+id2+"/withdraw", alice, nil), 409)
	c.want(c.do("POST", "/api/v1/registrations/"+number+"/surrender", alice, map[string]string{"reason": "moving office"}), 200)
	c.want(c.do("POST", "/api/v1/registrations/"+number+"/surrender", alice, nil), 409)
	// A surrendered registration's certificate still verifies as authentic,
	// with the live status; no new one is made.
	v = c.want(c.do("GET", "/api/v1/verify/"+number+"?code="+code+"&c="+token, "", nil), 200).json(t)
	if v["status"] != "surrendered" || v["certificate"].(map[string]any)["verdict"] != "authentic" {
		t.Errorf("verify a surrendered registration's certificate = %v", v)
	}
	c.want(c.do("GET", "/api/v1/registrations/"+number+"/certificate.pdf", alice, nil), 409)
	// The all-time figures are the regulator staff's only (t1 finding 1).
	st := c.want(c.do("GET", "/api/v1/stats", reviewer, nil), 200).json(t)
	if st["registrations_by_status"].(map[string]any)["surrendered"] != float64(1) {
		t.Errorf("stats = %v", st)
	}
	// Metrics only with the metrics token: not anonymously, not with a
	// user's token (which is not refused as an unknown ipreg token
	// either: the two credentials are apart).
	if res := c.want(c.do("GET", "/metrics", "", nil), 401); !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without WWW-Authenticate: %v", res.header)
	}
	if res := c.want(c.do("GET", "/metrics", alice, nil), 401); !strings.Contains(string(res.body), "--metrics-token-file") {
		t.Errorf("a user's token on /metrics: %s", res.body)
	}
	c.want(c.do("GET", "/metrics", testMetricsToken+"x", nil), 401)
	m := string(c.want(c.do("GET", "/metrics", testMetricsToken, nil), 200).body)
	if !strings.Contains(m, `ipreg_http_requests_total{code="200",route="GET /api/v1/me"}`) {
		t.Errorf("metrics do not label authenticated routes by pattern")
	}
	c.want(c.do("POST", "/api/v1/logout", alice, nil), 204)
	c.want(c.do("GET", "/api/v1/me", alice, nil), 401)
	testTOTP(t, c)
}

// testTOTP turns TOTP on and off for an applicant through the API; the
// registry's tests cover staff enrolment and resets.
func testTOTP(t *testing.T, c *client) {
	erin := signup(c, "erin@example.pk", "individual")
	me := c.want(c.do("GET", "/api/v1/me", erin, nil), 200).json(t)
	if me["totp_required"] != false || me["user"].(map[string]any)["totp_enabled"] != false {
		t.Errorf("me = %v", me)
	}
	c.want(c.do("POST", "/api/v1/me/totp/confirm", erin, map[string]string{"code": "123456"}), 409)
	e := c.want(c.do("POST", "/api/v1/me/totp", erin, nil), 200)
	if e.header.Get("Cache-Control") != "no-store" {
		t.Error("the TOTP secret may be cached")
	}
	secret := e.json(t)["secret"].(string)
	// The server reads the real clock: start the walk early in a 30-second
	// step so that it cannot cross into the next between a code and its check.
	if left := 30 - time.Now().Unix()%30; left < 8 {
		time.Sleep(time.Duration(left) * time.Second)
	}
	base := auth.TOTPStep(time.Now())
	code := func(skew int64) string {
		s, _ := auth.TOTPCode(secret, base+skew)
		return s
	}
	c.want(c.do("POST", "/api/v1/me/totp/confirm", erin, map[string]string{"code": "12"}), 422)
	// Each code works once, and only later steps than the last one used:
	// the walk uses the previous, current and next step in turn.
	c.want(c.do("POST", "/api/v1/me/totp/confirm", erin, map[string]string{"code": code(-1)}), 204)
	c.want(c.do("POST", "/api/v1/me/totp", erin, nil), 409)
	creds := map[string]string{"email": "erin@example.pk", "password": "correct horse battery"}
	res := c.want(c.do("POST", "/api/v1/login", "", creds), 401)
	if !strings.Contains(res.errorField(t, "totp"), "is required") {
		t.Errorf("login without a code: %s", res.body)
	}
	creds["totp"] = code(0)
	tok := c.want(c.do("POST", "/api/v1/login", "", creds), 200).json(t)
	if tok["user"].(map[string]any)["totp_enabled"] != true {
		t.Errorf("login = %v", tok)
	}
	c.want(c.do("POST", "/api/v1/login", "", creds), 401) // a code works once
	c.want(c.do("POST", "/api/v1/me/totp/disable", erin, map[string]string{"code": "000000x"}), 422)
	c.want(c.do("POST", "/api/v1/me/totp/disable", c.login("reviewer@demo.test"), map[string]string{"code": "123456"}), 403)
	c.want(c.do("POST", "/api/v1/me/totp/disable", erin, map[string]string{"code": code(1)}), 204)
}

func testBadInput(t *testing.T, c *client) {
	carol := signup(c, "carol@example.pk", "company")
	id := c.want(c.do("POST", "/api/v1/applications", carol, map[string]any{"category": "company_vpn"}), 201).json(t)["id"].(string)
	for _, tt := range []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		status      int
		field       string
		message     string
	}{
		{"malformed JSON", "POST", "/api/v1/applications", "application/json", `{"category":`, 400, "", "ends in the middle"},
		{"wrong type", "POST", "/api/v1/applications", "application/json", `{"category": 5}`, 400, "category", "must be a string"},
		{"unknown field", "POST", "/api/v1/applications", "application/json", `{"category":"company_vpn","colour":"red"}`, 400, "colour", "not a known field"},
		{"invalid UTF-8", "POST", "/api/v1/applications", "application/json", "{\"category\":\"company_vpn\",\"purpose\":\"\xff\xfe\"}", 400, "", "UTF-8"},
		{"two values", "POST", "/api/v1/applications", "application/json", `{"category":"company_vpn"} {}`, 400, "", "after the JSON value"},
		{"not an object", "POST", "/api/v1/applications", "application/json", `[1,2]`, 400, "", "JSON object"},
		// Issue 11 §4: strict JSON. A name given twice, or in another
		// letter case, is refused with the name; 30.0 for an integer gets
		// words a person understands.
		{"duplicate key", "POST", "/api/v1/applications", "application/json", `{"category":"freelancer_vpn","category":"company_vpn"}`, 400, "category", "more than once"},
		{"duplicate nested key", "PATCH", "/api/v1/applications/" + id, "application/json", `{"vpn":{"protocol":"ipsec","protocol":"wireguard"}}`, 400, "vpn.protocol", "more than once"},
		{"duplicate array key", "PATCH", "/api/v1/applications/" + id, "application/json", `{"addresses":["14.1.104.0/24"],"addresses":[]}`, 400, "addresses", "more than once"},
		{"key in another case", "POST", "/api/v1/applications", "application/json", `{"Category":"company_vpn"}`, 400, "Category", `names are case-sensitive; write "category"`},
		{"key in capitals", "POST", "/api/v1/applications", "application/json", `{"category":"company_vpn","PURPOSE":"x"}`, 400, "PURPOSE", `write "purpose"`},
		{"nested key in another case", "PATCH", "/api/v1/applications/" + id, "application/json", `{"vpn":{"Protocol":"ipsec"}}`, 400, "vpn.Protocol", `write "protocol"`},
		{"unknown nested key", "PATCH", "/api/v1/applications/" + id, "application/json", `{"vpn":{"port":500}}`, 400, "vpn.port", "not a known field"},
		{"whole number as 30.0", "POST", "/api/v1/tokens", "application/json", `{"name":"ci","expires_in_days":30.0}`, 400, "expires_in_days", "must be a whole number, like 30"},
		{"valid_days as 30.0", "POST", "/api/v1/applications/" + id + "/decision", "application/json", `{"decision":"approve","valid_days":30.0}`, 400, "valid_days", "must be a whole number, like 30"},
		{"whole number as 3e1", "POST", "/api/v1/tokens", "application/json", `{"name":"ci","expires_in_days":3e1}`, 400, "expires_in_days", "must be a whole number, like 30"},
		{"fraction for a whole number", "POST", "/api/v1/tokens", "application/json", `{"name":"ci","expires_in_days":29.6}`, 400, "expires_in_days", "must be a whole number, like 30"},
		{"whole number too large", "POST", "/api/v1/tokens", "application/json", `{"name":"ci","expires_in_days":1e40}`, 400, "expires_in_days", "too large"},
		{"whole number as a string", "POST", "/api/v1/tokens", "application/json", `{"name":"ci","expires_in_days":"30"}`, 400, "expires_in_days", "must be a whole number, not a string"},
		{"wrong type in an array", "PATCH", "/api/v1/applications/" + id, "application/json", `{"addresses":["14.1.104.0/24",5]}`, 400, "addresses[1]", "must be a string, not a number"},
		{"array for a string", "POST", "/api/v1/applications", "application/json", `{"category":["company_vpn"]}`, 400, "category", "must be a string, not an array"},
		{"string for an object", "PATCH", "/api/v1/applications/" + id, "application/json", `{"vpn":"ipsec"}`, 400, "vpn", "must be an object, not a string"},
		{"trailing data", "POST", "/api/v1/applications", "application/json", `{"category":"company_vpn"}x`, 400, "", "after the JSON value"},
		{"trailing comma", "POST", "/api/v1/applications", "application/json", `{"category":"company_vpn",}`, 400, "", "not valid JSON"},
		{"wrong content type", "POST", "/api/v1/applications", "text/plain", `{"category":"company_vpn"}`, 415, "", "application/json"},
		{"no content type", "POST", "/api/v1/applications", "", `{"category":"company_vpn"}`, 415, "", "application/json"},
		{"empty body", "POST", "/api/v1/applications", "application/json", ``, 400, "", "empty"},
		{"too large", "POST", "/api/v1/applications", "application/json", `{"category":"company_vpn","purpose":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "", "larger than"},
		{"host bits", "PATCH", "/api/v1/applications/" + id, "application/json", `{"addresses":["14.1.104.1/24"]}`, 422, "addresses[0]", "did you mean 14.1.104.0/24?"},
		{"broad prefix", "PATCH", "/api/v1/applications/" + id, "application/json", `{"addresses":["::/0"]}`, 422, "addresses[0]", "/48 or longer"},
		{"documentation v6", "PATCH", "/api/v1/applications/" + id, "application/json", `{"addresses":["2001:db8::1"]}`, 422, "addresses[0]", "documentation"},
		{"unknown operator", "PATCH", "/api/v1/applications/" + id, "application/json", `{"operator_id":"acme"}`, 422, "operator_id", "not a known operator"},
		{"field not in category", "PATCH", "/api/v1/applications/" + id, "application/json", `{"mobile_numbers":["03001234567"]}`, 422, "mobile_numbers", "mobile_vpn only"},
		{"incomplete submit", "POST", "/api/v1/applications/" + id + "/submit", "application/json", `{}`, 422, "subscriber_id", "required"},
		{"bad queue flag", "GET", "/api/v1/review/queue?flag=nope", "", ``, 401, "", ""},
		{"bad state filter", "GET", "/api/v1/applications?state=done", "", ``, 422, "state", "comma-separated"},
		{"bad limit", "GET", "/api/v1/applications?limit=0", "", ``, 422, "limit", "1 to 1000"},
		{"missing code", "GET", "/api/v1/verify/VPN-2026-000001", "", ``, 422, "code", "required"},
		{"unknown route", "GET", "/api/v1/nothing", "", ``, 404, "", "no route"},
		{"wrong method", "DELETE", "/api/v1/applications/" + id, "", ``, 405, "", "use GET or PATCH"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok := carol
			if tt.name == "bad queue flag" || tt.name == "missing code" {
				tok = ""
			}
			res := c.raw(tt.method, tt.path, tok, tt.contentType, []byte(tt.body))
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			e := res.json(t)["error"].(map[string]any)
			if tt.field != "" {
				if msg := res.errorField(t, tt.field); !strings.Contains(msg, tt.message) {
					t.Fatalf("fields[%s] = %q, want …%s…: %s", tt.field, msg, tt.message, res.body)
				}
			} else if !strings.Contains(e["message"].(string), tt.message) {
				t.Fatalf("message = %q, want …%s…", e["message"], tt.message)
			}
		})
	}
	// A failed update leaves the draft as it was.
	a := c.want(c.do("GET", "/api/v1/applications/"+id, carol, nil), 200).json(t)
	if len(a["addresses"].([]any)) != 0 || a["operator_id"] != "" {
		t.Errorf("failed updates changed the draft: %v", a)
	}
	// Credentials.
	c.want(c.raw("GET", "/api/v1/me", "ipreg_not-a-real-token", "", nil), 401)
	res := c.raw("GET", "/api/v1/me", "", "", nil, "Authorization", "Basic Zm9vOmJhcg==")
	c.want(res, 401)
	if res.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	c.want(c.do("GET", "/api/v1/review/queue", carol, nil), 403)
	c.want(c.do("GET", "/api/v1/review/queue?flag=nope", c.login("reviewer@demo.test"), nil), 422)
	// Cross-origin state changes from a browser are refused.
	res = c.raw("POST", "/api/v1/applications", carol, "application/json", []byte(`{"category":"company_vpn"}`), "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	c.want(res, 403)
	// Throttling: the sixth wrong password is refused with Retry-After.
	for i := 0; i < 5; i++ {
		c.want(c.do("POST", "/api/v1/login", "", map[string]string{"email": "carol@example.pk", "password": "wrong password"}), 401)
	}
	res = c.want(c.do("POST", "/api/v1/login", "", map[string]string{"email": "carol@example.pk", "password": "correct horse battery"}), 429)
	if res.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if res.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("missing nosniff")
	}
}

// notification fetches and verifies a feed's notification.
func (c *client) notification(path, token string) (*feed.Notification, response) {
	c.t.Helper()
	res := c.want(c.raw("GET", path, token, "", nil), 200)
	n, _, err := feed.Verify(string(res.body), c.key)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	return n, res
}

func testFeed(t *testing.T, c *client) {
	// The global feed is public. (The workflow's approval and surrender fell
	// within one batching window and cancel out, so there is no entry.)
	n, res := c.notification("/feed/v1/notification.jose", "")
	var err error
	if res.header.Get("X-Feed-Version") != strconv.FormatInt(n.Version, 10) {
		t.Errorf("X-Feed-Version %q, notification version %d", res.header.Get("X-Feed-Version"), n.Version)
	}
	if cc := res.header.Get("Cache-Control"); cc != "public, max-age=5" {
		t.Errorf("notification Cache-Control = %q", cc)
	}
	c.want(c.raw("GET", "/feed/v1/notification.jose", "", "", nil, "If-None-Match", res.header.Get("ETag")), 304)
	snap := c.want(c.raw("GET", "/feed/v1/"+n.Snapshot.URL, "", "", nil), 200)
	if feed.Hash(snap.body) != n.Snapshot.Hash || snap.header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("snapshot: hash %v, Cache-Control %q", feed.Hash(snap.body) == n.Snapshot.Hash, snap.header.Get("Cache-Control"))
	}
	c.want(c.raw("GET", "/feed/v1/"+n.Snapshot.URL, "", "", nil, "Range", "bytes=0-9"), 206)
	c.want(c.raw("GET", "/feed/v1/files/nope.jsonl.gz", "", "", nil), 404)
	// Long-poll: at once when behind, 204 when current.
	c.want(c.raw("GET", "/feed/v1/wait?after=0", "", "", nil), 200)
	// The workflow's last change may still be in its one-second batch:
	// wait until a long-poll longer than the batch finds nothing newer,
	// keeping the latest notification as the base for what follows. (A
	// one-second poll could end just before a batched version lands: CI
	// saw the approval's wait wake for the workflow's late surrender.)
	for try := 0; ; try++ {
		res := c.raw("GET", fmt.Sprintf("/feed/v1/wait?after=%d&timeout=3", n.Version), "", "", nil)
		if res.status == 204 {
			break
		}
		c.want(res, 200)
		if try == 5 {
			t.Fatal("the feed kept changing with nothing happening")
		}
		if n, _, err = feed.Verify(string(res.body), c.key); err != nil {
			t.Fatal(err)
		}
	}
	c.want(c.raw("GET", "/feed/v1/wait?after=x", "", "", nil), 422)
	c.want(c.raw("GET", "/feed/v1/wait?after=1&timeout=99", "", "", nil), 422)
	// A version past int64 is said to be too large, not not a number
	// (tester); a negative one, however long, is below 0.
	if res := c.want(c.raw("GET", "/feed/v1/wait?after=99999999999999999999999", "", "", nil), 422); !strings.Contains(string(res.body), "is too large") {
		t.Errorf("after past int64: %s", res.body)
	}
	if res := c.want(c.raw("GET", "/feed/v1/wait?after=-99999999999999999999999", "", "", nil), 422); !strings.Contains(string(res.body), "from 0 up") {
		t.Errorf("after below int64: %s", res.body)
	}

	// An approval reaches a waiting client.
	dave := signup(c, "dave@example.pk", "company")
	id := c.want(c.do("POST", "/api/v1/applications", dave, map[string]any{"category": "company_vpn", "operator_id": "ptcl",
		"subscriber_id": "PTCL-7", "addresses": []string{"27.255.1.0/24"}, "vpn": map[string]any{"protocol": "ipsec"},
		"purpose": "Branch offices reach the head office."}), 201).json(t)["id"].(string)
	testbin.UploadRequired(t, c.base, dave, id, registry.CategoryCompany)
	c.want(c.do("POST", "/api/v1/applications/"+id+"/submit", dave, nil), 200)
	ptcl := c.login("operator.ptcl@demo.test")
	for _, ch := range c.want(c.do("GET", "/api/v1/operator/checks", ptcl, nil), 200).list(t) {
		c.want(c.do("POST", "/api/v1/operator/checks/"+ch["id"].(string), ptcl, map[string]string{"result": "confirmed"}), 200)
	}
	waited := make(chan response, 1)
	go func() {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/feed/v1/wait?after=%d&timeout=10", c.base, n.Version), nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			waited <- response{}
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		waited <- response{status: res.StatusCode, header: res.Header, body: b}
	}()
	// And a client following the stream: it opens with the current
	// notification, then gets the file it needs inline and the approval's
	// notification.
	stream := openStream(t, fmt.Sprintf("%s/feed/v1/stream?after=%d&timeout=20", c.base, n.Version))
	if ev := stream.next(); ev.event != "notification" || ev.id != strconv.FormatInt(n.Version, 10) {
		t.Fatalf("the stream opened with %+v, not the current notification (version %d)", ev, n.Version)
	}
	time.Sleep(50 * time.Millisecond)
	c.want(c.do("POST", "/api/v1/applications/"+id+"/decision", c.login("reviewer@demo.test"), map[string]any{"decision": "approve"}), 200)
	w := <-waited
	if w.status != 200 {
		t.Fatalf("wait after an approval = %d", w.status)
	}
	n2, _, err := feed.Verify(string(w.body), c.key)
	if err != nil || n2.Version != n.Version+1 {
		t.Fatalf("notification after approval = %+v, %v", n2, err)
	}
	got := c.entries("/feed/v1/", "", n2)
	if len(got) != 1 || got[0].Prefix != "27.255.1.0/24" || got[0].Cat != "company_vpn" || !strings.HasPrefix(got[0].Reg, "VPN-") {
		t.Fatalf("feed after approval = %+v", got)
	}
	file, note := stream.next(), stream.next()
	var inline struct{ URL, Hash, Content string }
	if err := json.Unmarshal([]byte(file.data), &inline); err != nil || file.event != "file" {
		t.Fatalf("the stream's event after the approval = %+v (%v), want a file inline", file, err)
	}
	// The file a client at the previous version needs: the delta when the
	// notification lists it, else (a feed this small lists no deltas:
	// they would outgrow the snapshot) the snapshot.
	content, _ := base64.StdEncoding.DecodeString(inline.Content)
	need := n2.Snapshot
	if len(n2.Deltas) > 0 && n2.Deltas[len(n2.Deltas)-1].Version == n2.Version && n2.Deltas[0].Version <= n.Version+1 {
		need = n2.Deltas[len(n2.Deltas)-1]
	}
	if inline.URL != need.URL || inline.Hash != need.Hash || feed.Hash(content) != need.Hash {
		t.Fatalf("inline file %s (hash %s, content's %s), the file needed %+v", inline.URL, inline.Hash, feed.Hash(content), need)
	}
	if fetched := c.want(c.raw("GET", "/feed/v1/"+need.URL, "", "", nil), 200); !bytes.Equal(fetched.body, content) {
		t.Fatal("the inline file differs from the file served")
	}
	if n3, _, err := feed.Verify(note.data, c.key); note.event != "notification" || note.id != strconv.FormatInt(n2.Version, 10) || err != nil || n3.Version != n2.Version {
		t.Fatalf("the stream's notification after the approval = %+v (%v)", note, err)
	}
	stream.close()
	c.want(c.raw("GET", "/feed/v1/stream?after=x", "", "", nil), 422)
	c.want(c.raw("GET", "/feed/v1/stream?after=1&timeout=0", "", "", nil), 422)
	c.want(c.raw("GET", "/feed/v1/operators/jazz/stream?after=0", "", "", nil), 401)

	// Operator feeds: that operator's token only.
	jazzTok := c.want(c.do("POST", "/api/v1/tokens", c.login("operator.jazz@demo.test"), map[string]any{"name": "agent"}), 201).json(t)["token"].(string)
	// A feed token revoked while its stream is open ends the stream at
	// the next keep-alive, as it would refuse the next request.
	jazzSession := c.login("operator.jazz@demo.test")
	made := c.want(c.do("POST", "/api/v1/tokens", jazzSession, map[string]any{"name": "stream", "scope": "feed"}), 201).json(t)
	revoked := openStream(t, c.base+"/feed/v1/operators/jazz/stream?after=0", made["token"].(string))
	for ev := revoked.next(); ev.event != "notification"; ev = revoked.next() {
	}
	c.want(c.do("DELETE", "/api/v1/tokens/"+made["id"].(string), jazzSession, nil), 204)
	select {
	case ev, ok := <-revoked.events:
		if ok {
			t.Fatalf("an event after the stream's token was revoked: %+v", ev)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the stream of a revoked token went on")
	}
	revoked.close()
	c.want(c.raw("GET", "/feed/v1/operators/jazz/notification.jose", "", "", nil), 401)
	c.want(c.raw("GET", "/feed/v1/operators/jazz/notification.jose", ptcl, "", nil), 404)
	nj, res := c.notification("/feed/v1/operators/jazz/notification.jose", jazzTok)
	if res.header.Get("Cache-Control") != "private, max-age=5" {
		t.Errorf("operator notification Cache-Control = %q", res.header.Get("Cache-Control"))
	}
	c.want(c.raw("GET", "/feed/v1/operators/jazz/"+nj.Snapshot.URL, jazzTok, "", nil), 200)
	c.want(c.raw("GET", "/feed/v1/operators/ptcl/"+nj.Snapshot.URL, ptcl, "", nil), 404)
	c.want(c.raw("GET", "/feed/v1/operators/jazz/wait?after=0", jazzTok, "", nil), 200)
	c.want(c.raw("GET", "/feed/v1/operators/jazz/wait?after=0", "", "", nil), 401)
}

// entries rebuilds a feed's set as a client would: the snapshot, then the
// deltas after it, each checked against its hash.
func (c *client) entries(base, token string, n *feed.Notification) []feed.Entry {
	c.t.Helper()
	fetch := func(ref feed.FileRef) []byte {
		res := c.want(c.raw("GET", base+ref.URL, token, "", nil), 200)
		if feed.Hash(res.body) != ref.Hash {
			c.t.Fatalf("%s: hash differs", ref.URL)
		}
		return res.body
	}
	es, err := feed.DecodeSnapshot(fetch(n.Snapshot), n.SessionID, n.Snapshot.Version)
	if err != nil {
		c.t.Fatal(err)
	}
	set := map[string]feed.Entry{}
	for _, e := range es {
		set[e.Key()] = e
	}
	for _, d := range n.Deltas {
		if d.Version <= n.Snapshot.Version {
			continue
		}
		ops, err := feed.DecodeDelta(fetch(d), n.SessionID, d.Version)
		if err != nil {
			c.t.Fatal(err)
		}
		for _, o := range ops {
			if o.Op == "add" {
				set[o.Key()] = o.Entry
			} else {
				delete(set, o.Key())
			}
		}
	}
	out := make([]feed.Entry, 0, len(set))
	for _, e := range set {
		out = append(out, e)
	}
	return out
}

// upload sends one document as multipart/form-data.
func (c *client) upload(token, id, kind, filename string, content []byte) response {
	c.t.Helper()
	ct, body := testbin.Multipart(kind, filename, content)
	return c.raw("POST", "/api/v1/applications/"+id+"/documents", token, ct, body)
}

// testDocuments uploads the documents a company_vpn application needs,
// after the refusals an applicant can run into, and returns the id of the
// front of the CNIC by kind.
func testDocuments(t *testing.T, c *client, alice, id string) map[string]string {
	res := c.want(c.do("POST", "/api/v1/applications/"+id+"/submit", alice, nil), 422)
	for _, k := range []string{"documents.cnic_front", "documents.cnic_back", "documents.incorporation_proof"} {
		if !strings.Contains(res.errorField(t, k), "is required: upload") {
			t.Errorf("submit without documents: %s = %q", k, res.errorField(t, k))
		}
	}
	app := c.want(c.do("GET", "/api/v1/applications/"+id, alice, nil), 200).json(t)
	if m, _ := app["missing_documents"].([]any); len(m) != 3 {
		t.Errorf("missing_documents = %v", app["missing_documents"])
	} else if r, _ := m[2].(map[string]any); r["accepts"] != registry.DocIncorporation.Accepts() {
		t.Errorf("missing_documents[2] = %v, want accepts %q", r, registry.DocIncorporation.Accepts())
	}
	// The refusal says what counts, in the same words.
	if msg := res.errorField(t, "documents.incorporation_proof"); !strings.HasSuffix(msg, ": "+registry.DocIncorporation.Accepts()) {
		t.Errorf("submit without documents: documents.incorporation_proof = %q", msg)
	}
	res = c.want(c.upload(alice, id, "cnic_front", "cnic.pdf", []byte("<!DOCTYPE html><script>alert(1)</script>")), 422)
	if !strings.Contains(res.errorField(t, "file"), "not a PDF, JPEG or PNG") {
		t.Errorf("HTML upload: %s", res.body)
	}
	c.want(c.upload(alice, id, "passport", "p.pdf", testbin.PDF("x")), 422)
	// A PDF that could act when staff open it is refused, with how to
	// make a plain one.
	res = c.want(c.upload(alice, id, "cnic_front", "cnic.pdf", testbin.PDFWith("/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>", "")), 422)
	if f := res.errorField(t, "file"); !strings.Contains(f, "contains JavaScript") || !strings.Contains(f, "File > Print > Save as PDF") {
		t.Errorf("PDF with JavaScript: %s", res.body)
	}
	c.want(c.raw("POST", "/api/v1/applications/"+id+"/documents", alice, "application/json", []byte(`{"kind":"cnic_front"}`)), 415)
	ct, body := testbin.Multipart("cnic_front", "a.pdf", testbin.PDF("x"))
	c.want(c.raw("POST", "/api/v1/applications/"+id+"/documents", alice, ct, body[:len(body)/2]), 400)
	// The kind given twice is refused, as two files are: which one is
	// meant cannot be told (tester t13: the last one won).
	var twice bytes.Buffer
	mw := multipart.NewWriter(&twice)
	mw.WriteField("kind", "cnic_front")
	mw.WriteField("kind", "cnic_back")
	fw, _ := mw.CreateFormFile("file", "a.pdf")
	fw.Write(testbin.PDF("x"))
	mw.Close()
	res = c.want(c.raw("POST", "/api/v1/applications/"+id+"/documents", alice, mw.FormDataContentType(), twice.Bytes()), 400)
	if !strings.Contains(res.errorField(t, "kind"), "is given twice") {
		t.Errorf("the kind given twice: %s", res.body)
	}
	// No kind: the kinds named are those the application's category takes
	// (tester t14: a company's were named to a freelancer).
	res = c.want(c.upload(alice, id, "", "a.pdf", testbin.PDF("x")), 422)
	if got := res.errorField(t, "kind"); got != "is required: one of cnic_front, cnic_back, incorporation_proof" {
		t.Errorf("no kind: kind = %q", got)
	}
	// The size limit is a setting; the body is cut off once it is passed.
	admin := c.login("admin@demo.test")
	c.want(c.do("PUT", "/api/v1/admin/settings", admin, map[string]any{"document_max_bytes": 65536}), 200)
	big := append([]byte("%PDF-1.4\n"), make([]byte, 200<<10)...)
	res = c.want(c.upload(alice, id, "cnic_front", "big.pdf", append(big, "%%EOF"...)), 413)
	if !strings.Contains(res.errorField(t, "file"), "64 KiB") {
		t.Errorf("too large: %s", res.body)
	}

	ids := map[string]string{}
	for _, k := range []string{"cnic_front", "cnic_back", "incorporation_proof"} {
		d := c.want(c.upload(alice, id, k, "C:\\scans\\"+k+" ۱.pdf", testbin.PDF(k)), 201).json(t)
		if d["filename"] != k+" ۱.pdf" || d["content_type"] != "application/pdf" {
			t.Errorf("uploaded = %v", d)
		}
		ids[k] = d["id"].(string)
	}
	// A kind the category does not take is refused, naming those it does.
	for _, k := range []string{"pseb_certificate", "government_letter", "authentication_letter"} {
		res := c.want(c.upload(alice, id, k, k+".pdf", testbin.PDF(k)), 422)
		if msg := res.errorField(t, "kind"); msg != k+" is not a document that company_vpn applications take; give one of cnic_front, cnic_back, incorporation_proof" {
			t.Errorf("upload of %s to a company_vpn application: %s", k, msg)
		}
	}
	ids["extra"] = c.want(c.upload(alice, id, "cnic_back", "back-again.pdf", testbin.PDF("again")), 201).json(t)["id"].(string)
	c.want(c.do("DELETE", "/api/v1/applications/"+id+"/documents/"+ids["extra"], alice, nil), 204)
	// The served name's extension follows the sniffed type, in the record
	// and in Content-Disposition.
	d := c.want(c.upload(alice, id, "incorporation_proof", "letter.html", testbin.PDF("letter")), 201).json(t)
	if d["filename"] != "letter.pdf" {
		t.Errorf("letter.html holding a PDF is named %v", d["filename"])
	}
	letter := "/api/v1/applications/" + id + "/documents/" + d["id"].(string)
	if cd := c.want(c.do("GET", letter+"?disposition=inline", alice, nil), 200).header.Get("Content-Disposition"); cd != "inline; filename=letter.pdf" {
		t.Errorf("letter.html holding a PDF is served as %q", cd)
	}
	c.want(c.do("DELETE", letter, alice, nil), 204)
	c.want(c.do("DELETE", "/api/v1/applications/"+id+"/documents/"+ids["extra"], alice, nil), 404)
	if l := c.want(c.do("GET", "/api/v1/applications/"+id+"/documents", alice, nil), 200).list(t); len(l) != 3 {
		t.Errorf("documents = %v", l)
	}
	app = c.want(c.do("GET", "/api/v1/applications/"+id, alice, nil), 200).json(t)
	if d, _ := app["documents"].([]any); len(d) != 3 || app["missing_documents"] != nil {
		t.Errorf("application documents = %v, missing %v", app["documents"], app["missing_documents"])
	}
	return ids
}

// testStaffDocuments reads documents as staff and checks that the
// applicant sees each read, and that operators see no documents.
func testStaffDocuments(t *testing.T, c *client, alice, reviewer, operator, id string, docs map[string]string) {
	path := "/api/v1/applications/" + id + "/documents/" + docs["cnic_front"]
	c.want(c.do("GET", "/api/v1/applications/"+id+"/documents", operator, nil), 404)
	c.want(c.do("GET", path, operator, nil), 404)
	if app := c.want(c.do("GET", "/api/v1/applications/"+id, operator, nil), 200).json(t); app["documents"] != nil {
		t.Error("the operator's view lists documents")
	}
	res := c.want(c.do("GET", path, reviewer, nil), 200)
	if !bytes.Equal(res.body, testbin.PDF("cnic_front")) || res.header.Get("Content-Type") != "application/pdf" ||
		res.header.Get("X-Content-Type-Options") != "nosniff" || res.header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("document response: %v", res.header)
	}
	if cd := res.header.Get("Content-Disposition"); cd != `attachment; filename*=utf-8''cnic_front%20%DB%B1.pdf` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	res = c.want(c.do("GET", path+"?disposition=inline", alice, nil), 200)
	if !strings.HasPrefix(res.header.Get("Content-Disposition"), "inline;") {
		t.Errorf("inline Content-Disposition = %q", res.header.Get("Content-Disposition"))
	}
	c.want(c.do("GET", path+"?disposition=open", alice, nil), 422)
	c.want(c.do("DELETE", "/api/v1/applications/"+id+"/documents/"+docs["cnic_back"], alice, nil), 409)
	acc := c.want(c.do("GET", "/api/v1/applications/"+id+"/accesses", alice, nil), 200).list(t)
	var doc, views int
	for _, a := range acc {
		switch a["action"] {
		case "document.viewed":
			doc++
			if a["document_kind"] != "cnic_front" || a["actor_role"] != "reviewer" {
				t.Errorf("access = %v", a)
			}
		case "application.viewed":
			views++
		}
	}
	if doc != 1 || views < 2 {
		t.Errorf("accesses = %v", acc)
	}
	c.want(c.do("GET", "/api/v1/applications/"+id+"/accesses", operator, nil), 404)
}

// testCertificate downloads a registration's certificate and checks its
// QR code's signed data through the public verify route and the
// published keys; it returns the signed data.
func testCertificate(t *testing.T, c *client, number, code, holder, other, staff string) string {
	t.Helper()
	res := c.want(c.do("GET", "/api/v1/registrations/"+number+"/certificate.pdf", holder, nil), 200)
	if ct := res.header.Get("Content-Type"); ct != "application/pdf" || !strings.Contains(res.header.Get("Content-Disposition"), "certificate-"+number+".pdf") {
		t.Errorf("certificate headers: %v", res.header)
	}
	c.want(c.do("GET", "/api/v1/registrations/"+number+"/certificate.pdf", other, nil), 404)
	c.want(c.do("GET", "/api/v1/registrations/"+number+"/certificate.pdf", "", nil), 401)
	if again := c.want(c.do("GET", "/api/v1/registrations/"+number+"/certificate.pdf", staff, nil), 200); !bytes.Equal(again.body, res.body) {
		t.Error("the same certificate downloaded twice differs")
	}
	u, err := certificate.ExtractURL(res.body)
	if err != nil {
		t.Fatal(err)
	}
	l, err := certificate.ParseURL(u)
	if err != nil || l.Base != "https://ipreg.example.pk" || l.Number != number || l.Code != code {
		t.Fatalf("certificate URL %s: %+v %v", u, l, err)
	}
	v := c.want(c.do("GET", "/api/v1/verify/"+number+"?code="+code+"&c="+l.Token, "", nil), 200).json(t)
	cert, _ := v["certificate"].(map[string]any)
	if v["status"] != "active" || cert["verdict"] != "authentic" {
		t.Fatalf("verify with the certificate = %v", v)
	}
	p, s, _ := strings.Cut(l.Token, ".")
	edited := []byte(p)
	edited[len(edited)/2] ^= 0x01 // still base64url: letters differ in the low bit
	v = c.want(c.do("GET", "/api/v1/verify/"+number+"?code="+code+"&c="+string(edited)+"."+s, "", nil), 200).json(t)
	if v["certificate"].(map[string]any)["verdict"] != "edited" || v["status"] != "active" {
		t.Errorf("verify an edited certificate = %v", v)
	}
	keys := c.want(c.do("GET", "/api/v1/keys", "", nil), 200).json(t)["keys"].([]any)
	var uses []string
	found := false
	for _, k := range keys {
		k := k.(map[string]any)
		uses = append(uses, k["use"].(string)+"/"+k["status"].(string))
		if k["use"] == "certificate" && k["id"] == cert["key_id"] {
			pub, err := feed.ParsePublicKey(k["public_key"].(string))
			if _, verr := certificate.Verify(l.Token, func(string) (ed25519.PublicKey, bool) { return pub, true }); err != nil || verr != nil {
				t.Errorf("the published certificate key does not verify the certificate: %v %v", err, verr)
			}
			found = true
		}
	}
	if !found || !slices.Equal(uses, []string{"certificate/current", "feed/current"}) {
		t.Errorf("keys = %v", keys)
	}
	return l.Token
}

// sse is one Server-Sent Event.
type sse struct{ event, id, data string }

type sseStream struct {
	t      *testing.T
	res    *http.Response
	events chan sse
}

// openStream GETs a feed stream and reads its events in the background.
func openStream(t *testing.T, u string, token ...string) *sseStream {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) > 0 {
		req.Header.Set("Authorization", "Bearer "+token[0])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") || res.Header.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("GET %s: %d %q", u, res.StatusCode, res.Header)
	}
	s := &sseStream{t: t, res: res, events: make(chan sse, 16)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(nil, 1<<20)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev != (sse{}) {
					s.events <- ev
				}
				ev = sse{}
			case strings.HasPrefix(line, ":"):
			default:
				k, v, _ := strings.Cut(line, ": ")
				switch k {
				case "event":
					ev.event = v
				case "id":
					ev.id = v
				case "data":
					ev.data = v
				}
			}
		}
	}()
	return s
}

func (s *sseStream) next() sse {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			s.t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(15 * time.Second):
		s.t.Fatal("no event on the stream in 15 s")
	}
	return sse{}
}

func (s *sseStream) close() { s.res.Body.Close() }
