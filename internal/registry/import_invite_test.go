package registry_test

import (
	"bytes"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

// An import's invitations, written in bulk with the import, are what
// InviteHolders writes for each new holder: one pending invitation, one
// e-mail whose link claims the account, one audit entry user.invited; a
// second run invites nobody.
func TestImportInvitesEachNewHolder(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		rep, n, err := h.svc.ImportAndInvite(h.ctx, bytes.NewReader(sampleImport(t)), ImportOptions{Actor: "cli"})
		if err != nil || len(rep.Problems) != 0 || n != 4 || len(rep.NewHolderIDs) != 4 {
			t.Fatalf("import: %+v, invited %d, %v", rep, n, err)
		}
		pend, err := h.svc.PendingInvitations(h.ctx, h.staff("admin"))
		if err != nil || len(pend) != 4 {
			t.Fatalf("pending invitations = %+v, %v; want 4", pend, err)
		}
		h.deliver()
		mails, _ := h.box.take()
		links := map[string][]string{}
		for _, m := range mails {
			if mm := claimLink.FindStringSubmatch(m.Text); mm != nil {
				links[m.To] = append(links[m.To], mm[1])
			}
		}
		for _, id := range rep.NewHolderIDs {
			var u *User
			var entries []string
			if err := h.db.Read(h.ctx, func(tx Tx) error {
				var err error
				if u, err = tx.User(h.ctx, id); err != nil {
					return err
				}
				es, err := tx.AuditEntriesAbout(h.ctx, []AuditObject{{Type: "user", ID: id}})
				for _, e := range es {
					entries = append(entries, e.ActorID+" "+e.Action+" "+e.Detail)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0] != `cli user.invited {"mailed":true}` {
				t.Errorf("audit entries about %s = %q; want one user.invited by cli, mailed", id, entries)
			}
			if len(links[u.Email]) != 1 {
				t.Fatalf("claim links mailed to %s: %v; want one", u.Email, links[u.Email])
			}
			if _, _, err := h.svc.ClaimInvitation(h.ctx, ClaimInput{Token: links[u.Email][0], Password: "a long password", ClientIP: "203.0.113.9"}); err != nil {
				t.Errorf("claiming %s's invitation: %v", u.Email, err)
			}
		}
		rep, n, err = h.svc.ImportAndInvite(h.ctx, bytes.NewReader(sampleImport(t)), ImportOptions{Actor: "cli"})
		if err != nil || len(rep.Problems) != 0 || n != 0 || rep.Unchanged != 4 {
			t.Fatalf("second run: %+v, invited %d, %v; want all unchanged, nobody invited", rep, n, err)
		}
	})
}
