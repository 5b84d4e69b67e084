package portal_test

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// env is a registry with the portal and the API in front, as ipreg serve
// composes them, and the service to prepare data with.
type env struct {
	t    testing.TB
	base string
	svc  *registry.Service
	ctx  context.Context
	logs *testbin.LogBuffer // what the server logged
	db   *store.DB          // the registry's database, for before-and-after snapshots
	mail *mailbox           // what the outbox delivered (see deliver)
	// restart replaces the portal by a new one over the same registry,
	// as a restarted server, signing account cookies with key.
	restart func(key []byte)
}

// newEnv serves the portal and the API over a fresh SQLite store; opts
// adjust the service's configuration.
func newEnv(t testing.TB, opts ...func(*registry.Config)) *env {
	t.Helper()
	return newEnvOn(t, "sqlite", opts...)
}

// newEnvOn is newEnv over a fresh store of kind (storetest.Kinds).
func newEnvOn(t testing.TB, kind string, opts ...func(*registry.Config)) *env {
	t.Helper()
	db := storetest.Open(t, kind)
	docs, err := docstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	box := &mailbox{}
	cfg := registry.Config{Hashing: auth.TestParams, Documents: docs, DemoWithoutTOTP: true,
		CertificateKeys: certificate.Keys{Dir: t.TempDir()}, PublicURL: "https://ipreg.example.pk",
		Mailer: box, Texter: box}
	for _, o := range opts {
		o(&cfg)
	}
	svc := registry.NewService(db, cfg)
	if err := svc.EnsureDemo(context.Background(), "demo-password-1"); err != nil {
		t.Fatal(err)
	}
	logs := &testbin.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	var h atomic.Pointer[http.Handler]
	start := func(key []byte) {
		a := api.New(svc, log, api.Config{})
		p, err := portal.New(svc, log, portal.Config{Demo: true, Wrap: a.Observe, PublicURL: "https://ipreg.example.pk", CookieKey: key})
		if err != nil {
			t.Fatal(err)
		}
		root := portal.Root(a.Handler(), p)
		h.Store(&root)
	}
	start(nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	return &env{t: t, base: srv.URL, svc: svc, ctx: context.Background(), logs: logs, mail: box, restart: start, db: db}
}

// browser is one visitor: a cookie jar, no automatic redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.e.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, location: res.Header.Get("Location"), body: string(body), header: res.Header}
}

func (b *browser) get(path string) page {
	b.e.t.Helper()
	req, _ := http.NewRequest("GET", b.e.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.e.t.Helper()
	req, _ := http.NewRequest("POST", b.e.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// postTwice sends form to path twice at once, as a double press of a
// button does, and returns both answers' status and Location (bodies
// unread; an error fails the test).
func (b *browser) postTwice(path string, form url.Values) []page {
	b.e.t.Helper()
	pages := make([]page, 2)
	var wg sync.WaitGroup
	for j := range pages {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", b.e.base+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := b.c.Do(req)
			if err != nil {
				b.e.t.Error(err)
				return
			}
			res.Body.Close()
			pages[j] = page{status: res.StatusCode, location: res.Header.Get("Location")}
		})
	}
	wg.Wait()
	return pages
}

// multipart posts fields and files ("name" → filename, content).
func (b *browser) multipart(path string, fields map[string]string, files map[string][2]string) page {
	b.e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for k, f := range files {
		fw, _ := w.CreateFormFile(k, f[0])
		fw.Write([]byte(f[1]))
	}
	w.Close()
	req, _ := http.NewRequest("POST", b.e.base+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

func (b *browser) login(email, password string) {
	b.e.t.Helper()
	p := b.post("/login", url.Values{"email": {email}, "password": {password}})
	if p.status != http.StatusSeeOther {
		b.e.t.Fatalf("login %s = %d: %s", email, p.status, p.body)
	}
}

// loginTOTP logs a browser in with an authenticator code.
func (b *browser) loginTOTP(email, password, code string) {
	b.e.t.Helper()
	p := b.post("/login", url.Values{"email": {email}, "password": {password}, "totp": {code}})
	if p.status != http.StatusSeeOther {
		b.e.t.Fatalf("login %s = %d: %s", email, p.status, p.body)
	}
}

// staffWithTOTP adds a staff user with the demo's password: not one of the
// demo's seeded users, so it sets up TOTP even under --demo, which it does
// here through the service. It returns the user of that session and a
// code for one later login: the next step's, which the one step of skew
// accepts (the current one was spent on the enrolment).
func (e *env) staffWithTOTP(email string, role registry.Role) (*registry.User, string) {
	e.t.Helper()
	if _, err := e.svc.AddUser(e.ctx, registry.System, registry.AddUserInput{Email: email, Password: "demo-password-1", Role: role}); err != nil {
		e.t.Fatal(err)
	}
	tok, _, err := e.svc.Login(e.ctx, email, "demo-password-1", "", "127.0.0.1")
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.svc.Authenticate(e.ctx, tok)
	if err != nil {
		e.t.Fatal(err)
	}
	en, err := e.svc.BeginTOTP(e.ctx, u)
	if err != nil {
		e.t.Fatal(err)
	}
	step := auth.TOTPStep(time.Now())
	code, err := auth.TOTPCode(en.Secret, step)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.ConfirmTOTP(e.ctx, u, tok, code); err != nil {
		e.t.Fatal(err)
	}
	if u, err = e.svc.Authenticate(e.ctx, tok); err != nil {
		e.t.Fatal(err)
	}
	next, err := auth.TOTPCode(en.Secret, step+1)
	if err != nil {
		e.t.Fatal(err)
	}
	return u, next
}

// user logs a demo user into the service, for preparing data.
func (e *env) user(email, password string) *registry.User {
	e.t.Helper()
	tok, _, err := e.svc.Login(e.ctx, email, password, "", "127.0.0.1")
	if err != nil {
		e.t.Fatalf("login %s: %v", email, err)
	}
	u, err := e.svc.Authenticate(e.ctx, tok)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) signup(email, name, kind string) *registry.User {
	e.t.Helper()
	// One account per CNIC (individuals) or NTN (companies): each e-mail
	// its own.
	h := fnv.New32a()
	h.Write([]byte(email))
	n := h.Sum32() % 10_000_000
	in := registry.SignupInput{Email: email, Password: "a long password", Kind: kind, Name: name, CNIC: fmt.Sprintf("42101-%07d-1", n), Mobile: "03001234567"}
	if kind == "company" {
		in.CNIC, in.NTN = "35202-1234567-1", fmt.Sprintf("%07d-8", n)
	}
	if _, _, err := e.svc.Signup(e.ctx, in); err != nil {
		e.t.Fatal(err)
	}
	return e.user(email, "a long password")
}

// apply files a company_vpn application with its documents; submit
// sends it to the operator.
func (e *env) apply(u *registry.User, addr, purpose string, submit bool) *registry.Application {
	e.t.Helper()
	cat, op, sub, proto := "company_vpn", "ptcl", "PTCL-42", "wireguard"
	addrs := []string{addr}
	a, err := e.svc.CreateApplication(e.ctx, u, registry.ApplicationInput{Category: &cat, OperatorID: &op, SubscriberID: &sub,
		Addresses: &addrs, VPNProtocol: &proto, Purpose: &purpose})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range registry.RequiredDocuments(a.Category) {
		if _, err := e.svc.UploadDocument(e.ctx, u, a.ID, registry.UploadInput{Kind: string(r.Kinds[0]), Filename: string(r.Kinds[0]) + ".pdf",
			Content: testbin.PDF("scan")}); err != nil {
			e.t.Fatal(err)
		}
	}
	if submit {
		if _, err := e.svc.Submit(e.ctx, u, a.ID, nil); err != nil {
			e.t.Fatal(err)
		}
	}
	return a
}

func (e *env) confirmChecks(operator *registry.User) {
	e.t.Helper()
	cs, err := e.svc.ListChecks(e.ctx, operator, registry.CheckPending)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range cs {
		if _, err := e.svc.AnswerCheck(e.ctx, operator, c.ID, "confirmed", ""); err != nil {
			e.t.Fatal(err)
		}
	}
}
