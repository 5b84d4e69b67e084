package registry_test

import (
	"slices"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	. "github.com/ipreg/ipreg/internal/registry"
)

func TestTOTP(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		code := func(secret string, skew int64) string {
			c, err := auth.TOTPCode(secret, auth.TOTPStep(h.clock.Now())+skew)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		login := func(email, totp string) (string, error) {
			tok, _, err := svc.Login(ctx, email, "a staff password", totp, "192.0.2.7")
			return tok, err
		}
		if _, err := svc.AddUser(ctx, System, AddUserInput{Email: "admin@pta.gov.pk", Password: "a staff password", Role: RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		// A new admin's first login may only set up TOTP.
		tok, err := login("admin@pta.gov.pk", "")
		if err != nil {
			t.Fatal(err)
		}
		admin, err := svc.Authenticate(ctx, tok)
		if err != nil || !admin.EnrolmentOnly {
			t.Fatalf("first login = %+v, %v", admin, err)
		}
		_, err = svc.Settings(ctx, admin)
		wantCode(t, err, EFORBIDDEN, "two-factor")
		if p, err := svc.Me(ctx, admin); err != nil || !p.TOTPRequired {
			t.Fatalf("me = %+v, %v", p, err)
		}
		wantCode(t, svc.ConfirmTOTP(ctx, admin, tok, "123456"), ECONFLICT, "start enrolment first")
		e, err := svc.BeginTOTP(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, svc.ConfirmTOTP(ctx, admin, tok, code(e.Secret, -3)), EINVALID, "code")
		if err := svc.ConfirmTOTP(ctx, admin, tok, code(e.Secret, 0)); err != nil {
			t.Fatal(err)
		}
		_, err = svc.BeginTOTP(ctx, admin)
		wantCode(t, err, ECONFLICT, "already on")
		// The same token is now a full session.
		if admin, err = svc.Authenticate(ctx, tok); err != nil || admin.EnrolmentOnly {
			t.Fatalf("after enrolment = %+v, %v", admin, err)
		}
		if _, err := svc.Settings(ctx, admin); err != nil {
			t.Fatal(err)
		}

		// Logins now need a fresh code.
		_, err = login("admin@pta.gov.pk", "")
		wantCode(t, err, EUNAUTHORIZED, "totp: is required")
		_, err = login("admin@pta.gov.pk", "000000")
		if code(e.Secret, 0) != "000000" {
			wantCode(t, err, EUNAUTHORIZED, "totp: is wrong")
		}
		_, err = login("admin@pta.gov.pk", code(e.Secret, 0))
		wantCode(t, err, EUNAUTHORIZED, "already used") // confirmation used it
		h.clock.Add(30 * time.Second)
		if _, err := login("admin@pta.gov.pk", code(e.Secret, 0)); err != nil {
			t.Fatal(err)
		}
		_, err = login("admin@pta.gov.pk", code(e.Secret, -1))
		wantCode(t, err, EUNAUTHORIZED) // older than the step just used

		// Staff cannot turn it off; an admin resets it, which ends the
		// user's sessions.
		wantCode(t, svc.DisableTOTP(ctx, admin, code(e.Secret, 1)), EFORBIDDEN, "administrator")
		if _, err := svc.ResetTOTP(ctx, admin, "ADMIN@pta.gov.pk"); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Authenticate(ctx, tok)
		wantCode(t, err, EUNAUTHORIZED)
		tok, err = login("admin@pta.gov.pk", "")
		if err != nil {
			t.Fatal(err)
		}
		if u, err := svc.Authenticate(ctx, tok); err != nil || !u.EnrolmentOnly {
			t.Fatalf("after reset = %+v, %v", u, err)
		}
		_, err = svc.ResetTOTP(ctx, h.staff("reviewer"), "admin@pta.gov.pk")
		wantCode(t, err, EFORBIDDEN)

		// Applicants may turn TOTP on and off.
		alice := h.applicant("individual")
		e, err = svc.BeginTOTP(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.ConfirmTOTP(ctx, alice, "", code(e.Secret, 0)); err != nil {
			t.Fatal(err)
		}
		wantCode(t, svc.DisableTOTP(ctx, alice, code(e.Secret, 0)), EINVALID, "already used")
		if err := svc.DisableTOTP(ctx, alice, code(e.Secret, 1)); err != nil {
			t.Fatal(err)
		}
		wantCode(t, svc.DisableTOTP(ctx, alice, code(e.Secret, 1)), ECONFLICT, "not on")
	})
}

// The demo's users (whose password the README publishes) work only while
// the service runs with DemoWithoutTOTP (ipreg serve --demo): on a server
// started without it they cannot log in, and their earlier sessions stop
// working, so nobody can log in as the demo's admin and set up TOTP of
// their own.
func TestDemoUsersOnlyUnderDemo(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		if u := h.staff("reviewer"); u.EnrolmentOnly {
			t.Fatal("a demo reviewer under --demo must not need TOTP")
		}
		old, _, err := h.svc.Login(h.ctx, "admin@demo.test", "demo-password-1", "", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		strict := NewService(h.svc.Store(), Config{Now: h.clock.Now, Hashing: auth.TestParams})
		for _, email := range []string{"admin@demo.test", "reviewer@demo.test", "operator.jazz@demo.test", "ADMIN@Demo.Test"} {
			_, _, err := strict.Login(h.ctx, email, "demo-password-1", "", "127.0.0.1")
			wantCode(t, err, EUNAUTHORIZED, "ipreg serve --demo")
		}
		// A wrong password still says only that.
		_, _, err = strict.Login(h.ctx, "admin@demo.test", "wrong-password-1", "", "127.0.0.2")
		wantCode(t, err, EUNAUTHORIZED, "wrong e-mail or password")
		// A session made under --demo stops working.
		_, err = strict.Authenticate(h.ctx, old)
		wantCode(t, err, EUNAUTHORIZED, "ipreg serve --demo")
		// Real users are not affected.
		alice := h.applicant("individual")
		if _, _, err := strict.Login(h.ctx, alice.Email, "a long password", "", "127.0.0.3"); err != nil {
			t.Fatalf("a real applicant without --demo: %v", err)
		}
	})
}

// Under --demo only the demo's own seeded users skip TOTP, not every
// @demo.test address: a reviewer an admin adds while the demo runs, with a
// @demo.test address or another, gets an enrolment-only session like any
// staff.
func TestDemoTOTPExemptionOnlyForSeededUsers(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		admin := h.staff("admin")
		for _, in := range []AddUserInput{
			{Email: "x@demo.test", Role: RoleReviewer},
			{Email: "reviewer@demo.test.pk", Role: RoleReviewer},
			{Email: "supervisor.2@demo.test", Role: RoleSupervisor},
		} {
			in.Password = "demo-password-1"
			if _, err := h.svc.AddUser(h.ctx, admin, in); err != nil {
				t.Fatal(err)
			}
			tok, _, err := h.svc.Login(h.ctx, in.Email, in.Password, "", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			u, err := h.svc.Authenticate(h.ctx, tok)
			if err != nil || !u.EnrolmentOnly {
				t.Errorf("%s added under --demo: session %+v, %v; want a totp_enrolment one", in.Email, u, err)
			}
			if p, err := h.svc.Me(h.ctx, u); err != nil || !p.TOTPRequired {
				t.Errorf("%s: me = %+v, %v; want TOTP required", in.Email, p, err)
			}
		}
		for _, seeded := range []string{"admin", "reviewer", "supervisor", "operator.ptcl", "operator.telenor"} {
			if u := h.staff(seeded); u.EnrolmentOnly {
				t.Errorf("seeded %s@demo.test needs TOTP under --demo", seeded)
			}
		}
	})
}

// Users made while the service runs under --demo (a sign-up, staff an
// admin adds) are marked, and --demo may start again beside them; users
// made otherwise (ipreg user add, a sign-up on a real server) are not, and
// NonDemoUsers names them, so --demo refuses that database.
func TestUsersMadeInDemo(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		alice := h.applicant("individual")
		admin := h.staff("admin")
		if _, err := h.svc.AddUser(h.ctx, admin, AddUserInput{Email: "rev2@example.pk", Role: RoleReviewer, Password: "a long password"}); err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{alice.Email, "rev2@example.pk"} {
			var u *User
			if err := h.svc.Store().Read(h.ctx, func(tx Tx) (err error) { u, err = tx.UserByEmail(h.ctx, email); return err }); err != nil {
				t.Fatal(err)
			}
			if !u.MadeInDemo {
				t.Errorf("%s, made under --demo, is not marked MadeInDemo", email)
			}
		}
		if others, err := h.svc.NonDemoUsers(h.ctx); err != nil || len(others) != 0 {
			t.Fatalf("NonDemoUsers after a walk through the demo = %v, %v; want none", others, err)
		}
		// An import through the demo's own portal or API makes demo
		// holders too (tester, issue 13: it locked --demo out).
		if rep := h.importFile(sampleImport(t), false); len(rep.Problems) != 0 || rep.NewHolders == 0 {
			t.Fatalf("import: %+v", rep)
		}
		if others, err := h.svc.NonDemoUsers(h.ctx); err != nil || len(others) != 0 {
			t.Fatalf("NonDemoUsers after an import under the demo = %v, %v; want none", others, err)
		}
		strict := NewService(h.svc.Store(), Config{Now: h.clock.Now, Hashing: auth.TestParams})
		if _, err := strict.AddUser(h.ctx, System, AddUserInput{Email: "real@pta.gov.pk", Role: RoleReviewer, Password: "a long password"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := strict.Signup(h.ctx, SignupInput{Email: "bob@example.pk", Password: "a long password", Kind: "individual",
			Name: "Bob", CNIC: "35202-7654321-1", Mobile: "0300-7654321"}); err != nil {
			t.Fatal(err)
		}
		others, err := h.svc.NonDemoUsers(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(others, []string{"bob@example.pk", "real@pta.gov.pk"}) {
			t.Errorf("NonDemoUsers = %v; want the two users made without --demo", others)
		}
	})
}
