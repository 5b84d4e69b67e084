package portal_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// The error summary names a list's lines in line order: line 2 before
// line 10 before line 11 (sorted as text, holidays[10] came before
// holidays[2]; tester).
func TestErrorSummaryInLineOrder(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("admin@demo.test", "demo-password-1")
	var lines []string
	for i := 1; i <= 12; i++ {
		switch i {
		case 2, 10, 11:
			lines = append(lines, fmt.Sprintf("2027-01-%02d", i)) // no name
		default:
			lines = append(lines, fmt.Sprintf("2027-01-%02d Day %d", i, i))
		}
	}
	p := b.post("/admin/holidays", url.Values{"holidays": {strings.Join(lines, "\n")}})
	if p.status != 422 {
		t.Fatalf("holidays with errors = %d", p.status)
	}
	summary := p.body[strings.Index(p.body, `class="errors"`):]
	summary = summary[:strings.Index(summary, "</div>")]
	last := -1
	for _, n := range []int{2, 10, 11} {
		i := strings.Index(summary, fmt.Sprintf("line %d</a>", n))
		if i < 0 || i < last {
			t.Fatalf("the summary does not name line %d after the lines before it: %s", n, summary)
		}
		last = i
	}
}
