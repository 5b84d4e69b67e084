package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

var ipregBin, agentBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ipreg-agent-e2e")
	if err != nil {
		panic(err)
	}
	for _, b := range []struct {
		pkg  string
		dest *string
	}{{"../ipreg", &ipregBin}, {".", &agentBin}} {
		if *b.dest, err = testbin.Build(dir, b.pkg, "bin-"+strings.Trim(b.pkg, "./")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// call returns a JSON object body, or {"list": …} for an array.
func call(t testing.TB, base, method, path, token string, body any, want int) map[string]any {
	t.Helper()
	b := testbin.Call(t, base, method, path, token, body, want)
	if l := testbin.List(b); l != nil {
		return map[string]any{"list": l}
	}
	return testbin.Object(b)
}

func login(t testing.TB, base, email, pw string) string {
	return call(t, base, "POST", "/api/v1/login", "", map[string]string{"email": email, "password": pw}, 200)["token"].(string)
}

// allowedWithin polls the agent until ip's answer is want, and says how long it took.
func allowedWithin(t testing.TB, agent, ip string, want bool, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		res, err := http.Get(agent + "/v1/check?ip=" + ip)
		if err == nil {
			var ans struct{ Allowed bool }
			json.NewDecoder(res.Body).Decode(&ans)
			res.Body.Close()
			if res.StatusCode == 200 && ans.Allowed == want {
				return time.Since(start)
			}
		}
		if time.Since(start) > limit {
			t.Fatalf("%s did not become allowed=%v at the agent within %s", ip, want, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestEndToEnd runs ipreg serve and ipreg-agent, both on port 0: an
// approval becomes "allowed" at the agent and a revocation "not allowed",
// each within a bounded wait; the agent also follows an operator feed.
func TestEndToEnd(t *testing.T) {
	dataDir := t.TempDir()
	env := []string{"IPREG_DATA_DIR=" + dataDir}
	srv := testbin.Start(t, ipregBin, env, regexp.MustCompile(`serving on (http://\S+)`), "serve", "--demo", "--listen", "127.0.0.1:0")
	base := srv.Addr
	key, err := exec.Command(ipregBin, "key", "show", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatal(err)
	}
	ag := testbin.Start(t, agentBin, nil, regexp.MustCompile(`serving lookups on (http://\S+)`),
		"--registry", base, "--trust-key", strings.TrimSpace(string(key)), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())
	agent := ag.Addr
	allowedWithin(t, agent, "27.255.0.7", false, 5*time.Second) // the first sync has happened

	// An operator-scoped agent, with an operator API token.
	jazzTok := call(t, base, "POST", "/api/v1/tokens", login(t, base, "operator.jazz@demo.test", "demo-password-1"), map[string]any{"name": "agent", "scope": "feed"}, 201)["token"].(string)
	tokFile := t.TempDir() + "/token"
	os.WriteFile(tokFile, []byte(jazzTok+"\n"), 0o600)
	opAgent := testbin.Start(t, agentBin, []string{"IPREG_AGENT_REGISTRY=" + base, "IPREG_AGENT_TRUST_KEY=" + strings.TrimSpace(string(key))},
		regexp.MustCompile(`serving lookups on (http://\S+)`), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir(), "--operator-token-file", tokFile)
	if !strings.Contains(opAgent.Stderr(), "operator=jazz") {
		t.Errorf("operator agent does not say which feed it follows:\n%s", opAgent.Stderr())
	}

	call(t, base, "POST", "/api/v1/signup", "", map[string]string{"email": "it@lahore-bpo.pk", "password": "correct horse battery",
		"kind": "company", "name": "Lahore BPO", "cnic": "35202-1234567-1", "mobile": "03211234567", "ntn": "7654321-0"}, 201)
	alice := login(t, base, "it@lahore-bpo.pk", "correct horse battery")
	id := call(t, base, "POST", "/api/v1/applications", alice, map[string]any{"category": "company_vpn", "operator_id": "ptcl",
		"subscriber_id": "PTCL-1", "addresses": []string{"27.255.0.0/24"}, "vpn": map[string]any{"protocol": "ipsec"},
		"purpose": "Agents reach the client's systems."}, 201)["id"].(string)
	testbin.UploadRequired(t, base, alice, id, registry.CategoryCompany)
	call(t, base, "POST", "/api/v1/applications/"+id+"/submit", alice, nil, 200)
	op := login(t, base, "operator.ptcl@demo.test", "demo-password-1")
	for _, c := range call(t, base, "GET", "/api/v1/operator/checks", op, nil, 200)["list"].([]map[string]any) {
		call(t, base, "POST", "/api/v1/operator/checks/"+c["id"].(string), op, map[string]string{"result": "confirmed"}, 200)
	}
	reviewer := login(t, base, "reviewer@demo.test", "demo-password-1")
	start := time.Now()
	number := call(t, base, "POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "approve"}, 200)["registration"].(map[string]any)["number"].(string)
	allowedWithin(t, agent, "27.255.0.7", true, 5*time.Second)
	t.Logf("approval → allowed at the agent: %s", time.Since(start).Round(time.Millisecond))
	allowedWithin(t, opAgent.Addr, "27.255.0.7", true, 5*time.Second)

	var ans map[string]any
	res, _ := http.Get(agent + "/v1/check?ip=27.255.0.7")
	json.NewDecoder(res.Body).Decode(&ans)
	res.Body.Close()
	if ans["registration"] != number || ans["prefix"] != "27.255.0.0/24" || ans["category"] != "company_vpn" {
		t.Errorf("agent answer = %v", ans)
	}

	sup := login(t, base, "supervisor@demo.test", "demo-password-1")
	rev := call(t, base, "POST", "/api/v1/registrations/"+number+"/revocations", reviewer, map[string]string{"reason": "misuse"}, 201)
	start = time.Now()
	call(t, base, "POST", "/api/v1/revocations/"+rev["id"].(string)+"/confirm", sup, nil, 200)
	allowedWithin(t, agent, "27.255.0.7", false, 5*time.Second)
	t.Logf("revocation → not allowed at the agent: %s", time.Since(start).Round(time.Millisecond))

	st := call(t, agent, "GET", "/v1/status", "", nil, 200)
	if st["ready"] != true || st["healthy"] != true || st["version"].(float64) < 3 {
		t.Errorf("agent status = %v", st)
	}
	call(t, agent, "GET", "/healthz", "", nil, 200)
}

// BenchmarkApprovalLatency measures, over 200 approvals, the time from the
// registry's answer to POST …/decision until the agent answers "allowed"
// for the approved address: publish, long-poll wake-up, fetch, verify,
// apply. Approvals are a second apart, since the feed makes at most one
// version a second by design. Run with -benchtime 1x.
func BenchmarkApprovalLatency(b *testing.B) {
	dataDir := b.TempDir()
	srv := testbin.Start(b, ipregBin, []string{"IPREG_DATA_DIR=" + dataDir}, regexp.MustCompile(`serving on (http://\S+)`),
		"serve", "--demo", "--listen", "127.0.0.1:0", "--log-level", "warn")
	base := srv.Addr
	key, err := exec.Command(ipregBin, "key", "show", "--data-dir", dataDir).Output()
	if err != nil {
		b.Fatal(err)
	}
	ag := testbin.Start(b, agentBin, nil, regexp.MustCompile(`serving lookups on (http://\S+)`), "--registry", base,
		"--trust-key", strings.TrimSpace(string(key)), "--listen", "127.0.0.1:0", "--state-dir", b.TempDir(), "--log-level", "warn")
	const n = 200
	call(b, base, "POST", "/api/v1/signup", "", map[string]string{"email": "bench@example.pk", "password": "correct horse battery",
		"kind": "company", "name": "Bench", "cnic": "35202-1234567-1", "mobile": "03211234567", "ntn": "7654321-0"}, 201)
	alice := login(b, base, "bench@example.pk", "correct horse battery")
	op := login(b, base, "operator.ptcl@demo.test", "demo-password-1")
	reviewer := login(b, base, "reviewer@demo.test", "demo-password-1")
	var ids []string
	for i := 0; i < n; i++ {
		id := call(b, base, "POST", "/api/v1/applications", alice, map[string]any{"category": "company_vpn", "operator_id": "ptcl",
			"subscriber_id": "PTCL-1", "addresses": []string{fmt.Sprintf("39.32.%d.0/24", i)}, "vpn": map[string]any{"protocol": "ipsec"},
			"purpose": "Branch offices reach the head office."}, 201)["id"].(string)
		testbin.UploadRequired(b, base, alice, id, registry.CategoryCompany)
		call(b, base, "POST", "/api/v1/applications/"+id+"/submit", alice, nil, 200)
		ids = append(ids, id)
	}
	for _, c := range call(b, base, "GET", "/api/v1/operator/checks", op, nil, 200)["list"].([]map[string]any) {
		call(b, base, "POST", "/api/v1/operator/checks/"+c["id"].(string), op, map[string]string{"result": "confirmed"}, 200)
	}
	var lat []time.Duration
	b.ResetTimer()
	for i, id := range ids {
		time.Sleep(time.Second)
		call(b, base, "POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "approve"}, 200)
		lat = append(lat, allowedWithin(b, ag.Addr, fmt.Sprintf("39.32.%d.9", i), true, 10*time.Second))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "ms-p50")
	b.ReportMetric(pct(0.95), "ms-p95")
	b.ReportMetric(pct(0.99), "ms-p99")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "ms-max")
}
