package registry_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/ipreg/ipreg/internal/registry"
)

// lockedStore is a store whose transactions cannot write invitations, as
// when SQLite answers "database is locked" part-way through.
type lockedStore struct{ Store }

type lockedTx struct{ Tx }

var errLocked = errors.New("begin: database is locked (5)")

func (lockedTx) PutInvitation(context.Context, *Invitation) error { return errLocked }

func (lockedTx) PutInvitations(context.Context, []*Invitation) error { return errLocked }

// InsertImport writes the import and then fails where the invitations
// would be written, as an import writes them in the same bulk insert.
func (t lockedTx) InsertImport(ctx context.Context, b *ImportBatch) error {
	if len(b.Invitations) == 0 {
		return t.Tx.InsertImport(ctx, b)
	}
	rest := *b
	rest.Invitations, rest.Messages = nil, nil
	if err := t.Tx.InsertImport(ctx, &rest); err != nil {
		return err
	}
	return errLocked
}

func (s lockedStore) Write(ctx context.Context, fn func(Tx) error) error {
	return s.Store.Write(ctx, func(tx Tx) error { return fn(lockedTx{tx}) })
}

// An import invites its new holders in its own transaction (tester t3,
// major 1): when the invitations cannot be written nothing of the import
// is, and running it again imports and invites everyone.
func TestImportInvitesInItsTransaction(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		before := h.counts()
		locked := NewService(lockedStore{h.db}, h.cfg)
		if _, _, err := locked.ImportAndInvite(h.ctx, bytes.NewReader(sampleImport(t)), ImportOptions{Actor: "cli"}); err == nil || !strings.Contains(err.Error(), "database is locked") {
			t.Fatalf("import with invitations failing: err = %v, want the store's error", err)
		}
		if got := h.counts(); !slices.Equal(got, before) {
			t.Fatalf("the failed import wrote: %v -> %v", before, got)
		}
		rep, n, err := h.svc.ImportAndInvite(h.ctx, bytes.NewReader(sampleImport(t)), ImportOptions{Actor: "cli"})
		if err != nil || len(rep.Problems) != 0 || rep.NewRegistrations != 4 || n != 4 || rep.Invited != 4 {
			t.Fatalf("re-run: %+v, invited %d, %v", rep, n, err)
		}
		pend, err := h.svc.PendingInvitations(h.ctx, h.staff("admin"))
		if err != nil {
			t.Fatal(err)
		}
		var invited []string
		for _, p := range pend {
			invited = append(invited, p.UserID)
		}
		for _, id := range rep.NewHolderIDs {
			if !slices.Contains(invited, id) {
				t.Errorf("new holder %s has no invitation; invited %v", id, invited)
			}
		}
	})
}

// An imported registration's dates are the days the file gives, in
// Pakistan, as an approval keeps them (tester t3, major 2): approved_on at
// 00:00 PKT, valid_until through 23:59:59 PKT of that day; the key of an
// earlier import is unchanged, so re-runs still match.
func TestImportDatesAreDaysInPakistan(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		file := importHeader + "individual,Dates Holder,35202-0000077-1,,dates@example.pk,0300-1234567,freelancer_vpn,ptcl,,203.99.75.1,2025-03-10,2027-02-01,D-1\n" +
			"individual,Dates Holder 2,35202-0000078-1,,dates2@example.pk,0300-1234568,freelancer_vpn,ptcl,,203.99.75.2,2025-03-10,2027-02-01,\n"
		rep := h.importFile([]byte(file), false)
		if len(rep.Problems) != 0 || rep.NewRegistrations != 2 {
			t.Fatalf("report %+v\n%s", rep, problemText(rep.Problems))
		}
		regs, err := h.svc.ListRegistrations(h.ctx, h.staff("admin"), RegFilter{})
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, r := range regs {
			if r.HolderName != "Dates Holder" && r.HolderName != "Dates Holder 2" {
				continue
			}
			found++
			for _, c := range []struct {
				name string
				got  time.Time
				want string
			}{
				{"valid_from", r.ValidFrom, "2025-03-10 00:00:00 PKT"},
				{"valid_until", r.ValidUntil, "2027-02-01 23:59:59 PKT"},
			} {
				if got := c.got.In(PKT.Loc).Format("2006-01-02 15:04:05 MST"); got != c.want {
					t.Errorf("%s %s = %s, want %s", r.Number, c.name, got, c.want)
				}
			}
		}
		if found != 2 {
			t.Fatalf("found %d imported registrations, want 2", found)
		}
		if again := h.importFile([]byte(file), false); len(again.Problems) != 0 || again.Unchanged != 2 {
			t.Fatalf("re-run: %+v\n%s", again, problemText(again.Problems))
		}
	})
}

// Header cells match columns whatever their case, spaces, dashes and
// underscores, as docs/import.md says: "E-mail" is email (tester t3,
// minor 9).
func TestImportHeaderSpellings(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		for _, header := range []string{
			"Holder Kind,Holder-Name,CNIC,NTN,E-mail,Mobile,Category,Operator,Subscriber ID,Item,Approved on,Valid-Until,Legacy_Ref\n",
			"holder_kind,holder_name,cnic,ntn,e_mail,mobile,category,operator,subscriber_id,item,approved_on,valid_until,legacy_ref\n",
		} {
			rep := h.importFile([]byte(header+"individual,Header Holder,35202-0000079-1,,header@example.pk,0300-1234569,freelancer_vpn,ptcl,,203.99.76.1,2025-03-10,2027-02-01,H-1\n"), true)
			if len(rep.Problems) != 0 || rep.NewRegistrations != 1 {
				t.Errorf("header %q: %+v\n%s", header, rep, problemText(rep.Problems))
			}
		}
	})
}

// A problem repeats at most 80 characters of a value, and "…" (tester t3,
// minor 6): a 300,000-character name made a 60 MB report.
func TestImportProblemsShortenValues(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		long := strings.Repeat("ن", 300000)
		op := strings.Repeat("x", 5000)
		for _, tt := range []struct {
			name, row, field string
		}{
			{"holder_name", "individual," + long + ",35202-0000080-1,,long@example.pk,0300-1234560,freelancer_vpn,ptcl,,203.99.77.1,2025-03-10,2027-02-01,L-1\n", "holder_name"},
			{"operator", "individual,Long Operator,35202-0000081-1,,long2@example.pk,0300-1234561,freelancer_vpn," + op + ",,203.99.77.2,2025-03-10,2027-02-01,L-2\n", "operator"},
		} {
			rep := h.importFile([]byte(importHeader+tt.row), true)
			found := false
			for _, p := range rep.Problems {
				if p.Field != tt.field {
					continue
				}
				found = true
				if n := len([]rune(p.Value)); n != 81 || !strings.HasSuffix(p.Value, "…") {
					t.Errorf("%s: value of %d characters %q, want 80 and …", tt.name, n, p.Value)
				}
				if len(p.Message) > 1000 {
					t.Errorf("%s: message of %d bytes: %.200s", tt.name, len(p.Message), p.Message)
				}
			}
			if !found {
				t.Errorf("%s: no problem reported:\n%s", tt.name, problemText(rep.Problems))
			}
		}
	})
}
