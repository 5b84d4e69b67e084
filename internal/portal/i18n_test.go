package portal

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// keysIn finds the English texts the portal shows: T and translate calls
// and field labels and hints in templates; titles, error pages, flashes
// and label tables in code.
func keysIn(t *testing.T) map[string]string {
	t.Helper()
	keys := map[string]string{} // key → where
	add := func(where, quoted string) {
		k, err := strconv.Unquote(`"` + quoted + `"`)
		if err != nil {
			t.Fatalf("%s: %q: %v", where, quoted, err)
		}
		if _, ok := keys[k]; !ok {
			keys[k] = where
		}
	}
	str := `"((?:[^"\\]|\\.)*)"`
	tmpl := []*regexp.Regexp{regexp.MustCompile(`\.T ` + str), regexp.MustCompile(`\.TTok ` + str), regexp.MustCompile(`"(?:label|hint)" ` + str)}
	code := []*regexp.Regexp{
		regexp.MustCompile(`Title: ` + str),
		regexp.MustCompile(`title := ` + str),
		regexp.MustCompile(`(?s)errorPage\(w, r, [^,]+,\s*` + str),
		regexp.MustCompile(`(?s)errorPage\(w, r, [^,]+,\s*"(?:[^"\\]|\\.)*",\s*` + str),
		regexp.MustCompile(`\.T\(` + str),
		regexp.MustCompile(`translate\([^,]+, ` + str),
		regexp.MustCompile(`(?m)^\s+(?:"[\w. ]+"|[\w.]+):\s+` + str + `,\s*$`),
		regexp.MustCompile(`(?m)^\s+registry\.\w+:\s+` + str + `,`),
	}
	files, _ := filepath.Glob("templates/*.html")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, re := range tmpl {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				add(f, m[1])
			}
		}
	}
	goFiles, _ := filepath.Glob("*.go")
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "catalog_ur") || strings.HasPrefix(f, "domain_ur") {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, re := range code {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				for _, g := range m[1:] {
					add(f, g)
				}
			}
		}
	}
	// The questionnaire's answers, which the page shows from the
	// registry's tables of texts by code.
	for _, table := range []map[string]string{registry.EligibilityOutcomeText, registry.EligibilityAdviceText, registry.EligibilityFeeText} {
		for _, k := range table {
			keys[k] = "registry/eligibility.go"
		}
	}
	return keys
}

var verbs = regexp.MustCompile(`%[-+# 0]*\d*[sdvqx]`)

// TestUrduCatalog holds every text the portal shows to having an Urdu
// translation with the same format verbs, and the catalog to holding
// nothing the portal no longer uses.
func TestUrduCatalog(t *testing.T) {
	keys := keysIn(t)
	if len(keys) < 300 {
		t.Fatalf("found only %d texts; the extraction is broken", len(keys))
	}
	var missing []string
	untranslated := map[string]string{}
	for k, where := range keys {
		u, ok := urdu[k]
		if !ok {
			missing = append(missing, where+": "+strconv.Quote(k))
			untranslated[k] = where
			continue
		}
		if a, b := verbs.FindAllString(k, -1), verbs.FindAllString(u, -1); strings.Join(a, ",") != strings.Join(b, ",") {
			t.Errorf("%q: Urdu has verbs %v, English %v", k, b, a)
		}
		if strings.TrimSpace(u) == "" {
			t.Errorf("%q: empty Urdu text", k)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("no Urdu in locales/ur.po for %s (IPREG_UPDATE_PO=1 adds it untranslated; CONTRIBUTING.md)", m)
	}
	appendUntranslated(t, "", untranslated)
	for k := range urdu {
		if _, ok := keys[k]; !ok {
			t.Errorf("locales/ur.po holds %q, which nothing shows: delete its entry", k)
		}
	}
}

// The field names of error summaries are catalog texts too.
func TestFieldLabelsTranslated(t *testing.T) {
	for k, l := range fieldLabels {
		if _, ok := urdu[l]; !ok {
			t.Errorf("field %s: no Urdu for its label %q", k, l)
		}
	}
}
