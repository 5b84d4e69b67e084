package registry_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

// perUserStore counts the write transactions and the per-user statements
// (User, PutInvitation, EnqueueMessage) a use case makes.
type perUserStore struct {
	Store
	writes, perUser *atomic.Int64
}

type perUserTx struct {
	Tx
	perUser *atomic.Int64
}

func (s perUserStore) Write(ctx context.Context, fn func(Tx) error) error {
	s.writes.Add(1)
	return s.Store.Write(ctx, func(tx Tx) error { return fn(perUserTx{tx, s.perUser}) })
}

func (t perUserTx) User(ctx context.Context, id string) (*User, error) {
	t.perUser.Add(1)
	return t.Tx.User(ctx, id)
}

func (t perUserTx) PutInvitation(ctx context.Context, inv *Invitation) error {
	t.perUser.Add(1)
	return t.Tx.PutInvitation(ctx, inv)
}

func (t perUserTx) EnqueueMessage(ctx context.Context, m *Message) (bool, error) {
	t.perUser.Add(1)
	return t.Tx.EnqueueMessage(ctx, m)
}

// InviteHolders invites a batch in one transaction with bulk statements,
// not a round of statements per user (tester: 31,000 holders), and writes
// what inviting one at a time wrote: one pending invitation each, the
// e-mail of those with a mailbox, one audit entry user.invited each, a
// renewal keeping the invitation's first id and mailing a fresh link.
func TestInviteHoldersInBulk(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		var holders []*User
		for i, email := range []string{"a@example.com.pk", "", "c@example.com.pk", "", "e@example.com.pk"} {
			holders = append(holders, h.holder("Holder "+string(rune('A'+i)), email))
		}
		// One invited before: the batch renews it.
		if _, err := h.svc.InviteHolders(h.ctx, "cli", []string{holders[0].ID}); err != nil {
			t.Fatal(err)
		}
		oldTokens := h.claimTokensTo(holders[0].Email)
		admin := h.staff("admin")
		before, _ := h.svc.PendingInvitations(h.ctx, admin)
		var writes, perUser atomic.Int64
		bulk := NewService(perUserStore{h.db, &writes, &perUser}, h.cfg)
		ids := make([]string, len(holders))
		for i, u := range holders {
			ids[i] = u.ID
		}
		n, err := bulk.InviteHolders(h.ctx, admin.ID, ids)
		if err != nil || n != len(holders) {
			t.Fatalf("InviteHolders = %d, %v; want %d", n, err, len(holders))
		}
		if writes.Load() != 1 || perUser.Load() != 0 {
			t.Errorf("InviteHolders of %d users: %d transactions, %d per-user statements; want 1 and 0 (bulk)", len(holders), writes.Load(), perUser.Load())
		}
		pending, err := h.svc.PendingInvitations(h.ctx, admin)
		if err != nil || len(pending) != len(holders) {
			t.Fatalf("pending = %+v, %v; want %d", pending, err, len(holders))
		}
		for _, p := range pending {
			if want := p.Email != ""; p.Mailed != want {
				t.Errorf("invitation of %s: mailed %v, want %v", p.UserID, p.Mailed, want)
			}
		}
		if !slices.ContainsFunc(pending, func(p PendingInvitation) bool { return p.UserID == holders[0].ID && p.CreatedAt.Equal(h.clock.Now()) }) || len(before) != 1 {
			t.Errorf("the renewal: before %+v, after %+v", before, pending)
		}
		h.deliver()
		mails, _ := h.box.take()
		to := map[string]int{}
		for _, m := range mails {
			if mm := claimLink.FindStringSubmatch(m.Text); mm != nil {
				to[m.To]++
				if len(oldTokens) == 1 && mm[1] == oldTokens[0] {
					t.Errorf("the renewal mailed the old link")
				}
			}
		}
		for _, u := range holders {
			want := 0
			if HasMailbox(u.Email) {
				want = 1
			}
			if to[u.Email] != want {
				t.Errorf("claim links mailed to %s: %d, want %d", u.Email, to[u.Email], want)
			}
			var entries []string
			if err := h.db.Read(h.ctx, func(tx Tx) error {
				es, err := tx.AuditEntriesAbout(h.ctx, []AuditObject{{Type: "user", ID: u.ID}})
				for _, e := range es {
					if e.ActorID == admin.ID {
						entries = append(entries, e.Action+" "+e.Detail)
					}
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			mailed := `{"mailed":false}`
			if HasMailbox(u.Email) {
				mailed = `{"mailed":true}`
			}
			if len(entries) != 1 || entries[0] != "user.invited "+mailed {
				t.Errorf("audit entries by the admin about %s = %q; want one user.invited %s", u.ID, entries, mailed)
			}
		}
	})
}
