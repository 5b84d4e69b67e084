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

// A custom argv[0] (bash's exec -a, systemd's @) is no reason to go
// without the setting: the exec keeps the arguments as they are.
func TestServeWithItsOwnArgv0(t *testing.T) {
	cmd := exec.Command(binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	cmd.Args[0] = "ipreg-registry"
	cmd.Env = append(os.Environ(), "IPREG_MAIL=log", "GODEBUG=")
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
	served := ""
	for served == "" && sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if m := regexp.MustCompile(`serving on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			served = m[1]
		}
	}
	if served == "" {
		t.Fatalf("ipreg serve did not start; standard error:\n%s", seen.String())
	}
	go io.Copy(io.Discard, stderr)
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
	if strings.Contains(seen.String(), "running without GODEBUG") {
		t.Errorf("a note that the setting is not applied:\n%s", seen.String())
	}
}
