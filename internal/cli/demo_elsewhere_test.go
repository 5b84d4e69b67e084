package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// cancelOn cancels a context once the text it waits for is written.
type cancelOn struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	text   string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if strings.Contains(c.buf.String(), c.text) {
		c.cancel()
	}
	return len(p), nil
}

// words splits a shell command line as bash does.
func words(t *testing.T, bash, line string) []string {
	t.Helper()
	out, err := exec.Command(bash, "-c", "printf '%s\\n' "+line).Output()
	if err != nil {
		t.Fatalf("bash cannot read %q: %v", line, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// TestDemoRefusalSaysWhatToRun: the command the demo's refusal suggests
// is the program as invoked with the flags given, shell-quoted, on a data
// directory (and on PostgreSQL a database) free for the demo, and it runs.
func TestDemoRefusalSaysWhatToRun(t *testing.T) {
	bash := testbin.Program(t, "bash", "bash")
	const program = "/opt/ipreg it/bin/ipreg"
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "my data")
			db := []string{"--data-dir", base}
			dsn := ""
			if kind == "postgres" {
				dsn = storetest.DSN(t, kind)
				db = append(db, "--db", dsn)
			}
			addUser := func(dbArgs []string, email string) {
				t.Helper()
				if code, _, errOut := run(t, nil, "a long password\n", append([]string{"user", "add", "--email", email, "--role", "reviewer"}, dbArgs...)...); code != 0 {
					t.Fatalf("user add: %s", errOut)
				}
			}
			addUser(db, "reviewer@pta.gov.pk")
			refusal := func() (psql, serve []string) {
				t.Helper()
				var errOut bytes.Buffer
				args := append([]string{"serve", "--listen", "127.0.0.1:0", "--demo"}, db...)
				args = append(args, "--log-level", "warn")
				code := Main(context.Background(), args, func(string) (string, bool) { return "", false },
					IO{Stdin: strings.NewReader(""), Stdout: &errOut, Stderr: &errOut, Program: program})
				msg := errOut.String()
				_, line, ok := strings.Cut(msg, "of its own: ")
				if code != 1 || !strings.Contains(msg, "refusing --demo") || !ok {
					t.Fatalf("serve --demo beside a real user = %d %q", code, msg)
				}
				line, then, _ := strings.Cut(strings.TrimSpace(line), "\n")
				if !strings.Contains(then, "export IPREG_DATA_DIR=") {
					t.Fatalf("the refusal does not say to export IPREG_DATA_DIR for the demo's other commands: %q", msg)
				}
				if kind == "postgres" {
					first, second, ok := strings.Cut(line, " && ")
					if !ok {
						t.Fatalf("on PostgreSQL the refusal gives no command to create the database: %q", msg)
					}
					psql, line = words(t, bash, first), second
				}
				return psql, words(t, bash, line)
			}
			psql, serve := refusal()
			want := []string{program, "serve", "--listen", "127.0.0.1:0", "--demo", "--log-level", "warn"}
			if kind == "postgres" {
				if len(psql) != 4 || psql[0] != "psql" || psql[1] != dsn || psql[2] != "-c" || !strings.HasPrefix(psql[3], "CREATE DATABASE ") {
					t.Fatalf("the refusal's database command = %q", psql)
				}
				name := strings.Trim(strings.TrimPrefix(psql[3], "CREATE DATABASE "), `"`)
				want = append(want, "--db", dsn[:strings.LastIndex(dsn, "/")+1]+name+dsn[strings.Index(dsn+"?", "?"):])
				// Run it as psql would, and drop it afterwards.
				admin, err := store.Open(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				// Dropped before the handle is closed: closed first (a
				// deferred Close runs before the test's cleanups), the
				// drop failed unseen and left the database behind.
				t.Cleanup(func() {
					defer admin.Close()
					if _, err := admin.SQL().Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`); err != nil {
						t.Errorf("drop the demo's database %s: %v", name, err)
					}
				})
				if _, err := admin.SQL().Exec(psql[3]); err != nil {
					t.Fatalf("%s: %v", psql[3], err)
				}
			}
			want = append(want, "--data-dir", base+"-demo")
			if strings.Join(serve, "\x00") != strings.Join(want, "\x00") {
				t.Fatalf("the refusal suggests\n%q\nwant\n%q", serve, want)
			}
			// It runs: the demo starts there.
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			started := &cancelOn{text: "serving on", cancel: cancel}
			if code := Main(ctx, serve[1:], func(string) (string, bool) { return "", false }, IO{Stdin: strings.NewReader(""), Stdout: started, Stderr: started}); code != 0 {
				t.Fatalf("the suggested command = %d\n%s", code, started.buf.String())
			}
			if kind == "postgres" {
				return
			}
			// A demo directory holding only the demo's users is suggested
			// again; once it holds a real user, a fresh name is.
			if _, again := refusal(); again[len(again)-1] != base+"-demo" {
				t.Fatalf("with a demo-only %s-demo the refusal suggests %q", base, again)
			}
			addUser([]string{"--data-dir", base + "-demo"}, "other@pta.gov.pk")
			if _, again := refusal(); again[len(again)-1] != base+"-demo-2" {
				t.Fatalf("with a real user in %s-demo the refusal suggests %q", base, again)
			}
		})
	}
}

func TestInvokedAs(t *testing.T) {
	for _, tc := range []struct{ program, want string }{
		{"/tmp/go-build3171982449/b001/exe/ipreg", "go run ./cmd/ipreg"},
		{`C:\Users\a\AppData\Local\Temp\go-build123\b001\exe\ipreg.exe`, "go run ./cmd/ipreg"},
		{"/root/.cache/go-build/4b/4bcb0c1e9a2f7d55e5f2c8b1d7e3a9f0c6b2d4e8f1a3c5b7d9e0f2a4c6b8d0e1f3-d/ipreg", "go run ./cmd/ipreg"},
		{"/home/a/.cache/go-build/4b/4bcbz-d/ipreg", "/home/a/.cache/go-build/4b/4bcbz-d/ipreg"},
		{"/home/a/.cache/go-build/4c/4bcb-d/ipreg", "/home/a/.cache/go-build/4c/4bcb-d/ipreg"},
		{"/srv/go-build/ab/ab12-d/x/ipreg", "/srv/go-build/ab/ab12-d/x/ipreg"},
		{"bin/ipreg", "bin/ipreg"},
		{"/usr/local/bin/ipreg", "/usr/local/bin/ipreg"},
		{"", "ipreg"},
	} {
		if got := strings.Join(invokedAs(tc.program), " "); got != tc.want {
			t.Errorf("invokedAs(%q) = %q, want %q", tc.program, got, tc.want)
		}
	}
}

// TestDemoRefusalUnderGoRun: run by go run, the refusal names go run
// ./cmd/ipreg, not the temporary binary gone when it exits.
func TestDemoRefusalUnderGoRun(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := run(t, nil, "a long password\n", "user", "add", "--email", "r@pta.gov.pk", "--role", "reviewer", "--data-dir", dir); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	var out bytes.Buffer
	code := Main(context.Background(), []string{"serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", dir}, func(string) (string, bool) { return "", false },
		IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Program: "/tmp/go-build3171982449/b001/exe/ipreg"})
	if code != 1 || !strings.Contains(out.String(), ": go run ./cmd/ipreg serve --demo --listen 127.0.0.1:0 --data-dir ") || strings.Contains(out.String(), "go-build") {
		t.Fatalf("serve --demo under go run = %d\n%s", code, out.String())
	}
}

// TestDemoRefusalRedactsPassword: whatever the spelling of a password in
// --db (a URL's userinfo, a password= query parameter, libpq's keyword
// form), the refusal (its psql and serve commands) never repeats it.
func TestDemoRefusalRedactsPassword(t *testing.T) {
	dsn := storetest.DSN(t, "postgres")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	if code, _, errOut := run(t, nil, "a long password\n", "user", "add", "--email", "r@pta.gov.pk", "--role", "reviewer", "--db", dsn, "--data-dir", dataDir); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	withUserinfo := *u
	withUserinfo.User = url.UserPassword(u.User.Username(), "hunter2")
	withQuery := *u
	q := u.Query()
	q.Set("password", "hunter2")
	withQuery.RawQuery = q.Encode()
	keyword := fmt.Sprintf("host=%s port=%s user=%s password=hunter2 dbname=%s sslmode=disable",
		u.Hostname(), u.Port(), u.User.Username(), strings.TrimPrefix(u.Path, "/"))
	for _, spelling := range []string{withUserinfo.String(), withQuery.String(), keyword} {
		var out bytes.Buffer
		code := Main(context.Background(), []string{"serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--db", spelling},
			func(string) (string, bool) { return "", false }, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Program: "ipreg"})
		msg := out.String()
		if code != 1 || !strings.Contains(msg, "refusing --demo") || strings.Contains(msg, "hunter2") ||
			!strings.Contains(msg, "where they say PASSWORD") || !strings.Contains(msg, "psql ") || !strings.Contains(msg, "_demo") {
			t.Errorf("serve --demo --db %q = %d\n%s", spelling, code, msg)
		}
	}
}
