package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// The public statistics (issue 13): per month and category, what the
// registry received and decided and how fast, with every count that could
// single out an applicant suppressed. The figures are built per month by
// BuildStatsMonth from the raw facts (StatsFacts) into a rollup row
// (MonthFigures, table stats_months) and suppressed when read
// (PublishStats), so a page over 36 months reads 36 small rows whatever
// the number of applications.
//
// Each event counts in the month (Pakistan Standard Time) it happened: an
// application is received in the month of its submission, approved or
// rejected in the month of that decision, an appeal in the month it was
// filed. A closed month therefore never changes once rebuilt after its
// end, except its month-end figures of registrations, which are read from
// the registrations' validity and end dates (an item added or given up by
// a later amendment counts as it is now).
//
// Registrations imported from the allowlist kept before ipreg were not
// applied for or decided in ipreg: they count in no month's received,
// approved or decision-time figures (neither in the import's month nor in
// their old approval date's), only in the month-end active registrations,
// addresses and mobile numbers of each month they were valid at its end.
// An import with past approval dates changes those figures of closed
// months, so it marks them (MarkStatsDirty, in its transaction) and the
// next rebuild takes them up again; so does a holiday added or removed in
// the past (markHolidayMonths), which changes the working hours.

// SuppressBelow is the small-count threshold: a count below it is shown as
// "<5", and a rate, share or median over fewer cases is not shown (the
// usual threshold of official statistics on people, e.g. the UK
// Statistics Authority's and the ONS's small-counts guidance).
const SuppressBelow = 5

// MaxStatsMonths bounds the period of one statistics request.
const MaxStatsMonths = 36

// StatsCategoryAll is the category of the all-categories row.
const StatsCategoryAll = "all"

// CategoryFigures are one month's raw figures of one category (or of all).
type CategoryFigures struct {
	Received  int `json:"received"`
	Approved  int `json:"approved"`
	Rejected  int `json:"rejected"`
	Returned  int `json:"returned"`
	Withdrawn int `json:"withdrawn"`
	Appealed  int `json:"appealed"`
	// Decided counts approvals and rejections with a submission time;
	// WithinSLA those taken by their SLA due time.
	Decided   int `json:"decided"`
	WithinSLA int `json:"within_sla"`
	// Time from submission to decision, in hours: working hours on the
	// SLA clock (weekends and holidays skipped) and calendar hours.
	MedianWorkingHours  float64 `json:"median_working_hours"`
	P90WorkingHours     float64 `json:"p90_working_hours"`
	MedianCalendarHours float64 `json:"median_calendar_hours"`
	P90CalendarHours    float64 `json:"p90_calendar_hours"`
	// At the month's end (for the current month: when built).
	ActiveRegistrations int `json:"active_registrations"`
	ActiveAddresses     int `json:"active_addresses"`
	ActiveMobileNumbers int `json:"active_mobile_numbers"`
}

// OperatorFigures are one month's operator checks of one operator: those
// opened in the month, how many were answered, how many by their deadline,
// and the median answer time in working hours.
type OperatorFigures struct {
	Name               string  `json:"name"`
	Checks             int     `json:"checks"`
	Answered           int     `json:"answered"`
	ByDeadline         int     `json:"by_deadline"`
	MedianWorkingHours float64 `json:"median_working_hours"`
}

// MonthFigures are one month's raw figures: the rollup row. Never public
// as they are; PublishStats suppresses them.
type MonthFigures struct {
	Month      string                      `json:"month"` // YYYY-MM
	Categories map[string]*CategoryFigures `json:"categories"`
	// RejectionReasons counts the month's rejections by reason code.
	RejectionReasons map[string]int              `json:"rejection_reasons"`
	Operators        map[string]*OperatorFigures `json:"operators"`
	BuiltAt          time.Time                   `json:"built_at"`
}

// StatsFacts are what the store reads for one month: every event of the
// month the figures count, and the registrations active at its end.
type StatsFacts struct {
	Received map[Category]int
	Appealed map[Category]int
	// Events are the month's approved, rejected, returned and withdrawn
	// timeline events, but not the "approved" event an import writes.
	Events []StatsEvent
	Checks []StatsCheck
	// Month end: active registrations by category, and their items by
	// category and kind ("ip" or "msisdn").
	ActiveRegistrations map[Category]int
	ActiveItems         map[Category]map[string]int
}

// StatsEvent is one decision-like event of an application.
type StatsEvent struct {
	Category    Category
	Type        string // approved, rejected, returned, withdrawn
	At          time.Time
	SubmittedAt time.Time // zero if never submitted
	SLADueAt    time.Time
	ReasonCode  string // of a rejection
}

// StatsCheck is one operator check opened in the month.
type StatsCheck struct {
	OperatorID, OperatorName string
	CreatedAt, DueAt         time.Time
	AnsweredAt               time.Time // zero if unanswered
}

// MonthRange returns the start and end (exclusive) of month "YYYY-MM" in
// Pakistan Standard Time, the calendar of the SLA clock.
func MonthRange(month string) (time.Time, time.Time, error) {
	t, err := time.ParseInLocation("2006-01", month, PKT.Loc)
	if err != nil || t.Format("2006-01") != month {
		return time.Time{}, time.Time{}, Errorf(EINVALID, "month %q is not a month like 2026-01 (YYYY-MM)", month)
	}
	return t, t.AddDate(0, 1, 0), nil
}

// MonthEndActive reports whether a registration valid from from until
// until, ended at ended (zero if not), is active at the end of a month
// whose end (exclusive) is end: 00:00 PKT on the next month's first day,
// or now for the current month. It had started before end (one approved
// on the 1st is valid from 00:00 PKT that day, 19:00 UTC the day before,
// and is the next month's), was valid through the month's last second
// (valid_until is kept as 23:59:59 PKT of the last day, valid through it)
// and had not ended by end. The store's StatsFacts counts by the same
// rule in SQL.
func MonthEndActive(from, until, ended, end time.Time) bool {
	return from.Before(end) && !until.Before(end.Add(-time.Second)) && (ended.IsZero() || !ended.Before(end))
}

// WorkingBetween returns the working time between a and b on c's clock
// (0 if b is not after a): the inverse of Add.
func (c Calendar) WorkingBetween(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	a, b = a.In(c.Loc), b.In(c.Loc)
	var d time.Duration
	for t := a; t.Before(b); {
		y, m, day := t.Date()
		open := time.Date(y, m, day, c.Start, 0, 0, 0, c.Loc)
		shut := time.Date(y, m, day, c.End, 0, 0, 0, c.Loc)
		next := time.Date(y, m, day+1, 0, 0, 0, 0, c.Loc)
		if c.Working(t) {
			from, to := maxTime(t, open), minTime(b, shut)
			if to.After(from) {
				d += to.Sub(from)
			}
		}
		t = next
	}
	return d
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// median returns the median of sorted xs (the mean of the middle two for
// an even count); 0 for none.
func median(xs []float64) float64 {
	n := len(xs)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return xs[n/2]
	default:
		return (xs[n/2-1] + xs[n/2]) / 2
	}
}

// percentile returns the nearest-rank p-th percentile of sorted xs: the
// smallest value with at least p% of the values at or below it.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	k := int(math.Ceil(p / 100 * float64(len(xs))))
	return xs[max(k, 1)-1]
}

// BuildStatsMonth turns one month's facts into its rollup row; cal is the
// SLA clock with the holidays of the settings.
func BuildStatsMonth(month string, f *StatsFacts, cal Calendar, now time.Time) *MonthFigures {
	m := &MonthFigures{Month: month, Categories: map[string]*CategoryFigures{}, RejectionReasons: map[string]int{},
		Operators: map[string]*OperatorFigures{}, BuiltAt: now}
	cats := append(append([]string{}, categoryCodes()...), StatsCategoryAll)
	for _, c := range cats {
		m.Categories[c] = &CategoryFigures{}
	}
	both := func(c Category, fn func(*CategoryFigures)) {
		if cf, ok := m.Categories[string(c)]; ok {
			fn(cf)
		}
		fn(m.Categories[StatsCategoryAll])
	}
	for c, n := range f.Received {
		both(c, func(cf *CategoryFigures) { cf.Received += n })
	}
	for c, n := range f.Appealed {
		both(c, func(cf *CategoryFigures) { cf.Appealed += n })
	}
	for c, n := range f.ActiveRegistrations {
		both(c, func(cf *CategoryFigures) { cf.ActiveRegistrations += n })
	}
	for c, kinds := range f.ActiveItems {
		both(c, func(cf *CategoryFigures) {
			cf.ActiveAddresses += kinds["ip"]
			cf.ActiveMobileNumbers += kinds["msisdn"]
		})
	}
	wh, ch := map[string][]float64{}, map[string][]float64{}
	for _, e := range f.Events {
		switch e.Type {
		case "approved":
			both(e.Category, func(cf *CategoryFigures) { cf.Approved++ })
		case "rejected":
			both(e.Category, func(cf *CategoryFigures) { cf.Rejected++ })
			reason := e.ReasonCode
			if reason == "" {
				reason = "other"
			}
			m.RejectionReasons[reason]++
		case "returned":
			both(e.Category, func(cf *CategoryFigures) { cf.Returned++ })
		case "withdrawn":
			both(e.Category, func(cf *CategoryFigures) { cf.Withdrawn++ })
		}
		if (e.Type == "approved" || e.Type == "rejected") && !e.SubmittedAt.IsZero() {
			w := cal.WorkingBetween(e.SubmittedAt, e.At).Hours()
			c := e.At.Sub(e.SubmittedAt).Hours()
			inSLA := !e.SLADueAt.IsZero() && !e.At.After(e.SLADueAt)
			for _, k := range []string{string(e.Category), StatsCategoryAll} {
				cf, ok := m.Categories[k]
				if !ok {
					continue
				}
				cf.Decided++
				if inSLA {
					cf.WithinSLA++
				}
				wh[k], ch[k] = append(wh[k], w), append(ch[k], c)
			}
		}
	}
	for k, cf := range m.Categories {
		sort.Float64s(wh[k])
		sort.Float64s(ch[k])
		cf.MedianWorkingHours, cf.P90WorkingHours = round1(median(wh[k])), round1(percentile(wh[k], 90))
		cf.MedianCalendarHours, cf.P90CalendarHours = round1(median(ch[k])), round1(percentile(ch[k], 90))
	}
	answer := map[string][]float64{}
	for _, c := range f.Checks {
		o := m.Operators[c.OperatorID]
		if o == nil {
			o = &OperatorFigures{Name: c.OperatorName}
			m.Operators[c.OperatorID] = o
		}
		o.Checks++
		if !c.AnsweredAt.IsZero() {
			o.Answered++
			if !c.AnsweredAt.After(c.DueAt) {
				o.ByDeadline++
			}
			answer[c.OperatorID] = append(answer[c.OperatorID], cal.WorkingBetween(c.CreatedAt, c.AnsweredAt).Hours())
		}
	}
	for id, o := range m.Operators {
		sort.Float64s(answer[id])
		o.MedianWorkingHours = round1(median(answer[id]))
	}
	return m
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func categoryCodes() []string {
	out := make([]string, len(Categories))
	for i, c := range Categories {
		out[i] = string(c)
	}
	return out
}

// Count is a published count: its value, or suppressed. Suppressed is
// "small" for a count below SuppressBelow (shown as "<5") and
// "secondary" for one hidden so that a small one cannot be worked out
// from a total (shown as "*"); Value is then null in JSON.
type Count struct {
	N          int
	Suppressed string // "", "small" or "secondary"
	// Min is the least value a reader knows the count has: 1 for a row
	// listed only when its count is not 0 (a rejection reason), so its
	// "<5" means 1 to 4. Operators are all listed, checked or not, so
	// theirs is 0.
	Min int
}

// MarshalJSON writes {"value":12} or {"value":null,"suppressed":"small"}.
func (c Count) MarshalJSON() ([]byte, error) {
	if c.Suppressed != "" {
		return []byte(`{"value":null,"suppressed":"` + c.Suppressed + `"}`), nil
	}
	return []byte(fmt.Sprintf(`{"value":%d}`, c.N)), nil
}

// Text is the count as the page and the CSV show it.
func (c Count) Text() string {
	switch c.Suppressed {
	case "small":
		return "<5"
	case "secondary":
		return "*"
	}
	return fmt.Sprint(c.N)
}

// Figure is a published rate, share (0 to 1) or duration (hours): its
// value, or suppressed ("few" when computed over fewer than SuppressBelow
// cases, "secondary" when it would reveal a suppressed count).
type Figure struct {
	V          float64
	Suppressed string
}

// MarshalJSON writes {"value":0.75} or {"value":null,"suppressed":"few"}.
func (f Figure) MarshalJSON() ([]byte, error) {
	if f.Suppressed != "" {
		return []byte(`{"value":null,"suppressed":"` + f.Suppressed + `"}`), nil
	}
	return json.Marshal(struct {
		V float64 `json:"value"`
	}{f.V})
}

// Shown reports whether the figure has a value to show.
func (f Figure) Shown() bool { return f.Suppressed == "" }

// StatsRow is one published row: one category (or "all") of one month.
type StatsRow struct {
	Category            string  `json:"category"`
	Received            *Count  `json:"received"`
	Approved            *Count  `json:"approved"`
	Rejected            *Count  `json:"rejected"`
	Returned            *Count  `json:"returned"`
	Withdrawn           *Count  `json:"withdrawn"`
	Appealed            *Count  `json:"appealed"`
	ApprovalRate        *Figure `json:"approval_rate"`
	MedianWorkingHours  *Figure `json:"median_working_hours"`
	P90WorkingHours     *Figure `json:"p90_working_hours"`
	MedianCalendarHours *Figure `json:"median_calendar_hours"`
	P90CalendarHours    *Figure `json:"p90_calendar_hours"`
	WithinSLAShare      *Figure `json:"within_sla_share"`
	ActiveRegistrations *Count  `json:"active_registrations"`
	// Addresses are not held in mobile_vpn, mobile numbers only there:
	// the other rows leave the field out.
	ActiveAddresses     *Count `json:"active_addresses,omitempty"`
	ActiveMobileNumbers *Count `json:"active_mobile_numbers,omitempty"`
}

// ReasonRow is one rejection reason's count in a month.
type ReasonRow struct {
	ReasonCode string `json:"reason_code"`
	Count      *Count `json:"count"`
}

// OperatorRow is one operator's checks in a month.
type OperatorRow struct {
	OperatorID         string  `json:"operator_id"`
	Name               string  `json:"name"`
	Checks             *Count  `json:"checks"`
	MedianWorkingHours *Figure `json:"median_working_hours"`
	ByDeadlineShare    *Figure `json:"answered_by_deadline_share"`
}

// StatsMonth is one published month.
type StatsMonth struct {
	Month            string         `json:"month"`
	BuiltAt          time.Time      `json:"built_at"`
	Rows             []*StatsRow    `json:"categories"`
	RejectionReasons []*ReasonRow   `json:"rejection_reasons"`
	Operators        []*OperatorRow `json:"operator_checks"`
}

// PublicStats are the published statistics of a period.
type PublicStats struct {
	From, To string // YYYY-MM, inclusive
	Months   []*StatsMonth
	// BuiltAt is the newest month's build time: when the figures last
	// changed (Last-Modified, "Figures as of"); each month has its own.
	BuiltAt time.Time
}

// PublishStats suppresses the raw figures: each count below SuppressBelow
// is "small"; then, for each equation the table shows (a measure's
// categories summing to its all-categories row; the rejection reasons
// summing to the month's rejections), secondary cells are suppressed until
// no suppressed cell can be worked out from the shown ones and the bounds
// a reader knows (a small cell is 0 to 4, or 1 to 4 for a row listed only
// when it occurred; a secondary one at least 5), reading all equations
// together (intervals), and until the suppressed cells of no equation sum
// to a small count (suppressEquations); if no cell is left to hide, the
// total is hidden. It is the one place that suppresses: the page, the
// API's JSON and the CSV show what it publishes. Rates and shares are shown
// only when the counts they divide are shown, and like medians only over
// at least SuppressBelow cases. Every operator of operators has a row in
// every month, with 0 checks if it had none, so that its "<5" means 0 to 4
// as every other's: listed only when checked, an operator's "<5" told that
// it had 1 to 4 checks. Operator checks have no published total.
func PublishStats(months []*MonthFigures, operators []*Operator) *PublicStats {
	out := &PublicStats{}
	for _, m := range months {
		out.Months = append(out.Months, publishMonth(m, operators))
		if m.BuiltAt.After(out.BuiltAt) {
			out.BuiltAt = m.BuiltAt
		}
	}
	if len(months) > 0 {
		out.From, out.To = months[0].Month, months[len(months)-1].Month
	}
	return out
}

func small(n int) *Count {
	c := &Count{N: n}
	if n < SuppressBelow {
		c.Suppressed = "small"
	}
	return c
}

func publishMonth(m *MonthFigures, operators []*Operator) *StatsMonth {
	sm := &StatsMonth{Month: m.Month, BuiltAt: m.BuiltAt, RejectionReasons: []*ReasonRow{}, Operators: []*OperatorRow{}}
	raw := func(c string) *CategoryFigures {
		if cf := m.Categories[c]; cf != nil {
			return cf
		}
		return &CategoryFigures{}
	}
	rows := map[string]*StatsRow{}
	for _, c := range append(categoryCodes(), StatsCategoryAll) {
		cf := raw(c)
		r := &StatsRow{Category: c, Received: small(cf.Received), Approved: small(cf.Approved), Rejected: small(cf.Rejected),
			Returned: small(cf.Returned), Withdrawn: small(cf.Withdrawn), Appealed: small(cf.Appealed),
			ActiveRegistrations: small(cf.ActiveRegistrations)}
		if c != string(CategoryMobile) {
			r.ActiveAddresses = small(cf.ActiveAddresses)
		}
		if c == string(CategoryMobile) || c == StatsCategoryAll {
			r.ActiveMobileNumbers = small(cf.ActiveMobileNumbers)
		}
		rows[c] = r
		sm.Rows = append(sm.Rows, r)
	}
	var eqs []equation
	for _, measure := range []func(*StatsRow) *Count{
		func(r *StatsRow) *Count { return r.Received }, func(r *StatsRow) *Count { return r.Approved },
		func(r *StatsRow) *Count { return r.Rejected }, func(r *StatsRow) *Count { return r.Returned },
		func(r *StatsRow) *Count { return r.Withdrawn }, func(r *StatsRow) *Count { return r.Appealed },
		func(r *StatsRow) *Count { return r.ActiveRegistrations }, func(r *StatsRow) *Count { return r.ActiveAddresses },
		func(r *StatsRow) *Count { return r.ActiveMobileNumbers },
	} {
		var e equation
		for _, c := range categoryCodes() {
			if x := measure(rows[c]); x != nil {
				e.cells = append(e.cells, x)
			}
		}
		e.total = measure(rows[StatsCategoryAll])
		eqs = append(eqs, e)
	}
	reasons := make([]string, 0, len(m.RejectionReasons))
	for k := range m.RejectionReasons {
		reasons = append(reasons, k)
	}
	sort.Slice(reasons, func(i, j int) bool {
		a, b := m.RejectionReasons[reasons[i]], m.RejectionReasons[reasons[j]]
		return a > b || a == b && reasons[i] < reasons[j]
	})
	re := equation{total: rows[StatsCategoryAll].Rejected}
	for _, k := range reasons {
		rr := &ReasonRow{ReasonCode: k, Count: small(m.RejectionReasons[k])}
		rr.Count.Min = 1 // listed only when it occurred
		sm.RejectionReasons = append(sm.RejectionReasons, rr)
		re.cells = append(re.cells, rr.Count)
	}
	eqs = append(eqs, re)
	suppressEquations(eqs)

	for _, c := range append(categoryCodes(), StatsCategoryAll) {
		cf, r := raw(c), rows[c]
		r.ApprovalRate = &Figure{Suppressed: "few"}
		if cf.Approved+cf.Rejected >= SuppressBelow {
			r.ApprovalRate = &Figure{V: round3(float64(cf.Approved) / float64(cf.Approved+cf.Rejected))}
			if r.Approved.Suppressed != "" || r.Rejected.Suppressed != "" {
				r.ApprovalRate = &Figure{Suppressed: "secondary"}
			}
		}
		r.MedianWorkingHours, r.P90WorkingHours = over(cf.Decided, cf.MedianWorkingHours), over(cf.Decided, cf.P90WorkingHours)
		r.MedianCalendarHours, r.P90CalendarHours = over(cf.Decided, cf.MedianCalendarHours), over(cf.Decided, cf.P90CalendarHours)
		// The share within the SLA tells how many were decided late: it
		// is hidden when that number, or the number on time, is 1 to 4.
		r.WithinSLAShare = over(cf.Decided, 0)
		if r.WithinSLAShare.Shown() {
			r.WithinSLAShare.V = round3(float64(cf.WithinSLA) / float64(cf.Decided))
			if late := cf.Decided - cf.WithinSLA; late > 0 && late < SuppressBelow || cf.WithinSLA > 0 && cf.WithinSLA < SuppressBelow {
				r.WithinSLAShare = &Figure{Suppressed: "few"}
			}
		}
	}

	// Every operator, checked in the month or not (then with zeros): the
	// month's own figures name the operators checked, the list the others.
	figs := make(map[string]*OperatorFigures, len(operators)+len(m.Operators))
	for _, op := range operators {
		figs[op.ID] = &OperatorFigures{Name: op.Name}
	}
	for id, o := range m.Operators {
		figs[id] = o
	}
	ids := make([]string, 0, len(figs))
	for id := range figs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		o := figs[id]
		or := &OperatorRow{OperatorID: id, Name: o.Name, Checks: small(o.Checks), MedianWorkingHours: over(o.Answered, o.MedianWorkingHours),
			ByDeadlineShare: over(o.Checks, 0)}
		if or.ByDeadlineShare.Shown() {
			or.ByDeadlineShare.V = round3(float64(o.ByDeadline) / float64(o.Checks))
			if late := o.Checks - o.ByDeadline; late > 0 && late < SuppressBelow || o.ByDeadline > 0 && o.ByDeadline < SuppressBelow {
				or.ByDeadlineShare = &Figure{Suppressed: "few"}
			}
		}
		sm.Operators = append(sm.Operators, or)
	}
	return sm
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// over returns v, or suppressed "few" when computed over fewer than
// SuppressBelow cases.
func over(n int, v float64) *Figure {
	if n < SuppressBelow {
		return &Figure{Suppressed: "few"}
	}
	return &Figure{V: v}
}

// equation is a published sum: the cells add up to the total.
type equation struct {
	cells []*Count
	total *Count
}

// suppressEquations hides secondary cells until no suppressed cell, nor
// the sum of an equation's suppressed cells, can be worked out as a small
// count. Equations share cells (the all-categories rejections are a cell
// of one and the total of another), so a reader combines them: a total
// hidden in one equation may be the sum of cells shown in another, and
// then bounds the cells of the first. intervals models that reader over
// all the equations at once; while it pins a suppressed cell to one
// value, the smallest shown cell (or the total) of an equation holding
// that cell is hidden. And while an equation's suppressed cells together
// come to fewer than SuppressBelow (the total less the shown cells: 152
// active registrations, 149 of them freelancers, leave 3 for the four
// "<5" categories, and a reader who knows three of them have none reads
// the fourth off; tester, issue 13), its smallest shown cell is hidden
// too, so that what is hidden in a sum is never a small count.
func suppressEquations(eqs []equation) {
	for {
		lo, hi := intervals(eqs)
		if hidePinned(eqs, lo, hi) {
			continue
		}
		e := smallRemainder(eqs, lo, hi)
		if e == nil {
			return
		}
		e.hideOne()
	}
}

// hidePinned hides a cell of an equation holding a suppressed cell that
// intervals pins to one value; false if there is none, or everything
// around each is hidden already (the month's rejections pinned to 0 by
// an empty list of reasons). Such a cell does not end the search: it
// ended it before the remainders were looked at.
func hidePinned(eqs []equation, lo, hi map[*Count]int) bool {
	for _, c := range pinned(eqs, lo, hi) {
		for _, e := range eqs {
			if e.holds(c) && e.hideOne() {
				return true
			}
		}
	}
	return false
}

// smallRemainder returns an equation with two or more suppressed cells
// whose sum a reader bounds below SuppressBelow (but not to 0: then each
// is pinned to 0, which pinned finds), and a shown cell or total left to
// hide; nil if none. One suppressed cell's own "<5" already says what
// its remainder says; a total shown as "<5" says its cells' sum is small
// by itself.
func smallRemainder(eqs []equation, lo, hi map[*Count]int) *equation {
	for i := range eqs {
		e := &eqs[i]
		if e.total == nil || hi[e.total] >= unbounded {
			continue
		}
		hidden, shown, canHide := 0, 0, e.total.Suppressed == ""
		for _, c := range e.cells {
			if c.Suppressed != "" {
				hidden++
			} else {
				shown += c.N
				canHide = true
			}
		}
		if hidden < 2 || !canHide {
			continue
		}
		if rest := hi[e.total] - shown; rest > 0 && rest < SuppressBelow {
			return e
		}
	}
	return nil
}

// unbounded stands for "no upper bound" in intervals.
const unbounded = math.MaxInt32

// bounds are what a reader knows of a cell before adding anything up: its
// value if shown, Min (0, or 1 for a row listed only when it occurred) to
// 4 if small, 5 or more if secondary.
func bounds(c *Count) (lo, hi int) {
	switch c.Suppressed {
	case "small":
		return c.Min, SuppressBelow - 1
	case "secondary":
		return SuppressBelow, unbounded
	}
	return c.N, c.N
}

// pinned returns the suppressed cells whose interval is a single value.
func pinned(eqs []equation, lo, hi map[*Count]int) []*Count {
	var out []*Count
	for _, e := range eqs {
		if e.total == nil {
			continue
		}
		for _, c := range append([]*Count{e.total}, e.cells...) {
			if c.Suppressed != "" && lo[c] >= hi[c] {
				out = append(out, c)
			}
		}
	}
	return out
}

// intervals returns what a reader can tell of every cell. It starts from
// each cell's bounds and tightens them by every equation (a total lies
// between the sums of its cells' bounds; a cell between the total's
// bounds less the others' sums) until nothing changes: interval
// propagation, which finds every value forced by these sums one equation
// at a time and each chain of them.
func intervals(eqs []equation) (lo, hi map[*Count]int) {
	lo, hi = map[*Count]int{}, map[*Count]int{}
	see := func(c *Count) {
		if _, ok := lo[c]; !ok {
			lo[c], hi[c] = bounds(c)
		}
	}
	add := func(a, b int) int {
		if a >= unbounded || b >= unbounded {
			return unbounded
		}
		return a + b
	}
	for _, e := range eqs {
		if e.total == nil {
			continue
		}
		see(e.total)
		for _, c := range e.cells {
			see(c)
		}
	}
	for changed := true; changed; {
		changed = false
		set := func(c *Count, l, h int) {
			if l > lo[c] {
				lo[c], changed = l, true
			}
			if h < hi[c] {
				hi[c], changed = h, true
			}
		}
		for _, e := range eqs {
			if e.total == nil {
				continue
			}
			sumLo, sumHi := 0, 0
			for _, c := range e.cells {
				sumLo, sumHi = sumLo+lo[c], add(sumHi, hi[c])
			}
			set(e.total, sumLo, sumHi)
			for _, c := range e.cells {
				othersLo := sumLo - lo[c]
				l, h := lo[e.total]-add(0, othersHi(e, c, hi)), unbounded
				if hi[e.total] < unbounded {
					h = hi[e.total] - othersLo
				}
				set(c, l, h)
			}
		}
	}
	return lo, hi
}

// othersHi is the sum of the upper bounds of e's cells other than c
// (unbounded if any is).
func othersHi(e equation, c *Count, hi map[*Count]int) int {
	n := 0
	for _, o := range e.cells {
		if o == c {
			continue
		}
		if hi[o] >= unbounded {
			return unbounded
		}
		n += hi[o]
	}
	return n
}

// holds reports whether c is a cell or the total of e.
func (e equation) holds(c *Count) bool {
	if e.total == c {
		return true
	}
	for _, x := range e.cells {
		if x == c {
			return true
		}
	}
	return false
}

// hideOne suppresses the smallest shown cell as secondary, or the total
// when no cell is shown; false if nothing was left to hide.
func (e equation) hideOne() bool {
	var pick *Count
	for _, c := range e.cells {
		if c.Suppressed == "" && (pick == nil || c.N < pick.N) {
			pick = c
		}
	}
	if pick == nil {
		if e.total.Suppressed != "" {
			return false
		}
		pick = e.total
	}
	pick.Suppressed = "secondary"
	if pick.N < SuppressBelow {
		pick.Suppressed = "small"
	}
	return true
}

// StatsPeriod checks a requested period: from and to are months like
// 2026-01 (empty: the last 12 months to now's month), from not after to,
// at most MaxStatsMonths months, and not after now's month. It returns the
// months in order, or EMALFORMED with the field at fault.
func StatsPeriod(from, to string, now time.Time) ([]string, error) {
	fe := FieldErrors{}
	cur := now.In(PKT.Loc).Format("2006-01")
	// A message names only what was given: with from alone, to is the
	// current month by default, and "after to 2026-11" named a to never
	// given for a from in the future (tester, issue 13).
	fromGiven, toGiven := from != "", to != ""
	if to == "" {
		to = cur
	}
	if from == "" {
		t, _, err := MonthRange(to)
		if err == nil {
			from = t.AddDate(0, -11, 0).Format("2006-01")
		}
	}
	f, _, errF := MonthRange(from)
	if errF != nil {
		fe.Add("from", "%q is not a month: give it as YYYY-MM, for example 2026-01", from)
	}
	t, _, errT := MonthRange(to)
	if errT != nil {
		fe.Add("to", "%q is not a month: give it as YYYY-MM, for example 2026-03", to)
	}
	if err := malformed(fe); err != nil {
		return nil, err
	}
	if fromGiven && from > cur {
		fe.Add("from", "%s is after the current month %s: statistics exist only up to %s", from, cur, cur)
	}
	if to > cur {
		fe.Add("to", "%s is after the current month %s: statistics exist only up to %s", to, cur, cur)
	}
	// Only when both were given and neither is in the future is their
	// order what is wrong.
	if len(fe) == 0 && fromGiven && toGiven && f.After(t) {
		fe.Add("from", "%s is after to %s: give the earlier month first", from, to)
	}
	if err := malformed(fe); err != nil {
		return nil, err
	}
	var months []string
	for m := f; !m.After(t); m = m.AddDate(0, 1, 0) {
		months = append(months, m.Format("2006-01"))
		if len(months) > MaxStatsMonths {
			earliest := t.AddDate(0, 1-MaxStatsMonths, 0).Format("2006-01")
			if toGiven {
				fe.Add("from", "the period %s to %s is longer than %d months: ask for at most %d months at a time", from, to, MaxStatsMonths, MaxStatsMonths)
			} else {
				fe.Add("from", "%s is more than %d months before the current month %s: give %s or a later month, or give to as well", from, MaxStatsMonths, cur, earliest)
			}
			return nil, malformed(fe)
		}
	}
	return months, nil
}

// StatsQuery reads the period of a statistics request's query: from and
// to. A parameter given more than once is refused (EMALFORMED with the
// field): which one would count is a guess, and a silent guess shows a
// period other than the one asked for (t1 finding 8). So is a month with
// spaces around it, as every other parameter is (?page=%202 is not a
// page): trimmed here alone, ?from=%202026-01 was taken while a link or
// the CSV's period differed from what was typed (tester, issue 13).
func StatsQuery(q url.Values) (from, to string, err error) {
	if err := QueryOnce(q, "from", "to"); err != nil {
		return "", "", err
	}
	fe := FieldErrors{}
	for _, k := range []string{"from", "to"} {
		if v := q.Get(k); v != strings.TrimSpace(v) {
			fe.Add(k, "%q has a space before or after it: give the month alone, as YYYY-MM, for example 2026-01", Echo(v))
		}
	}
	if err := malformed(fe); err != nil {
		return "", "", err
	}
	return q.Get("from"), q.Get("to"), nil
}

// QueryOnce refuses, EMALFORMED naming each, a query parameter of names
// (all of q's when none are named) given more than once: a reader takes
// one value (url.Values.Get, the first), so ?page=1&page=2 would quietly
// answer page 1 while the client meant either. Every query is held to it
// (the API for all its routes; the portal's pages that read one).
func QueryOnce(q url.Values, names ...string) error {
	if len(names) == 0 {
		names = slices.Sorted(maps.Keys(q))
	}
	fe := FieldErrors{}
	for _, k := range names {
		if n := len(q[k]); n > 1 {
			fe.Add(k, "%s is given %d times (%s): give it only once", k, n, strings.Join(q[k], ", "))
		}
	}
	return malformed(fe)
}

// malformed returns fe's error as EMALFORMED: the period is a query of a
// public read, wrong like a malformed request (400), not a form (422).
func malformed(fe FieldErrors) error {
	err := fe.Err()
	if e, ok := err.(*Error); ok {
		e.Code = EMALFORMED
		if len(fe) == 1 {
			for _, m := range fe {
				e.Message = m
			}
		}
	}
	return err
}

// MonthlyStats returns the published statistics of the months from to to
// (see StatsPeriod; EMALFORMED with the field at fault). Months never built
// are built now (in their own transaction each); built ones are read from
// the rollup as they are, refreshed by the stats-rollup job.
func (s *Service) MonthlyStats(ctx context.Context, from, to string) (*PublicStats, error) {
	months, err := StatsPeriod(from, to, s.Now())
	if err != nil {
		return nil, err
	}
	var have []*MonthFigures
	var dirty []string
	var ops []*Operator
	var first time.Time
	if err := s.store.Read(ctx, func(tx Tx) error {
		if have, err = tx.StatsMonths(ctx, months[0], months[len(months)-1]); err != nil {
			return err
		}
		if dirty, err = tx.DirtyStatsMonths(ctx, months[0], months[len(months)-1]); err != nil {
			return err
		}
		if ops, err = tx.ListOperators(ctx); err != nil {
			return err
		}
		first, err = tx.FirstSubmission(ctx)
		return err
	}); err != nil {
		return nil, fmt.Errorf("statistics: %w", err)
	}
	byMonth := map[string]*MonthFigures{}
	for _, m := range have {
		byMonth[m.Month] = m
	}
	// A month whose history changed since it was built (an import) is
	// built again now rather than shown stale until the job runs.
	for _, m := range dirty {
		delete(byMonth, m)
	}
	out := make([]*MonthFigures, 0, len(months))
	for _, month := range months {
		m := byMonth[month]
		if m == nil {
			// A month before the first submission is built but not kept:
			// any anonymous request may name one (0001-01), and keeping
			// them would let it fill the rollup with rows of nothing
			// (t1 finding 3). The rollup job keeps months from the first
			// submission on.
			_, end, _ := MonthRange(month)
			keep := !first.IsZero() && first.Before(end)
			if m, err = s.buildStatsMonth(ctx, month, keep); err != nil {
				return nil, err
			}
		}
		out = append(out, m)
	}
	return PublishStats(out, ops), nil
}

// buildStatsMonth reads month's facts, builds its figures and, if keep,
// stores them and takes the month's dirty mark, in one transaction. The
// mark is taken before the facts are read: a change committed after that
// marks the month again (on PostgreSQL's read committed, the later
// statements see what committed before them).
func (s *Service) buildStatsMonth(ctx context.Context, month string, keep bool) (*MonthFigures, error) {
	start, end, err := MonthRange(month)
	if err != nil {
		return nil, err
	}
	var m *MonthFigures
	run := s.store.Write
	if !keep {
		run = s.store.Read
	}
	err = run(ctx, func(tx Tx) error {
		if keep {
			if err := tx.TakeStatsDirty(ctx, month); err != nil {
				return err
			}
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		now := s.Now()
		f, err := tx.StatsFacts(ctx, start, end, minTime(end, now))
		if err != nil {
			return err
		}
		m = BuildStatsMonth(month, f, s.clock(set), now)
		if !keep {
			return nil
		}
		return tx.PutStatsMonth(ctx, m)
	})
	if err != nil {
		return nil, fmt.Errorf("statistics of %s: %w", month, err)
	}
	return m, nil
}

// RebuildStats is the stats-rollup job: it rebuilds the current month and
// the one before (a month is final once rebuilt after its end), every
// month marked dirty (its history changed after it was built: an import of
// registrations approved before, a past holiday changed), and builds every month since the first
// submission that has no row yet. It returns how many months it built.
func (s *Service) RebuildStats(ctx context.Context) (int, error) {
	now := s.Now().In(PKT.Loc)
	cur := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, PKT.Loc)
	var first time.Time
	built := map[string]bool{}
	var dirty []string
	if err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		if first, err = tx.FirstSubmission(ctx); err != nil {
			return err
		}
		if dirty, err = tx.DirtyStatsMonths(ctx, "", ""); err != nil {
			return err
		}
		have, err := tx.StatsMonths(ctx, cur.AddDate(0, -MaxStatsMonths*4, 0).Format("2006-01"), cur.Format("2006-01"))
		for _, m := range have {
			// The month before's row built after that month ended is final.
			if _, end, _ := MonthRange(m.Month); !m.BuiltAt.Before(end) {
				built[m.Month] = true
			}
		}
		return err
	}); err != nil {
		return 0, fmt.Errorf("statistics rollup: %w", err)
	}
	start := cur.AddDate(0, -1, 0)
	if !first.IsZero() {
		f := first.In(PKT.Loc)
		if fm := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, PKT.Loc); fm.Before(start) {
			start = fm
		}
	}
	var errs unitErrors
	n := 0
	for _, month := range dirty {
		built[month] = false
		if _, _, err := MonthRange(month); err != nil || month > cur.Format("2006-01") {
			continue // never written so; left for no rebuild to take
		}
		if m, _, _ := MonthRange(month); m.Before(start) {
			// Before the first submission: kept all the same, as its
			// registrations were active then.
			if _, err := s.buildStatsMonth(ctx, month, true); err != nil {
				errs.add(err)
				continue
			}
			n++
		}
	}
	for m := start; !m.After(cur); m = m.AddDate(0, 1, 0) {
		month := m.Format("2006-01")
		if built[month] {
			continue
		}
		if _, err := s.buildStatsMonth(ctx, month, true); err != nil {
			errs.add(err)
			continue
		}
		n++
	}
	return n, errs.err()
}

// ReasonOf returns the reason code of a rejection event's note ("code" or
// "code: note").
func ReasonOf(note string) string {
	code, _, _ := strings.Cut(note, ":")
	return strings.TrimSpace(code)
}
