package main_test

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestRADIUSEndToEnd follows issue 11 §3 with the real programs: number
// 923001234567 registered at jazz through the registry's API, an agent
// following jazz's feed with --radius-listen, and Debian's radclient as
// the NAS. The registered number's Start allows 39.32.0.10; an
// unregistered number's Start for it unbinds it; the registered number's
// binding survives an agent restart without any new accounting; the
// issue's 8.8.8.8 is refused; a Stop answered just before a kill -9 is
// not lost; and a revocation ends the binding at once.
func TestRADIUSEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("radclient"); err != nil {
		testbin.SkipOrFail(t, "radclient is not installed (Debian: freeradius-utils)")
	}
	dataDir := t.TempDir()
	srv := testbin.Start(t, ipregBin, []string{"IPREG_DATA_DIR=" + dataDir}, regexp.MustCompile(`serving on (http://\S+)`), "serve", "--demo", "--listen", "127.0.0.1:0")
	base := srv.Addr
	key, err := exec.Command(ipregBin, "key", "show", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatal(err)
	}

	// 923001234567 registered at jazz.
	call(t, base, "POST", "/api/v1/signup", "", map[string]string{"email": "sana@example.pk", "password": "correct horse battery",
		"kind": "individual", "name": "Sana Khan", "cnic": "35202-7654321-3", "mobile": "03001234567"}, 201)
	sana := login(t, base, "sana@example.pk", "correct horse battery")
	id := call(t, base, "POST", "/api/v1/applications", sana, map[string]any{"category": "mobile_vpn", "operator_id": "jazz",
		"subscriber_id": "JAZZ-1", "mobile_numbers": []string{"0300-1234567"}, "vpn": map[string]any{"protocol": "wireguard"},
		"purpose": "Reach my employer's systems from my phone."}, 201)["id"].(string)
	testbin.UploadRequired(t, base, sana, id, registry.CategoryMobile)
	call(t, base, "POST", "/api/v1/applications/"+id+"/submit", sana, nil, 200)
	jazzOp := login(t, base, "operator.jazz@demo.test", "demo-password-1")
	for _, c := range call(t, base, "GET", "/api/v1/operator/checks", jazzOp, nil, 200)["list"].([]map[string]any) {
		call(t, base, "POST", "/api/v1/operator/checks/"+c["id"].(string), jazzOp, map[string]string{"result": "confirmed"}, 200)
	}
	reviewer := login(t, base, "reviewer@demo.test", "demo-password-1")
	number := call(t, base, "POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "approve"}, 200)["registration"].(map[string]any)["number"].(string)

	tokFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokFile, []byte(call(t, base, "POST", "/api/v1/tokens", jazzOp, map[string]any{"name": "agent"}, 201)["token"].(string)), 0o600)
	secretFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secretFile, []byte("s3cret\n"), 0o600)
	stateDir := t.TempDir()
	radiusAddr := "127.0.0.1:" + freeUDPPort(t)
	startAgent := func() *testbin.Proc {
		return testbin.Start(t, agentBin, nil, regexp.MustCompile(`serving lookups on (http://\S+)`),
			"--registry", base, "--trust-key", strings.TrimSpace(string(key)), "--listen", "127.0.0.1:0", "--state-dir", stateDir,
			"--operator-token-file", tokFile, "--radius-listen", radiusAddr, "--radius-secret-file", secretFile)
	}
	ag := startAgent()
	allowedWithin(t, ag.Addr, "39.32.0.10", false, 10*time.Second) // synced
	acct := func(status, ip, calling, session string) {
		t.Helper()
		cmd := exec.Command("radclient", "-r", "3", "-t", "2", radiusAddr, "acct", "s3cret")
		cmd.Stdin = strings.NewReader("Acct-Status-Type = " + status + "\nFramed-IP-Address = " + ip +
			"\nCalling-Station-Id = \"" + calling + "\"\nAcct-Session-Id = \"" + session + "\"\nNAS-IP-Address = 10.9.9.1\n")
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Accounting-Response") {
			t.Fatalf("radclient %s: %v\n%s", status, err, out)
		}
	}
	// The registered number's feed entry reaches the agent shortly after the approval.
	deadline := time.Now().Add(10 * time.Second)
	for {
		acct("Start", "39.32.0.10", "tel:+923001234567", "reg-1")
		if allowed(ag.Addr, "39.32.0.10") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	allowedWithin(t, ag.Addr, "39.32.0.10", true, time.Second)
	acct("Start", "39.32.0.10", "923339999999", "unreg-1")
	allowedWithin(t, ag.Addr, "39.32.0.10", false, time.Second)
	acct("Start", "39.32.0.10", "+923001234567", "reg-2")
	acct("Start", "8.8.8.8", "+923001234567", "reg-3")
	allowedWithin(t, ag.Addr, "39.32.0.10", true, time.Second)
	allowedWithin(t, ag.Addr, "8.8.8.8", false, time.Second)

	// A restart: the binding is back before any new accounting.
	ag.Cmd.Process.Signal(syscall.SIGTERM)
	if err := <-ag.Done; err != nil {
		t.Fatalf("the agent did not stop cleanly: %v\n%s", err, ag.Stderr())
	}
	ag = startAgent()
	allowedWithin(t, ag.Addr, "39.32.0.10", true, 5*time.Second)
	if !strings.Contains(ag.Stderr(), "restored RADIUS bindings") {
		t.Errorf("the restarted agent does not say it restored bindings:\n%s", ag.Stderr())
	}

	// A Stop answered just before a kill -9 stays stopped: the unbinding
	// was on disk before the Accounting-Response.
	acct("Start", "39.32.0.20", "+923001234567", "reg-4")
	allowedWithin(t, ag.Addr, "39.32.0.20", true, time.Second)
	acct("Stop", "39.32.0.20", "+923001234567", "reg-4")
	ag.Cmd.Process.Kill()
	<-ag.Done
	ag = startAgent()
	allowedWithin(t, ag.Addr, "39.32.0.10", true, 5*time.Second) // restored
	if allowed(ag.Addr, "39.32.0.20") {
		t.Error("a Stop answered before a kill -9 was lost: 39.32.0.20 is allowed again")
	}

	// Revoked: the number leaves the feed and its binding ends with it.
	rev := call(t, base, "POST", "/api/v1/registrations/"+number+"/revocations", reviewer, map[string]string{"reason": "misuse"}, 201)
	call(t, base, "POST", "/api/v1/revocations/"+rev["id"].(string)+"/confirm", login(t, base, "supervisor@demo.test", "demo-password-1"), nil, 200)
	allowedWithin(t, ag.Addr, "39.32.0.10", false, 10*time.Second)
}

// allowed asks the agent once.
func allowed(agent, ip string) bool {
	res, err := http.Get(agent + "/v1/check?ip=" + ip)
	if err != nil {
		return false
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return strings.Contains(string(b), `"allowed":true`)
}

// freeUDPPort returns a UDP port free now on 127.0.0.1, so that the
// restarted agent listens where the NAS (radclient) sends.
func freeUDPPort(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	_, port, _ := strings.Cut(pc.LocalAddr().String(), ":")
	return port
}
