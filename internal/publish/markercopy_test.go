package publish_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMarkerCopyMissing is the third round's third finding: a missing
// --feed-state-copy file (or its directory) was silently recreated. One
// copy missing while the other exists is logged as an error (and
// recreated); a copy whose directory is not there (an unmounted volume) is
// refused before the first publish.
func TestMarkerCopyMissing(t *testing.T) {
	for _, tt := range []struct {
		name   string
		remove func(e *env) string // removes a copy, returning its path ("" none)
		warned bool
	}{
		{"both copies there", func(e *env) string { return "" }, false},
		{"the copy outside the data directory missing", func(e *env) string { return e.markerCopy }, true},
		{"the data directory's marker missing", func(e *env) string { return filepath.Join(e.keys.Dir, "feed-state") }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "sqlite")
			e.markerCopy = filepath.Join(t.TempDir(), "ipreg-feed-state")
			logs := e.logged()
			e.publish() // first start: both missing, nothing to say
			if strings.Contains(logs.String(), "missing") {
				t.Fatalf("the first start warned:\n%s", logs)
			}
			path := tt.remove(e)
			if path != "" {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			}
			e.approve("ptcl", []string{pA}, nil)
			e.step()
			if got := strings.Contains(logs.String(), "level=ERROR") && strings.Contains(logs.String(), "marker copy is missing"); got != tt.warned {
				t.Fatalf("warned = %v, want %v:\n%s", got, tt.warned, logs)
			}
			if tt.warned && !strings.Contains(logs.String(), path) {
				t.Errorf("the warning does not name %s:\n%s", path, logs)
			}
			for _, p := range []string{e.markerCopy, filepath.Join(e.keys.Dir, "feed-state")} {
				if _, err := os.Stat(p); err != nil {
					t.Errorf("%s not recreated: %v", p, err)
				}
			}
		})
	}
	t.Run("directory missing", func(t *testing.T) {
		e := newEnv(t, "sqlite")
		file := filepath.Join(t.TempDir(), "a-file")
		os.WriteFile(file, nil, 0o600)
		for _, path := range []string{
			filepath.Join(t.TempDir(), "unmounted", "ipreg-feed-state"),
			filepath.Join(file, "ipreg-feed-state"),
		} {
			err := e.pub.SetMarkerCopy(path)
			if err == nil || !strings.Contains(err.Error(), "mount") {
				t.Fatalf("SetMarkerCopy(%s) = %v, want a refusal naming the volume", path, err)
			}
			if st, err := os.Stat(filepath.Dir(path)); err == nil && st.IsDir() {
				t.Fatalf("%s was created", filepath.Dir(path))
			}
		}
		if err := e.pub.SetMarkerCopy(filepath.Join(t.TempDir(), "ipreg-feed-state")); err != nil {
			t.Fatal(err)
		}
	})
}
