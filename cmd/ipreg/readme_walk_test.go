package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

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

	cmd := exec.Command(bash, "-c", script)
	cmd.Dir = dir
	// The reader's environment, with IPREG pointing at this demo; nothing
	// names the data directory, which the walk finds as ./ipreg-data.
	cmd.Env = append(os.Environ(), "IPREG="+p.base)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's walk failed: %v\n%s\n--- ipreg serve:\n%s", err, out, p.Stderr())
	}
	if !regexp.MustCompile(`"allowed":true`).Match(out) || !regexp.MustCompile(`14\.1\.104\.7 is allowed: VPN-\d{4}-\d{6}`).Match(out) {
		t.Fatalf("the README's walk ended without the agent's \"allowed\":\n%s", out)
	}
	if !strings.Contains(string(out), `"missing_documents"`) {
		t.Errorf("the walk's draft does not list its missing documents, as the README says:\n%s", out)
	}
	t.Logf("the README's walk:\n%s", out)

	// The demo restarts on what the walk left.
	p.Cmd.Process.Signal(syscall.SIGTERM)
	if err := <-p.Done; err != nil {
		t.Fatalf("ipreg serve --demo after SIGTERM: %v\n%s", err, p.Stderr())
	}
	again := start(t, env, "--demo")
	again.login("it@example.com.pk", "correct horse battery")
	again.Cmd.Process.Signal(syscall.SIGTERM)
	<-again.Done

	// A user made outside the demo: --demo refuses, saying what to run.
	ipreg(t, env, "a long password\n", "user", "add", "--email", "reviewer@pta.gov.pk", "--role", "reviewer")
	refused := exec.Command(binary, "serve", "--demo", "--listen", "127.0.0.1:0")
	refused.Env = append(os.Environ(), env...)
	msg, err := refused.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "refusing --demo") || !strings.Contains(string(msg), "reviewer@pta.gov.pk") ||
		!strings.Contains(string(msg), "ipreg serve --demo --data-dir "+dataDir+"-demo") {
		t.Fatalf("ipreg serve --demo beside a real user = %v\n%s", err, msg)
	}
}
