package registry

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// attackJoint is an independent reader of several equations at once (the
// month's rejections by category, whose all-categories cell is also the
// total of the rejection reasons): it enumerates every assignment of all
// the suppressed cells, totals included, consistent with every equation
// and the marks ("<5": Min to 4; "*": 5 to most), and returns a
// suppressed cell with a single possible value.
func attackJoint(eqs []equation, most int) (*Count, bool) {
	var vars []*Count
	index := map[*Count]int{}
	for _, e := range eqs {
		for _, c := range append([]*Count{e.total}, e.cells...) {
			if _, ok := index[c]; !ok && c.Suppressed != "" {
				index[c] = len(vars)
				vars = append(vars, c)
			}
		}
	}
	val := make([]int, len(vars))
	value := func(c *Count) int {
		if i, ok := index[c]; ok {
			return val[i]
		}
		return c.N
	}
	seen := make([]map[int]bool, len(vars))
	for i := range seen {
		seen[i] = map[int]bool{}
	}
	var walk func(k int)
	walk = func(k int) {
		if k == len(vars) {
			for _, e := range eqs {
				sum := 0
				for _, c := range e.cells {
					sum += value(c)
				}
				if sum != value(e.total) {
					return
				}
			}
			for i, v := range val {
				seen[i][v] = true
			}
			return
		}
		lo, hi := vars[k].Min, SuppressBelow-1
		if vars[k].Suppressed == "secondary" {
			lo, hi = SuppressBelow, most
		}
		for v := lo; v <= hi; v++ {
			val[k] = v
			walk(k + 1)
		}
	}
	walk(0)
	for i, s := range seen {
		if len(s) == 1 {
			return vars[i], true
		}
	}
	return nil, false
}

// rejectionEquations are the equations a month's rejections appear in:
// by category summing to all, and the reasons summing to all.
func rejectionEquations(sm *StatsMonth) []equation {
	var byCat equation
	for _, r := range sm.Rows {
		if r.Category == StatsCategoryAll {
			byCat.total = r.Rejected
		} else {
			byCat.cells = append(byCat.cells, r.Rejected)
		}
	}
	reasons := equation{total: byCat.total}
	for _, r := range sm.RejectionReasons {
		reasons.cells = append(reasons.cells, r.Count)
	}
	return []equation{byCat, reasons}
}

// TestRejectionsCannotBeDerivedJointly publishes months whose rejection
// cells a reader could pin down only by combining the reasons with the
// categories, or by knowing a listed reason occurred (t1 finding 2).
func TestRejectionsCannotBeDerivedJointly(t *testing.T) {
	cats := func(rej ...int) map[string]*CategoryFigures {
		out := map[string]*CategoryFigures{StatsCategoryAll: {}}
		for i, n := range rej {
			out[categoryCodes()[i]] = &CategoryFigures{Rejected: n}
			out[StatsCategoryAll].Rejected += n
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		cats    map[string]*CategoryFigures
		reasons map[string]int
	}{
		{"six rejections, reasons 5 and 1", cats(6), map[string]int{"duplicate": 5, "insufficient_purpose": 1}},
		{"six rejections in two categories, reasons 5 and 1", cats(3, 3), map[string]int{"duplicate": 5, "other": 1}},
		{"every category 4, one reason", cats(4, 4, 4, 4, 4), map[string]int{"duplicate": 20}},
		{"every category 4, two reasons", cats(4, 4, 4, 4, 4), map[string]int{"duplicate": 14, "other": 6}},
		{"two categories of 4, one reason", cats(4, 4), map[string]int{"duplicate": 8}},
		{"reasons 1, 1 and 9", cats(9, 2), map[string]int{"duplicate": 1, "other": 1, "documents_invalid": 9}},
		{"reasons all small", cats(2, 3), map[string]int{"duplicate": 4, "other": 1}},
		{"one category, one reason", cats(7), map[string]int{"duplicate": 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &MonthFigures{Month: "2026-11", Categories: tc.cats, RejectionReasons: tc.reasons}
			sm := PublishStats([]*MonthFigures{m}, nil).Months[0]
			eqs := rejectionEquations(sm)
			// "*" has no upper bound: the reader's search goes well past
			// the true total, so reaching its end pins nothing.
			most := tc.cats[StatsCategoryAll].Rejected + 2*SuppressBelow
			if c, ok := attackJoint(eqs, most); ok {
				var rs []string
				for _, r := range sm.RejectionReasons {
					rs = append(rs, r.ReasonCode+"="+r.Count.Text())
				}
				t.Errorf("a suppressed cell (%d) is derivable: by category %v = %s, reasons %v", c.N, texts(eqs[0].cells), eqs[0].total.Text(), rs)
			}
			for _, r := range sm.RejectionReasons {
				if r.Count.N < SuppressBelow && r.Count.Suppressed != "small" {
					t.Errorf("reason %s = %d shown", r.ReasonCode, r.Count.N)
				}
			}
		})
	}
}

// attack is an independent reader who tries to work out suppressed cells:
// it enumerates every assignment of the suppressed cells that is
// consistent with the shown cells, the total and what a mark says ("<5":
// 0 to 4; "*": 5 or more, up to the total), and reports a cell that has a
// single possible value.
func attack(cells []*Count, total *Count) (int, bool) {
	if total.Suppressed != "" {
		return 0, false
	}
	rest := total.N
	var hidden []int
	for i, c := range cells {
		if c.Suppressed == "" {
			rest -= c.N
		} else {
			hidden = append(hidden, i)
		}
	}
	seen := make([]map[int]bool, len(hidden))
	for i := range seen {
		seen[i] = map[int]bool{}
	}
	vals := make([]int, len(hidden))
	var walk func(k, left int)
	walk = func(k, left int) {
		if k == len(hidden) {
			if left == 0 {
				for i, v := range vals {
					seen[i][v] = true
				}
			}
			return
		}
		lo, hi := cells[hidden[k]].Min, SuppressBelow-1
		if cells[hidden[k]].Suppressed == "secondary" {
			lo, hi = SuppressBelow, total.N
		}
		for v := lo; v <= hi && v <= left; v++ {
			vals[k] = v
			walk(k+1, left-v)
		}
	}
	walk(0, rest)
	for i, s := range seen {
		if len(s) == 1 {
			return hidden[i], true
		}
	}
	return 0, false
}

func TestSuppressionCannotBeDerived(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cells []int
	}{
		{"none small", []int{10, 20, 30, 40, 50}},
		{"one small", []int{3, 20, 30, 40, 50}},
		{"one zero", []int{0, 20, 30, 40, 50}},
		{"two small summing to 8", []int{4, 4, 30, 40, 50}},
		{"two small summing to 0", []int{0, 0, 30, 40, 50}},
		{"one small one at 5", []int{0, 5, 30, 40, 50}},
		{"all small", []int{1, 2, 3, 4, 0}},
		{"all small, total above 5", []int{4, 4, 4, 0, 0}},
		{"all small at 4", []int{4, 4, 4, 4, 4}},
		{"one big rest small", []int{100, 0, 0, 0, 1}},
		{"one big rest zero", []int{100, 0, 0, 0, 0}},
		{"small and fives", []int{2, 5, 5, 5, 5}},
		// Several small cells whose sum the total gives away as small: the
		// tester's active registrations (152 in all, 149 freelancers).
		{"small ones summing to 3", []int{3, 149, 0, 0, 0}},
		{"small ones summing to 4", []int{1, 1, 1, 1, 100}},
		{"small ones summing to 5", []int{1, 1, 1, 2, 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cells := make([]*Count, len(tc.cells))
			sum := 0
			for i, n := range tc.cells {
				cells[i] = small(n)
				sum += n
			}
			total := small(sum)
			suppressEquations([]equation{{cells: cells, total: total}})
			for i, c := range cells {
				if tc.cells[i] < SuppressBelow && c.Suppressed != "small" {
					t.Errorf("cell %d = %d shown as %q, want <5", i, tc.cells[i], c.Text())
				}
				if c.Suppressed == "small" && c.N >= SuppressBelow {
					t.Errorf("cell %d = %d marked <5", i, c.N)
				}
			}
			if i, ok := attack(cells, total); ok {
				t.Errorf("cell %d (%d) derivable from total %s and cells %v", i, tc.cells[i], total.Text(), texts(cells))
			}
			if rest, ok := smallRest(cells, total); ok {
				t.Errorf("the suppressed cells of %v sum to %d, read off total %s", texts(cells), rest, total.Text())
			}
		})
	}
}

// smallRest reports whether a shown total less the shown cells leaves a
// small count (1 to 4) to two or more suppressed cells: a reader who knows
// all but one of them are 0 reads the last one off.
func smallRest(cells []*Count, total *Count) (int, bool) {
	if total.Suppressed != "" {
		return 0, false
	}
	rest, hidden := total.N, 0
	for _, c := range cells {
		if c.Suppressed != "" {
			hidden++
		} else {
			rest -= c.N
		}
	}
	return rest, hidden >= 2 && rest > 0 && rest < SuppressBelow
}

// TestActiveFiguresRestNotSmall publishes the tester's month (issue 13):
// 20 freelancers and 3 companies imported, beside 129 freelancers already
// registered. The month-end active registrations, addresses and mobile
// numbers are equations as the received ones are: no column of the month
// leaves a small sum to its "<5" cells, in any measure.
func TestActiveFiguresRestNotSmall(t *testing.T) {
	m := &MonthFigures{Month: "2026-07", Categories: map[string]*CategoryFigures{
		StatsCategoryAll: {Received: 152, ActiveRegistrations: 152, ActiveAddresses: 152, ActiveMobileNumbers: 3},
		"freelancer_vpn": {Received: 149, ActiveRegistrations: 149, ActiveAddresses: 149},
		"company_vpn":    {Received: 3, ActiveRegistrations: 3, ActiveAddresses: 3},
		"mobile_vpn":     {ActiveMobileNumbers: 3},
	}}
	sm := PublishStats([]*MonthFigures{m}, nil).Months[0]
	rows := map[string]*StatsRow{}
	for _, r := range sm.Rows {
		rows[r.Category] = r
	}
	for name, measure := range map[string]func(*StatsRow) *Count{
		"received": func(r *StatsRow) *Count { return r.Received }, "active registrations": func(r *StatsRow) *Count { return r.ActiveRegistrations },
		"active addresses": func(r *StatsRow) *Count { return r.ActiveAddresses }, "active mobile numbers": func(r *StatsRow) *Count { return r.ActiveMobileNumbers },
	} {
		var cells []*Count
		for _, c := range categoryCodes() {
			if x := measure(rows[c]); x != nil {
				cells = append(cells, x)
			}
		}
		total := measure(rows[StatsCategoryAll])
		if rest, ok := smallRest(cells, total); ok {
			t.Errorf("%s: %v in all %s leaves %d to the suppressed categories", name, texts(cells), total.Text(), rest)
		}
		if i, ok := attack(cells, total); ok {
			t.Errorf("%s: cell %d derivable from %v = %s", name, i, texts(cells), total.Text())
		}
		if c := measure(rows["company_vpn"]); c != nil && c.Text() != "<5" {
			t.Errorf("%s: company_vpn shows %s, want <5", name, c.Text())
		}
	}
}

func texts(cs []*Count) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Text())
	}
	return out
}

// TestPublishedMonthCannotBeDerived publishes a month with small cells and
// attacks every equation the table shows, and the approval rate.
func TestPublishedMonthCannotBeDerived(t *testing.T) {
	m := &MonthFigures{Month: "2026-03", Categories: map[string]*CategoryFigures{}, RejectionReasons: map[string]int{"documents_invalid": 9, "duplicate": 2},
		Operators: map[string]*OperatorFigures{"ptcl": {Name: "PTCL", Checks: 3, Answered: 3, ByDeadline: 3, MedianWorkingHours: 2}}}
	add := func(c string, cf CategoryFigures) {
		m.Categories[c] = &cf
		all := m.Categories[StatsCategoryAll]
		if all == nil {
			all = &CategoryFigures{}
			m.Categories[StatsCategoryAll] = all
		}
		all.Received += cf.Received
		all.Approved += cf.Approved
		all.Rejected += cf.Rejected
		all.Returned += cf.Returned
		all.Decided += cf.Decided
		all.WithinSLA += cf.WithinSLA
		all.ActiveRegistrations += cf.ActiveRegistrations
		all.ActiveAddresses += cf.ActiveAddresses
		all.ActiveMobileNumbers += cf.ActiveMobileNumbers
	}
	add("company_vpn", CategoryFigures{Received: 40, Approved: 30, Rejected: 8, Decided: 38, WithinSLA: 30, Returned: 2, ActiveRegistrations: 100, ActiveAddresses: 300})
	add("freelancer_vpn", CategoryFigures{Received: 3, Approved: 20, Rejected: 2, Decided: 22, WithinSLA: 22, ActiveRegistrations: 4, ActiveAddresses: 4})
	add("call_center", CategoryFigures{Received: 12, Approved: 9, Rejected: 1, Decided: 10, WithinSLA: 9, ActiveRegistrations: 50, ActiveAddresses: 70})
	add("video_conferencing", CategoryFigures{Received: 7, Approved: 6, Decided: 6, WithinSLA: 6, ActiveRegistrations: 6, ActiveAddresses: 6})
	add("mobile_vpn", CategoryFigures{Received: 30, Approved: 25, Rejected: 0, Decided: 25, WithinSLA: 25, ActiveRegistrations: 80, ActiveMobileNumbers: 90})
	sm := PublishStats([]*MonthFigures{m}, nil).Months[0]
	rows := map[string]*StatsRow{}
	for _, r := range sm.Rows {
		rows[r.Category] = r
	}
	for name, measure := range map[string]func(*StatsRow) *Count{
		"received": func(r *StatsRow) *Count { return r.Received }, "approved": func(r *StatsRow) *Count { return r.Approved },
		"rejected": func(r *StatsRow) *Count { return r.Rejected }, "returned": func(r *StatsRow) *Count { return r.Returned },
		"active": func(r *StatsRow) *Count { return r.ActiveRegistrations }, "addresses": func(r *StatsRow) *Count { return r.ActiveAddresses },
	} {
		var cells []*Count
		for _, c := range categoryCodes() {
			if x := measure(rows[c]); x != nil {
				cells = append(cells, x)
			}
		}
		if i, ok := attack(cells, measure(rows[StatsCategoryAll])); ok {
			t.Errorf("%s: cell %d derivable from %v = %s", name, i, texts(cells), measure(rows[StatsCategoryAll]).Text())
		}
	}
	// The rejections by category and by reason share their total: the
	// reader combines them, and knows a listed reason occurred.
	if c, ok := attackJoint(rejectionEquations(sm), rows[StatsCategoryAll].Rejected.N+2*SuppressBelow); ok {
		t.Errorf("rejection cell %d derivable from the categories and the reasons together", c.N)
	}
	// A shown approval rate and a shown approved count give the rejected
	// count: the rate must go when either count is suppressed.
	for _, r := range sm.Rows {
		if r.ApprovalRate.Shown() && (r.Approved.Suppressed != "" || r.Rejected.Suppressed != "") {
			t.Errorf("%s: approval rate %v shown beside approved %s, rejected %s", r.Category, r.ApprovalRate.V, r.Approved.Text(), r.Rejected.Text())
		}
	}
	if r := rows["freelancer_vpn"]; r.Received.Text() != "<5" || r.ActiveRegistrations.Text() != "<5" {
		t.Errorf("freelancer_vpn received %s, active %s; want <5", r.Received.Text(), r.ActiveRegistrations.Text())
	}
	if r := rows["call_center"]; r.WithinSLAShare.Shown() {
		t.Errorf("call_center share within SLA %v shown: 1 late decision of 10 is identifiable", r.WithinSLAShare.V)
	}
	if o := sm.Operators[0]; o.Checks.Text() != "<5" || o.MedianWorkingHours.Shown() || o.ByDeadlineShare.Shown() {
		t.Errorf("operator with 3 checks shown: %+v", o)
	}
	b, err := json.Marshal(rows["freelancer_vpn"].Received)
	if err != nil || string(b) != `{"value":null,"suppressed":"small"}` {
		t.Errorf("JSON of a small count = %s, %v", b, err)
	}
	if b, _ := json.Marshal(rows["company_vpn"].Received); string(b) != `{"value":40}` {
		t.Errorf("JSON of a count = %s", b)
	}
}

func TestWorkingBetween(t *testing.T) {
	cal := PKT.WithHolidays([]Holiday{{Date: "2026-03-23", Name: "Pakistan Day"}})
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, PKT.Loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		a, b string
		want time.Duration
	}{
		{"2026-03-18 10:00", "2026-03-18 12:30", 150 * time.Minute},
		{"2026-03-18 16:00", "2026-03-19 10:00", 2 * time.Hour},     // overnight
		{"2026-03-20 16:00", "2026-03-24 10:00", 2 * time.Hour},     // Friday to Tuesday over a weekend and Pakistan Day
		{"2026-03-21 08:00", "2026-03-22 20:00", 0},                 // a weekend
		{"2026-03-18 07:00", "2026-03-18 20:00", 8 * time.Hour},     // before opening to after closing
		{"2026-03-18 12:00", "2026-03-18 11:00", 0},                 // reversed
		{"2026-03-02 09:00", "2026-03-07 09:00", 5 * 8 * time.Hour}, // a working week
	} {
		t.Run(tc.a+" to "+tc.b, func(t *testing.T) {
			if got := cal.WorkingBetween(at(tc.a), at(tc.b)); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			// The inverse of Add: adding the working time back lands on b
			// when b is inside working hours.
			if tc.want > 0 && cal.Working(at(tc.b)) && at(tc.b).Hour() >= 9 && at(tc.b).Hour() < 17 {
				if got := cal.Add(at(tc.a), tc.want); !got.Equal(at(tc.b)) {
					t.Errorf("Add(a, %v) = %v, want %v", tc.want, got, at(tc.b))
				}
			}
		})
	}
}

func TestPercentiles(t *testing.T) {
	for _, tc := range []struct {
		xs       []float64
		med, p90 float64
	}{
		{nil, 0, 0},
		{[]float64{5}, 5, 5},
		{[]float64{1, 2, 3, 4}, 2.5, 4},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5.5, 9},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 6, 10},
	} {
		if m, p := median(tc.xs), percentile(tc.xs, 90); m != tc.med || p != tc.p90 {
			t.Errorf("%v: median %v p90 %v, want %v %v", tc.xs, m, p, tc.med, tc.p90)
		}
	}
}

func TestStatsPeriod(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		from, to string
		n        int
		field    string
		// says is in the field's message, not is not.
		says, not string
	}{
		{"", "", 12, "", "", ""},
		{"2026-01", "2026-03", 3, "", "", ""},
		{"2026-03", "2026-03", 1, "", "", ""},
		{"2026-3", "2026-04", 0, "from", "", ""},
		{"2026-01", "March", 0, "to", "", ""},
		{"2026-13", "2026-04", 0, "from", "", ""},
		{"2026-05", "2026-04", 0, "from", "", ""},
		{"2026-01", "2026-12", 0, "to", "", ""},
		{"2023-01", "2026-11", 0, "from", "", ""},
		{"2023-11", "2026-10", 36, "", "", ""},
		{"2023-12", "", 36, "", "", ""},
		// What was wrong, in the words of what was given: a from in the
		// future alone is in the future, not "after to" (no to was given).
		{from: "2026-12", field: "from", says: "2026-12 is after the current month 2026-11: statistics exist only up to 2026-11", not: "after to"},
		{from: "2026-12", to: "2026-12", field: "from", says: "2026-12 is after the current month 2026-11", not: "after to"},
		{from: "2026-12", to: "2026-10", field: "from", says: "2026-12 is after the current month 2026-11", not: "after to"},
		{from: "2026-10", to: "2026-12", field: "to", says: "2026-12 is after the current month 2026-11"},
		{from: "2026-10", to: "2026-09", field: "from", says: "2026-10 is after to 2026-09: give the earlier month first"},
		{from: "2023-11", field: "from", says: "2023-11 is more than 36 months before the current month 2026-11: give 2023-12 or a later month", not: "the period"},
		{from: "2023-01", to: "2026-01", field: "from", says: "the period 2023-01 to 2026-01 is longer than 36 months"},
	} {
		t.Run(fmt.Sprintf("%s..%s", tc.from, tc.to), func(t *testing.T) {
			months, err := StatsPeriod(tc.from, tc.to, now)
			if tc.field == "" {
				if err != nil || len(months) != tc.n {
					t.Fatalf("got %d months, %v; want %d", len(months), err, tc.n)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Code != EMALFORMED || e.Fields[tc.field] == "" {
				t.Fatalf("got %v, want an EMALFORMED error on %s", err, tc.field)
			}
			for k, m := range e.Fields {
				if k != tc.field && tc.says != "" && !(tc.from > "2026-11" && tc.to > "2026-11") {
					t.Errorf("also %s: %q; want only %s", k, m, tc.field)
				}
			}
			if got := e.Fields[tc.field]; !strings.Contains(got, tc.says) || tc.not != "" && strings.Contains(got, tc.not) {
				t.Errorf("%s: %q; want it to say %q and not %q", tc.field, got, tc.says, tc.not)
			}
			if len(e.Fields) == 1 && !strings.Contains(e.Message, tc.says) {
				t.Errorf("message %q; want it to say %q", e.Message, tc.says)
			}
		})
	}
}

// TestStatsQuery: a period parameter given twice is refused, not guessed
// (t1 finding 8).
func TestStatsQuery(t *testing.T) {
	for _, tc := range []struct {
		query, from, to, field string
	}{
		{"from=2026-01&to=2026-03", "2026-01", "2026-03", ""},
		// Spaces around a month are refused as around any parameter
		// (tester, issue 13: they were trimmed here alone).
		{"from=+2026-01+", "", "", "from"},
		{"from=%202026-01", "", "", "from"},
		{"from=2026-01&to=2026-03%09", "", "", "to"},
		{"", "", "", ""},
		{"from=2026-01&from=2026-02", "", "", "from"},
		{"to=2026-01&to=2026-01", "", "", "to"},
	} {
		q, _ := url.ParseQuery(tc.query)
		from, to, err := StatsQuery(q)
		if tc.field == "" {
			if err != nil || from != tc.from || to != tc.to {
				t.Errorf("%q = %q, %q, %v", tc.query, from, to, err)
			}
			continue
		}
		e, ok := err.(*Error)
		want := "only once"
		if strings.Contains(tc.query, "+") || strings.Contains(tc.query, "%") {
			want = "has a space before or after it: give the month alone"
		}
		if !ok || e.Code != EMALFORMED || !strings.Contains(e.Fields[tc.field], want) {
			t.Errorf("%q = %v, want EMALFORMED on %s", tc.query, err, tc.field)
		}
	}
}

// TestMonthEndActive: the end of March is its last second in Pakistan,
// 23:59:59 PKT on 31 March; 1 April starts at 00:00 PKT (19:00 UTC on 31
// March). An import marks for rebuild the months whose end a registration
// is active at, by the same rule.
func TestMonthEndActive(t *testing.T) {
	_, end, _ := MonthRange("2026-03")
	if want := time.Date(2026, 3, 31, 19, 0, 0, 0, time.UTC); !end.Equal(want) {
		t.Fatalf("March ends at %v, want %v (00:00 PKT on 1 April)", end, want)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, PKT.Loc) }
	last := func(y int, m time.Month, d int) time.Time { return day(y, m, d+1).Add(-time.Second) } // 23:59:59 PKT
	for _, tc := range []struct {
		name               string
		from, until, ended time.Time
		active             bool
		months             []string // marked by an import on 23 May 2026
	}{
		{"valid from 00:00 PKT on 1 April", day(2026, 4, 1), last(2027, 3, 31), time.Time{}, false, []string{"2026-04", "2026-05"}},
		{"valid from 23:59:59 PKT on 31 March", last(2026, 3, 31), last(2027, 3, 31), time.Time{}, true, []string{"2026-03", "2026-04", "2026-05"}},
		{"valid until 23:59:59 PKT on 31 March", day(2026, 2, 1), last(2026, 3, 31), time.Time{}, true, []string{"2026-02", "2026-03"}},
		{"valid until 23:59:58 PKT on 31 March", day(2026, 2, 1), last(2026, 3, 31).Add(-time.Second), time.Time{}, false, []string{"2026-02"}},
		{"revoked at 00:00 PKT on 1 April", day(2026, 2, 1), last(2027, 3, 31), day(2026, 4, 1), true, nil},
		{"revoked at 23:59:59 PKT on 31 March", day(2026, 2, 1), last(2027, 3, 31), last(2026, 3, 31), false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MonthEndActive(tc.from, tc.until, tc.ended, end); got != tc.active {
				t.Errorf("active at the end of March = %v, want %v", got, tc.active)
			}
			if tc.months == nil {
				return
			}
			reg := &Registration{ValidFrom: tc.from, ValidUntil: tc.until}
			if got := importedMonths([]*Registration{reg}, time.Date(2026, 5, 23, 5, 0, 0, 0, time.UTC)); !slices.Equal(got, tc.months) {
				t.Errorf("months marked = %v, want %v", got, tc.months)
			}
		})
	}
}
