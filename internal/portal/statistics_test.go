package portal_test

import (
	"encoding/csv"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// The statistics page on both databases, in English and Urdu: the SVG
// chart with its title, description and table, the downloads, and a wrong
// period refused with the typed values shown back.
func TestStatisticsPage(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := newEnvOn(t, kind)
			alice := e.signup("alice.stats@example.pk", "Alice Traders", "company")
			e.apply(alice, "14.1.115.0/24", "Staff reach the office from home.", true)
			b := e.browser()
			month := time.Now().In(registry.PKT.Loc).Format("2006-01")
			p := b.get("/statistics")
			for _, want := range []string{`<svg`, `role="img"`, `aria-labelledby="chart-title chart-desc"`, `<title id="chart-title">Applications received and approved per month</title>`,
				`<desc id="chart-desc">`, `<caption>All categories, per month</caption>`, `<th scope="row"><bdi class="tok">` + month + `</bdi></th>`, `href="/statistics.csv?from=`, `&lt;5`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("statistics page lacks %q", want)
				}
			}
			// Pakistan time, as the page says its months are (t1 finding 5).
			if !regexp.MustCompile(`Figures as of (<[^>]*>)?[0-9-]+ [0-9:]+ PKT(</bdi>)?\.`).MatchString(p.body) {
				t.Errorf("\"Figures as of\" not in Pakistan time")
			}
			if svg := p.body[strings.Index(p.body, "<svg"):strings.Index(p.body, "</svg>")]; strings.Contains(svg, "<script") || strings.Contains(svg, "href") {
				t.Errorf("the chart has a script or a link: %s", svg)
			}
			if !strings.Contains(b.get("/").body, `href="/statistics"`) {
				t.Errorf("home page does not link the statistics")
			}
			b.get("/lang/ur?next=/statistics")
			u := b.get("/statistics")
			if !strings.Contains(u.body, `dir="rtl"`) || !strings.Contains(u.body, "ہر ماہ موصول اور منظور ہونے والی درخواستیں") || !strings.Contains(u.body, month) {
				t.Errorf("Urdu statistics page not in Urdu, RTL, with Western digits")
			}
			// What <5 stands for, in both languages: the registry shows a
			// zero as <5 too (0 to 4); the lists that name only what
			// occurred, 1 to 4.
			if !strings.Contains(p.body, "&lt;5 stands for 0 to 4: a zero is shown as &lt;5 too.") || !strings.Contains(p.body, "it stands for 1 to 4.") ||
				!strings.Contains(u.body, "کا مطلب 0 سے 4 تک ہے") || !strings.Contains(u.body, "اس کا مطلب 1 سے 4 تک ہے۔") {
				t.Errorf("the statistics page does not say what <5 stands for, in English and Urdu")
			}
			bad := b.get("/statistics?from=2026-13&to=2026-01")
			if bad.status != 400 || !strings.Contains(bad.body, `value="2026-13"`) {
				t.Errorf("a wrong month = %d, want 400 showing it back:\n%s", bad.status, bad.body)
			}
			c := b.get("/statistics.csv?from=" + month + "&to=" + month)
			rows, err := csv.NewReader(strings.NewReader(c.body)).ReadAll()
			catRows := 0
			for _, r := range rows[1:] {
				if !strings.Contains(r[1], ":") {
					catRows++
				}
			}
			if c.status != 200 || err != nil || catRows != len(registry.Categories)+1 || rows[0][0] != "month" || rows[1][0] != month || rows[1][len(rows[1])-3] != month {
				t.Errorf("CSV = %d, %v:\n%s", c.status, err, c.body)
			}
			j := b.get("/statistics.json?from=" + month + "&to=" + month)
			var doc struct {
				From   string            `json:"from"`
				Months []json.RawMessage `json:"months"`
			}
			if err := json.Unmarshal([]byte(j.body), &doc); err != nil || doc.From != month || len(doc.Months) != 1 {
				t.Errorf("JSON = %v:\n%s", err, j.body)
			}

			// Conditional GET by RFC 9110's weak comparison, and by date
			// (t1 finding 5).
			etag, lastMod := j.header.Get("ETag"), j.header.Get("Last-Modified")
			for _, cond := range []struct {
				name, header, value string
				want                int
			}{
				{"same tag", "If-None-Match", etag, 304},
				{"weak tag", "If-None-Match", "W/" + etag, 304},
				{"any", "If-None-Match", "*", 304},
				{"in a list", "If-None-Match", `"other", ` + etag, 304},
				{"other tag", "If-None-Match", `"other"`, 200},
				{"not modified since", "If-Modified-Since", lastMod, 304},
				{"modified since", "If-Modified-Since", "Mon, 02 Jan 2006 15:04:05 GMT", 200},
			} {
				req, _ := http.NewRequest("GET", e.base+"/statistics.json?from="+month+"&to="+month, nil)
				req.Header.Set(cond.header, cond.value)
				if got := b.do(req); got.status != cond.want {
					t.Errorf("%s (%s: %s) = %d, want %d", cond.name, cond.header, cond.value, got.status, cond.want)
				}
			}
			// A bad or repeated period: the JSON download answers the
			// API's error object, the CSV a plain text, the page the form
			// (t1 findings 6 and 8).
			for _, q := range []string{"from=2026-13", "from=" + month + "&from=2026-01&to=" + month} {
				jb := b.get("/statistics.json?" + q)
				var eb struct {
					Error struct {
						Code   string            `json:"code"`
						Fields map[string]string `json:"fields"`
					} `json:"error"`
				}
				if jb.status != 400 || !strings.HasPrefix(jb.header.Get("Content-Type"), "application/json") || json.Unmarshal([]byte(jb.body), &eb) != nil ||
					eb.Error.Code != "malformed" || eb.Error.Fields["from"] == "" {
					t.Errorf("JSON with %s = %d %s: %s", q, jb.status, jb.header.Get("Content-Type"), jb.body)
				}
				cb := b.get("/statistics.csv?" + q)
				if cb.status != 400 || !strings.HasPrefix(cb.header.Get("Content-Type"), "text/plain") || !strings.Contains(cb.body, "from") {
					t.Errorf("CSV with %s = %d %s: %s", q, cb.status, cb.header.Get("Content-Type"), cb.body)
				}
				if pb := b.get("/statistics?" + q); pb.status != 400 {
					t.Errorf("page with %s = %d, want 400", q, pb.status)
				}
			}
			if pb := e.browser().get("/statistics?from=" + month + "&from=2026-01&to=" + month); !strings.Contains(pb.body, "only once") {
				t.Errorf("a repeated from is not named:\n%s", pb.body)
			}
		})
	}
}

// Every operator has a row of operator checks in every month, on the page,
// in the CSV and in the JSON alike, checked or not: its "<5" then means 0
// to 4, as every other's (listed only when checked, an operator's "<5"
// said it had 1 to 4, and its absence that it had none). The page says so
// in English and Urdu.
func TestStatisticsListEveryOperator(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := newEnvOn(t, kind)
			alice := e.signup("alice.ops@example.pk", "Alice Traders", "company")
			e.apply(alice, "14.1.116.0/24", "Staff reach the office from home.", true)
			ops, err := e.svc.ListOperators(e.ctx)
			if err != nil || len(ops) < 2 {
				t.Fatalf("operators = %v, %v; want at least two (one never checked)", ops, err)
			}
			month := time.Now().In(registry.PKT.Loc).Format("2006-01")
			b := e.browser()
			p := b.get("/statistics?from=" + month + "&to=" + month)
			c := b.get("/statistics.csv?from=" + month + "&to=" + month)
			rows, err := csv.NewReader(strings.NewReader(c.body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			checks := slices.Index(rows[0], "checks")
			csvChecks := map[string]string{}
			for _, r := range rows[1:] {
				if id, ok := strings.CutPrefix(r[1], "operator:"); ok {
					csvChecks[id] = r[checks]
				}
			}
			var doc struct {
				Months []struct {
					Operators []struct {
						ID     string `json:"operator_id"`
						Checks struct {
							Value      *int   `json:"value"`
							Suppressed string `json:"suppressed"`
						} `json:"checks"`
					} `json:"operator_checks"`
				} `json:"months"`
			}
			if err := json.Unmarshal([]byte(b.get("/statistics.json?from="+month+"&to="+month).body), &doc); err != nil || len(doc.Months) != 1 {
				t.Fatalf("JSON: %v", err)
			}
			jsonChecks := map[string]string{}
			for _, o := range doc.Months[0].Operators {
				jsonChecks[o.ID] = o.Checks.Suppressed
			}
			for _, op := range ops {
				// Fewer than 5 checks each here: "<5" everywhere, the
				// unchecked operators as the checked one.
				if csvChecks[op.ID] != "<5" || jsonChecks[op.ID] != "small" || !strings.Contains(p.body, `<bdi class="tok">`+op.Name+`</bdi></th><td><bdi class="tok" dir="ltr">&lt;5</bdi></td>`) {
					t.Errorf("operator %s: CSV %q, JSON %q, or not on the page as <5; want every operator listed, <5", op.ID, csvChecks[op.ID], jsonChecks[op.ID])
				}
			}
			if len(csvChecks) != len(ops) || len(jsonChecks) != len(ops) {
				t.Errorf("operator rows: CSV %v, JSON %v; want the %d operators", csvChecks, jsonChecks, len(ops))
			}
			if strings.Contains(p.body, "it stands for 1 to 4") && strings.Contains(p.body, "of operators") {
				t.Errorf("the page still says an operator's <5 is 1 to 4")
			}
			if !strings.Contains(p.body, "Every operator is listed, checked or not: its &lt;5 stands for 0 to 4 too.") {
				t.Errorf("the page does not say that every operator is listed")
			}
			b.get("/lang/ur?next=/statistics")
			if u := b.get("/statistics?from=" + month + "&to=" + month); !strings.Contains(u.body, "ہر آپریٹر فہرست میں ہے") {
				t.Errorf("the Urdu page does not say that every operator is listed")
			}
		})
	}
}

// A from in the future, given alone, is refused as in the future, naming
// it and the latest month there are statistics for, on the page, in the
// CSV and in the JSON, in English and Urdu: never as "after to", a to the
// visitor did not give (issue 13).
func TestStatisticsFutureFrom(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := newEnvOn(t, kind)
			b := e.browser()
			month := time.Now().In(registry.PKT.Loc).Format("2006-01")
			m0, _, _ := registry.MonthRange(month)
			next := m0.AddDate(0, 1, 0).Format("2006-01")
			en := next + " is after the current month " + month + ": statistics exist only up to " + month
			ur := "کے بعد ہے: اعداد و شمار صرف"
			for _, c := range []struct {
				lang, path, says, not string
			}{
				{"en", "/statistics?from=" + next, en, "after to"},
				{"en", "/statistics.csv?from=" + next, "from: " + en, "after to"},
				{"en", "/statistics.json?from=" + next, en, "after to"},
				{"ur", "/statistics?from=" + next, ur, "آخری مہینے"},
				{"ur", "/statistics.csv?from=" + next, ur, "آخری مہینے"},
			} {
				b.get("/lang/" + c.lang + "?next=/statistics")
				// The page says how imported registrations count.
				if p := b.get("/statistics"); !strings.Contains(p.body, map[string]string{"en": "Registrations imported from the allowlist kept before this portal are not counted",
					"ur": "وائٹ لسٹ سے درآمد کی گئی رجسٹریشنز"}[c.lang]) {
					t.Errorf("the %s statistics page does not say how imported registrations count", c.lang)
				}
				got := b.get(c.path)
				if got.status != 400 || !strings.Contains(html.UnescapeString(got.body), c.says) || strings.Contains(html.UnescapeString(got.body), c.not) {
					t.Errorf("%s %s = %d; want 400 saying %q, not %q:\n%s", c.lang, c.path, got.status, c.says, c.not, got.body)
				}
			}
		})
	}
}
