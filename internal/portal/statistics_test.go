package portal_test

import (
	"encoding/csv"
	"encoding/json"
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
			bad := b.get("/statistics?from=2026-13&to=2026-01")
			if bad.status != 400 || !strings.Contains(bad.body, `value="2026-13"`) {
				t.Errorf("a wrong month = %d, want 400 showing it back:\n%s", bad.status, bad.body)
			}
			c := b.get("/statistics.csv?from=" + month + "&to=" + month)
			rows, err := csv.NewReader(strings.NewReader(c.body)).ReadAll()
			if c.status != 200 || err != nil || len(rows) != 1+len(registry.Categories)+1 || rows[0][0] != "month" || rows[1][0] != month || rows[1][len(rows[1])-3] != month {
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
		})
	}
}
