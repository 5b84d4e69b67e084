package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/backup"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// carryScene is what happens between a backup and its restore that the
// restore must not undo: alice deletes her account (a draft with a
// document), bob logs out and deletes his API token, carol's password is
// changed, dave is disabled. Erin changes nothing: her session must
// survive the restore.
type carryScene struct {
	alice, bob, carol, dave, erin, frank *writer
	aliceDoc, bobAPI, erinToken          string
	frankReg                             string // approved before the backup, surrendered after
}

// before builds the scene's state as the backup will hold it.
func carryBefore(t *testing.T, base string) *carryScene {
	t.Helper()
	c := &carryScene{alice: newWriter(t, base, "1"), bob: newWriter(t, base, "2"), carol: newWriter(t, base, "3"),
		dave: newWriter(t, base, "4"), erin: newWriter(t, base, "5"), frank: newWriter(t, base, "6")}
	var app struct{ ID string }
	if err := c.alice.call("POST", "/api/v1/applications", "application/json", []byte(`{"category":"company_vpn","operator_id":"ptcl","subscriber_id":"PTCL-0042","addresses":["14.1.104.0/24"],"vpn":{"protocol":"wireguard"},"purpose":"Staff reach head-office systems from home."}`), http.StatusCreated, &app); err != nil {
		t.Fatal(err)
	}
	ct, body := testbin.Multipart("cnic_front", "front.pdf", testbin.PDF("alice's CNIC"))
	var doc struct{ ID string }
	if err := c.alice.call("POST", "/api/v1/applications/"+app.ID+"/documents", ct, body, http.StatusCreated, &doc); err != nil {
		t.Fatal(err)
	}
	c.aliceDoc = doc.ID
	var tok struct{ Token string }
	if err := c.bob.call("POST", "/api/v1/tokens", "application/json", []byte(`{"name":"integration"}`), http.StatusCreated, &tok); err != nil {
		t.Fatal(err)
	}
	c.bobAPI = tok.Token
	c.erinToken = c.erin.token
	c.frankReg = approved(t, base, c.frank)
	return c
}

// approved files an application of w's through to approval (operator
// confirmation, reviewer's decision) and returns its registration number.
func approved(t *testing.T, base string, w *writer) string {
	t.Helper()
	staff := func(email string) *writer {
		s := &writer{base: base}
		var tok struct{ Token string }
		if err := s.call("POST", "/api/v1/login", "application/json", []byte(fmt.Sprintf(`{"email":%q,"password":"demo-password-1"}`, email)), http.StatusOK, &tok); err != nil {
			t.Fatal(err)
		}
		s.token = tok.Token
		return s
	}
	var app struct{ ID string }
	if err := w.call("POST", "/api/v1/applications", "application/json", []byte(`{"category":"company_vpn","operator_id":"ptcl","subscriber_id":"PTCL-0606","addresses":["14.1.105.0/28"],"vpn":{"protocol":"wireguard"},"purpose":"Staff reach head-office systems from home."}`), http.StatusCreated, &app); err != nil {
		t.Fatal(err)
	}
	for _, r := range registry.RequiredDocuments(registry.CategoryCompany) {
		ct, body := testbin.Multipart(string(r.Kinds[0]), "scan.pdf", testbin.PDF("frank's "+string(r.Kinds[0])))
		if err := w.call("POST", "/api/v1/applications/"+app.ID+"/documents", ct, body, http.StatusCreated, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.call("POST", "/api/v1/applications/"+app.ID+"/submit", "application/json", []byte(`{}`), http.StatusOK, nil); err != nil {
		t.Fatal(err)
	}
	op := staff("operator.ptcl@demo.test")
	var checks []struct{ ID string }
	if err := op.call("GET", "/api/v1/operator/checks?application_id="+app.ID, "", nil, http.StatusOK, &checks); err != nil || len(checks) != 1 {
		t.Fatalf("operator checks: %v, %v", checks, err)
	}
	if err := op.call("POST", "/api/v1/operator/checks/"+checks[0].ID, "application/json", []byte(`{"result":"confirmed"}`), http.StatusOK, nil); err != nil {
		t.Fatal(err)
	}
	var out struct{ Registration struct{ Number string } }
	if err := staff("reviewer@demo.test").call("POST", "/api/v1/applications/"+app.ID+"/decision", "application/json", []byte(`{"decision":"approve"}`), http.StatusOK, &out); err != nil {
		t.Fatal(err)
	}
	if out.Registration.Number == "" {
		t.Fatal("approved without a registration number")
	}
	return out.Registration.Number
}

// after makes the changes the backup does not hold; dsn is the live
// registry's database, for what has no API route (a password reset's
// new hash, an admin's disable).
func (c *carryScene) after(t *testing.T, base, dsn string) {
	t.Helper()
	if err := c.alice.call("POST", "/api/v1/me/delete", "application/json", []byte(`{"password":"correct horse battery","confirm":true}`), http.StatusOK, nil); err != nil {
		t.Fatal(err)
	}
	// Frank surrenders his registration, then deletes his account.
	if err := c.frank.call("POST", "/api/v1/registrations/"+c.frankReg+"/surrender", "application/json", []byte(`{"reason":"The office closed."}`), http.StatusOK, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.frank.call("POST", "/api/v1/me/delete", "application/json", []byte(`{"password":"correct horse battery","confirm":true}`), http.StatusOK, nil); err != nil {
		t.Fatal(err)
	}
	var toks []struct{ ID, Name string }
	if err := c.bob.call("GET", "/api/v1/tokens", "", nil, http.StatusOK, &toks); err != nil {
		t.Fatal(err)
	}
	for _, k := range toks {
		if k.Name == "integration" {
			if err := c.bob.call("DELETE", "/api/v1/tokens/"+k.ID, "", nil, http.StatusNoContent, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.bob.call("POST", "/api/v1/logout", "", nil, http.StatusNoContent, nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hash, err := auth.HashPassword("a new password, reset", auth.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Write(ctx, func(tx registry.Tx) error {
		for email, change := range map[string]func(u *registry.User){
			"it3@example.com.pk": func(u *registry.User) { u.PasswordHash = hash },
			"it4@example.com.pk": func(u *registry.User) { u.Disabled = true },
		} {
			u, err := tx.UserByEmail(ctx, email)
			if err != nil {
				return err
			}
			change(u)
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
			if u.Disabled {
				if err := tx.DeleteUserTokens(ctx, u.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// check asks the restored server what the scene's people can do.
func (c *carryScene) check(t *testing.T, base, dataDir string) {
	t.Helper()
	get := func(token string) int {
		req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	login := func(email, password string) int {
		w := &writer{base: base}
		err := w.call("POST", "/api/v1/login", "application/json", []byte(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)), http.StatusOK, nil)
		if err == nil {
			return http.StatusOK
		}
		return http.StatusUnauthorized
	}
	for _, tc := range []struct {
		what string
		got  int
		want int
	}{
		{"alice's session (account deleted after the backup)", get(c.alice.token), http.StatusUnauthorized},
		{"alice's log-in", login("it1@example.com.pk", "correct horse battery"), http.StatusUnauthorized},
		{"bob's session (logged out after the backup)", get(c.bob.token), http.StatusUnauthorized},
		{"bob's API token (deleted after the backup)", get(c.bobAPI), http.StatusUnauthorized},
		{"bob's log-in", login("it2@example.com.pk", "correct horse battery"), http.StatusOK},
		{"carol's old password", login("it3@example.com.pk", "correct horse battery"), http.StatusUnauthorized},
		{"carol's new password", login("it3@example.com.pk", "a new password, reset"), http.StatusOK},
		{"dave's session (disabled after the backup)", get(c.dave.token), http.StatusUnauthorized},
		{"dave's log-in", login("it4@example.com.pk", "correct horse battery"), http.StatusUnauthorized},
		{"erin's session (nothing changed)", get(c.erinToken), http.StatusOK},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %d, want %d", tc.what, tc.got, tc.want)
		}
	}
	if got := login("it6@example.com.pk", "correct horse battery"); got != http.StatusUnauthorized {
		t.Errorf("frank's log-in (account deleted after the backup): %d, want 401", got)
	}
	rev := &writer{base: base}
	var tok struct{ Token string }
	if err := rev.call("POST", "/api/v1/login", "application/json", []byte(`{"email":"reviewer@demo.test","password":"demo-password-1"}`), http.StatusOK, &tok); err != nil {
		t.Fatal(err)
	}
	rev.token = tok.Token
	var reg struct{ Status string }
	if err := rev.call("GET", "/api/v1/registrations/"+c.frankReg, "", nil, http.StatusOK, &reg); err != nil || reg.Status != "surrendered" {
		t.Errorf("frank's registration %s after the restore: %q, %v; want surrendered, as its holder left it before deleting the account", c.frankReg, reg.Status, err)
	}
	docs, _, err := docstore.ListFiles(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := docs[c.aliceDoc]; ok {
		t.Errorf("alice's document %s is in the restored documents: her account's erasure purged it", c.aliceDoc)
	}
}

// The restore carries what the replaced database knows of erasures,
// credentials and ended tokens (registry.Service.CarryAccess): over the
// SQLite registry it replaces, without being told.
func TestRestoreCarriesAccessSQLite(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir, "")
	base := "http://" + s.Addr.String()
	c := carryBefore(t, base)
	to := filepath.Join(t.TempDir(), "b")
	if code, out, errOut := run(t, nil, "", "backup", "--data-dir", dataDir, "--to", to); code != 0 {
		t.Fatalf("backup = %d %s %s", code, out, errOut)
	}
	c.after(t, base, filepath.Join(dataDir, backup.DatabaseName))
	s.Close()
	code, out, errOut := run(t, nil, "", "restore", "--from", to, "--data-dir", dataDir, "--force")
	if code != 0 {
		t.Fatalf("restore = %d %s %s", code, out, errOut)
	}
	want := "2 accounts its holders deleted erased again (1 applications withdrawn, 1 documents purged, 1 registrations ended), 2 users' passwords, two-factor setups or disabled states, "
	if !strings.Contains(out, want) || strings.Contains(out, "NOT carried") {
		t.Errorf("restore output lacks %q:\n%s", want, out)
	}
	r := startServer(t, dataDir, "")
	defer r.Close()
	c.check(t, "http://"+r.Addr.String(), dataDir)
	if code, out, errOut := run(t, nil, "", "audit", "verify", "--data-dir", dataDir); code != 0 {
		t.Errorf("audit verify after the restore = %d %s %s", code, out, errOut)
	}

	// A restore with nothing to carry from says so.
	fresh := t.TempDir()
	copyKeys(t, dataDir, fresh)
	code, out, errOut = run(t, nil, "", "restore", "--from", to, "--data-dir", fresh)
	if code != 0 || !strings.Contains(out, "NOT carried") {
		t.Errorf("restore into a new directory = %d %s %s; want it to say nothing was carried", code, out, errOut)
	}
	// --carry-from naming another registry is refused, changing nothing.
	other := t.TempDir()
	fill(t, other, "", "9", 1)
	code, out, errOut = run(t, nil, "", "restore", "--from", to, "--data-dir", fresh, "--force", "--carry-from", filepath.Join(other, backup.DatabaseName))
	if code != 1 || !strings.Contains(errOut, "another registry") || !strings.Contains(errOut, "nothing was changed") {
		t.Errorf("restore --carry-from another registry = %d %s %s", code, out, errOut)
	}

	// Refused into a new directory, it leaves no directory behind (tester
	// t11: the feed-state marker stayed, and serve then refused for want
	// of the feed key).
	parent := filepath.Join(t.TempDir(), "new")
	newDir := filepath.Join(parent, "a", "b") // its parents new too (tester t12)
	code, out, errOut = run(t, nil, "", "restore", "--from", to, "--data-dir", newDir, "--carry-from", filepath.Join(t.TempDir(), "nope.db"))
	if _, err := os.Stat(parent); code != 1 || !strings.Contains(errOut, "nothing was changed") || err == nil {
		t.Errorf("restore --carry-from a missing file into a new directory = %d %s %s; %s exists afterwards: %v", code, out, errOut, parent, err == nil)
	}

	// --carry-from naming the backup's own database (or the restored one
	// twice) would carry nothing: refused (tester t10).
	code, out, errOut = run(t, nil, "", "restore", "--from", to, "--data-dir", fresh, "--force", "--carry-from", filepath.Join(to, backup.DatabaseName))
	if code != 1 || !strings.Contains(errOut, "ends where the backup's does") || !strings.Contains(errOut, "nothing was changed") {
		t.Errorf("restore --carry-from the backup's own database = %d %s %s", code, out, errOut)
	}

	// A newer backup restored over an older copy (fresh holds the first
	// backup, taken before carol's new password): the older copy's
	// credentials must not be carried, or her old password would work
	// again.
	newer := filepath.Join(t.TempDir(), "newer")
	if code, out, errOut := run(t, nil, "", "backup", "--data-dir", dataDir, "--to", newer); code != 0 {
		t.Fatalf("backup = %d %s %s", code, out, errOut)
	}
	code, out, errOut = run(t, nil, "", "restore", "--from", newer, "--data-dir", fresh, "--force")
	if code != 0 || !strings.Contains(out, "were NOT carried") || !strings.Contains(out, "is not newer than the backup") {
		t.Errorf("restore of a newer backup over an older copy = %d %s %s; want it to say the credentials were not carried", code, out, errOut)
	}
	f := startServer(t, fresh, "")
	defer f.Close()
	c.check(t, "http://"+f.Addr.String(), fresh)
}

// On PostgreSQL the dump is restored into a new database and the old
// one, if it can still be read, is named by --carry-from.
func TestRestoreCarriesAccessPostgres(t *testing.T) {
	needPGTools(t)
	dsn := storetest.DSN(t, "postgres")
	dataDir := t.TempDir()
	s := startServer(t, dataDir, dsn)
	base := "http://" + s.Addr.String()
	c := carryBefore(t, base)
	dir := t.TempDir()
	dump, docs := filepath.Join(dir, "ipreg.dump"), filepath.Join(dir, "documents.tar")
	if out, err := exec.Command("pg_dump", "--format=custom", "--file="+dump, dsn).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v %s", err, out)
	}
	if code, out, errOut := run(t, nil, "", "backup", "--documents-only", "--data-dir", dataDir, "--to", docs); code != 0 {
		t.Fatalf("backup --documents-only = %d %s %s", code, out, errOut)
	}
	c.after(t, base, dsn)
	s.Close()
	target := storetest.DSN(t, "postgres")
	if out, err := exec.Command("pg_restore", "--no-owner", "--dbname="+target, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v %s", err, out)
	}
	newDir := t.TempDir()
	copyKeys(t, dataDir, newDir)
	// The restored database named as the one to carry from: refused,
	// nothing changed (tester t10).
	code, out, errOut := run(t, nil, "", "restore", "--documents-only", "--from", docs, "--data-dir", newDir, "--db", target, "--carry-from", target)
	if code != 1 || !strings.Contains(errOut, "ends where the backup's does") || !strings.Contains(errOut, "nothing was changed") {
		t.Errorf("restore --carry-from the restored database = %d %s %s", code, out, errOut)
	}
	if ids, _, err := docstore.ListFiles(newDir); err != nil || len(ids) > 0 {
		t.Errorf("the refused restore placed %d documents (%v)", len(ids), err)
	}
	code, out, errOut = run(t, nil, "", "restore", "--documents-only", "--from", docs, "--data-dir", newDir, "--db", target, "--carry-from", dsn)
	if code != 0 {
		t.Fatalf("restore = %d %s %s", code, out, errOut)
	}
	want := "2 accounts its holders deleted erased again (1 applications withdrawn, 1 documents purged, 1 registrations ended)"
	if !strings.Contains(out, want) || strings.Contains(out, "NOT carried") {
		t.Errorf("restore output lacks %q:\n%s", want, out)
	}
	// Restored again into the same database, the feed state the first
	// restore cleared is not there to count: said so, not "0 feeds"
	// (tester t11).
	code, out, errOut = run(t, nil, "", "restore", "--documents-only", "--force", "--from", docs, "--data-dir", newDir, "--db", target, "--carry-from", dsn)
	if code != 0 || !strings.Contains(out, "holds no published feed state") || !strings.Contains(out, "will start a new session") {
		t.Errorf("a second restore = %d %s %s", code, out, errOut)
	}
	r := startServer(t, newDir, target)
	defer r.Close()
	c.check(t, "http://"+r.Addr.String(), newDir)
}

// Keys kept apart and copied back from the wrong place (another
// registry's feed and certificate keys beside this one's document key)
// are named at the restore, before ipreg serve signs with them; this
// registry's own keys draw no warning.
func TestRestoreWarnsOfAnotherRegistrysKeys(t *testing.T) {
	dataDir, otherDir := t.TempDir(), t.TempDir()
	fill(t, dataDir, "", "1", 1)
	fill(t, otherDir, "", "9", 1)
	to := filepath.Join(t.TempDir(), "b.tar")
	if code, out, errOut := run(t, nil, "", "backup", "--data-dir", dataDir, "--to", to); code != 0 {
		t.Fatalf("backup = %d %s %s", code, out, errOut)
	}
	for _, tc := range []struct {
		name  string
		from  map[string]string // key file: the directory it is copied from
		warns []string
	}{
		{"this registry's keys", map[string]string{docstore.KeyFile: dataDir, "feed-signing-key.pem": dataDir, "certificate-signing-key.pem": dataDir}, nil},
		{"another registry's feed and certificate keys", map[string]string{docstore.KeyFile: dataDir, "feed-signing-key.pem": otherDir, "certificate-signing-key.pem": otherDir},
			[]string{"WARNING: feed-signing-key.pem in", "it is another registry's key", "WARNING: certificate-signing-key.pem in", "would not verify"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := t.TempDir()
			for k, dir := range tc.from {
				b, err := os.ReadFile(filepath.Join(dir, k))
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(target, k), b, 0o600)
			}
			code, out, errOut := run(t, nil, "", "restore", "--from", to, "--data-dir", target)
			if code != 0 {
				t.Fatalf("restore = %d %s %s", code, out, errOut)
			}
			if tc.warns == nil && strings.Contains(out, "WARNING") {
				t.Errorf("restore with this registry's keys warns:\n%s", out)
			}
			for _, w := range tc.warns {
				if !strings.Contains(out, w) {
					t.Errorf("restore output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
