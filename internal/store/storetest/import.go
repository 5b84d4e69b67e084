package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

// testImport: the bulk reads and writes of an import. InsertImport stores
// accounts, users, approved applications with their items, registrations
// with their import keys and items, events and feed changes; the lookups
// find them again; an import key is unique; imported items count as held
// (the fee threshold) and as live (overlaps); serials are reserved as a
// block; thousands of audit entries in one transaction keep the chain.
func testImport(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_old")
	acc := &registry.Account{ID: "acc_imp", Kind: registry.KindCompany, Name: "مثال کمپنی, Ltd.", CNIC: "35202-7654321-1", Mobile: "923001112223", NTN: "7654321-0", CreatedAt: t0}
	user := &registry.User{ID: "usr_imp", Email: "holder@example.pk", Role: registry.RoleApplicant, AccountID: acc.ID, PasswordHash: "x", CreatedAt: t0}
	// The new user's invitation and its e-mail go in the same batch.
	inv := &registry.Invitation{ID: "inv_imp", UserID: user.ID, Hash: "hash-imp", InvitedBy: "cli", Mailed: true, CreatedAt: t0, ExpiresAt: t0.Add(14 * 24 * time.Hour)}
	msg := &registry.Message{ID: "msg_imp", Key: "invite:inv_imp:x:email:usr_imp", Channel: registry.ChannelEmail, Template: "invitation",
		Recipient: user.Email, Lang: "en", Data: map[string]string{"Path": "/claim?token="}, Secret: "tok-imp", CreatedAt: t0}
	batch := &registry.ImportBatch{Accounts: []*registry.Account{acc}, Users: []*registry.User{user},
		Invitations: []*registry.Invitation{inv}, Messages: []*registry.Message{msg}}
	var first int64
	write(t, db, func(tx registry.Tx) error {
		var err error
		first, err = tx.ReserveSerials(ctx, "registration-2026", 2)
		return err
	})
	for i, items := range []struct {
		addrs []string
		nums  []string
		op    string
	}{{addrs: []string{"203.99.48.0/29", "203.99.49.7/32"}, op: "ptcl"}, {nums: []string{"923001234567"}, op: "jazz"}} {
		a := &registry.Application{ID: fmt.Sprintf("app_imp%d", i), AccountID: acc.ID, Kind: registry.KindNew, Category: registry.CategoryCompany,
			OperatorID: items.op, Addresses: pfx(items.addrs...), MobileNumbers: items.nums, State: registry.StateApproved,
			CreatedAt: t0, UpdatedAt: t0, DecidedAt: t0.AddDate(-1, 0, 0), SubscriberID: fmt.Sprintf("SUB-%d", i)}
		if items.nums != nil {
			a.Category = registry.CategoryMobile
		}
		r := &registry.Registration{Number: fmt.Sprintf("VPN-2026-%06d", first+int64(i)), ApplicationID: a.ID, AccountID: acc.ID, Category: a.Category,
			OperatorID: a.OperatorID, Addresses: a.Addresses, MobileNumbers: a.MobileNumbers, Status: registry.RegActive,
			ValidFrom: a.DecidedAt, ValidUntil: t0.AddDate(1, 0, 0), VerificationCode: "CODE", CreatedAt: t0, IssuedAt: t0}
		a.Registration = r.Number
		batch.Applications = append(batch.Applications, a)
		batch.Registrations = append(batch.Registrations, r)
		batch.ImportKeys = append(batch.ImportKeys, fmt.Sprintf("ref:OLD-%d", i))
		batch.Events = append(batch.Events, &registry.Event{ApplicationID: a.ID, At: t0, ActorID: "cli", ActorRole: registry.RoleAdmin, Type: "approved", Note: "imported"})
		for _, p := range r.Addresses {
			batch.Feed = append(batch.Feed, registry.FeedChange{Op: "add", At: t0, Entry: feed.Entry{Prefix: p.String(), Reg: r.Number, Cat: string(r.Category), Until: r.ValidUntil}})
		}
		for _, m := range r.MobileNumbers {
			batch.Feed = append(batch.Feed, registry.FeedChange{Target: r.OperatorID, Op: "add", At: t0, Entry: feed.Entry{MSISDN: m, Reg: r.Number, Cat: string(r.Category), Until: r.ValidUntil}})
		}
	}
	// A pending application of another account: live, not imported.
	pending := sampleApp("app_pending", "acc_old")
	pending.State = registry.StateReview
	write(t, db, func(tx registry.Tx) error {
		if err := tx.CreateApplication(ctx, pending); err != nil {
			return err
		}
		if err := tx.InsertImport(ctx, batch); err != nil {
			return err
		}
		// 4,500 entries: more than one INSERT's worth (flushAudit chunks).
		for i := 0; i < 4500; i++ {
			if err := tx.AppendAudit(ctx, &audit.Entry{At: t0, ActorID: "cli", Action: "registration.imported", ObjectType: "registration", ObjectID: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err := verifyAudit(db); err != nil {
		t.Fatalf("audit chain after a large transaction: %v", err)
	}
	db.Read(ctx, func(tx registry.Tx) error {
		users, accounts, err := tx.ImportDirectory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if u := users["holder@example.pk"]; u == nil || u.AccountID != acc.ID || u.Role != registry.RoleApplicant {
			t.Errorf("ImportDirectory user = %+v", u)
		}
		if a := accounts[acc.ID]; a == nil || a.Name != acc.Name || a.IdentityKey() != acc.IdentityKey() || accounts["acc_old"] == nil {
			t.Errorf("ImportDirectory accounts = %+v", accounts)
		}
		imp, err := tx.ImportedRegistrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r := imp["ref:OLD-0"]; len(imp) != 2 || r == nil || r.AccountID != acc.ID || len(r.Addresses) != 2 || r.Addresses[1].String() != "203.99.49.7/32" ||
			!slices.Equal(imp["ref:OLD-1"].MobileNumbers, []string{"923001234567"}) {
			t.Errorf("ImportedRegistrations = %+v", imp)
		}
		// What a later run compares its rows with (tester, issue 13).
		if r := imp["ref:OLD-0"]; r == nil || r.HolderName != acc.Name || r.SubscriberID != "SUB-0" || !r.ValidFrom.Equal(t0.AddDate(-1, 0, 0)) ||
			!r.ValidUntil.Equal(t0.AddDate(1, 0, 0)) || r.OperatorID != "ptcl" || r.Category != registry.CategoryCompany {
			t.Errorf("ImportedRegistrations[ref:OLD-0] = %+v", r)
		}
		live, err := tx.LiveItems(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, li := range live {
			got = append(got, li.Kind+" "+li.Value+" "+li.Registration+" "+li.ApplicationID)
		}
		slices.Sort(got)
		want := []string{
			"ip 14.1.104.0/24  app_pending", "ip 14.1.105.7/32  app_pending", "ip 2001:dd8:1c::/48  app_pending",
			fmt.Sprintf("ip 203.99.48.0/29 VPN-2026-%06d app_imp0", first), fmt.Sprintf("ip 203.99.49.7/32 VPN-2026-%06d app_imp0", first),
			fmt.Sprintf("msisdn 923001234567 VPN-2026-%06d app_imp1", first+1),
		}
		if !slices.Equal(got, want) {
			t.Errorf("LiveItems =\n%q\nwant\n%q", got, want)
		}
		held, err := tx.HeldItems(ctx, acc.ID, "")
		if err != nil || held != 3 {
			t.Errorf("HeldItems of the imported account = %d, %v; want 3", held, err)
		}
		a, err := tx.Application(ctx, "app_imp0", false)
		if err != nil || a.State != registry.StateApproved || len(a.Addresses) != 2 || a.Registration != fmt.Sprintf("VPN-2026-%06d", first) {
			t.Errorf("imported application = %+v, %v", a, err)
		}
		return nil
	})
	// An approved amendment's subscriber ID is the registration's.
	amend := sampleApp("app_imp0_amend", acc.ID)
	amend.Kind, amend.ForRegistration, amend.State = registry.KindAmendment, fmt.Sprintf("VPN-2026-%06d", first), registry.StateApproved
	amend.SubscriberID, amend.DecidedAt, amend.Addresses = "SUB-AMENDED", t0, pfx("203.99.48.0/29", "203.99.49.7/32")
	write(t, db, func(tx registry.Tx) error { return tx.CreateApplication(ctx, amend) })
	db.Read(ctx, func(tx registry.Tx) error {
		imp, err := tx.ImportedRegistrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r := imp["ref:OLD-0"]; r == nil || r.SubscriberID != "SUB-AMENDED" || imp["ref:OLD-1"].SubscriberID != "SUB-1" {
			t.Errorf("ImportedRegistrations after an amendment = %+v", imp)
		}
		evs, err := tx.Events(ctx, "app_imp1")
		if err != nil || len(evs) != 1 || evs[0].Note != "imported" {
			t.Errorf("events = %+v, %v", evs, err)
		}
		gotInv, err := tx.InvitationOfUser(ctx, user.ID)
		if err != nil || gotInv.ID != inv.ID || gotInv.Hash != inv.Hash || !gotInv.Mailed || !gotInv.UsedAt.IsZero() ||
			!gotInv.ExpiresAt.Equal(inv.ExpiresAt) || gotInv.AccountName != acc.Name {
			t.Errorf("imported invitation = %+v, %v", gotInv, err)
		}
		m, err := tx.Message(ctx, msg.ID)
		if err != nil || m.Key != msg.Key || m.State != registry.MessagePending || m.Secret != "tok-imp" || m.Data["Path"] != "/claim?token=" ||
			!m.NextAt.Equal(t0) || !m.StartedAt.Equal(t0) {
			t.Errorf("imported invitation e-mail = %+v, %v", m, err)
		}
		n, err := tx.NextSerial(ctx, "registration-2026")
		if err != nil || n != first+2 {
			t.Errorf("NextSerial after reserving 2 from %d = %d, %v", first, n, err)
		}
		return nil
	})
	// The same key again is a conflict, and the transaction leaves nothing.
	again := &registry.ImportBatch{
		Applications:  []*registry.Application{{ID: "app_again", AccountID: acc.ID, Kind: registry.KindNew, Category: registry.CategoryCompany, OperatorID: "ptcl", State: registry.StateApproved, CreatedAt: t0, UpdatedAt: t0}},
		Registrations: []*registry.Registration{{Number: "VPN-2026-900000", ApplicationID: "app_again", AccountID: acc.ID, Category: registry.CategoryCompany, OperatorID: "ptcl", Status: registry.RegActive, ValidFrom: t0, ValidUntil: t0.Add(time.Hour), VerificationCode: "X", CreatedAt: t0}},
		ImportKeys:    []string{"ref:OLD-0"},
	}
	wantCode(t, db.Write(ctx, func(tx registry.Tx) error { return tx.InsertImport(ctx, again) }), registry.ECONFLICT)
	// A holder another import created meanwhile (the same file imported
	// twice at once) is refused saying so, and that a re-run is safe
	// (tester t3, minor 4).
	for _, c := range []struct {
		name  string
		batch *registry.ImportBatch
	}{
		{"same CNIC/NTN", &registry.ImportBatch{Accounts: []*registry.Account{{ID: "acc_twin", Kind: acc.Kind, Name: acc.Name, CNIC: acc.CNIC, Mobile: acc.Mobile, NTN: acc.NTN, CreatedAt: t0}}}},
		{"same e-mail", &registry.ImportBatch{
			Accounts: []*registry.Account{{ID: "acc_twin2", Kind: registry.KindCompany, Name: "Twin", CNIC: "35202-7654329-1", Mobile: "923001112229", NTN: "7654329-0", CreatedAt: t0}},
			Users:    []*registry.User{{ID: "usr_twin2", Email: user.Email, Role: registry.RoleApplicant, AccountID: "acc_twin2", PasswordHash: "x", CreatedAt: t0}}}},
	} {
		err := db.Write(ctx, func(tx registry.Tx) error { return tx.InsertImport(ctx, c.batch) })
		wantCode(t, err, registry.ECONFLICT)
		if err == nil || !strings.Contains(err.Error(), "another import of this file running at the same time") || !strings.Contains(err.Error(), "a re-run is safe") {
			t.Errorf("%s: %v, want it to name a concurrent import and say a re-run is safe", c.name, err)
		}
	}
	db.Read(ctx, func(tx registry.Tx) error {
		if _, err := tx.Application(ctx, "app_again", false); registry.ErrorCode(err) != registry.ENOTFOUND {
			t.Errorf("a failed import left its application: %v", err)
		}
		return nil
	})
}
