package registry_test

import (
	"strings"
	"testing"
	"time"

	. "github.com/ipreg/ipreg/internal/registry"
)

// approve takes a's application through the operator check and review to
// approval, and returns the registration.
func (h *harness) approve(alice *User, a *Application) *Registration {
	h.t.Helper()
	if _, err := h.svc.Submit(h.ctx, alice, a.ID, nil); err != nil {
		h.t.Fatal(err)
	}
	ptcl := h.staff("operator.ptcl")
	cs, err := h.svc.ListChecks(h.ctx, ptcl, "")
	if err != nil || len(cs) == 0 {
		h.t.Fatalf("checks = %v, %v", cs, err)
	}
	for _, c := range cs {
		if c.ApplicationID == a.ID {
			if _, err := h.svc.AnswerCheck(h.ctx, ptcl, c.ID, "confirmed", ""); err != nil {
				h.t.Fatal(err)
			}
		}
	}
	_, r, err := h.svc.Decide(h.ctx, h.staff("reviewer"), a.ID, DecisionInput{Decision: "approve"})
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func TestExportData(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		alice := h.applicant("company")
		a, err := h.create(alice, companyApp("14.1.104.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		h.approve(alice, a)
		reviewer := h.staff("reviewer")
		if _, err := svc.GetApplication(ctx, reviewer, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Login(ctx, alice.Email, "a long password", "", "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.CreateAPIToken(ctx, alice, "backup script", 30, ""); err != nil {
			t.Fatal(err)
		}
		bob := h.applicant("company")
		if _, err := h.create(bob, companyApp("14.1.105.0/24")); err != nil {
			t.Fatal(err)
		}

		_, err = svc.ExportData(ctx, reviewer)
		wantCode(t, err, EFORBIDDEN)
		_, err = svc.ExportData(ctx, nil)
		wantCode(t, err, EUNAUTHORIZED)

		x, err := svc.ExportData(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		if x.Account.ID != alice.AccountID || x.Account.CNIC == "" || x.User.Email != alice.Email {
			t.Errorf("export account %+v user %+v", x.Account, x.User)
		}
		if len(x.Applications) != 1 || x.Applications[0].ID != a.ID || len(x.Applications[0].Events) < 3 || len(x.Applications[0].Documents) == 0 {
			t.Fatalf("export applications = %+v", x.Applications)
		}
		if len(x.Registrations) != 1 || x.Registrations[0].ApplicationID != a.ID {
			t.Errorf("export registrations = %+v", x.Registrations)
		}
		if acc := x.Accesses[a.ID]; len(acc) == 0 || acc[len(acc)-1].ActorID != reviewer.ID {
			t.Errorf("export accesses = %+v, want the reviewer's read", acc)
		}
		if len(x.Tokens) != 2 || x.Tokens[1].Name != "backup script" && x.Tokens[0].Name != "backup script" {
			t.Errorf("export tokens = %+v", x.Tokens)
		}
		actions := map[string]bool{}
		for _, e := range x.Audit {
			actions[e.Action] = true
			if e.ObjectType == "application" && e.ObjectID != a.ID {
				t.Errorf("export holds another application's audit entry %+v", e)
			}
		}
		for _, want := range []string{"account.created", "user.login", "application.submitted", "application.viewed", "registration.created", "token.created", "account.exported"} {
			if !actions[want] {
				t.Errorf("export audit lacks %s (has %v)", want, actions)
			}
		}
	})
}

func TestDeleteAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		alice := h.applicant("company")
		email := alice.Email
		a, err := h.create(alice, companyApp("14.1.104.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		draft, err := h.create(alice, companyApp("14.1.106.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		aliceToken, _, err := svc.Login(ctx, email, "a long password", "", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}

		// Refused: no confirmation, wrong password, someone else's role.
		_, err = svc.DeleteAccount(ctx, alice, "a long password", false)
		wantCode(t, err, EINVALID, "confirm")
		_, err = svc.DeleteAccount(ctx, alice, "not my password", true)
		wantCode(t, err, EINVALID, "password")
		_, err = svc.DeleteAccount(ctx, h.staff("reviewer"), "demo-password-1", true)
		wantCode(t, err, EFORBIDDEN)

		// A pending application, then an active registration, stand in the way.
		if _, err := svc.Submit(ctx, alice, a.ID, nil); err != nil {
			t.Fatal(err)
		}
		_, err = svc.DeleteAccount(ctx, alice, "a long password", true)
		wantCode(t, err, ECONFLICT, a.ID, "withdraw")
		if _, err := svc.Withdraw(ctx, alice, a.ID); err != nil {
			t.Fatal(err)
		}
		b, err := h.create(alice, companyApp("14.1.107.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		r := h.approve(alice, b)
		_, err = svc.DeleteAccount(ctx, alice, "a long password", true)
		wantCode(t, err, ECONFLICT, r.Number, "surrender")
		h.clock.Add(24 * time.Hour)
		if _, err := svc.Surrender(ctx, alice, r.Number, "no longer needed"); err != nil {
			t.Fatal(err)
		}
		decided := h.clock.Now().Add(-24 * time.Hour)

		docsBefore := map[string][]*Document{}
		for _, id := range []string{a.ID, draft.ID, b.ID} {
			ds, err := svc.ListDocuments(ctx, alice, id)
			if err != nil || len(ds) == 0 {
				t.Fatalf("documents of %s: %v, %v", id, ds, err)
			}
			docsBefore[id] = ds
		}

		del, err := svc.DeleteAccount(ctx, alice, "a long password", true)
		if err != nil {
			t.Fatal(err)
		}
		// The approved application's documents stay for the retention
		// period after its decision; the withdrawn one's and the draft's go.
		wantKept := len(docsBefore[b.ID])
		wantPurged := len(docsBefore[a.ID]) + len(docsBefore[draft.ID])
		keptUntil := decided.AddDate(0, 0, DefaultSettings.DocumentRetentionDays)
		if del.DocumentsKept != wantKept || del.DocumentsPurged != wantPurged || !del.KeptUntil.Truncate(time.Second).Equal(keptUntil.Truncate(time.Second)) {
			t.Errorf("deletion = %+v, want %d kept until %s and %d purged", del, wantKept, keptUntil, wantPurged)
		}

		// Every session and token ended; the old e-mail logs in no more.
		if _, err := svc.Authenticate(ctx, aliceToken); ErrorCode(err) != EUNAUTHORIZED {
			t.Errorf("old token after deletion: %v", err)
		}
		_, _, err = svc.Login(ctx, email, "a long password", "", "127.0.0.1")
		wantCode(t, err, EUNAUTHORIZED)

		reviewer := h.staff("reviewer")
		// Staff still see the records, with no personal data.
		got, err := svc.GetApplication(ctx, reviewer, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		acc := got.Account
		if acc == nil || acc.Name != "" || acc.CNIC != "" || acc.NTN != "" || acc.Mobile != "" || got.SubscriberID != "" || got.Purpose != "" || len(got.VPN.Endpoints) != 0 {
			t.Errorf("after deletion staff see account %+v, application %+v", acc, got)
		}
		if len(got.Addresses) != 1 || got.Registration != r.Number {
			t.Errorf("the registry's record lost its items or registration: %+v", got)
		}
		if d, err := svc.GetApplication(ctx, reviewer, draft.ID); err != nil || d.State != StateWithdrawn {
			t.Errorf("draft after deletion: %+v, %v", d, err)
		}
		for id, ds := range docsBefore {
			for _, d := range ds {
				_, content, err := svc.ReadDocument(ctx, reviewer, id, d.ID)
				if id == b.ID {
					if err != nil || len(content) == 0 {
						t.Errorf("kept document %s: %v", d.ID, err)
					}
					continue
				}
				wantCode(t, err, ECONFLICT, "retention")
				if _, err := h.blobs.Get(ctx, d.ID); err == nil {
					t.Errorf("purged document %s still has its content", d.ID)
				}
			}
		}
		users, err := svc.ListUsers(ctx, h.staff("admin"))
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if u.ID == alice.ID && (!ErasedEmail(u.Email) || !u.Disabled) {
				t.Errorf("erased user = %+v", u)
			}
		}
		// Nobody can bring the erased user back.
		_, err = svc.SetUserDisabled(ctx, h.staff("admin"), alice.ID, false)
		wantCode(t, err, ECONFLICT, "deleted")

		// The e-mail address and the CNIC/NTN may sign up again.
		again, _, err := svc.Signup(ctx, SignupInput{Email: email, Password: "another long password", Kind: "company",
			Name: "Applicant again", CNIC: "35202-0000001-1", Mobile: "0300-1234567", NTN: "0000001-8"})
		if err != nil {
			t.Fatalf("sign up again with the e-mail and NTN of a deleted account: %v", err)
		}
		if again.AccountID == alice.AccountID {
			t.Error("the new sign-up got the deleted account back")
		}

		// The audit chain verifies (eachStore checks it too) and holds no
		// e-mail address, CNIC, NTN or client address of alice's.
		if _, err := svc.VerifyAudit(ctx); err != nil {
			t.Fatal(err)
		}
		var entries int
		err = h.db.Read(ctx, func(tx Tx) error {
			es, err := tx.AuditEntries(ctx, 0, 100000)
			for _, e := range es {
				entries++
				for _, pii := range []string{email, "35202-0000001-1", "3520200000011", "0000001", "127.0.0.1", "PTCL-0042-771"} {
					if strings.Contains(e.Detail, pii) {
						t.Errorf("audit entry %d (%s) holds personal data %q: %s", e.Seq, e.Action, pii, e.Detail)
					}
				}
			}
			return err
		})
		if err != nil || entries == 0 {
			t.Fatalf("audit entries: %d, %v", entries, err)
		}
	})
}
