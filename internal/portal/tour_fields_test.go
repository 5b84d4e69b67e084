package portal_test

import (
	"html"
	"regexp"
	"strings"
	"testing"
)

var (
	reErrorsBlock = regexp.MustCompile(`(?s)<div class="errors"[^>]*>(.*?)</div>`)
	reSummaryLink = regexp.MustCompile(`(?s)<a href="#([^"]+)">(.*?)</a>`)
	reLabelOf     = regexp.MustCompile(`(?s)<label\b[^>]*\bfor="([^"]+)"[^>]*>(.*?)</label>`)
	reInvalid     = regexp.MustCompile(`<(input|select|textarea)\b[^>]*\baria-invalid="true"[^>]*>`)
	reDescribed   = regexp.MustCompile(`\baria-describedby="([^"]*)"`)
	reAnyTag      = regexp.MustCompile(`(?s)<[^>]*>`)
)

func plainText(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(reAnyTag.ReplaceAllString(s, ""))), " ")
}

// On every page of the tour with an error summary, in both languages:
// every link of the summary points at an input the page has, and names it
// as the page's label for that input does; every input marked invalid is
// described by its field error. Pages with errors outside the field
// partial (one form per row, textareas, the CSV upload) are in the tour.
func TestErrorsLinkedToFields(t *testing.T) {
	for _, p := range tour(t) {
		// An appeal sent again while one waits says so, whatever its
		// statement (no error on a statement field the page has not).
		if strings.HasSuffix(p.Path, "/appeal") && p.Lang == "en" && (!strings.Contains(p.Body, "appealed already") || strings.Contains(p.Body, "too long")) {
			t.Errorf("%s: an appeal sent while one waits does not say an appeal was made already: %s", p, errorsOf(p.Body))
		}
		m := reErrorsBlock.FindStringSubmatch(p.Body)
		if m == nil {
			if reInvalid.MatchString(p.Body) {
				t.Errorf("%s: an input is marked invalid but the page has no error summary", p)
			}
			continue
		}
		labels := map[string]string{}
		for _, l := range reLabelOf.FindAllStringSubmatch(p.Body, -1) {
			if _, ok := labels[l[1]]; !ok {
				labels[l[1]] = plainText(l[2])
			}
		}
		for _, l := range reSummaryLink.FindAllStringSubmatch(m[1], -1) {
			target, text := html.UnescapeString(l[1]), strings.NewReplacer("\u2068", "", "\u2069", "").Replace(plainText(l[2]))
			if !strings.Contains(p.Body, `id="`+target+`"`) {
				t.Errorf("%s: the summary links %q to #%s, which is not on the page", p, text, target)
				continue
			}
			label, ok := labels[target]
			switch {
			case !ok:
				t.Errorf("%s: the summary links %q to #%s, which has no label", p, text, target)
			case target == "f-kind": // missing documents, named by kind, link to the choice of document
			case text != label && !strings.HasPrefix(text, label+"، ") && !strings.HasPrefix(text, label+", "):
				t.Errorf("%s: the summary names #%s %q, but the page labels it %q", p, target, text, label)
			}
		}
		for _, in := range reInvalid.FindAllString(p.Body, -1) {
			d := reDescribed.FindStringSubmatch(in)
			if d == nil {
				t.Errorf("%s: %s is marked invalid but not described by its error", p, in)
				continue
			}
			found := false
			for _, id := range strings.Fields(d[1]) {
				if regexp.MustCompile(`<[^>]*\bclass="field-error"[^>]*\bid="` + regexp.QuoteMeta(id) + `"|<[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*\bclass="field-error"`).MatchString(p.Body) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: %s is described by %q, no field error", p, in, d[1])
			}
		}
	}
}
