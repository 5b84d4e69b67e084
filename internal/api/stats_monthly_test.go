package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// seedStatsMonth writes approved applications (with their approval
// events) and rejected ones of the current month for the holder of token.
func seedStatsMonth(t *testing.T, c *client, token string, approved, rejected int) {
	t.Helper()
	id := c.want(c.do("POST", "/api/v1/applications", token, map[string]any{"category": "company_vpn"}), 201).json(t)["id"].(string)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := c.db.Write(ctx, func(tx registry.Tx) error {
		proto, err := tx.Application(ctx, id, false)
		if err != nil {
			return err
		}
		for i := 0; i < approved+rejected; i++ {
			a := *proto
			a.ID, a.SubmittedAt, a.SLADueAt, a.State = fmt.Sprintf("app_stats_%d", i), now.Add(-time.Minute), now.Add(time.Hour), registry.StateApproved
			typ, note := "approved", ""
			if i >= approved {
				a.State, typ, note = registry.StateRejected, "rejected", "duplicate: already held"
			}
			if err := tx.CreateApplication(ctx, &a); err != nil {
				return err
			}
			if err := tx.AddEvent(ctx, &registry.Event{ApplicationID: a.ID, At: now, Type: typ, Note: note}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestStatsMonthly(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, kind)
			alice := signup(c, "alice.stats@example.pk", "company")
			seedStatsMonth(t, c, alice, 7, 2)
			month := time.Now().In(registry.PKT.Loc).Format("2006-01")
			m0, _, _ := registry.MonthRange(month)
			next := m0.AddDate(0, 1, 0).Format("2006-01")
			st := c.want(c.do("GET", "/api/v1/stats?from="+month+"&to="+month, "", nil), 200).json(t)
			if st["from"] != month || st["to"] != month || st["suppress_below"] != float64(5) {
				t.Errorf("period = %v..%v, threshold %v", st["from"], st["to"], st["suppress_below"])
			}
			months := st["months"].([]any)
			if len(months) != 1 {
				t.Fatalf("months = %v", months)
			}
			rows := map[string]map[string]any{}
			for _, r := range months[0].(map[string]any)["categories"].([]any) {
				rows[r.(map[string]any)["category"].(string)] = r.(map[string]any)
			}
			co := rows["company_vpn"]
			// The other categories received nothing ("<5" each): with
			// company_vpn's 9 and the total 9 shown, a reader would know
			// they are all 0, so company_vpn's cell is hidden too ("*").
			want := map[string]map[string]string{
				"company_vpn": {"received": `map[suppressed:secondary value:<nil>]`, "approved": `map[suppressed:secondary value:<nil>]`,
					"rejected": `map[suppressed:small value:<nil>]`, "approval_rate": `map[suppressed:secondary value:<nil>]`},
				"mobile_vpn": {"received": `map[suppressed:small value:<nil>]`},
				"all": {"received": `map[value:9]`, "approved": `map[value:7]`, "rejected": `map[suppressed:small value:<nil>]`,
					"approval_rate": `map[suppressed:secondary value:<nil>]`, "median_calendar_hours": `map[value:0]`},
			}
			for cat, w := range want {
				for k, v := range w {
					if got := fmt.Sprint(rows[cat][k]); got != v {
						t.Errorf("%s %s = %s, want %s", cat, k, got, v)
					}
				}
			}
			if reasons := fmt.Sprint(months[0].(map[string]any)["rejection_reasons"]); reasons != `[map[count:map[suppressed:small value:<nil>] reason_code:duplicate]]` {
				t.Errorf("rejection reasons = %s", reasons)
			}
			if _, ok := co["active_mobile_numbers"]; ok {
				t.Errorf("company_vpn has active_mobile_numbers: %v", co)
			}
			// The all-time fields only without a period (their clients'
			// request); the default period is twelve months.
			if _, ok := st["applications_by_state"]; ok {
				t.Errorf("a request for a period got the all-time fields")
			}
			def := c.want(c.do("GET", "/api/v1/stats", "", nil), 200).json(t)
			if n := len(def["months"].([]any)); n != 12 {
				t.Errorf("default period has %d months, want 12", n)
			}
			// The unsuppressed all-time fields single out applicants: only
			// the regulator's staff get them (t1 finding 1).
			for _, who := range []struct {
				name, token string
				allTime     bool
			}{
				{"anonymous", "", false}, {"applicant", alice, false},
				{"operator", c.login("operator.ptcl@demo.test"), false},
				{"reviewer", c.login("reviewer@demo.test"), true}, {"admin", c.login("admin@demo.test"), true},
			} {
				got := c.want(c.do("GET", "/api/v1/stats", who.token, nil), 200).json(t)
				if _, ok := got["months"]; !ok {
					t.Errorf("%s: no monthly table", who.name)
				}
				for _, k := range []string{"applications_by_state", "active_by_category", "appeals_by_state", "active_mobile_numbers", "decisions_last_30_days"} {
					if _, ok := got[k]; ok != who.allTime {
						t.Errorf("%s: has %s = %v, want %v", who.name, k, ok, who.allTime)
					}
				}
				if by, ok := got["applications_by_state"].(map[string]any); who.allTime && (!ok || by["approved"] != float64(7)) {
					t.Errorf("%s: all-time fields without a period = %v", who.name, got["applications_by_state"])
				}
			}
			// Months before the first submission are answered, not stored
			// (t1 finding 3); the months since are.
			c.want(c.do("GET", "/api/v1/stats?from=0001-01&to=0003-12", "", nil), 200)
			if err := c.db.Read(context.Background(), func(tx registry.Tx) error {
				if old, err := tx.StatsMonths(context.Background(), "0001-01", "0003-12"); err != nil || len(old) != 0 {
					t.Errorf("a request for 0001-01..0003-12 stored %d rows (%v)", len(old), err)
				}
				if cur, err := tx.StatsMonths(context.Background(), month, month); err != nil || len(cur) != 1 {
					t.Errorf("the current month has %d rows (%v), want 1", len(cur), err)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for _, bad := range []struct{ q, field, says string }{
				{"from=2026-1&to=2026-02", "from", "YYYY-MM"},
				{"from=2026-01&to=next", "to", "YYYY-MM"},
				{"from=2026-03&to=2026-01", "from", "after to"},
				{"from=2020-01&to=" + month, "from", "at most 36 months"},
				{"to=2999-01", "to", "after the current month"},
				// A from in the future alone names itself and the latest
				// month, not a to never given (issue 13).
				{"from=" + next, "from", next + " is after the current month " + month + ": statistics exist only up to " + month},
				{"from=" + month + "&from=2026-01&to=" + month, "from", "only once"},
				{"to=" + month + "&to=" + month, "to", "only once"},
				// Spaces around a month are refused as around any
				// parameter, not trimmed (tester, issue 13).
				{"from=%20" + month, "from", `" ` + month + `" has a space before or after it`},
				{"from=" + month + "&to=" + month + "+", "to", "has a space before or after it: give the month alone"},
			} {
				res := c.want(c.do("GET", "/api/v1/stats?"+bad.q, "", nil), 400)
				if msg := res.errorField(t, bad.field); !strings.Contains(msg, bad.says) || !strings.Contains(bad.q, "to=") && strings.Contains(msg, "after to") {
					t.Errorf("%s: %s = %q, want it to say %q", bad.q, bad.field, msg, bad.says)
				}
			}
		})
	}
}
