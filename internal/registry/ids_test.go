package registry_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// Every prefix the registry (or the stores beside it) gives an id is in
// IDPrefixes, so that the portal's raw-code check knows it.
func TestIDPrefixesComplete(t *testing.T) {
	made := regexp.MustCompile(`RandomID\("([a-z]+)"\)`)
	files, err := filepath.Glob("../*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../store/*/*.go")
	files = append(files, more...)
	found := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range made.FindAllSubmatch(src, -1) {
			found++
			if !slices.Contains(registry.IDPrefixes, string(m[1])) {
				t.Errorf("%s makes ids %s_…, which IDPrefixes does not list", f, m[1])
			}
		}
	}
	if found < 10 {
		t.Fatalf("found only %d ids made; the search is broken", found)
	}
}
