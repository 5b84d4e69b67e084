package main_test

import (
	"crypto/ed25519"
	"fmt"
	"github.com/ipreg/ipreg/internal/auth"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

var binary string

// TestMain builds the real ipreg binary once; the tests run it as a user would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ipreg-e2e")
	if err != nil {
		panic(err)
	}
	if binary, err = testbin.Build(dir, ".", "ipreg"); err != nil {
		fmt.Fprintln(os.Stderr, "build ipreg:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type proc struct {
	*testbin.Proc
	t    *testing.T
	base string
}

// start runs "ipreg serve" on port 0 and waits for its address. E-mail
// goes to the log (--mail log) unless env or args say otherwise.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	env = append([]string{"IPREG_MAIL=log"}, env...)
	p := testbin.Start(t, binary, env, regexp.MustCompile(`serving on (http://\S+)`),
		append([]string{"serve", "--listen", "127.0.0.1:0", "--jobs-interval", "1s"}, args...)...)
	return &proc{Proc: p, t: t, base: p.Addr}
}

func (p *proc) call(method, path, token string, body any, want int) map[string]any {
	p.t.Helper()
	return testbin.Object(testbin.Call(p.t, p.base, method, path, token, body, want))
}

func (p *proc) list(path, token string) []map[string]any {
	p.t.Helper()
	return testbin.List(testbin.Call(p.t, p.base, "GET", path, token, nil, 200))
}

func (p *proc) login(email, password string) string {
	p.t.Helper()
	return p.call("POST", "/api/v1/login", "", map[string]string{"email": email, "password": password}, 200)["token"].(string)
}

func ipreg(t *testing.T, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ipreg %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestEndToEnd walks signup → application → operator confirmation →
// approval → public verification → revocation proposed and confirmed,
// through HTTP against the real binary, then stops it with SIGTERM while a
// request is in flight.
func TestEndToEnd(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			env := []string{"IPREG_DATA_DIR=" + t.TempDir()}
			if kind == "postgres" {
				env = append(env, "IPREG_DB="+storetest.DSN(t, kind))
			}
			p := start(t, env, "--demo")
			if !strings.Contains(p.Stderr(), "DEMO MODE") {
				t.Errorf("--demo does not say so loudly:\n%s", p.Stderr())
			}
			p.call("GET", "/readyz", "", nil, 200)
			p.call("POST", "/api/v1/signup", "", map[string]string{"email": "it@karachi-soft.pk", "password": "correct horse battery",
				"kind": "company", "name": "Karachi Soft (Pvt) Ltd", "cnic": "42101-1234567-1", "mobile": "0321-1234567", "ntn": "7654321-0"}, 201)
			alice := p.login("it@karachi-soft.pk", "correct horse battery")
			app := p.call("POST", "/api/v1/applications", alice, map[string]any{"category": "company_vpn", "operator_id": "nayatel",
				"subscriber_id": "NT-99812", "addresses": []string{"27.255.0.0/24", "2001:dd8:1c::/48"},
				"vpn": map[string]any{"protocol": "wireguard"}, "purpose": "Engineers reach customer systems in Europe."}, 201)
			id := app["id"].(string)
			testbin.UploadRequired(t, p.base, alice, id, registry.CategoryCompany)
			p.call("POST", "/api/v1/applications/"+id+"/submit", alice, nil, 200)

			op := p.login("operator.nayatel@demo.test", "demo-password-1")
			checks := p.list("/api/v1/operator/checks", op)
			if len(checks) != 1 || checks[0]["application_id"] != id {
				t.Fatalf("operator checks = %v", checks)
			}
			p.call("POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), op, map[string]string{"result": "confirmed"}, 200)

			// A client long-polls the feed, as ipreg-agent does; the approval
			// must reach it promptly.
			key, err := feed.ParsePublicKey(ipreg(t, env, "", "key", "show"))
			if err != nil {
				t.Fatal(err)
			}
			n0 := p.notification(key)
			waited := p.wait(key, n0.Version)
			rev := p.login("reviewer@demo.test", "demo-password-1")
			approvedAt := time.Now()
			dec := p.call("POST", "/api/v1/applications/"+id+"/decision", rev, map[string]any{"decision": "approve"}, 200)
			n1 := <-waited
			if n1 == nil || n1.Version <= n0.Version {
				t.Fatalf("no newer notification after the approval")
			}
			t.Logf("approval reached a waiting feed client in %s", time.Since(approvedAt).Round(time.Millisecond))
			if got := p.entries(n1); !slices.Contains(got, "27.255.0.0/24") || !slices.Contains(got, "2001:dd8:1c::/48") {
				t.Fatalf("feed after approval holds %v", got)
			}
			reg := dec["registration"].(map[string]any)
			number, code := reg["number"].(string), reg["verification_code"].(string)
			if !regexp.MustCompile(`^VPN-\d{4}-\d{6}$`).MatchString(number) {
				t.Errorf("registration number %q", number)
			}
			v := p.call("GET", "/api/v1/verify/"+number+"?code="+code, "", nil, 200)
			if v["status"] != "active" || v["holder"] != "Ka***** So** (P**) L**" {
				t.Errorf("verify = %v", v)
			}

			sup := p.login("supervisor@demo.test", "demo-password-1")
			r := p.call("POST", "/api/v1/registrations/"+number+"/revocations", sup, map[string]string{"reason": "Registered for a service it does not run."}, 201)
			ipreg(t, env, "demo-password-1\n", "user", "add", "--email", "supervisor2@demo.test", "--role", "supervisor")
			// Not one of the demo's own users: it sets up TOTP, even under
			// --demo, and its first token becomes a full session.
			sup2 := p.login("supervisor2@demo.test", "demo-password-1")
			secret := p.call("POST", "/api/v1/me/totp", sup2, nil, 200)["secret"].(string)
			totpCode, err := auth.TOTPCode(secret, auth.TOTPStep(time.Now()))
			if err != nil {
				t.Fatal(err)
			}
			p.call("POST", "/api/v1/me/totp/confirm", sup2, map[string]string{"code": totpCode}, 204)
			// Neither the proposer nor a reviewer can give the second signature.
			p.call("POST", "/api/v1/revocations/"+r["id"].(string)+"/confirm", sup, nil, 403)
			p.call("POST", "/api/v1/revocations/"+r["id"].(string)+"/confirm", rev, nil, 403)
			p.call("POST", "/api/v1/revocations/"+r["id"].(string)+"/confirm", sup2, nil, 200)
			if v := p.call("GET", "/api/v1/verify/"+number+"?code="+code, "", nil, 200); v["status"] != "revoked" {
				t.Errorf("after revocation verify = %v", v)
			}
			if n2 := <-p.wait(key, n1.Version); n2 == nil || len(p.entries(n2)) != 0 {
				t.Fatalf("feed after revocation still lists entries")
			}

			// SIGTERM while a request is in flight: the request completes,
			// then the process exits 0.
			pr, pw := io.Pipe()
			req, _ := http.NewRequest("POST", p.base+"/api/v1/signup", pr)
			req.Header.Set("Content-Type", "application/json")
			resc := make(chan *http.Response, 1)
			go func() {
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("in-flight request failed: %v", err)
				}
				resc <- res
			}()
			body := `{"email":"late@example.pk","password":"correct horse battery","kind":"individual","name":"Late","cnic":"3520212345671","mobile":"03001234567"}`
			pw.Write([]byte(body[:20]))
			time.Sleep(300 * time.Millisecond)
			p.Cmd.Process.Signal(syscall.SIGTERM)
			time.Sleep(300 * time.Millisecond)
			pw.Write([]byte(body[20:]))
			pw.Close()
			if res := <-resc; res == nil || res.StatusCode != 201 {
				t.Errorf("in-flight request during shutdown = %v", res)
			}
			select {
			case err := <-p.Done:
				if err != nil {
					t.Fatalf("exit after SIGTERM: %v\n%s", err, p.Stderr())
				}
			case <-time.After(40 * time.Second):
				t.Fatal("did not exit after SIGTERM")
			}
			if out := ipreg(t, env, "", "audit", "verify"); !strings.Contains(out, "chain intact") {
				t.Errorf("audit verify after the run: %s", out)
			}
		})
	}
}

func (p *proc) get(path string) []byte {
	p.t.Helper()
	return testbin.Call(p.t, p.base, "GET", path, "", nil, 200)
}

func (p *proc) notification(key ed25519.PublicKey) *feed.Notification {
	p.t.Helper()
	n, _, err := feed.Verify(string(p.get("/feed/v1/notification.jose")), key)
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

// wait long-polls for a version after the given one, up to 10 s.
func (p *proc) wait(key ed25519.PublicKey, after int64) <-chan *feed.Notification {
	out := make(chan *feed.Notification, 1)
	go func() {
		res, err := http.Get(fmt.Sprintf("%s/feed/v1/wait?after=%d&timeout=10", p.base, after))
		if err != nil {
			out <- nil
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		n, _, err := feed.Verify(string(b), key)
		if res.StatusCode != 200 || err != nil {
			out <- nil
			return
		}
		out <- n
	}()
	return out
}

// entries rebuilds the feed's prefixes from the snapshot and deltas.
func (p *proc) entries(n *feed.Notification) []string {
	p.t.Helper()
	fetch := func(ref feed.FileRef) []byte {
		b := p.get("/feed/v1/" + ref.URL)
		if feed.Hash(b) != ref.Hash {
			p.t.Fatalf("%s: hash differs", ref.URL)
		}
		return b
	}
	es, err := feed.DecodeSnapshot(fetch(n.Snapshot), n.SessionID, n.Snapshot.Version)
	if err != nil {
		p.t.Fatal(err)
	}
	set := map[string]bool{}
	for _, e := range es {
		set[e.Prefix] = true
	}
	for _, d := range n.Deltas {
		if d.Version <= n.Snapshot.Version {
			continue
		}
		ops, err := feed.DecodeDelta(fetch(d), n.SessionID, d.Version)
		if err != nil {
			p.t.Fatal(err)
		}
		for _, o := range ops {
			set[o.Prefix] = o.Op == "add"
		}
	}
	var out []string
	for k, in := range set {
		if in {
			out = append(out, k)
		}
	}
	return out
}
