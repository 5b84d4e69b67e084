package main_test

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/loadtest"
)

// TestLoadtestTargetDies kills "ipreg serve" (SIGKILL) once the measured
// window has begun: the run must report errors grouped by cause (a few
// rows, no addresses or ports in them), and its clients must back off
// rather than hammer the dead target. The bound on requests follows from
// the back-off schedule alone (waits of at least 50, 100, 200 … 2500 ms a
// client), so a slow machine only makes fewer. SQLite only; some 5 s.
func TestLoadtestTargetDies(t *testing.T) {
	p := start(t, []string{"IPREG_DATA_DIR=" + t.TempDir()}, "--demo")
	const clients, window = 8, 5 * time.Second
	var once sync.Once
	var atKill int
	progress := writerFunc(func(b []byte) {
		// The first line of the measured window ("   1s  N requests …").
		if m := regexp.MustCompile(`^\s*\d+s\s+(\d+) requests`).FindSubmatch(b); m != nil {
			once.Do(func() {
				atKill, _ = strconv.Atoi(string(m[1]))
				p.Cmd.Process.Signal(syscall.SIGKILL)
			})
		}
	})
	res, err := loadtest.Run(context.Background(), loadtest.Config{Target: p.base, Clients: clients, Duration: window,
		DocumentBytes: 20000, Seed: 3, Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if atKill == 0 && res.Requests > 0 {
		t.Logf("killed before the first progress line counted a request")
	}
	msgs := map[string]bool{}
	for _, op := range res.Ops {
		for m := range op.Errors {
			msgs[m] = true
		}
	}
	if res.Errors == 0 {
		t.Fatalf("no errors after the target was killed: %+v", res)
	}
	addr := regexp.MustCompile(`\d+\.\d+\.\d+\.\d+|:\d{2,5}\b`)
	for m := range msgs {
		if addr.MatchString(m) {
			t.Errorf("error message %q keeps an address or port: one cause must be one row", m)
		}
	}
	if len(msgs) > 4 {
		t.Errorf("%d distinct error messages, want a few causes: %v", len(msgs), msgs)
	}
	// At most 9 sends a client in a 5 s window of back-off waits, plus
	// the request each had in flight at the kill.
	if after := res.Requests - atKill; after > clients*10 {
		t.Errorf("%d requests after the kill from %d clients: they do not back off", after, clients)
	}
	var table strings.Builder
	res.WriteTable(&table)
	t.Logf("after the kill (%d requests before it):\n%s", atKill, table.String())
}

// TestLoadtestBogusReviewerToken: a reviewer token the registry refuses
// stops the run before any load, naming the flag.
func TestLoadtestBogusReviewerToken(t *testing.T) {
	p := start(t, []string{"IPREG_DATA_DIR=" + t.TempDir()}, "--demo")
	out, code := loadtestRunAll(t, "loadtest", "--target", p.base, "--duration", "1s", "--clients", "1", "--reviewer-token", "ipreg_bogus")
	if code == 0 || !strings.Contains(out, "--reviewer-token") || !strings.Contains(out, "401") {
		t.Errorf("exit %d, output %q; want non-zero naming --reviewer-token and the 401", code, out)
	}
}

type writerFunc func([]byte)

func (f writerFunc) Write(b []byte) (int, error) { f(b); return len(b), nil }

// loadtestRunAll is loadtestRun with standard error in the output too.
func loadtestRunAll(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var b strings.Builder
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return b.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return b.String(), 0
}

// TestLoadtestAnotherOperatorsToken: an operator token given for another
// operator (jazz=<PTCL's token>, or both ptcl and jazz given PTCL's) stops
// the run before any load, naming the flag and whose token it is; it
// used to pass the check and fail mid-run with "no pending check"
// (tester, issue 14).
func TestLoadtestAnotherOperatorsToken(t *testing.T) {
	p := start(t, []string{"IPREG_DATA_DIR=" + t.TempDir()}, "--demo")
	ptcl := p.login("operator.ptcl@demo.test", "demo-password-1")
	rev := p.login("reviewer@demo.test", "demo-password-1")
	for _, tokens := range []string{"jazz=" + ptcl, "ptcl=" + ptcl + ",jazz=" + ptcl} {
		out, code := loadtestRunAll(t, "loadtest", "--target", p.base, "--duration", "1s", "--clients", "1", "--reviewer-token", rev, "--operator-token", tokens)
		if want := "--operator-token jazz=…: the token is ptcl's operator staff's, not jazz's"; code == 0 || !strings.Contains(out, want) {
			t.Errorf("--operator-token %s…: exit %d, output %q; want non-zero and %q", tokens[:10], code, out, want)
		}
		if strings.Contains(out, ptcl) {
			t.Error("the output holds the token")
		}
	}
}
