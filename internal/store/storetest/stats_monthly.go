package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

// testStatsMonthly: the rollup's facts of one month count only that
// month's events (PKT month boundaries), read a rejection's reason from
// its event, see registrations active at the month's end, and a stored
// rollup row reads back as written.
func testStatsMonthly(t *testing.T, db *store.DB) {
	ctx := context.Background()
	fixture(t, db, "acc_a")
	pkt := registry.PKT.Loc
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, pkt)
	to := from.AddDate(0, 1, 0)
	sub := time.Date(2026, 3, 2, 10, 0, 0, 0, pkt) // a Monday
	write(t, db, func(tx registry.Tx) error {
		for i := 0; i < 8; i++ {
			a := sampleApp(fmt.Sprintf("app_m%d", i), "acc_a")
			a.State, a.SubmittedAt, a.SLADueAt = registry.StateApproved, sub, sub.Add(6*time.Hour)
			if i == 7 { // submitted at 23:59 UTC on 28 February: 04:59 on 1 March in Pakistan
				a.SubmittedAt = time.Date(2026, 2, 28, 23, 59, 0, 0, time.UTC)
			}
			if err := tx.CreateApplication(ctx, a); err != nil {
				return err
			}
			typ, note, at := "approved", "", sub.Add(time.Duration(i+1)*time.Hour)
			switch i {
			case 5:
				typ, note = "rejected", "duplicate: already registered"
			case 6:
				typ, at = "approved", to // 00:00 PKT on 1 April (19:00 UTC on 31 March): April's, not March's
			}
			if err := tx.AddEvent(ctx, &registry.Event{ApplicationID: a.ID, At: at, Type: typ, Note: note}); err != nil {
				return err
			}
		}
		// The month's end is its last second in Pakistan (23:59:59 PKT on
		// 31 March, 18:59:59 UTC), not the next month's first instant: a
		// registration valid from 00:00 PKT on 1 April (approved on that
		// day) had not started, one valid until 23:59:59 PKT on 31 March
		// (through its last day) was still active.
		for i, r := range []struct {
			from, until, ended time.Time
			cat                registry.Category
		}{
			{from.AddDate(0, 0, -5), to.AddDate(1, 0, 0), time.Time{}, ""},            // active at the end
			{from.AddDate(0, 0, -5), to.AddDate(1, 0, 0), from.AddDate(0, 0, 10), ""}, // revoked in March
			{from.AddDate(0, 0, -5), to.AddDate(0, 0, -1), time.Time{}, ""},           // validity ended in March (expiry job not run)
			{to, to.AddDate(1, 0, 0), time.Time{}, registry.CategoryCallCenter},       // valid from 00:00 PKT 1 April: not active at March's end
			{from.AddDate(0, 0, -5), to.Add(-time.Second), time.Time{}, ""},           // valid through 23:59:59 PKT 31 March: active
		} {
			reg := &registry.Registration{Number: fmt.Sprintf("VPN-2026-%06d", i+1), ApplicationID: fmt.Sprintf("app_m%d", i), AccountID: "acc_a",
				Addresses: pfx(fmt.Sprintf("14.1.%d.0/24", 104+2*i), fmt.Sprintf("14.1.%d.7/32", 105+2*i)), Category: cmp.Or(r.cat, registry.CategoryCompany), OperatorID: "ptcl", Status: registry.RegActive,
				ValidFrom: r.from, ValidUntil: r.until, VerificationCode: "C", CreatedAt: from}
			if err := tx.CreateRegistration(ctx, reg); err != nil {
				return err
			}
			if !r.ended.IsZero() {
				reg.Status, reg.EndedAt, reg.EndReason = registry.RegRevoked, r.ended, "test"
				if err := tx.UpdateRegistration(ctx, reg); err != nil {
					return err
				}
			}
		}
		return tx.CreateCheck(ctx, &registry.Check{ID: "chk_m", ApplicationID: "app_m0", OperatorID: "ptcl", State: registry.CheckPending,
			CreatedAt: sub, DueAt: sub.Add(24 * time.Hour), Category: registry.CategoryCompany})
	})
	var f *registry.StatsFacts
	if err := db.Read(ctx, func(tx registry.Tx) error {
		var err error
		f, err = tx.StatsFacts(ctx, from, to, to)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, e := range f.Events {
		types[e.Type]++
		if e.Type == "rejected" && e.ReasonCode != "duplicate" {
			t.Errorf("rejection reason = %q, want duplicate", e.ReasonCode)
		}
		if e.SubmittedAt.IsZero() || e.SLADueAt.IsZero() {
			t.Errorf("event %+v without submission or due time", e)
		}
	}
	if f.Received[registry.CategoryCompany] != 8 || types["approved"] != 6 || types["rejected"] != 1 || len(f.Events) != 7 {
		t.Errorf("received %v, events %v; want 8 received (one at 04:59 PKT on 1 March), 6 approved and 1 rejected in March", f.Received, types)
	}
	if f.ActiveRegistrations[registry.CategoryCompany] != 2 || f.ActiveItems[registry.CategoryCompany]["ip"] != 4 ||
		f.ActiveRegistrations[registry.CategoryCallCenter] != 0 || f.ActiveItems[registry.CategoryCallCenter]["ip"] != 0 {
		t.Errorf("active at the end of March %v, items %v; want 2 registrations with 4 addresses (not the one valid from 00:00 PKT on 1 April; the one valid until 23:59:59 PKT on 31 March)",
			f.ActiveRegistrations, f.ActiveItems)
	}
	if len(f.Checks) != 1 || f.Checks[0].OperatorName == "" || !f.Checks[0].AnsweredAt.IsZero() {
		t.Errorf("checks = %+v", f.Checks)
	}

	m := registry.BuildStatsMonth("2026-03", f, registry.PKT, to)
	write(t, db, func(tx registry.Tx) error { return tx.PutStatsMonth(ctx, m) })
	m.Categories["all"].Received = 99 // replaced, not added
	write(t, db, func(tx registry.Tx) error { return tx.PutStatsMonth(ctx, m) })
	db.Read(ctx, func(tx registry.Tx) error {
		got, err := tx.StatsMonths(ctx, "2026-01", "2026-12")
		if err != nil || len(got) != 1 || got[0].Month != "2026-03" || got[0].Categories["all"].Received != 99 ||
			got[0].Categories["company_vpn"].Approved != 6 || got[0].RejectionReasons["duplicate"] != 1 || !got[0].BuiltAt.Equal(to) {
			t.Errorf("StatsMonths = %+v, %v", got, err)
		}
		first, err := tx.FirstSubmission(ctx)
		if err != nil || !first.Equal(time.Date(2026, 2, 28, 23, 59, 0, 0, time.UTC)) {
			t.Errorf("FirstSubmission = %v, %v", first, err)
		}
		return nil
	})

	// Months marked for rebuild: marking twice keeps one mark, a range
	// reads its own, taking one leaves the others.
	write(t, db, func(tx registry.Tx) error { return tx.MarkStatsDirty(ctx, []string{"2026-02", "2026-03"}, to) })
	write(t, db, func(tx registry.Tx) error { return tx.MarkStatsDirty(ctx, []string{"2026-03", "2025-12"}, to) })
	dirty := func(from, to string) []string {
		var out []string
		db.Read(ctx, func(tx registry.Tx) error {
			var err error
			if out, err = tx.DirtyStatsMonths(ctx, from, to); err != nil {
				t.Errorf("DirtyStatsMonths: %v", err)
			}
			return nil
		})
		return out
	}
	if got := dirty("", ""); !slices.Equal(got, []string{"2025-12", "2026-02", "2026-03"}) {
		t.Errorf("dirty months %v", got)
	}
	if got := dirty("2026-01", "2026-02"); !slices.Equal(got, []string{"2026-02"}) {
		t.Errorf("dirty months of 2026-01..2026-02 %v", got)
	}
	write(t, db, func(tx registry.Tx) error { return tx.TakeStatsDirty(ctx, "2026-03") })
	if got := dirty("", ""); !slices.Equal(got, []string{"2025-12", "2026-02"}) {
		t.Errorf("dirty months after taking 2026-03: %v", got)
	}
}
