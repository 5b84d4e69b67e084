package main_test

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ipreg/ipreg/internal/testbin"
)

// TestServeRunsWithMADVFree: "ipreg serve" runs with GODEBUG holding
// madvdontneed=0 (main_linux.go), keeping what GODEBUG held before it, and
// an operator's own madvdontneed wins. Read from the running server's
// /proc/<pid>/environ: the exec keeps the process id.
func TestServeRunsWithMADVFree(t *testing.T) {
	tests := []struct {
		name, godebug string // "" leaves GODEBUG unset
		want          []string
	}{
		{"unset", "", []string{"madvdontneed=0"}},
		{"other settings kept", "http2debug=0", []string{"http2debug=0", "madvdontneed=0"}},
		{"operator's choice wins", "madvdontneed=1", []string{"madvdontneed=1"}},
		// The runtime does not read " madvdontneed=1": the setting is added.
		{"a field the runtime ignores", "gctrace=0, madvdontneed=1", []string{"gctrace=0, madvdontneed=1", "madvdontneed=0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := []string{"GODEBUG="}
			if tt.godebug != "" {
				env = []string{"GODEBUG=" + tt.godebug}
			}
			p := start(t, env, "--data-dir", t.TempDir())
			got := procGODEBUG(t, p.Cmd.Process.Pid)
			if len(got) != 1 || got[0] != strings.Join(tt.want, ",") {
				t.Fatalf("the server's GODEBUG = %q, want one, %q", got, strings.Join(tt.want, ","))
			}
			// And it serves.
			p.get("/healthz")
		})
	}
}

// procGODEBUG is the GODEBUG entries of process pid's environment.
func procGODEBUG(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range bytes.Split(b, []byte{0}) {
		if v, ok := strings.CutPrefix(string(e), "GODEBUG="); ok {
			got = append(got, v)
		}
	}
	return got
}

// Started through the dynamic loader, the server's executable is the
// loader: an exec of it with the same arguments would run "serve" as a
// program (testers' findings), also when argv[0] names the loader. It
// serves without the exec and says so once on standard error.
func TestServeThroughTheLoaderServes(t *testing.T) {
	f, err := elf.Open(binary)
	if err != nil {
		t.Fatal(err)
	}
	interp := ""
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				t.Fatal(err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	f.Close()
	if interp == "" {
		t.Skip("this ipreg binary is linked statically (built without cgo): no dynamic loader runs it")
	}
	for _, tt := range []struct {
		name   string
		loader []string // the loader's own arguments
	}{
		{"argv[0] the program", nil},
		{"argv[0] the loader", []string{"--argv0", interp}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(slices.Clone(tt.loader), binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
			p := testbin.Start(t, interp, []string{"IPREG_MAIL=log", "GODEBUG="}, regexp.MustCompile(`serving on (http://\S+)`), args...)
			testbin.Call(t, p.Addr, "GET", "/healthz", "", nil, 200)
			if got := procGODEBUG(t, p.Cmd.Process.Pid); len(got) != 1 || got[0] != "" {
				t.Errorf("GODEBUG through the loader = %q; want it as given, empty", got)
			}
			if n := strings.Count(p.Stderr(), "running without GODEBUG=madvdontneed=0"); n != 1 {
				t.Errorf("the note that the setting is not applied appears %d times; want once. Standard error:\n%s", n, p.Stderr())
			}
		})
	}
}

// startCmd starts cmd, an "ipreg serve" on port 0, and returns the
// address it serves on and what it wrote to standard error until then.
func startCmd(t *testing.T, cmd *exec.Cmd) (string, string) {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var seen strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if m := regexp.MustCompile(`serving on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stderr)
			return m[1], seen.String()
		}
	}
	t.Fatalf("ipreg serve did not start; standard error:\n%s", seen.String())
	return "", ""
}

// A custom argv[0] (bash's exec -a, systemd's @) is no reason to go
// without the setting: the exec keeps the arguments as they are.
func TestServeWithItsOwnArgv0(t *testing.T) {
	cmd := exec.Command(binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	cmd.Args[0] = "ipreg-registry"
	cmd.Env = append(os.Environ(), "IPREG_MAIL=log", "GODEBUG=")
	served, seen := startCmd(t, cmd)
	testbin.Call(t, served, "GET", "/healthz", "", nil, 200)
	if got := procGODEBUG(t, cmd.Process.Pid); len(got) != 1 || got[0] != "madvdontneed=0" {
		t.Errorf("GODEBUG with argv[0] %q = %q; want madvdontneed=0", cmd.Args[0], got)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if arg0, _, _ := strings.Cut(string(b), "\x00"); arg0 != "ipreg-registry" {
		t.Errorf("argv[0] after the exec = %q; want it kept, ipreg-registry", arg0)
	}
	if strings.Contains(seen, "running without GODEBUG") {
		t.Errorf("a note that the setting is not applied:\n%s", seen)
	}
}

// Started through a symlink, the process keeps the symlink's name (comm,
// what ps -C and pgrep -x match): the exec goes through the path it was
// started by. And a binary its user may run but not read (0711, a
// hardened install) is exec'd too: nothing needs to read it.
func TestServeExecKeepsHowItWasStarted(t *testing.T) {
	dir := openTempDir(t, "ipreg-exec", 0o755)
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	bin := dir + "/ipreg"
	if err := os.WriteFile(bin, b, 0o711); err != nil {
		t.Fatal(err)
	}
	link := dir + "/registry-link"
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, cmd *exec.Cmd, comm string) {
		t.Helper()
		cmd.Env = append(os.Environ(), "IPREG_MAIL=log", "GODEBUG=")
		served, seen := startCmd(t, cmd)
		testbin.Call(t, served, "GET", "/healthz", "", nil, 200)
		if got := procGODEBUG(t, cmd.Process.Pid); len(got) != 1 || got[0] != "madvdontneed=0" {
			t.Errorf("GODEBUG = %q; want madvdontneed=0. Standard error:\n%s", got, seen)
		}
		c, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(c)); got != comm {
			t.Errorf("comm = %q; want %q", got, comm)
		}
	}
	t.Run("symlink", func(t *testing.T) {
		check(t, exec.Command(link, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir()), "registry-link")
	})
	t.Run("unreadable binary", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("running as another user (nobody) needs root; this test runs as uid", os.Geteuid())
		}
		data := openTempDir(t, "ipreg-exec-data", 0o777)
		cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", data+"/d")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		cmd.Dir = data
		check(t, cmd, "ipreg")
	})
}

// openTempDir makes a temporary directory outside t.TempDir (whose 0700
// parents another user cannot pass through) with mode perm, removed when
// t ends.
func openTempDir(t *testing.T, prefix string, perm os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, perm); err != nil {
		t.Fatal(err)
	}
	return dir
}
