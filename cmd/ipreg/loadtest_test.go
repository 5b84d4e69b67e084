package main_test

import (
	"context"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/loadtest"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// TestLoadtest runs "ipreg loadtest" against a real "ipreg serve --demo"
// on each database: a short run of every duration mix and a file-only
// run must end with exit status 0, no error and a table naming each
// operation; the library's OnWrite hook must see every acknowledged
// write; and a run whose uploads the registry refuses must exit 1 and
// name the refusal. Short by design (2 s a mix, 4 clients, 20 KB scans;
// some 25 s of load a database, plus sign-ups' password hashing).
func TestLoadtest(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			env := []string{"IPREG_DATA_DIR=" + t.TempDir()}
			if kind == "postgres" {
				env = append(env, "IPREG_DB="+storetest.DSN(t, kind))
			}
			p := start(t, env, "--demo")
			common := []string{"loadtest", "--target", p.base, "--clients", "4", "--document-bytes", "20000", "--seed", "7"}

			filing := []string{"signup", "login", "create_draft", "upload_document", "submit", "operator_checks", "operator_confirm", "decide"}
			out, code := loadtestRun(t, append(common, "--mix", "file-only", "--applications", "6", "--per-applicant", "2")...)
			if code != 0 {
				t.Fatalf("file-only: exit status %d\n%s", code, out)
			}
			assertTable(t, "file-only", out, filing)
			if !strings.Contains(out, "file-only: 6 applications approved (6 submitted)") {
				t.Errorf("file-only does not report 6 approved:\n%s", out)
			}

			for _, mix := range []string{"default", "read-heavy", "deadline-rush"} {
				out, code := loadtestRun(t, append(common, "--mix", mix, "--duration", "2s")...)
				if code != 0 {
					t.Fatalf("%s: exit status %d\n%s", mix, code, out)
				}
				assertTable(t, mix, out, nil)
			}

			// The library: every acknowledged write reaches OnWrite with
			// the ids the registry gave.
			var mu sync.Mutex
			seen := map[string]int{}
			bad := []string{}
			res, err := loadtest.Run(context.Background(), loadtest.Config{Target: p.base, Clients: 3, Mix: "file-only",
				Applications: 3, DocumentBytes: 20000, OnWrite: func(w loadtest.Write) {
					mu.Lock()
					defer mu.Unlock()
					seen[w.Op]++
					if w.Status/100 != 2 || w.Op != "signup" && w.ApplicationID == "" ||
						w.Op == "upload_document" && (w.DocumentID == "" || len(w.DocumentSHA256) != 64) ||
						w.Op == "decide" && (!strings.HasPrefix(w.Registration, "VPN-") || w.VerificationCode == "") {
						bad = append(bad, w.Op+": "+string(w.Body))
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || res.Approved != 3 {
				t.Fatalf("library run: %d errors, %d approved, want 0 and 3", res.Errors, res.Approved)
			}
			if seen["decide"] != 3 || seen["submit"] != 3 || seen["upload_document"] != 9 || seen["operator_confirm"] != 3 {
				t.Errorf("OnWrite saw %v, want 3 decisions, submissions and confirmations and 9 uploads", seen)
			}
			if len(bad) > 0 {
				t.Errorf("OnWrite got writes without their ids: %v", bad)
			}

			// Errors make the exit status 1 and are named: documents above
			// the registry's limit (64 KiB here; the scans reach 190 KB).
			admin := p.login("admin@demo.test", "demo-password-1")
			p.call("PUT", "/api/v1/admin/settings", admin, map[string]any{"document_max_bytes": 65536}, 200)
			out, code = loadtestRun(t, "loadtest", "--target", p.base, "--clients", "2", "--document-bytes", "100000",
				"--mix", "file-only", "--applications", "2", "--duration", "8s")
			if code != 1 {
				t.Fatalf("uploads refused: exit status %d, want 1\n%s", code, out)
			}
			if !strings.Contains(out, "error  upload_document: ") || !strings.Contains(out, "413") {
				t.Errorf("the refused uploads are not named:\n%s", out)
			}
		})
	}
}

// loadtestRun runs the binary and returns its standard output and error
// together, and its exit status.
func loadtestRun(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var b strings.Builder
	cmd.Stdout, cmd.Stderr = &b, io.Discard
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return b.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return b.String(), 0
}

// assertTable checks the table's header, that it names want's operations
// (and has at least one row), and that its totals line counts no errors.
func assertTable(t *testing.T, mix, out string, want []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || !strings.Contains(lines[0], "operation") || !strings.Contains(lines[0], "p99 ms") {
		t.Fatalf("%s: no table:\n%s", mix, out)
	}
	rows := map[string]bool{}
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) == 8 {
			rows[f[0]] = true
		}
	}
	if len(rows) == 0 {
		t.Errorf("%s: the table has no operation rows:\n%s", mix, out)
	}
	for _, op := range want {
		if !rows[op] {
			t.Errorf("%s: the table does not name %s:\n%s", mix, op, out)
		}
	}
	total := ""
	for _, l := range lines {
		if strings.HasPrefix(l, "total: ") {
			total = l
		}
	}
	if !strings.Contains(total, " requests, 0 errors, ") {
		t.Errorf("%s: totals line %q, want 0 errors:\n%s", mix, total, out)
	}
}
