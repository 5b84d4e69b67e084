package portal

import (
	"encoding/csv"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// statsFixture is a published month with rejection reasons and operator
// checks.
func statsFixture() *registry.PublicStats {
	m := &registry.MonthFigures{Month: "2026-03", BuiltAt: time.Date(2026, 3, 31, 19, 0, 0, 0, time.UTC),
		Categories: map[string]*registry.CategoryFigures{
			"company_vpn": {Received: 40, Approved: 30, Rejected: 10}, "mobile_vpn": {Received: 30, Approved: 20, Rejected: 10},
			"all": {Received: 70, Approved: 50, Rejected: 20}},
		RejectionReasons: map[string]int{"duplicate": 12, "documents_invalid": 8},
		Operators:        map[string]*registry.OperatorFigures{"ptcl": {Name: "PTCL", Checks: 9, Answered: 9, ByDeadline: 9, MedianWorkingHours: 2.5}}}
	return registry.PublishStats([]*registry.MonthFigures{m}, nil)
}

// The CSV carries the rejection reasons and operator checks the JSON has
// (t1 finding 4), in the header's width.
func TestStatsCSVHasEveryTable(t *testing.T) {
	var b strings.Builder
	writeStatsCSV(&b, statsFixture())
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	got := map[string][]string{}
	for _, r := range rows[1:] {
		got[r[col["category"]]] = r
	}
	for _, tc := range []struct{ row, column, want string }{
		{"reason:duplicate", "rejected", "12"},
		{"reason:documents_invalid", "rejected", "8"},
		{"operator:ptcl", "checks", "9"},
		{"operator:ptcl", "median_working_hours", "2.5"},
		{"operator:ptcl", "answered_by_deadline_share", "1"},
		{"operator:ptcl", "period_from", "2026-03"},
		{"all", "rejected", "20"},
	} {
		r, ok := got[tc.row]
		if !ok {
			t.Errorf("no row %s in\n%s", tc.row, b.String())
			continue
		}
		if r[col[tc.column]] != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.row, tc.column, r[col[tc.column]], tc.want)
		}
	}
}

// In Urdu the chart is mirrored: within a month received (the first bar)
// stands right of approved, later months left of earlier ones, and the
// y-axis figures on the right (t1 finding 8).
func TestStatsChartRTL(t *testing.T) {
	st := statsFixture()
	m2 := *st.Months[0]
	m2.Month = "2026-04"
	st.Months = append(st.Months, &m2)
	rect := regexp.MustCompile(`<rect x="([0-9.]+)"`)
	label := regexp.MustCompile(`<text [^>]*x="([0-9.]+)" y="30"`)
	for _, tc := range []struct {
		lang     string
		rtl      bool
		axisLeft bool
	}{{"en", false, true}, {"ur", true, false}} {
		svg := string((&view{Lang: tc.lang}).StatsChart(st))
		var xs []float64
		for _, m := range rect.FindAllStringSubmatch(svg, -1) {
			x, _ := strconv.ParseFloat(m[1], 64)
			xs = append(xs, x)
		}
		if len(xs) != 4 {
			t.Fatalf("%s: %d bars in %s", tc.lang, len(xs), svg)
		}
		// xs: month 1 received, approved; month 2 received, approved.
		if (xs[0] > xs[1]) != tc.rtl || (xs[0] > xs[2]) != tc.rtl {
			t.Errorf("%s: bars at %v; want them mirrored %v", tc.lang, xs, tc.rtl)
		}
		a := label.FindStringSubmatch(svg)
		if a == nil {
			t.Fatalf("%s: no y-axis label in %s", tc.lang, svg)
		}
		if x, _ := strconv.ParseFloat(a[1], 64); (x < 360) != tc.axisLeft {
			t.Errorf("%s: y-axis label at x=%v, want on the left %v", tc.lang, x, tc.axisLeft)
		}
	}
}
