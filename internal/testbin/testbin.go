// Package testbin builds the project's binaries and runs them as a user
// would, for end-to-end tests: on port 0, waiting for the address they
// print, stopped when the test ends.
package testbin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// Build compiles the package (an import path or directory) into dir and
// returns the binary's path.
func Build(dir, pkg, name string) (string, error) {
	bin := filepath.Join(dir, name)
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		return "", &buildError{err: err, out: out}
	}
	return bin, nil
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// Proc is a running binary.
type Proc struct {
	Cmd  *exec.Cmd
	Addr string // what the address pattern matched
	Done chan error

	mu     sync.Mutex
	stderr bytes.Buffer
}

// Stderr returns what the process has written to standard error so far.
func (p *Proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// Start runs bin with args and env, waits until a line of its standard
// error matches addr (its first group is the address), and kills it when
// the test ends.
func Start(t testing.TB, bin string, env []string, addr *regexp.Regexp, args ...string) *Proc {
	t.Helper()
	return StartWithin(t, 30*time.Second, bin, env, addr, args...)
}

// StartWithin is Start giving the process up to within to print its
// address: a bound on a hang, for starts that share the machine with a
// heavy load (a replica restarted under a test's load), not a figure.
func StartWithin(t testing.TB, within time.Duration, bin string, env []string, addr *regexp.Regexp, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Proc{Cmd: cmd, Done: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := addr.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { p.Done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	select {
	case p.Addr = <-found:
	case err := <-p.Done:
		t.Fatalf("%s exited: %v\n%s", filepath.Base(bin), err, p.Stderr())
	case <-time.After(within):
		t.Fatalf("%s did not start within %s\n%s", filepath.Base(bin), within, p.Stderr())
	}
	return p
}

// Strict reports whether missing test dependencies must fail the run
// (IPREG_TEST_STRICT=1, as CI sets it).
func Strict() bool { return os.Getenv("IPREG_TEST_STRICT") == "1" }

// SkipOrFail skips with why, or fails under IPREG_TEST_STRICT=1.
func SkipOrFail(tb testing.TB, why string) {
	tb.Helper()
	if Strict() {
		tb.Fatalf("%s (IPREG_TEST_STRICT=1 makes this a failure)", why)
	}
	tb.Skip(why + " (set IPREG_TEST_STRICT=1 to make this a failure)")
}

// Call sends a request to base+path, with body as JSON when not nil and
// token as a bearer token when not empty, fails the test unless the status
// is want, and returns the response body.
func Call(t testing.TB, base, method, path, token string, body any, want int) []byte {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	ct := ""
	if body != nil {
		ct = "application/json"
	}
	return send(t, method, base+path, token, ct, r, want)
}

// send makes one request, fails the test unless the status is want, and
// returns the response body.
func send(t testing.TB, method, url, token, contentType string, body io.Reader, want int) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, url, res.StatusCode, want, b)
	}
	return b
}

// Object decodes a JSON object body (nil when the body is not one).
func Object(b []byte) map[string]any {
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// List decodes a JSON array of objects body (nil when the body is not one).
func List(b []byte) []map[string]any {
	var l []map[string]any
	json.Unmarshal(b, &l)
	return l
}

// Program returns the path of an external program the test needs, or
// skips (fails under IPREG_TEST_STRICT=1) naming the package to install.
func Program(tb testing.TB, name, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		SkipOrFail(tb, name+" is not installed (Debian package "+pkg+")")
	}
	return p
}
