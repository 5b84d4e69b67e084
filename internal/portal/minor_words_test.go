package portal_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/registry"
)

var reBlankCell = regexp.MustCompile(`<td data-label="[^"]+"[^>]*>(\s*)</td>`)

// The Urdu flag labels use the review's term for an address space (IP
// رینج); no page isolates a value twice (U+2068 U+2068 … U+2069 U+2069,
// the operator's checkbox names); a table cell with nothing in it is
// empty, so that the phone's card hides it and its label (:empty).
func TestMinorWords(t *testing.T) {
	for code, want := range map[string]string{
		registry.FlagOutsideCountry:       "پاکستان کی IP رینج سے باہر",
		registry.FlagOutsideOperatorSpace: "آپریٹر کی IP رینج سے باہر",
	} {
		if got := portal.Label("ur", "flag", code); got != want {
			t.Errorf("Urdu label of %s = %q, want %q", code, got, want)
		}
	}
	css, err := os.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(css), ":is(td, th)[data-label]:empty { display: none; }") {
		t.Errorf("the phone's cards do not hide an empty cell's label")
	}
	sawChecks := false
	for _, p := range tour(t) {
		if i := strings.Index(p.Body, "\u2068\u2068"); i >= 0 {
			t.Errorf("%s: a value isolated twice: %q", p, p.Body[max(0, i-80):min(len(p.Body), i+40)])
		}
		if p.Lang == "ur" && strings.HasPrefix(p.Path, "/operator/checks") && strings.Contains(p.Body, `aria-label="قطار`) {
			sawChecks = true
		}
		for _, m := range reBlankCell.FindAllStringSubmatch(p.Body, -1) {
			if m[1] != "" {
				t.Errorf("%s: a cell holds only white space, so the phone's card shows its label with nothing: %q", p, m[0])
			}
		}
	}
	if !sawChecks {
		t.Errorf("no Urdu operator page with checkboxes in the tour: the isolate check is not run on them")
	}
}
