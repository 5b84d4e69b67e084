package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

// testInvitations: one invitation per user (a second put renews it, keeps
// its id and clears its use), lookups by hash and user, single use, and
// the pending list with the user's e-mail and account name.
func testInvitations(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	write(t, db, func(tx registry.Tx) error {
		for _, u := range []string{"usr_a", "usr_b"} {
			if err := tx.CreateUser(ctx, &registry.User{ID: u, Email: u + "@x.pk", Role: registry.RoleApplicant, AccountID: "acc_a", CreatedAt: t0}); err != nil {
				return err
			}
		}
		a := &registry.Invitation{ID: "inv_a", UserID: "usr_a", Hash: "h1", InvitedBy: "cli", Mailed: true, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := tx.PutInvitation(ctx, a); err != nil {
			return err
		}
		b := &registry.Invitation{ID: "inv_b", UserID: "usr_b", Hash: "h2", InvitedBy: "usr_admin", CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(time.Hour)}
		if err := tx.PutInvitation(ctx, b); err != nil {
			return err
		}
		if ok, err := tx.UseInvitation(ctx, "inv_a", t0); err != nil || !ok {
			t.Fatalf("UseInvitation = %v, %v", ok, err)
		}
		if ok, err := tx.UseInvitation(ctx, "inv_a", t0); err != nil || ok {
			t.Fatalf("UseInvitation twice = %v, %v; want false", ok, err)
		}
		// Renewing usr_a's: a new hash, unused again, the same id.
		renew := &registry.Invitation{ID: "inv_other", UserID: "usr_a", Hash: "h3", InvitedBy: "usr_admin", CreatedAt: t0.Add(2 * time.Minute), ExpiresAt: t0.Add(2 * time.Hour)}
		if err := tx.PutInvitation(ctx, renew); err != nil {
			return err
		}
		if renew.ID != "inv_a" {
			t.Errorf("renewed invitation id %q; want inv_a kept", renew.ID)
		}
		if _, err := tx.InvitationByHash(ctx, "h1"); registry.ErrorCode(err) != registry.ENOTFOUND {
			t.Errorf("old hash after renewal: %v; want ENOTFOUND", err)
		}
		got, err := tx.InvitationByHash(ctx, "h3")
		if err != nil || got.UserID != "usr_a" || !got.UsedAt.IsZero() || got.Mailed || got.InvitedBy != "usr_admin" ||
			!got.ExpiresAt.Equal(t0.Add(2*time.Hour)) || got.Email != "usr_a@x.pk" || got.AccountID != "acc_a" {
			t.Errorf("InvitationByHash(h3) = %+v, %v", got, err)
		}
		got, err = tx.InvitationOfUser(ctx, "usr_b")
		if err != nil || got.Hash != "h2" {
			t.Errorf("InvitationOfUser(usr_b) = %+v, %v", got, err)
		}
		_, err = tx.InvitationOfUser(ctx, "usr_nobody")
		wantCode(t, err, registry.ENOTFOUND)
		pending, err := tx.PendingInvitations(ctx)
		if err != nil || len(pending) != 2 || pending[0].UserID != "usr_b" || pending[1].UserID != "usr_a" {
			t.Errorf("PendingInvitations = %+v, %v; want usr_b then usr_a (oldest first)", pending, err)
		}
		if _, err := tx.UseInvitation(ctx, "inv_b", t0); err != nil {
			return err
		}
		if pending, err := tx.PendingInvitations(ctx); err != nil || len(pending) != 1 {
			t.Errorf("PendingInvitations after a claim = %+v, %v; want 1", pending, err)
		}
		// Erasing the account takes its invitations.
		if err := tx.EraseAccount(ctx, "acc_a", t0); err != nil {
			return err
		}
		if pending, err := tx.PendingInvitations(ctx); err != nil || len(pending) != 0 {
			t.Errorf("PendingInvitations after erasing the account = %+v, %v", pending, err)
		}
		return nil
	})
}

// testInvitationsInBulkAndPaged: PutInvitations creates and renews (the
// renewed row keeps its id), UsersByID finds the users there are, and
// PendingInvitationsPage pages the pending list oldest first (ties by id)
// with the total; a page past the end is empty.
func testInvitationsInBulkAndPaged(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	var ids []string
	write(t, db, func(tx registry.Tx) error {
		for i := range 5 {
			u := fmt.Sprintf("usr_%d", i)
			ids = append(ids, u)
			if err := tx.CreateUser(ctx, &registry.User{ID: u, Email: u + "@x.pk", Role: registry.RoleApplicant, AccountID: "acc_a", CreatedAt: t0}); err != nil {
				return err
			}
		}
		if err := tx.PutInvitation(ctx, &registry.Invitation{ID: "inv_first", UserID: "usr_3", Hash: "old", InvitedBy: "cli", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			return err
		}
		users, err := tx.UsersByID(ctx, append(slices.Clone(ids), "usr_nobody"))
		if err != nil || len(users) != 5 || users["usr_2"].Email != "usr_2@x.pk" {
			t.Errorf("UsersByID = %v, %v; want the 5 users", users, err)
		}
		var invs []*registry.Invitation
		for i, u := range ids {
			invs = append(invs, &registry.Invitation{ID: "inv_new" + u, UserID: u, Hash: "h" + u, InvitedBy: "usr_admin", Mailed: i%2 == 0,
				CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(2 * time.Hour)})
		}
		if err := tx.PutInvitations(ctx, invs); err != nil {
			return err
		}
		if invs[3].ID != "inv_first" || invs[0].ID != "inv_newusr_0" {
			t.Errorf("ids after PutInvitations: %s, %s; want inv_first kept by the renewal, inv_newusr_0", invs[3].ID, invs[0].ID)
		}
		if got, err := tx.InvitationOfUser(ctx, "usr_3"); err != nil || got.Hash != "husr_3" || got.InvitedBy != "usr_admin" {
			t.Errorf("renewed invitation = %+v, %v", got, err)
		}
		if _, err := tx.UseInvitation(ctx, "inv_newusr_1", t0); err != nil {
			return err
		}
		var seen []string
		for _, off := range []int{0, 2} {
			page, total, err := tx.PendingInvitationsPage(ctx, off, 2)
			if err != nil || total != 4 || len(page) != 2 {
				t.Fatalf("PendingInvitationsPage(%d, 2) = %d rows of %d, %v; want 2 of 4", off, len(page), total, err)
			}
			for _, inv := range page {
				seen = append(seen, inv.UserID)
			}
		}
		// All made at one instant: by invitation id, the renewed one (inv_first) first.
		if want := []string{"usr_3", "usr_0", "usr_2", "usr_4"}; !slices.Equal(seen, want) {
			t.Errorf("pages = %v; want %v", seen, want)
		}
		if page, total, err := tx.PendingInvitationsPage(ctx, 4, 2); err != nil || total != 4 || len(page) != 0 {
			t.Errorf("a page past the end = %d rows of %d, %v; want none of 4", len(page), total, err)
		}
		return nil
	})
}
