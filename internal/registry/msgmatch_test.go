package registry

import (
	"os"
	"path/filepath"
	"testing"
)

// One-off check before messages/ur/*.tmpl are deleted: messages/ur.po
// gives every message the Urdu template byte for byte.
func TestUrduPOMatchesTemplates(t *testing.T) {
	ur := messageSources("ur")
	files, _ := filepath.Glob("messages/ur/*.tmpl")
	if len(files) != len(ur) || len(files) == 0 {
		t.Fatalf("%d Urdu files, %d Urdu entries in ur.po", len(files), len(ur))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		name := filepath.Base(f)
		name = name[:len(name)-len(".tmpl")]
		if ur[name] != string(b) {
			t.Errorf("%s: ur.po differs from the file", name)
		}
	}
	t.Logf("%d Urdu messages identical in ur.po", len(files))
}
