package portal

import "testing"

// One-off check before the Go maps are deleted: locales/ur.po, as the
// portal loads it, holds every text of catalog_ur.go, domain_ur.go and
// words.go's plurals byte for byte, and nothing else.
func TestPOMatchesGoMaps(t *testing.T) {
	for name, pair := range map[string][2]map[string]string{
		"urdu":       {urdu, poTexts(urPO, "")},
		"domainUrdu": {domainUrdu, poTexts(urPO, ctxRegistry)},
	} {
		goMap, po := pair[0], pair[1]
		if len(goMap) != len(po) {
			t.Errorf("%s: %d texts in Go, %d in ur.po", name, len(goMap), len(po))
		}
		for k, v := range goMap {
			if po[k] != v {
				t.Errorf("%s[%q]: Go %q, ur.po %q", name, k, v, po[k])
			}
		}
	}
	if len(plurals) != len(countedTexts) {
		t.Errorf("%d plurals in Go, %d in ur.po", len(plurals), len(countedTexts))
	}
	for k, p := range plurals {
		c := countedTexts[k]
		if c.one != p.en[0] || c.other != p.en[1] {
			t.Errorf("%q: English %q, ur.po %+v", k, p.en, c)
		}
		for n, want := range map[int]string{1: p.ur[0], 0: p.ur[1], 2: p.ur[1], 21: p.ur[1]} {
			if got, _ := countedForm("ur", k, n); got != want {
				t.Errorf("%q n=%d: Go %q, ur.po %q", k, n, want, got)
			}
			wantEn := p.en[1]
			if n == 1 {
				wantEn = p.en[0]
			}
			if got, _ := countedForm("en", k, n); got != wantEn {
				t.Errorf("%q n=%d: Go %q, English %q", k, n, wantEn, got)
			}
		}
	}
	t.Logf("%d portal texts, %d registry messages, %d counted texts: identical", len(urdu), len(domainUrdu), len(plurals))
}
