package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// ipreg import registrations on each database: --help, a dry run that
// writes nothing, the real run publishing one feed version, a second run
// that changes nothing, and a file with problems reported line by line
// with exit status 1. The other row of a registration imported before,
// whose first row the file now spoils, is no problem of its own: with
// line 2 left out, it was told as "imported before with other items".
func TestImportCommand(t *testing.T) {
	if code, out, _ := run(t, nil, "", "import", "registrations", "--help"); code != 0 || !strings.Contains(out, "Usage: ipreg import registrations") ||
		!strings.Contains(out, "--dry-run") || !strings.Contains(out, "[IPREG_DATA_DIR]") {
		t.Fatalf("--help = %d\n%s", code, out)
	}
	if code, _, errOut := run(t, nil, "", "import"); code != 2 || !strings.Contains(errOut, "Usage: ipreg import registrations") {
		t.Fatalf("import without a subcommand = %d %q", code, errOut)
	}
	sample, err := filepath.Abs("../../docs/import-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"IPREG_DATA_DIR": dir}
			if kind == "postgres" {
				env["IPREG_DB"] = storetest.DSN(t, kind)
			}
			if code, _, errOut := run(t, env, "", "migrate"); code != 0 {
				t.Fatalf("migrate: %s", errOut)
			}
			for _, op := range [][]string{{"ptcl", "fixed"}, {"nayatel", "fixed"}, {"stormfiber", "fixed"}, {"telenor", "mobile"}} {
				if code, _, errOut := run(t, env, "", "operator", "add", "--id", op[0], "--name", op[0], "--kind", op[1]); code != 0 {
					t.Fatalf("operator add: %s", errOut)
				}
			}
			if _, _, err := (publish.Keys{Dir: dir}).Load(); err != nil { // as ipreg serve does at its first start
				t.Fatal(err)
			}
			code, out, errOut := run(t, env, "", "import", "registrations", "--file", sample, "--dry-run")
			if code != 0 || !strings.Contains(out, "6 rows: 4 registrations with 6 items of 4 holders") ||
				!strings.Contains(out, "would import (dry run: nothing written): 4 new registrations, 4 new holder accounts") {
				t.Fatalf("dry run = %d\n%s%s", code, out, errOut)
			}
			code, out, errOut = run(t, env, "", "import", "registrations", "--file", sample)
			if code != 0 || !strings.Contains(out, "imported: 4 new registrations, 4 new holder accounts") ||
				!strings.Contains(out, "new holders (user ids): usr") || !strings.Contains(out, "feed: published as version 1") ||
				!strings.Contains(out, "invited 4 new holders to claim their accounts") {
				t.Fatalf("real run = %d\n%s%s", code, out, errOut)
			}
			code, out, errOut = run(t, env, "", "import", "registrations", "--file", sample)
			if code != 0 || !strings.Contains(out, "imported: 0 new registrations, 0 new holder accounts; 4 registrations unchanged") || strings.Contains(out, "feed:") ||
				strings.Contains(out, "invited") {
				t.Fatalf("second run = %d\n%s%s", code, out, errOut)
			}
			bad := filepath.Join(dir, "bad.csv")
			data, _ := os.ReadFile(sample)
			os.WriteFile(bad, []byte(strings.Replace(strings.Replace(string(data), "ptcl", "etisalat", 1), "182.176.10.7", "192.168.1.7", 1)), 0o600)
			code, out, errOut = run(t, env, "", "import", "registrations", "--file", bad)
			if code != 1 || !strings.Contains(out, `line 2, operator ("etisalat"): "etisalat" is not a known operator`) ||
				!strings.Contains(out, `line 4, item ("192.168.1.7"): 192.168.1.7/32 is private address space`) ||
				strings.Contains(out, "line 3") || !strings.Contains(errOut, "2 problems; nothing was imported") {
				t.Fatalf("file with problems = %d\n%s%s", code, out, errOut)
			}
			if code, _, errOut := run(t, env, "", "import", "registrations", "--file", filepath.Join(dir, "none.csv")); code != 1 || !strings.Contains(errOut, "no such file") {
				t.Fatalf("missing file = %d %q", code, errOut)
			}
		})
	}
}

// The report prints at most importIDsShown new holders' ids, saying how
// many more there are (tester t3, minor 9: 31,000 ids on one line).
func TestImportReportShortensNewHolderIDs(t *testing.T) {
	for _, tt := range []struct {
		n    int
		more string
	}{{3, ""}, {importIDsShown, ""}, {25, " … and 15 more (all are on /admin/invitations)"}} {
		rep := &registry.ImportReport{NewRegistrations: tt.n, NewHolders: tt.n}
		for i := range tt.n {
			rep.NewHolderIDs = append(rep.NewHolderIDs, fmt.Sprintf("usr_%02d", i))
		}
		var b strings.Builder
		printImportReport(&b, rep, false)
		shown := min(tt.n, importIDsShown)
		want := "new holders (user ids): " + strings.Join(rep.NewHolderIDs[:shown], " ") + tt.more + "\n"
		if !strings.Contains(b.String(), want) || strings.Contains(b.String(), fmt.Sprintf("usr_%02d", shown)) && shown < tt.n {
			t.Errorf("%d ids: report\n%s\nwant the line %q", tt.n, b.String(), want)
		}
	}
}

// The invitation line is in the form for the number, the whole sentence
// (tester, issue 13: "invited 1 new holder to claim their accounts").
func TestImportInvitedLinePlural(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{1, "invited 1 new holder to claim their account: the e-mail waits in the outbox"},
		{2, "invited 2 new holders to claim their accounts: the e-mails wait in the outbox"},
	} {
		if got := invitedLine(c.n); !strings.HasPrefix(got, c.want) {
			t.Errorf("invitedLine(%d) = %q, want it to start %q", c.n, got, c.want)
		}
	}
}

// The import's report counts in the form for the number (tester: "1
// problems"): one problem, two problems; one row, two rows.
func TestImportReportPlurals(t *testing.T) {
	for _, c := range []struct {
		n    int
		want []string
	}{
		{1, []string{"1 row: 1 registration with 1 item of 1 holder\n", "1 new registration, 1 new holder account; 1 registration unchanged", "\n1 problem\n"}},
		{2, []string{"2 rows: 2 registrations with 2 items of 2 holders\n", "2 new registrations, 2 new holder accounts; 2 registrations unchanged", "\n2 problems\n"}},
	} {
		rep := &registry.ImportReport{Rows: c.n, Registrations: c.n, Items: c.n, Holders: c.n, NewRegistrations: c.n, NewHolders: c.n, Unchanged: c.n}
		for range c.n {
			rep.Problems = append(rep.Problems, registry.ImportProblem{Line: 2, Field: "item", Message: "is not an address"})
		}
		var b strings.Builder
		printImportReport(&b, rep, true)
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("report of %d: %q lacks %q", c.n, b.String(), w)
			}
		}
		for _, bad := range []string{"1 problems", "1 rows", "1 registrations", "1 holders", "1 items"} {
			if strings.Contains(b.String(), bad) {
				t.Errorf("report of %d says %q: %q", c.n, bad, b.String())
			}
		}
	}
}

// --help and docs/import.md say how a holder is matched in the same
// words, and as the import does it (TestImportMatchesAccounts in
// registry): by e-mail alone, verified (or imported before), of the same
// kind and CNIC or NTN; a CNIC or NTN under another e-mail is a problem,
// not a match. They differed: --help left out the kind and the imported
// accounts, the docs the kind and the staff.
func TestImportHelpMatchesHolders(t *testing.T) {
	code, out, _ := run(t, nil, "", "import", "registrations", "--help")
	doc, err := os.ReadFile("../../docs/import.md")
	if code != 0 || err != nil {
		t.Fatalf("--help = %d, docs: %v", code, err)
	}
	words := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	const matching = "Holders are matched to accounts by e-mail alone. A row whose e-mail is that of an account's user goes into that account " +
		"if the e-mail was verified (or an earlier import made the account), the account is of the row's holder kind, and its CNIC or NTN, " +
		"if it has one, is the row's; otherwise the row is a problem, as is the e-mail of a staff user. A CNIC or NTN of an account whose user " +
		"has another e-mail is a problem too, never a match: give that e-mail. Other holders get a new account to claim."
	if !strings.Contains(words(out), matching) {
		t.Errorf("--help does not say how holders are matched:\n%s", out)
	}
	if !strings.Contains(words(string(doc)), matching) {
		t.Errorf("docs/import.md does not say how holders are matched as --help does")
	}
}

// ipreg import registrations beside another writer (ipreg serve) on each
// database: a write held briefly is waited for, and the import then
// writes everything; on SQLite a write held past --wait makes the import
// give up, saying so, having written nothing (it waited until interrupted,
// and before that failed with "database is locked" after the busy
// timeout).
func TestImportWaitsForAnotherWriter(t *testing.T) {
	sample, err := filepath.Abs("../../docs/import-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			env := map[string]string{"IPREG_DATA_DIR": dir}
			dsn := filepath.Join(dir, "ipreg.db")
			if kind == "postgres" {
				dsn = storetest.DSN(t, kind)
				env["IPREG_DB"] = dsn
			}
			if code, _, errOut := run(t, env, "", "migrate"); code != 0 {
				t.Fatalf("migrate: %s", errOut)
			}
			for _, op := range [][]string{{"ptcl", "fixed"}, {"nayatel", "fixed"}, {"stormfiber", "fixed"}, {"telenor", "mobile"}} {
				if code, _, errOut := run(t, env, "", "operator", "add", "--id", op[0], "--name", op[0], "--kind", op[1]); code != 0 {
					t.Fatalf("operator add: %s", errOut)
				}
			}
			server, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			// hold starts a write of the "server" that holds SQLite's write
			// lock (and on PostgreSQL the row of the registration numbers
			// the import takes) until release is closed.
			hold := func() (release chan struct{}, done chan error) {
				held := make(chan struct{})
				release, done = make(chan struct{}), make(chan error, 1)
				go func() {
					done <- server.Write(ctx, func(tx registry.Tx) error {
						if _, err := tx.NextSerial(ctx, fmt.Sprintf("registration-%d", time.Now().Year())); err != nil {
							return err
						}
						close(held)
						<-release
						return nil
					})
				}()
				<-held
				return release, done
			}
			type result struct {
				code     int
				out, err string
			}
			dry := func() string {
				t.Helper()
				code, out, errOut := run(t, env, "", "import", "registrations", "--file", sample, "--dry-run")
				if code != 0 {
					t.Fatalf("dry run = %d\n%s%s", code, out, errOut)
				}
				return out
			}

			if kind == "sqlite" {
				// Held past --wait: the import says at once that it waits
				// (a --wait shorter than SQLite's busy timeout gave up
				// without a word), gives up, and says so plainly, naming
				// no migration (the schema check only reads).
				release, done := hold()
				code, out, errOut := run(t, env, "", "import", "registrations", "--file", sample, "--wait", "1s")
				// A dry run only reads: it goes through beside the write.
				dcode, dout, derrOut := run(t, env, "", "import", "registrations", "--file", sample, "--dry-run", "--wait", "1s")
				close(release)
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				if code != 1 || strings.Contains(errOut, "ipreg import registrations: another") ||
					!strings.Contains(errOut, "waiting for the database: another process (ipreg serve?) is writing to it") ||
					!strings.Contains(errOut, "held the database's write lock for longer than --wait 1s; nothing was imported") ||
					strings.Contains(errOut, "migrate") || strings.Contains(errOut, "0001") || strings.Contains(errOut, "database is locked") {
					t.Fatalf("import beside a write held past --wait = %d\n%s%s", code, out, errOut)
				}
				if dcode != 0 || derrOut != "" || !strings.Contains(dout, "4 new registrations") {
					t.Fatalf("dry run beside a write = %d\n%s%s", dcode, dout, derrOut)
				}
				if out := dry(); !strings.Contains(out, "4 new registrations, 4 new holder accounts; 0 registrations unchanged") {
					t.Fatalf("after the import gave up: %s; want nothing written", out)
				}
			}

			// Held briefly: the import waits, then writes all of it.
			release, done := hold()
			finished := make(chan result, 1)
			go func() {
				code, out, errOut := run(t, env, "", "import", "registrations", "--file", sample)
				finished <- result{code, out, errOut}
			}()
			time.Sleep(300 * time.Millisecond) // briefly: the import is waiting, or about to
			select {
			case r := <-finished:
				t.Fatalf("the import ended while another write held the database: %+v", r)
			default:
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			r := <-finished
			if r.code != 0 || !strings.Contains(r.out, "imported: 4 new registrations, 4 new holder accounts") {
				t.Fatalf("import beside a brief write = %+v", r)
			}
			if out := dry(); !strings.Contains(out, "0 new registrations, 0 new holder accounts; 4 registrations unchanged") {
				t.Fatalf("after the import: %s; want all of it written", out)
			}
		})
	}
}
