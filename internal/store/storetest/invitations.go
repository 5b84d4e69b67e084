package storetest

import (
	"context"
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
