package portal_test

import (
	"regexp"
	"strings"
	"testing"
)

var (
	fileInput  = regexp.MustCompile(`<input type="file" id="([^"]+)"`)
	fileButton = regexp.MustCompile(`<label for="([^"]+)" class="button file-button">([^<]+)</label><span class="file-name" dir="auto" data-none="([^"]+)"`)
)

// TestFileChoosersInPageLanguage: every file input on every page of the
// tour has the chooser's face in the page's language (a labelled button
// and the "no file chosen" text; app.js hides the native control, whose
// "Choose File" is in the browser's language).
func TestFileChoosersInPageLanguage(t *testing.T) {
	seen := 0
	for _, p := range tour(t) {
		buttons := map[string][2]string{}
		for _, m := range fileButton.FindAllStringSubmatch(p.Body, -1) {
			buttons[m[1]] = [2]string{m[2], m[3]}
		}
		for _, m := range fileInput.FindAllStringSubmatch(p.Body, -1) {
			seen++
			b, ok := buttons[m[1]]
			switch {
			case !ok:
				t.Errorf("%s: file input %s has no chooser button", p, m[1])
			case p.Lang == "ur" && (!hasArabic(b[0]) || !hasArabic(b[1])):
				t.Errorf("%s: file chooser %s speaks English on an Urdu page: %q", p, m[1], b)
			case p.Lang == "en" && !strings.Contains(b[0], "Choose"):
				t.Errorf("%s: file chooser %s says %q", p, m[1], b)
			}
		}
	}
	if seen == 0 {
		t.Fatal("the tour shows no file input")
	}
}
