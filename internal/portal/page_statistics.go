package portal

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// statistics is the public statistics page (issue 13): the period form,
// a chart of the applications received and approved per month drawn here
// as SVG, the table it is drawn from, and the last month by category.
func (s *Server) statistics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := &view{Title: "Statistics", Form: map[string][]string{"from": {q.Get("from")}, "to": {q.Get("to")}}}
	// The form shows the period the page shows.
	from, to, err := registry.StatsQuery(q)
	var st *registry.PublicStats
	if err == nil {
		st, err = s.svc.MonthlyStats(r.Context(), from, to)
	}
	if err != nil {
		if code := registry.ErrorCode(err); code == registry.EMALFORMED || code == registry.EINVALID {
			v.Err = toFormError(s, r, err)
			s.render(w, r, http.StatusBadRequest, "statistics", v)
			return
		}
		s.fail(w, r, err)
		return
	}
	v.Form["from"], v.Form["to"] = []string{st.From}, []string{st.To}
	v.D = map[string]any{"Stats": st, "Last": st.Months[len(st.Months)-1]}
	s.render(w, r, http.StatusOK, "statistics", v)
}

// StatsAll returns a month's all-categories row.
func (v *view) StatsAll(m *registry.StatsMonth) *registry.StatsRow {
	return m.Rows[len(m.Rows)-1]
}

// Fig shows a figure, isolated for right-to-left pages: a share as a
// percentage, hours with one decimal, or "—" for a suppressed one.
func (v *view) Fig(f *registry.Figure, percent bool) template.HTML {
	switch {
	case f == nil, !f.Shown():
		return "—"
	case percent:
		return template.HTML(bdiLTR(strconv.FormatFloat(100*f.V, 'f', 0, 64) + "%"))
	}
	return template.HTML(bdiLTR(strconv.FormatFloat(f.V, 'f', 1, 64)))
}

// bdiLTR isolates a value that has no strong character ("<5", "75%") and
// sets it left to right: with dir="auto" an Urdu page would lay "<5" out
// right to left and mirror it into "5>".
func bdiLTR(s string) string {
	return `<bdi class="tok" dir="ltr">` + template.HTMLEscapeString(s) + "</bdi>"
}

// Cnt shows a count ("12", "<5" or "*"), isolated for right-to-left
// pages; nothing for a count the row does not have.
func (v *view) Cnt(c *registry.Count) template.HTML {
	if c == nil {
		return ""
	}
	return template.HTML(bdiLTR(c.Text()))
}

// StatsChart draws the months' received and approved applications (all
// categories) as an SVG bar chart with a title and a description. In Urdu
// the whole chart is mirrored, as a right-to-left reader reads it: months
// run from right to left, within a month received comes first (on the
// right), and the y-axis figures stand on the right. Suppressed counts
// draw no bar and are labelled as in the table.
func (v *view) StatsChart(st *registry.PublicStats) template.HTML {
	const w, h, top, bottom, left = 720, 260, 20, 40, 40
	rtl := v.Lang == "ur"
	// x places what is drawn from x to x+width on a left-to-right chart;
	// anchor is the text-anchor of a label that starts at x.
	x := func(at, width float64) float64 {
		if rtl {
			return w - at - width
		}
		return at
	}
	anchor := "start"
	if rtl {
		anchor = "end"
	}
	maxN := 1
	for _, m := range st.Months {
		a := v.StatsAll(m)
		for _, c := range []*registry.Count{a.Received, a.Approved} {
			if c.Suppressed == "" && c.N > maxN {
				maxN = c.N
			}
		}
	}
	n := len(st.Months)
	slot := float64(w-left-10) / float64(n)
	bar := slot * 0.35
	plot := float64(h - top - bottom)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 %d %d" width="100%%" class="chart">`, w, h)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title>`, html.EscapeString(v.T("Applications received and approved per month")))
	fmt.Fprintf(&b, `<desc id="chart-desc">%s</desc>`, html.EscapeString(v.T("Bars for each month from %s to %s: received (dark) and approved (light), all categories. Counts below 5 have no bar. The table below gives every figure.", isolate(st.From), isolate(st.To))))
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%d" x2="%.0f" y2="%d" stroke="#0b0c0c"/>`, x(left, 0), h-bottom, x(w-10, 0), h-bottom)
	fmt.Fprintf(&b, `<text dir="ltr" direction="ltr" text-anchor="%s" x="%.0f" y="%d" font-size="12">%d</text><text dir="ltr" direction="ltr" text-anchor="%s" x="%.0f" y="%d" font-size="12">0</text>`,
		anchor, x(4, 0), top+10, maxN, anchor, x(4, 0), h-bottom)
	for i, m := range st.Months {
		mx := float64(left) + slot*float64(i) + slot*0.1
		a := v.StatsAll(m)
		for j, c := range []*registry.Count{a.Received, a.Approved} {
			fill := []string{"#1d70b8", "#85b4de"}[j]
			bx := mx + float64(j)*bar
			if c.Suppressed != "" {
				fmt.Fprintf(&b, `<text dir="ltr" direction="ltr" text-anchor="%s" x="%.1f" y="%d" font-size="10">%s</text>`, anchor, x(bx, 0), h-bottom-4, html.EscapeString(c.Text()))
				continue
			}
			bh := plot * float64(c.N) / float64(maxN)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`, x(bx, bar), float64(h-bottom)-bh, bar, bh, fill,
				html.EscapeString(isolate(m.Month)+" "+v.T([]string{"Received", "Approved"}[j])+": "+strconv.Itoa(c.N)))
		}
		fmt.Fprintf(&b, `<text dir="ltr" direction="ltr" text-anchor="%s" x="%.1f" y="%d" font-size="11">%s</text>`, anchor, x(mx, 0), h-bottom+16, html.EscapeString(m.Month))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// isolate wraps a left-to-right value for text that may be Urdu (U+2068
// FIRST STRONG ISOLATE … U+2069), where markup cannot (SVG titles).
func isolate(s string) string { return "\u2068" + s + "\u2069" }

// statsColumns are the download's columns after month and category.
var statsColumns = []string{"received", "approved", "rejected", "returned", "withdrawn", "appealed", "approval_rate",
	"median_working_hours", "p90_working_hours", "median_calendar_hours", "p90_calendar_hours", "within_sla_share",
	"active_registrations", "active_addresses", "active_mobile_numbers", "checks", "answered_by_deadline_share"}

// writeStatsCSV writes the table the JSON has, in one width (RFC 4180):
// per month a row per category, then a row per rejection reason
// (category "reason:<code>", its count under rejected) and per operator
// (category "operator:<id>", its checks, median answer time in working
// hours under median_working_hours, and share answered by the deadline),
// so the CSV and the JSON carry the same figures (t1 finding 4). The
// period and build time are in every row: a row copied alone still says
// what it is.
func writeStatsCSV(out io.Writer, st *registry.PublicStats) {
	cw := csv.NewWriter(out)
	cw.UseCRLF = true
	cw.Write(append(append([]string{"month", "category"}, statsColumns...), "period_from", "period_to", "built_at"))
	tail := []string{st.From, st.To, st.BuiltAt.UTC().Format(time.RFC3339)}
	for _, m := range st.Months {
		for _, row := range m.Rows {
			cw.Write(append([]string{m.Month, row.Category, countText(row.Received), countText(row.Approved), countText(row.Rejected), countText(row.Returned),
				countText(row.Withdrawn), countText(row.Appealed), figText(row.ApprovalRate), figText(row.MedianWorkingHours), figText(row.P90WorkingHours),
				figText(row.MedianCalendarHours), figText(row.P90CalendarHours), figText(row.WithinSLAShare), countText(row.ActiveRegistrations),
				countText(row.ActiveAddresses), countText(row.ActiveMobileNumbers), "", ""}, tail...))
		}
		blank := make([]string, len(statsColumns))
		at := func(col string) int { return slices.Index(statsColumns, col) }
		for _, rr := range m.RejectionReasons {
			cells := slices.Clone(blank)
			cells[at("rejected")] = countText(rr.Count)
			cw.Write(append(append([]string{m.Month, "reason:" + rr.ReasonCode}, cells...), tail...))
		}
		for _, o := range m.Operators {
			cells := slices.Clone(blank)
			cells[at("checks")], cells[at("median_working_hours")], cells[at("answered_by_deadline_share")] = countText(o.Checks), figText(o.MedianWorkingHours), figText(o.ByDeadlineShare)
			cw.Write(append(append([]string{m.Month, "operator:" + o.OperatorID}, cells...), tail...))
		}
	}
	cw.Flush()
}

func figText(f *registry.Figure) string {
	if f == nil {
		return ""
	}
	if !f.Shown() {
		return "x"
	}
	return fmt.Sprint(f.V)
}

func countText(c *registry.Count) string {
	if c == nil {
		return ""
	}
	return c.Text()
}

// statisticsDownload serves the same table as CSV (RFC 4180, UTF-8, a
// header row; "<5" and "*" for suppressed counts, "x" for suppressed
// figures) or JSON (the API's months), with the period and generation
// time, cacheable for five minutes (the rollup's interval) and by ETag.
func (s *Server) statisticsDownload(w http.ResponseWriter, r *http.Request) {
	from, to, err := registry.StatsQuery(r.URL.Query())
	var st *registry.PublicStats
	if err == nil {
		st, err = s.svc.MonthlyStats(r.Context(), from, to)
	}
	isJSON := strings.HasSuffix(r.URL.Path, ".json")
	if err != nil {
		if code := registry.ErrorCode(err); code == registry.EMALFORMED || code == registry.EINVALID {
			downloadError(w, r, err, isJSON)
			return
		}
		s.fail(w, r, err)
		return
	}
	generated := time.Now().UTC().Truncate(time.Second)
	var buf bytes.Buffer
	ext := "csv"
	if isJSON {
		ext = "json"
		json.NewEncoder(&buf).Encode(map[string]any{"from": st.From, "to": st.To, "built_at": st.BuiltAt, "suppress_below": registry.SuppressBelow, "months": st.Months})
		w.Header().Set("Content-Type", "application/json")
	} else {
		writeStatsCSV(&buf, st)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	sum := sha256.Sum256(buf.Bytes())
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Last-Modified", st.BuiltAt.UTC().Format(http.TimeFormat))
	w.Header().Set("X-Generated-At", generated.Format(time.RFC3339))
	w.Header().Set("Content-Disposition", `attachment; filename="ipreg-statistics-`+st.From+"-"+st.To+"."+ext+`"`)
	if notModified(r, etag, st.BuiltAt) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(buf.Bytes())
}

// notModified applies RFC 9110's conditional GET (13.1.2, 13.1.3, 13.2.2):
// If-None-Match, when present, decides by weak comparison ("*" or any
// listed tag equal to etag once W/ is dropped from both); otherwise
// If-Modified-Since decides against the last modification (the newest
// build time, at the second HTTP dates have).
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 {
		for _, h := range inm {
			for _, tag := range strings.Split(h, ",") {
				tag = strings.TrimSpace(tag)
				if tag == "*" || strings.TrimPrefix(tag, "W/") == strings.TrimPrefix(etag, "W/") {
					return true
				}
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !modified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !modified.Truncate(time.Second).After(t) {
			return true
		}
	}
	return false
}

// downloadError answers a download's bad period as its format can carry
// it: the API's error object for JSON ({"error":{"code","message",
// "fields"}}), the message as plain text for CSV (a spreadsheet shows a
// one-line text; an HTML page would be read as data), in the language of
// the page it was linked from, as the page says it.
func downloadError(w http.ResponseWriter, r *http.Request, err error, isJSON bool) {
	if !isJSON {
		lang := currentLang(r)
		// One line per field at fault, named as in the query.
		text := translateDomain(lang, registry.ErrorMessage(err)) + "\n"
		if e, ok := err.(*registry.Error); ok && len(e.Fields) > 0 {
			text = ""
			for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
				text += k + ": " + translateDomain(lang, e.Fields[k]) + "\n"
			}
		}
		http.Error(w, translate(lang, "ipreg statistics, bad period:")+"\n"+text, http.StatusBadRequest)
		return
	}
	detail := map[string]any{"code": registry.ErrorCode(err), "message": registry.ErrorMessage(err)}
	if e, ok := err.(*registry.Error); ok && len(e.Fields) > 0 {
		detail["fields"] = e.Fields
	}
	b, _ := json.Marshal(map[string]any{"error": detail})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusBadRequest)
	w.Write(append(b, '\n'))
}
