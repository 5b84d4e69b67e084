package registry_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/ipreg/ipreg/internal/registry"
)

// An import is not the regulator's decisions (issue 13, tester): its
// registrations count in no month's approvals, neither the import's
// (November 2026 here) nor their old approval date's (September), only in
// the month-end active registrations and addresses, in the rollup and in
// the staff's all-time figures alike. And it changes closed months:
// October, built after its end and so left alone by the job, is marked
// for rebuild in the import's transaction and rebuilt by the next run.
func TestImportStatistics(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		// The clock is 23 November 2026; the job builds October (final)
		// and November.
		if _, err := h.svc.RebuildStats(h.ctx); err != nil {
			t.Fatal(err)
		}
		raw := func(month string) *CategoryFigures {
			t.Helper()
			var cf *CategoryFigures
			if err := h.db.Read(h.ctx, func(tx Tx) error {
				ms, err := tx.StatsMonths(h.ctx, month, month)
				if len(ms) == 1 {
					cf = ms[0].Categories[StatsCategoryAll]
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if cf == nil {
				t.Errorf("no rollup row of %s", month)
				cf = &CategoryFigures{}
			}
			return cf
		}
		dirty := func() []string { return dirtyStatsMonths(t, h) }
		oct, nov := *raw("2026-10"), *raw("2026-11")

		file := strings.Join([]string{
			"holder_kind,holder_name,cnic,ntn,email,mobile,category,operator,subscriber_id,item,approved_on,valid_until,legacy_ref",
			`company,"Indus Software House (Pvt.) Ltd.",35202-1234567-1,1234567-8,it@indus-soft.example.pk,0300-1234567,company_vpn,ptcl,PTCL-0042-771,203.99.48.0/29,2026-09-10,2027-06-30,OLD-1`,
			`individual,عائشہ خان,42101-7654321-2,,ayesha.khan@example.pk,0321-7654321,freelancer_vpn,nayatel,NT-88213,182.176.10.7,2026-09-10,2027-06-30,OLD-2`,
			`company,"Karachi Contact Centre, Ltd.",42201-1111111-3,7654321-0,noc@kcc.example.pk,0333-1111111,call_center,stormfiber,SF/KHI/5512,39.32.200.0/28,2026-11-02,2027-06-30,OLD-3`,
		}, "\n") + "\n"
		if rep := h.importFile([]byte(file), false); len(rep.Problems) != 0 || rep.NewRegistrations != 3 {
			t.Fatalf("import: %+v", rep)
		}
		if got, want := dirty(), []string{"2026-09", "2026-10", "2026-11"}; !slices.Equal(got, want) {
			t.Errorf("months marked for rebuild: %v, want %v", got, want)
		}
		// Until the job runs, the page builds a marked month afresh rather
		// than show its stale row.
		h.clock.Add(time.Minute)
		ms, err := h.svc.MonthlyStats(h.ctx, "2026-10", "2026-10")
		if err != nil || len(ms.Months) != 1 || !ms.Months[0].BuiltAt.Equal(h.clock.Now()) {
			t.Errorf("October read after the import: %+v, %v; want it built at %v", ms, err, h.clock.Now())
		}
		if _, err := h.svc.RebuildStats(h.ctx); err != nil {
			t.Fatal(err)
		}
		if got := dirty(); len(got) != 0 {
			t.Errorf("months still marked after the job: %v", got)
		}
		for _, c := range []struct {
			month         string
			was           CategoryFigures
			active, addrs int
		}{
			{"2026-09", CategoryFigures{}, 2, 2},
			{"2026-10", oct, 2, 2},
			{"2026-11", nov, 3, 3},
		} {
			got := raw(c.month)
			if got.Approved != c.was.Approved || got.Received != c.was.Received || got.Decided != c.was.Decided {
				t.Errorf("%s: approved %d, received %d, decided %d; want %d, %d, %d as before the import",
					c.month, got.Approved, got.Received, got.Decided, c.was.Approved, c.was.Received, c.was.Decided)
			}
			if got.ActiveRegistrations != c.was.ActiveRegistrations+c.active || got.ActiveAddresses != c.was.ActiveAddresses+c.addrs {
				t.Errorf("%s: %d active registrations with %d addresses; want %d and %d", c.month, got.ActiveRegistrations, got.ActiveAddresses,
					c.was.ActiveRegistrations+c.active, c.was.ActiveAddresses+c.addrs)
			}
		}

		// The staff's all-time figures agree: no approved application,
		// none approved in the last 30 days (one's old approval date, 2
		// November, is), three active registrations.
		st, err := h.svc.Stats(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.ApplicationsByState[StateApproved] != 0 || st.ApplicationsByKind[KindNew] != 0 || st.ApprovedByKindLast30Days[KindNew] != 0 ||
			st.RegistrationsByStatus[RegActive] != 3 || st.ActiveAddresses != 3 {
			t.Errorf("all-time figures after the import: %+v", st)
		}
	})
}

// A holiday added or removed in the past changes the working hours of the
// decisions around it: the months built since are marked for rebuild. One
// still to come, or a change of anything else, marks nothing.
func TestHolidayChangeMarksMonths(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		// 23 November 2026: the job builds October and November.
		if _, err := h.svc.RebuildStats(h.ctx); err != nil {
			t.Fatal(err)
		}
		admin := h.staff("admin")
		dirty := func() []string { return dirtyStatsMonths(t, h) }
		set, err := h.svc.Settings(h.ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			edit func(*Settings)
			want []string
		}{
			{"another setting", func(s *Settings) { s.AppealDays++ }, nil},
			{"a holiday to come", func(s *Settings) { s.Holidays = append(s.Holidays, Holiday{Date: "2026-12-31", Name: "to come"}) }, nil},
			{"a holiday in October", func(s *Settings) { s.Holidays = append(s.Holidays, Holiday{Date: "2026-10-15", Name: "declared late"}) },
				[]string{"2026-10", "2026-11"}},
		} {
			c.edit(&set)
			if _, err := h.svc.UpdateSettings(h.ctx, admin, set); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := dirty(); !slices.Equal(got, c.want) {
				t.Errorf("%s: months marked %v, want %v", c.name, got, c.want)
			}
		}
		if _, err := h.svc.RebuildStats(h.ctx); err != nil || len(dirty()) != 0 {
			t.Errorf("after the job: marked %v, %v", dirty(), err)
		}
		// Taking the October holiday out again marks them again.
		set.Holidays = set.Holidays[:len(set.Holidays)-1]
		if _, err := h.svc.UpdateSettings(h.ctx, admin, set); err != nil {
			t.Fatal(err)
		}
		if got := dirty(); !slices.Equal(got, []string{"2026-10", "2026-11"}) {
			t.Errorf("a holiday removed: months marked %v", got)
		}
	})
}

// The tester's month ends (issue 13): 20 freelancers imported with
// approved_on 1 October and 3 companies with approved_on 1 November. A
// registration approved on the 1st is valid from 00:00 PKT that day
// (19:00 UTC the day before), so the companies are not active at the end
// of October, neither in a month built at request time (the page, before
// the job) nor in the rollup the job keeps. And November's 23, 20 of them
// freelancers, leave no small sum to the "<5" categories: the companies'
// 3 cannot be read off the total.
func TestImportMonthEndStatistics(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		rows := []string{"holder_kind,holder_name,cnic,ntn,email,mobile,category,operator,subscriber_id,item,approved_on,valid_until,legacy_ref"}
		for i := range 20 {
			rows = append(rows, fmt.Sprintf("individual,Freelancer %d,42101-76543%02d-2,,free%d@example.pk,0321-76543%02d,freelancer_vpn,nayatel,NT-%d,182.176.10.%d,2026-10-01,2027-06-30,FREE-%d",
				i, i, i, i, i, 10+i, i))
		}
		for i := range 3 {
			rows = append(rows, fmt.Sprintf("company,Company %d,35202-12345%02d-1,123456%d-8,it%d@company.example.pk,0300-12345%02d,company_vpn,ptcl,PTCL-%d,203.99.48.%d/29,2026-11-01,2027-06-30,COMP-%d",
				i, i, i, i, i, i, 8*i, i))
		}
		if rep := h.importFile([]byte(strings.Join(rows, "\n")+"\n"), false); len(rep.Problems) != 0 || rep.NewRegistrations != 23 {
			t.Fatalf("import: %+v", rep)
		}
		published := func(month string) map[string]*StatsRow {
			t.Helper()
			ms, err := h.svc.MonthlyStats(h.ctx, month, month)
			if err != nil || len(ms.Months) != 1 {
				t.Fatalf("statistics of %s: %+v, %v", month, ms, err)
			}
			out := map[string]*StatsRow{}
			for _, r := range ms.Months[0].Rows {
				out[r.Category] = r
			}
			return out
		}
		// Built at request time (the months are marked, not yet rebuilt).
		if oct := published("2026-10"); oct[StatsCategoryAll].ActiveRegistrations.Text() != "20" || oct[StatsCategoryAll].ActiveAddresses.Text() != "20" {
			t.Errorf("end of October (built at request): %s active registrations, %s addresses in all; want 20 (the companies are valid from 00:00 PKT on 1 November)",
				oct[StatsCategoryAll].ActiveRegistrations.Text(), oct[StatsCategoryAll].ActiveAddresses.Text())
		}
		if _, err := h.svc.RebuildStats(h.ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			month         string
			free, company int
		}{{"2026-10", 20, 0}, {"2026-11", 20, 3}} {
			var cats map[string]*CategoryFigures
			if err := h.db.Read(h.ctx, func(tx Tx) error {
				ms, err := tx.StatsMonths(h.ctx, c.month, c.month)
				if len(ms) == 1 {
					cats = ms[0].Categories
				}
				return err
			}); err != nil || cats == nil {
				t.Fatalf("rollup of %s: %v, %v", c.month, cats, err)
			}
			if f, co := cats["freelancer_vpn"], cats["company_vpn"]; f.ActiveRegistrations != c.free || co.ActiveRegistrations != c.company || co.ActiveAddresses != c.company {
				t.Errorf("rollup of %s: %d freelancers, %d companies with %d addresses active at the end; want %d, %d, %d",
					c.month, f.ActiveRegistrations, co.ActiveRegistrations, co.ActiveAddresses, c.free, c.company, c.company)
			}
		}
		nov := published("2026-11")
		for name, measure := range map[string]func(*StatsRow) *Count{
			"active registrations": func(r *StatsRow) *Count { return r.ActiveRegistrations },
			"active addresses":     func(r *StatsRow) *Count { return r.ActiveAddresses },
		} {
			all, free, company := measure(nov[StatsCategoryAll]), measure(nov["freelancer_vpn"]), measure(nov["company_vpn"])
			if company.Text() != "<5" || all.Suppressed == "" && free.Suppressed == "" {
				t.Errorf("November %s: all %s, freelancer_vpn %s, company_vpn %s; the companies' count is all less the freelancers",
					name, all.Text(), free.Text(), company.Text())
			}
		}
	})
}

// dirtyStatsMonths lists the statistics months marked for a rebuild.
func dirtyStatsMonths(t *testing.T, h *harness) []string {
	t.Helper()
	var out []string
	if err := h.db.Read(h.ctx, func(tx Tx) error {
		var err error
		out, err = tx.DirtyStatsMonths(h.ctx, "", "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
