package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// run runs the command line in process and returns status and output.
func run(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut})
	return code, out.String(), errOut.String()
}

func TestHelp(t *testing.T) {
	code, out, _ := run(t, nil, "", "--help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "IPREG_DATA_DIR") {
		t.Fatalf("--help = %d %q", code, out)
	}
	for _, args := range [][]string{{"serve", "--help"}, {"migrate", "--help"}, {"user", "add", "--help"},
		{"key", "show", "--help"}, {"key", "rotate", "--help"}, {"key", "show-certificate", "--help"}, {"key", "rotate-certificate", "--help"}, {"operator", "add", "--help"}, {"operator", "list", "--help"}, {"operator", "load-prefixes", "--help"}, {"audit", "verify", "--help"}, {"backup", "--help"}, {"restore", "--help"}} {
		code, out, _ := run(t, nil, "", args...)
		if code != 0 || !strings.Contains(out, "Usage: ipreg "+strings.Join(args[:len(args)-1], " ")) || !strings.Contains(out, "[IPREG_DATA_DIR]") {
			t.Errorf("%v = %d\n%s", args, code, out)
		}
	}
	for _, group := range []string{"user", "operator", "audit", "key"} {
		if code, out, _ := run(t, nil, "", group, "--help"); code != 0 || !strings.Contains(out, "Usage: ipreg "+group) {
			t.Errorf("%s --help = %d %q", group, code, out)
		}
		if code, _, errOut := run(t, nil, "", group); code != 2 || !strings.Contains(errOut, "Usage: ipreg "+group) {
			t.Errorf("%s without a subcommand = %d %q", group, code, errOut)
		}
	}
	if code, out, _ := run(t, nil, "", "verify-certificate", "--help"); code != 0 || !strings.Contains(out, "Usage: ipreg verify-certificate [flags] FILE.pdf|URL") || !strings.Contains(out, "Exit status") {
		t.Errorf("verify-certificate --help = %d\n%s", code, out)
	}
	if code, _, errOut := run(t, nil, "", "verify-certificate"); code != 2 || !strings.Contains(errOut, "give one certificate PDF or verification URL") {
		t.Errorf("verify-certificate without an argument = %d %q", code, errOut)
	}
	if code, _, errOut := run(t, nil, "", "verify-certificate", "/no/such.pdf"); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("verify-certificate of a missing file = %d %q", code, errOut)
	}
	if code, _, errOut := run(t, nil, "", "verify-certificate", "https://ipreg.example.pk/verify/VPN-2026-000001?code=ABC"); code != 1 || !strings.Contains(errOut, "carries no signed certificate data") {
		t.Errorf("verify-certificate of a URL without c = %d %q", code, errOut)
	}
	if code, _, errOut := run(t, nil, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command = %d %q", code, errOut)
	}
	if code, _, errOut := run(t, nil, "", "serve", "--listen"); code != 2 || !strings.Contains(errOut, "flag needs an argument") {
		t.Errorf("bad flag = %d %q", code, errOut)
	}
}

func TestAdminCommands(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"IPREG_DATA_DIR": dir}
			if kind == "postgres" {
				env["IPREG_DB"] = storetest.DSN(t, kind)
			}
			if code, out, errOut := run(t, env, "", "migrate"); code != 0 || !strings.Contains(out, "applied 0001_init.sql") {
				t.Fatalf("migrate = %d %q %q", code, out, errOut)
			}
			if code, out, _ := run(t, env, "", "migrate"); code != 0 || !strings.Contains(out, "up to date") {
				t.Fatalf("second migrate = %d %q", code, out)
			}
			if code, _, errOut := run(t, env, "", "operator", "add", "--id", "ptcl", "--name", "PTCL", "--kind", "fixed"); code != 0 {
				t.Fatalf("operator add: %s", errOut)
			}
			code, _, errOut := run(t, env, "", "operator", "add", "--id", "Bad Id", "--name", "", "--kind", "satellite")
			if code != 1 || !strings.Contains(errOut, "--id:") || !strings.Contains(errOut, "--kind:") || !strings.Contains(errOut, "--name:") {
				t.Fatalf("invalid operator add = %d %q", code, errOut)
			}
			list := filepath.Join(dir, "ptcl.txt")
			os.WriteFile(list, []byte("# PTCL\n14.1.104.0/22\n2001:dd8:1c::/48\n"), 0o600)
			if code, out, errOut := run(t, env, "", "operator", "load-prefixes", "--id", "ptcl", "--file", list); code != 0 || !strings.Contains(out, "loaded 2") {
				t.Fatalf("load-prefixes = %d %q %q", code, out, errOut)
			}
			if code, _, errOut := run(t, env, "14.1.104.0/22\nbogus\n", "operator", "load-prefixes", "--id", "ptcl"); code != 1 || !strings.Contains(errOut, "line 2") {
				t.Fatalf("bad prefix list = %d %q", code, errOut)
			}
			// Tester's findings: special-purpose space refused at its line,
			// repeats and nested prefixes reported, an empty list refused
			// unless --allow-empty.
			if code, _, errOut := run(t, env, "14.1.104.0/22\n\n10.0.0.0/8\n", "operator", "load-prefixes", "--id", "ptcl"); code != 1 || !strings.Contains(errOut, "line 3: 10.0.0.0/8 is private address space") {
				t.Fatalf("private prefix = %d %q", code, errOut)
			}
			if code, out, errOut := run(t, env, "14.1.104.0/22\n14.1.105.0/24\n14.1.104.0/22\n2001:dd8:1c::/48\n", "operator", "load-prefixes", "--id", "ptcl"); code != 0 ||
				!strings.Contains(out, "loaded 3 prefixes") || !strings.Contains(errOut, "line 2: 14.1.105.0/24 lies inside 14.1.104.0/22 from line 1") || !strings.Contains(errOut, "line 3: 14.1.104.0/22 repeats line 1") {
				t.Fatalf("repeats = %d %q %q", code, out, errOut)
			}
			for _, empty := range []string{"", "# PTCL, to be filled in\r\n\r\n"} {
				if code, _, errOut := run(t, env, empty, "operator", "load-prefixes", "--id", "ptcl"); code != 1 || !strings.Contains(errOut, "holds no prefixes") || !strings.Contains(errOut, "--allow-empty") {
					t.Fatalf("empty list %q = %d %q", empty, code, errOut)
				}
			}
			if code, out, errOut := run(t, env, "# none\n", "operator", "load-prefixes", "--id", "ptcl", "--allow-empty"); code != 0 || !strings.Contains(out, "loaded 0 prefixes") {
				t.Fatalf("empty list with --allow-empty = %d %q %q", code, out, errOut)
			}
			// Issue 11 §4: a list saved by Notepad or Excel (BOM, CRLF) loads,
			// and errors count lines as the editor does.
			os.WriteFile(list, []byte("\ufeff# PTCL\r\n14.1.104.0/22\r\n2001:dd8:1c::/48\r\n"), 0o600)
			if code, out, errOut := run(t, env, "", "operator", "load-prefixes", "--id", "ptcl", "--file", list); code != 0 || !strings.Contains(out, "loaded 2") {
				t.Fatalf("load-prefixes with a BOM and CRLF = %d %q %q", code, out, errOut)
			}
			if code, _, errOut := run(t, env, "\ufeff14.1.104.0/22\r\n\r\n# c\r\nbogus\r\n", "operator", "load-prefixes", "--id", "ptcl"); code != 1 || !strings.Contains(errOut, "line 4: \"bogus\"") {
				t.Fatalf("bad prefix list with a BOM = %d %q", code, errOut)
			}
			if code, out, _ := run(t, env, "", "operator", "list"); code != 0 || !strings.Contains(out, "ptcl") || !strings.Contains(out, " 2") {
				t.Fatalf("operator list = %q", out)
			}
			if code, out, errOut := run(t, env, "a staff password\n", "user", "add", "--email", "Rev@Pta.gov.pk", "--role", "reviewer"); code != 0 || !strings.Contains(out, "reviewer rev@pta.gov.pk") {
				t.Fatalf("user add = %d %q %q", code, out, errOut)
			}
			// A password piped from a file Notepad saved: the BOM and CRLF are
			// not part of it, its spaces are.
			if code, out, errOut := run(t, env, "\ufeff two  spaced words \r\n", "user", "add", "--email", "bom@pta.gov.pk", "--role", "reviewer"); code != 0 || !strings.Contains(out, "reviewer bom@pta.gov.pk") {
				t.Fatalf("user add with a BOM = %d %q %q", code, out, errOut)
			}
			d := dbFlags{dataDir: dir, db: env["IPREG_DB"]}
			svc, done, err := openService(context.Background(), &d, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			for pw, ok := range map[string]bool{" two  spaced words ": true, "\ufeff two  spaced words ": false, "two  spaced words": false} {
				if _, _, err := svc.Login(context.Background(), "bom@pta.gov.pk", pw, "", "192.0.2.9"); (err == nil) != ok {
					t.Errorf("login with %q: %v; want ok=%v", pw, err, ok)
				}
			}
			done()
			if code, _, errOut := run(t, env, "short\n", "user", "add", "--email", "x@pta.gov.pk", "--role", "operator"); code != 1 || !strings.Contains(errOut, "--password") || !strings.Contains(errOut, "--operator") {
				t.Fatalf("invalid user add = %d %q", code, errOut)
			}
			if code, out, errOut := run(t, env, "", "user", "reset-totp", "--email", "rev@pta.gov.pk"); code != 0 || !strings.Contains(out, "reset TOTP of reviewer rev@pta.gov.pk") {
				t.Fatalf("user reset-totp = %d %q %q", code, out, errOut)
			}
			if code, _, errOut := run(t, env, "", "user", "reset-totp", "--email", "nobody@pta.gov.pk"); code != 1 || !strings.Contains(errOut, "nobody@pta.gov.pk") {
				t.Fatalf("user reset-totp of nobody = %d %q", code, errOut)
			}
			if code, out, _ := run(t, env, "", "audit", "verify"); code != 0 || !strings.Contains(out, "chain intact") {
				t.Fatalf("audit verify = %d %q", code, out)
			}
			// --demo refuses a database with real users, and says exactly
			// what to run instead.
			env["IPREG_LISTEN"] = "127.0.0.1:0"
			instead := "ipreg serve --demo --data-dir " + filepath.Clean(dir) + "-demo"
			if env["IPREG_DB"] != "" {
				instead = "ipreg serve --demo --db 'postgres://"
			}
			if code, _, errOut := run(t, env, "", "serve", "--demo"); code != 1 || !strings.Contains(errOut, "refusing --demo") || !strings.Contains(errOut, instead) {
				t.Fatalf("serve --demo with real users = %d %q; want it to say %q", code, errOut, instead)
			}
			// Tampering is detected.
			dsn := env["IPREG_DB"]
			if dsn == "" {
				dsn = filepath.Join(dir, "ipreg.db")
			}
			db, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL().Exec(`UPDATE audit_log SET detail = '{}' WHERE seq = 2`); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if code, _, errOut := run(t, env, "", "audit", "verify"); code != 1 || !strings.Contains(errOut, "does NOT verify") || !strings.Contains(errOut, "entry 2") {
				t.Fatalf("audit verify after tampering = %d %q", code, errOut)
			}
		})
	}
}

func TestEnvironment(t *testing.T) {
	if code, _, errOut := run(t, map[string]string{"IPREG_JOBS_INTERVAL": "soon"}, "", "serve"); code != 1 || !strings.Contains(errOut, "IPREG_JOBS_INTERVAL") {
		t.Fatalf("bad env = %d %q", code, errOut)
	}
	// The flag wins over the environment.
	dir := t.TempDir()
	code, _, errOut := run(t, map[string]string{"IPREG_DATA_DIR": filepath.Join(dir, "env")}, "", "migrate", "--data-dir", filepath.Join(dir, "flag"))
	if code != 0 {
		t.Fatal(errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "flag", "ipreg.db")); err != nil {
		t.Errorf("--data-dir did not win over IPREG_DATA_DIR: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "env")); err == nil {
		t.Errorf("IPREG_DATA_DIR was used despite --data-dir")
	}
}

func TestKeyCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"IPREG_DATA_DIR": dir}
	// A directory ipreg serve never started on has no key: key show says
	// so and makes none (an agent trusting a key nobody signs with would
	// refuse every notification).
	if code, out, errOut := run(t, env, "", "key", "show"); code == 0 || out != "" || !strings.Contains(errOut, "holds no feed signing key") {
		t.Fatalf("key show on an empty data directory = %d %q %q", code, out, errOut)
	}
	// Nor does key rotate: given a mistyped --data-dir it made a current
	// key, a next one and a marker (second tester, issue 14).
	typo := filepath.Join(dir, "typo")
	if code, out, errOut := run(t, nil, "", "key", "rotate", "--data-dir", typo); code == 0 || !strings.Contains(errOut, "holds no feed signing key") {
		t.Errorf("key rotate on a mistyped data directory = %d %q %q", code, out, errOut)
	}
	if ok, err := (publish.Keys{Dir: dir}).Exists(); ok || err != nil {
		t.Fatalf("key show made a key: %v %v", ok, err)
	}
	if _, err := os.Stat(typo); err == nil {
		t.Errorf("key rotate made %s", typo)
	}
	if _, _, err := (publish.Keys{Dir: dir}).Load(); err != nil { // as ipreg serve does at its first start
		t.Fatal(err)
	}
	_, first, _ := run(t, env, "", "key", "show")
	_, again, _ := run(t, env, "", "key", "show")
	if !strings.HasPrefix(first, "ed25519:") || first != again {
		t.Fatalf("key show = %q then %q", first, again)
	}
	if code, out, errOut := run(t, env, "", "key", "show", "--next"); code != 1 || out != "" || !strings.Contains(errOut, "no rotation is under way") {
		t.Fatalf("key show --next with no rotation = %d %q %q", code, out, errOut)
	}
	code, out, _ := run(t, env, "", "key", "rotate")
	if code != 0 || !strings.Contains(out, "announced next key") {
		t.Fatalf("rotate = %d %q", code, out)
	}
	// While rotating, standard output is still the current key alone, as
	// --trust-key "$(ipreg key show)" needs; the next key is on standard
	// error, and alone on standard output with --next.
	_, shown, note := run(t, env, "", "key", "show")
	_, nextKey, _ := run(t, env, "", "key", "show", "--next")
	if shown != first || !strings.HasPrefix(nextKey, "ed25519:") || strings.Count(nextKey, "\n") != 1 || nextKey == first ||
		!strings.Contains(note, "next key is "+strings.TrimSpace(nextKey)) {
		t.Fatalf("key show while rotating = %q (stderr %q), --next = %q", shown, note, nextKey)
	}
	if code, _, errOut := run(t, env, "", "key", "rotate"); code != 1 || !strings.Contains(errOut, "--force") {
		t.Fatalf("switching at once = %d %q", code, errOut)
	}
	if code, out, _ := run(t, env, "", "key", "rotate", "--force"); code != 0 || !strings.Contains(out, "switched") {
		t.Fatalf("rotate --force = %d %q", code, out)
	}
	if _, now, _ := run(t, env, "", "key", "show"); now != nextKey {
		t.Fatalf("after the switch key show = %q, want the announced key", now)
	}
}

func TestCertificateKeyCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"IPREG_DATA_DIR": dir}
	if code, out, errOut := run(t, env, "", "key", "show-certificate"); code != 1 || out != "" || !strings.Contains(errOut, "holds no certificate signing key") {
		t.Fatalf("show-certificate on an empty data directory = %d %q %q", code, out, errOut)
	}
	if code, _, errOut := run(t, env, "", "key", "rotate-certificate"); code != 1 || !strings.Contains(errOut, "holds no certificate signing key") {
		t.Fatalf("rotate-certificate on an empty data directory = %d %q", code, errOut)
	}
	ks, err := (certificate.Keys{Dir: dir}).Load() // as ipreg serve does at its first start
	if err != nil {
		t.Fatal(err)
	}
	_, first, _ := run(t, env, "", "key", "show-certificate")
	if want := feed.FormatPublicKey(ks.Public[0].Key) + " " + ks.Public[0].ID + " current " + ks.Public[0].Since.Format(time.RFC3339) + "\n"; ks.Public[0].Since.IsZero() || first != want {
		t.Fatalf("show-certificate = %q, want %q", first, want)
	}
	code, out, _ := run(t, env, "", "key", "rotate-certificate")
	if code != 0 || !strings.Contains(out, "previous key is retired") {
		t.Fatalf("rotate-certificate = %d %q", code, out)
	}
	_, shown, _ := run(t, env, "", "key", "show-certificate")
	lines := strings.Split(strings.TrimSpace(shown), "\n")
	firstKey := strings.Join(strings.Fields(first)[:2], " ")
	if len(lines) != 2 || !strings.Contains(lines[0], " current 20") || !strings.HasPrefix(lines[1], firstKey+" retired 20") {
		t.Fatalf("after rotation show-certificate = %q", shown)
	}
	// The feed's key is another: untouched.
	if ok, _ := (publish.Keys{Dir: dir}).Exists(); ok {
		t.Error("certificate commands made a feed key")
	}
}
