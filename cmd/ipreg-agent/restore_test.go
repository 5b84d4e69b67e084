package main_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestRestoredRegistry is issue 11's second example with the real
// binaries: approve A (version 2); copy the database; approve B (version
// 3), which the agent syncs; put the copy back and restart; approve C and
// D. The registry starts a new session and logs it; the agent takes the
// snapshot and allows A, C and D, not B.
func TestRestoredRegistry(t *testing.T) {
	dataDir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	base := "http://" + listen
	serve := func() *testbin.Proc {
		return testbin.Start(t, ipregBin, []string{"IPREG_DATA_DIR=" + dataDir}, regexp.MustCompile(`serving on (http://\S+)`),
			"serve", "--demo", "--listen", listen)
	}
	stop := func(p *testbin.Proc) {
		p.Cmd.Process.Signal(os.Interrupt)
		if err := <-p.Done; err != nil {
			t.Fatalf("ipreg serve did not stop cleanly: %v\n%s", err, p.Stderr())
		}
	}
	db := filepath.Join(dataDir, "ipreg.db")
	copyDB := func(from, to string) {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(to + suffix)
			if b, err := os.ReadFile(from + suffix); err == nil {
				if err := os.WriteFile(to+suffix, b, 0o600); err != nil {
					t.Fatal(err)
				}
			} else if suffix == "" {
				t.Fatal(err)
			}
		}
	}

	srv := serve()
	key, err := exec.Command(ipregBin, "key", "show", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatal(err)
	}
	ag := testbin.Start(t, agentBin, nil, regexp.MustCompile(`serving lookups on (http://\S+)`),
		"--registry", base, "--trust-key", strings.TrimSpace(string(key)), "--listen", "127.0.0.1:0", "--state-dir", t.TempDir())
	// An applicant in the demo domain, so that --demo accepts the database
	// again at each restart.
	call(t, base, "POST", "/api/v1/signup", "", map[string]string{"email": "it.bpo@demo.test", "password": "correct horse battery",
		"kind": "company", "name": "Lahore BPO", "cnic": "35202-1234567-1", "mobile": "03211234567", "ntn": "7654321-0"}, 201)
	approve := func(prefix string) {
		t.Helper()
		alice := login(t, base, "it.bpo@demo.test", "correct horse battery")
		id := call(t, base, "POST", "/api/v1/applications", alice, map[string]any{"category": "company_vpn", "operator_id": "ptcl",
			"subscriber_id": "PTCL-1", "addresses": []string{prefix}, "vpn": map[string]any{"protocol": "ipsec"},
			"purpose": "Agents reach the client's systems."}, 201)["id"].(string)
		testbin.UploadRequired(t, base, alice, id, registry.CategoryCompany)
		call(t, base, "POST", "/api/v1/applications/"+id+"/submit", alice, nil, 200)
		op := login(t, base, "operator.ptcl@demo.test", "demo-password-1")
		for _, c := range call(t, base, "GET", "/api/v1/operator/checks", op, nil, 200)["list"].([]map[string]any) {
			call(t, base, "POST", "/api/v1/operator/checks/"+c["id"].(string), op, map[string]string{"result": "confirmed"}, 200)
		}
		reviewer := login(t, base, "reviewer@demo.test", "demo-password-1")
		call(t, base, "POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "approve"}, 200)
	}
	const wait = time.Minute // the agent retries with backoff while the registry restarts
	status := func() (string, float64) {
		st := call(t, ag.Addr, "GET", "/v1/status", "", nil, 200)
		return fmt.Sprint(st["session_id"]), st["version"].(float64)
	}

	approve("27.255.0.0/24") // A
	allowedWithin(t, ag.Addr, "27.255.0.7", true, wait)
	stop(srv)
	saved := filepath.Join(t.TempDir(), "saved.db")
	copyDB(db, saved)
	srv = serve()
	approve("27.255.1.0/24") // B
	allowedWithin(t, ag.Addr, "27.255.1.7", true, wait)
	oldSession, oldVersion := status()
	stop(srv)

	copyDB(saved, db)
	srv = serve()
	if l := srv.Stderr(); !strings.Contains(l, "starting a new session") || !strings.Contains(l, oldSession) {
		t.Errorf("the restarted registry does not say it started a new session:\n%s", l)
	}
	allowedWithin(t, ag.Addr, "27.255.1.7", false, wait) // B is gone with the new session's snapshot
	approve("27.255.2.0/24")                             // C
	approve("27.255.3.0/24")                             // D
	allowedWithin(t, ag.Addr, "27.255.3.7", true, wait)
	for ip, want := range map[string]bool{"27.255.0.7": true, "27.255.1.7": false, "27.255.2.7": true, "27.255.3.7": true} {
		allowedWithin(t, ag.Addr, ip, want, wait)
	}
	if session, version := status(); session == oldSession || version <= oldVersion {
		t.Errorf("agent at session %s version %v, before the restore %s version %v", session, version, oldSession, oldVersion)
	}
}
