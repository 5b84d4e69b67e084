package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// readmeWalk returns the shell text of the README's walk: every ```sh block
// between the markers <!-- walk:begin --> and <!-- walk:end -->, without
// the fences, exactly as a reader copies it.
func readmeWalk(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	_, rest, ok := strings.Cut(readme, "<!-- walk:begin -->\n")
	section, _, ok2 := strings.Cut(rest, "<!-- walk:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no <!-- walk:begin --> … <!-- walk:end --> section")
	}
	var script strings.Builder
	for {
		_, after, found := strings.Cut(section, "```sh\n")
		if !found {
			break
		}
		block, tail, closed := strings.Cut(after, "```\n")
		if !closed {
			t.Fatal("README.md's walk has an unclosed ```sh block")
		}
		script.WriteString(block)
		section = tail
	}
	if script.Len() == 0 {
		t.Fatal("README.md's walk section holds no ```sh block")
	}
	return script.String()
}

// TestReadmeWalk runs the README's walk, exactly as written there, with
// bash against the freshly built ipreg and ipreg-agent: ipreg serve --demo
// in a directory of its own (its data in ./ipreg-data, as the README
// starts it), the walk in the same directory with the binaries in ./bin.
// Every command must succeed and the agent must answer "allowed" for the
// address the walk registered. Then the demo must start again on what the
// walk left (its applicant was made under --demo), and be refused, saying
// what to run, once a user made outside the demo is there.
func TestReadmeWalk(t *testing.T) {
	script := readmeWalk(t)
	bash := testbin.Program(t, "bash", "bash")
	testbin.Program(t, "curl", "curl")
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(binary, filepath.Join(dir, "bin", "ipreg")); err != nil {
		t.Fatal(err)
	}
	if _, err := testbin.Build(filepath.Join(dir, "bin"), "../ipreg-agent", "ipreg-agent"); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "ipreg-data")
	env := []string{"IPREG_DATA_DIR=" + dataDir}
	p := start(t, env, "--demo")

	// The demo is not fresh: another applicant's application already waits
	// for PTCL's check, older than the walk's. The walk must answer its own
	// check, and leave this one pending.
	p.call("POST", "/api/v1/signup", "", map[string]string{"email": "other@example.pk", "password": "correct horse battery",
		"kind": "company", "name": "Other (Pvt) Ltd", "cnic": "35202-7654321-1", "mobile": "0321-7654321", "ntn": "7654321-0"}, 201)
	other := p.login("other@example.pk", "correct horse battery")
	otherApp := p.call("POST", "/api/v1/applications", other, map[string]any{"category": "company_vpn", "operator_id": "ptcl",
		"subscriber_id": "PTCL-0099", "addresses": []string{"14.1.105.0/24"},
		"vpn": map[string]any{"protocol": "wireguard"}, "purpose": "Engineers reach the head office from home."}, 201)["id"].(string)
	testbin.UploadRequired(t, p.base, other, otherApp, registry.CategoryCompany)
	p.call("POST", "/api/v1/applications/"+otherApp+"/submit", other, nil, 200)

	// The walk as a reader keeps it: saved as walk.sh (runWalk).
	if err := os.WriteFile(filepath.Join(dir, "walk.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	walk := func() ([]byte, error) {
		// The reader's environment, with IPREG pointing at this demo; nothing
		// names the data directory, which the walk finds as ./ipreg-data.
		return runWalk(t, bash, dir, p.base, "")
	}
	out, err := walk()
	if err != nil {
		t.Fatalf("the README's walk failed: %v\n%s\n--- ipreg serve:\n%s", err, out, p.Stderr())
	}
	if !strings.Contains(string(out), `"totp_required"`) {
		t.Fatalf("the walk's log lost its beginning (the sign-up's answer):\n%s", out)
	}
	if st := p.call("GET", "/api/v1/applications/"+otherApp, other, nil, 200)["state"]; st != "operator_check" {
		t.Fatalf("the walk moved another applicant's application to %v: it answered a check not its own", st)
	}

	// A second run stops at the sign-up (its e-mail is taken), showing the
	// registry's message, and goes no further.
	// README says the message names the NTN.
	again, err := walk()
	if err == nil || !strings.Contains(string(again), "the registry answered 409") || !strings.Contains(string(again), `"code":"conflict"`) ||
		!strings.Contains(string(again), "NTN") || strings.Contains(string(again), `"missing_documents"`) {
		t.Fatalf("the README's walk run again = %v, want it to stop at the sign-up with the registry's 409:\n%s", err, again)
	}
	t.Logf("the README's walk run again:\n%s", again)
	wantAllowed(t, out)
	if !strings.Contains(string(out), `"missing_documents"`) {
		t.Errorf("the walk's draft does not list its missing documents, as the README says:\n%s", out)
	}
	t.Logf("the README's walk:\n%s", out)

	// The demo restarts on what the walk left.
	p.Cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.Done; err != nil {
		t.Fatalf("ipreg serve --demo after SIGTERM: %v\n%s", err, p.Stderr())
	}
	restarted := start(t, env, "--demo")
	restarted.login("it@example.com.pk", "correct horse battery")
	restarted.Cmd.Process.Signal(syscall.SIGTERM)
	<-restarted.Done

	// A user made outside the demo: --demo refuses, saying what to run.
	ipreg(t, env, "a long password\n", "user", "add", "--email", "reviewer@pta.gov.pk", "--role", "reviewer")
	refused := exec.Command(binary, "serve", "--demo", "--listen", "127.0.0.1:0")
	refused.Env = append(os.Environ(), env...)
	msg, err := refused.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "refusing --demo") || !strings.Contains(string(msg), "reviewer@pta.gov.pk") ||
		!strings.Contains(string(msg), binary+" serve --demo --listen 127.0.0.1:0 --data-dir "+dataDir+"-demo") {
		t.Fatalf("ipreg serve --demo beside a real user = %v\n%s", err, msg)
	}

	// The refusal's commands, as a reader follows them: the demo started
	// as it says, and the walk (after removing what the first one left,
	// as the README says) run after the export it says to run first.
	_, suggested, _ := strings.Cut(string(msg), "of its own: ")
	serveLine, rest, _ := strings.Cut(suggested, "\n")
	export := regexp.MustCompile(`export IPREG_DATA_DIR=\S+`).FindString(rest)
	if export == "" {
		t.Fatalf("the refusal does not say what to export for the walk's ipreg key show:\n%s", msg)
	}
	serveWords := strings.Fields(serveLine)
	if serveWords[0] != binary || serveWords[1] != "serve" {
		t.Fatalf("the refusal suggests %q", serveLine)
	}
	// start adds --listen 127.0.0.1:0 itself; the suggested command has it.
	elsewhere := testbin.Start(t, binary, []string{"IPREG_MAIL=log"}, regexp.MustCompile(`serving on (http://\S+)`), serveWords[1:]...)
	for _, left := range []string{"walk-agent-state", "agent.log"} {
		if err := os.RemoveAll(filepath.Join(dir, left)); err != nil {
			t.Fatal(err)
		}
	}
	composed, err := runWalk(t, bash, dir, elsewhere.Addr, export)
	if err != nil {
		t.Fatalf("the README's walk after the refusal's command and %s failed: %v\n%s\n--- ipreg serve:\n%s", export, err, composed, elsewhere.Stderr())
	}
	wantAllowed(t, composed)
	elsewhere.Cmd.Process.Signal(syscall.SIGTERM)
	<-elsewhere.Done
}

// runWalk runs walk.sh in dir with bash, as a reader keeps it, its output
// in a log file (nothing in it may truncate the file it writes to, as tee
// /dev/stderr would), IPREG pointing at base, after the shell command
// first if any.
func runWalk(t *testing.T, bash, dir, base, first string) ([]byte, error) {
	t.Helper()
	line := "bash walk.sh >walk.log 2>&1"
	if first != "" {
		line = first + " && " + line
	}
	cmd := exec.Command(bash, "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "IPREG="+base)
	err := cmd.Run()
	out, rerr := os.ReadFile(filepath.Join(dir, "walk.log"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	return out, err
}

// wantAllowed: the walk ended with the agent answering "allowed" for the
// walk's own registration, the one its last line names.
func wantAllowed(t *testing.T, out []byte) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^14\.1\.104\.7 is allowed: (VPN-\d{4}-\d{6})$`).FindSubmatch(out)
	if m == nil || !strings.Contains(string(out), `"allowed":true,"registration":"`+string(m[1])+`"`) {
		t.Fatalf("the README's walk ended without the agent's \"allowed\" for its own registration:\n%s", out)
	}
}

// TestReadmeWalkBesideAnOverlap: on a demo where another account already
// holds an approved registration of the walk's addresses, the walk says
// so and stops at its submission, never claiming "allowed" for a
// registration the agent's answer does not name.
func TestReadmeWalkBesideAnOverlap(t *testing.T) {
	script := readmeWalk(t)
	bash := testbin.Program(t, "bash", "bash")
	testbin.Program(t, "curl", "curl")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "walk.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, []string{"IPREG_DATA_DIR=" + filepath.Join(dir, "ipreg-data")}, "--demo")
	p.call("POST", "/api/v1/signup", "", map[string]string{"email": "first@example.pk", "password": "correct horse battery",
		"kind": "company", "name": "First (Pvt) Ltd", "cnic": "35202-7654321-1", "mobile": "0321-7654321", "ntn": "7654321-0"}, 201)
	first := p.login("first@example.pk", "correct horse battery")
	app := p.call("POST", "/api/v1/applications", first, map[string]any{"category": "company_vpn", "operator_id": "ptcl",
		"subscriber_id": "PTCL-0099", "addresses": []string{"14.1.104.0/25"},
		"vpn": map[string]any{"protocol": "wireguard"}, "purpose": "Engineers reach the head office from home."}, 201)["id"].(string)
	testbin.UploadRequired(t, p.base, first, app, registry.CategoryCompany)
	p.call("POST", "/api/v1/applications/"+app+"/submit", first, nil, 200)
	op := p.login("operator.ptcl@demo.test", "demo-password-1")
	checks := p.list("/api/v1/operator/checks?application_id="+app, op)
	if len(checks) != 1 {
		t.Fatalf("PTCL's checks of %s: %v", app, checks)
	}
	p.call("POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), op, map[string]string{"result": "confirmed"}, 200)
	rev := p.login("reviewer@demo.test", "demo-password-1")
	p.call("POST", "/api/v1/applications/"+app+"/decision", rev, map[string]any{"decision": "approve"}, 200)

	out, err := runWalk(t, bash, dir, p.base, "")
	if err == nil || strings.Contains(string(out), "is allowed: ") ||
		!strings.Contains(string(out), "14.1.104.0/24 overlaps what another account holds or applied for in this demo: the walk stops here") {
		t.Fatalf("the README's walk beside another account's registration of its addresses = %v, want it to stop saying so:\n%s", err, out)
	}
	t.Logf("the README's walk beside an overlap:\n%s", out)
}

// TestReadmeAgentExamplesUseTheWalksAddress: every example check of an
// address in README.md asks about an address the walk registers
// (14.1.104.0/24), so that a reader who walked it sees "allowed".
func TestReadmeAgentExamplesUseTheWalksAddress(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	walk := readmeWalk(t)
	if !strings.Contains(walk, `"addresses":["14.1.104.0/24"]`) {
		t.Fatal("the README's walk no longer registers 14.1.104.0/24: update this test with it")
	}
	found := regexp.MustCompile(`check\?ip=([0-9][0-9a-fA-F.:]*)`).FindAllStringSubmatch(string(b), -1)
	if len(found) < 2 {
		t.Fatalf("README.md has %d example checks; want the walk's and the agent section's", len(found))
	}
	for _, m := range found {
		if !strings.HasPrefix(m[1], "14.1.104.") {
			t.Errorf("README.md checks %s, which the walk never registered (it registers 14.1.104.0/24)", m[1])
		}
	}
}
