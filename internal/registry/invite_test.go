package registry_test

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/ipreg/ipreg/internal/registry"
)

// holder makes what an import makes for a holder of the old allowlist: an
// account and an applicant user without a password (email "" for none).
func (h *harness) holder(name, email string) *User {
	h.t.Helper()
	h.n++
	id := fmt.Sprintf("usr_imported%d", h.n)
	if email == "" {
		email = NoMailboxEmail(id)
	}
	acc := &Account{ID: fmt.Sprintf("acc_imported%d", h.n), Kind: "individual", Name: name, CNIC: fmt.Sprintf("42101-%07d-3", h.n),
		Mobile: "923001234567", CreatedAt: h.clock.Now()}
	u := &User{ID: id, Email: email, Role: RoleApplicant, AccountID: acc.ID, CreatedAt: h.clock.Now(), Lang: "ur"}
	if err := h.db.Write(h.ctx, func(tx Tx) error {
		if err := tx.CreateAccount(h.ctx, acc); err != nil {
			return err
		}
		return tx.CreateUser(h.ctx, u)
	}); err != nil {
		h.t.Fatal(err)
	}
	return u
}

var claimLink = regexp.MustCompile(`/claim\?token=([A-Za-z0-9_\-]+)`)

// linksTo delivers the outbox and returns the claim tokens mailed to email,
// in order.
func (h *harness) claimTokensTo(email string) []string {
	h.t.Helper()
	h.deliver()
	mails, _ := h.box.take()
	var out []string
	for _, m := range mails {
		if m.To == email {
			if mm := claimLink.FindStringSubmatch(m.Text); mm != nil {
				out = append(out, mm[1])
			}
		}
	}
	return out
}

func TestInviteMailedHolder(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		u := h.holder("Ayesha Khan", "ayesha@example.com.pk")
		if n, err := h.svc.InviteHolders(h.ctx, "cli", []string{u.ID, u.ID}); err != nil || n != 1 {
			t.Fatalf("InviteHolders = %d, %v; want 1 (the same user twice is one invitation)", n, err)
		}
		first := h.claimTokensTo(u.Email)
		// Inviting again renews: a new link, the old one dead, still one
		// pending invitation.
		if n, err := h.svc.InviteHolders(h.ctx, "cli", []string{u.ID}); err != nil || n != 1 {
			t.Fatalf("InviteHolders again = %d, %v", n, err)
		}
		second := h.claimTokensTo(u.Email)
		if len(first) != 1 || len(second) != 1 || first[0] == second[0] {
			t.Fatalf("claim links mailed: first %v, then %v; want one each, different", first, second)
		}
		pending, err := h.svc.PendingInvitations(h.ctx, h.staff("admin"))
		if err != nil || len(pending) != 1 || pending[0].UserID != u.ID || !pending[0].Mailed || pending[0].Email != u.Email || pending[0].AccountName != "Ayesha Khan" {
			t.Fatalf("PendingInvitations = %+v, %v", pending, err)
		}
		_, _, err = h.svc.ClaimInvitation(h.ctx, ClaimInput{Token: first[0], Password: "a long password", ClientIP: "203.0.113.9"})
		wantCode(t, err, ENOTFOUND, "not valid")
		_, _, err = h.svc.ClaimInvitation(h.ctx, ClaimInput{Token: second[0], Password: "short", ClientIP: "203.0.113.9"})
		wantCode(t, err, EINVALID, "too short")
		info, err := h.svc.InvitationInfo(h.ctx, second[0])
		if err != nil || info.NeedsEmail || info.AccountName != "Ayesha Khan" {
			t.Fatalf("InvitationInfo = %+v, %v", info, err)
		}
		tok, _, err := h.svc.ClaimInvitation(h.ctx, ClaimInput{Token: second[0], Password: "a long password", ClientIP: "203.0.113.9"})
		if err != nil {
			t.Fatal(err)
		}
		me, err := h.svc.Authenticate(h.ctx, tok)
		if err != nil || me.ID != u.ID || me.EmailVerifiedAt.IsZero() {
			t.Fatalf("after the claim: %+v, %v; want the holder, e-mail verified (the link was mailed)", me, err)
		}
		// The password now logs in; the link is spent; the account can no
		// longer be invited (that would hand it to whoever gets the link).
		if _, _, err := h.svc.Login(h.ctx, u.Email, "a long password", "", "203.0.113.9"); err != nil {
			t.Errorf("login with the claimed password: %v", err)
		}
		_, _, err = h.svc.ClaimInvitation(h.ctx, ClaimInput{Token: second[0], Password: "another long password", ClientIP: "203.0.113.9"})
		wantCode(t, err, ENOTFOUND)
		_, err = h.svc.InviteHolders(h.ctx, "cli", []string{u.ID})
		wantCode(t, err, EINVALID, "has a password already")
		if pending, _ := h.svc.PendingInvitations(h.ctx, h.staff("admin")); len(pending) != 0 {
			t.Errorf("pending after the claim: %+v", pending)
		}
		if got := h.claimTokensTo(u.Email); len(got) != 0 {
			t.Errorf("a claim of a mailed link sent %v; want no verification link", got)
		}
	})
}

func TestInviteHolderWithoutEmail(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		other := h.applicant("individual")
		h.deliver()
		h.box.take() // the sign-up's verification mail
		u := h.holder("Bilal Ahmed", "")
		if n, err := h.svc.InviteHolders(h.ctx, "cli", []string{u.ID}); err != nil || n != 1 {
			t.Fatalf("InviteHolders = %d, %v", n, err)
		}
		h.deliver()
		if mails, _ := h.box.take(); len(mails) != 0 {
			t.Fatalf("a holder without e-mail got mail: %+v", mails)
		}
		admin := h.staff("admin")
		pending, err := h.svc.PendingInvitations(h.ctx, admin)
		if err != nil || len(pending) != 1 || pending[0].Mailed || pending[0].Email != "" {
			t.Fatalf("PendingInvitations = %+v, %v; want one, not mailed, no e-mail shown", pending, err)
		}
		_, err = h.svc.PendingInvitations(h.ctx, other)
		wantCode(t, err, EFORBIDDEN)
		_, err = h.svc.InvitationLink(h.ctx, other, u.ID)
		wantCode(t, err, EFORBIDDEN)
		_, err = h.svc.InvitationLink(h.ctx, admin, other.ID)
		wantCode(t, err, ENOTFOUND, "no invitation waiting")
		link, err := h.svc.InvitationLink(h.ctx, admin, u.ID)
		if err != nil || !strings.HasPrefix(link.URL, publicURL+"/claim?token=") || !strings.HasSuffix(link.URL, link.Path) {
			t.Fatalf("InvitationLink = %+v, %v", link, err)
		}
		token := strings.TrimPrefix(link.Path, "/claim?token=")
		info, err := h.svc.InvitationInfo(h.ctx, token)
		if err != nil || !info.NeedsEmail {
			t.Fatalf("InvitationInfo = %+v, %v; want NeedsEmail", info, err)
		}
		for _, tc := range []struct{ email, want string }{
			{"", "is required"},
			{"not an address", ""},
			{"x@example.invalid", "cannot receive mail"},
		} {
			_, _, err = h.svc.ClaimInvitation(h.ctx, ClaimInput{Token: token, Password: "a long password", Email: tc.email})
			wantCode(t, err, EINVALID, tc.want)
			if e, ok := err.(*Error); !ok || e.Fields["email"] == "" {
				t.Errorf("email %q: %v; want a message on the email field", tc.email, err)
			}
		}
		_, _, err = h.svc.ClaimInvitation(h.ctx, ClaimInput{Token: token, Password: "a long password", Email: other.Email})
		wantCode(t, err, EINVALID, "another account")
		tok, _, err := h.svc.ClaimInvitation(h.ctx, ClaimInput{Token: token, Password: "a long password", Email: " Bilal@Example.com.pk "})
		if err != nil {
			t.Fatal(err)
		}
		me, err := h.svc.Authenticate(h.ctx, tok)
		if err != nil || me.Email != "bilal@example.com.pk" || !me.EmailVerifiedAt.IsZero() {
			t.Fatalf("after the claim: %+v, %v; want the new address, not yet verified", me, err)
		}
		h.deliver()
		mails, _ := h.box.take()
		if len(mails) != 1 || mails[0].To != "bilal@example.com.pk" || !strings.Contains(mails[0].Text, "/verify-email?token=") {
			t.Fatalf("mails after the claim: %+v; want one verification link to the new address", mails)
		}
	})
}

func TestInviteRefusals(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		u := h.holder("Chaudhry Traders", "")
		admin := h.staff("admin")
		// All or nothing: a staff user in the list leaves no invitation.
		_, err := h.svc.InviteHolders(h.ctx, "cli", []string{u.ID, admin.ID})
		wantCode(t, err, EINVALID, "staff")
		if p, _ := h.svc.PendingInvitations(h.ctx, admin); len(p) != 0 {
			t.Fatalf("a refused batch left %+v", p)
		}
		_, err = h.svc.InviteHolders(h.ctx, "cli", []string{"usr_nobody"})
		wantCode(t, err, ENOTFOUND)
		_, err = h.svc.InviteHolders(h.ctx, "", []string{u.ID})
		wantCode(t, err, EINVALID, "actor")
		_, err = h.svc.InviteUsers(h.ctx, admin, nil)
		wantCode(t, err, EINVALID, "user_ids")
		_, err = h.svc.InviteUsers(h.ctx, h.staff("reviewer"), []string{u.ID})
		wantCode(t, err, EFORBIDDEN)
		if n, err := h.svc.InviteUsers(h.ctx, admin, []string{u.ID}); err != nil || n != 1 {
			t.Fatalf("InviteUsers = %d, %v", n, err)
		}
		link, err := h.svc.InvitationLink(h.ctx, admin, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		token := strings.TrimPrefix(link.Path, "/claim?token=")
		for _, bad := range []string{"", "nonsense", token + "x"} {
			_, err := h.svc.InvitationInfo(h.ctx, bad)
			wantCode(t, err, ENOTFOUND, "not valid")
		}
		// Links work for 14 days.
		h.clock.Add(14*24*time.Hour + time.Second)
		_, _, err = h.svc.ClaimInvitation(h.ctx, ClaimInput{Token: token, Password: "a long password", Email: "c@example.com.pk"})
		wantCode(t, err, ENOTFOUND, "expired")
		if p, _ := h.svc.PendingInvitations(h.ctx, admin); len(p) != 1 || !p[0].Expired {
			t.Errorf("pending after expiry = %+v; want one, expired", p)
		}
	})
}

// TestInviteScale times InviteHolders, the admins' way to invite (API,
// portal), for every new holder of an import of IPREG_IMPORT_SCALE
// registrations (31000 for the goal in BENCHMARKS.md) made without
// invitations: one invitation (and its e-mail in the outbox) per holder.
// The import's own invitations (ImportAndInvite, what ipreg import and the
// admin upload do) are timed by TestImportScale. Skipped unless the
// variable is set; it asserts no time.
func TestInviteScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("IPREG_IMPORT_SCALE"))
	if n <= 0 {
		t.Skip("set IPREG_IMPORT_SCALE=31000 to import and invite that many registrations' holders and log the times")
	}
	data := importScaleFile(n)
	eachStore(t, func(t *testing.T, h *harness) {
		start := time.Now()
		rep, err := h.svc.ImportRegistrations(h.ctx, bytes.NewReader(data), ImportOptions{Actor: "cli"})
		if err != nil || len(rep.Problems) > 0 {
			t.Fatalf("import: %v %+v", err, rep)
		}
		imported := time.Since(start)
		start = time.Now()
		invited, err := h.svc.InviteHolders(h.ctx, "cli", rep.NewHolderIDs)
		if err != nil || invited != rep.NewHolders {
			t.Fatalf("InviteHolders = %d, %v; want %d", invited, err, rep.NewHolders)
		}
		t.Logf("%d registrations imported in %v; %d new holders invited in %v", rep.NewRegistrations, imported.Round(time.Millisecond), invited, time.Since(start).Round(time.Millisecond))
	})
}
