package publish_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/publish"
)

// TestRestoredRetiredKey is the third round's second finding: a data
// directory (or its key files) restored from before a key switch brought
// the retired key back; the registry signed with it and every agent
// refused the feed, with no cause shown at the registry. The feed-state
// marker (both copies) records the signing key and the announced next key;
// a key that is neither is refused with publish.ErrRetiredKey, and nothing
// is published. Its neighbours (a switch the marker knows, a switch forced
// before any publish, a marker from before keys were recorded) publish.
func TestRestoredRetiredKey(t *testing.T) {
	keyFiles := []string{"feed-signing-key.pem", "feed-signing-key.next.pem"}
	// save returns the key files (and the marker, with marker) as they are.
	save := func(e *env, withMarker bool) map[string][]byte {
		files := map[string][]byte{}
		names := keyFiles
		if withMarker {
			names = append(names[:2:2], "feed-state")
		}
		for _, name := range names {
			if b, err := os.ReadFile(filepath.Join(e.keys.Dir, name)); err == nil {
				files[name] = b
			}
		}
		return files
	}
	putBack := func(e *env, files map[string][]byte) {
		for _, name := range keyFiles {
			os.Remove(filepath.Join(e.keys.Dir, name))
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(e.keys.Dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	rotate := func(e *env, force bool) {
		if _, err := e.keys.Rotate(e.clock.Now(), force); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name    string
		copied  bool // a --feed-state-copy
		run     func(e *env)
		refused bool
	}{
		{"key files from before the announcement", false, func(e *env) {
			old := save(e, false)
			rotate(e, false)
			e.step()
			rotate(e, true)
			e.step()
			putBack(e, old)
		}, true},
		{"key files from during the announcement", false, func(e *env) {
			rotate(e, false)
			e.step()
			old := save(e, false)
			rotate(e, true)
			e.step()
			putBack(e, old)
		}, true},
		{"whole data directory from before the switch, with a marker copy", true, func(e *env) {
			rotate(e, false)
			e.step()
			old := save(e, true)
			rotate(e, true)
			e.step()
			putBack(e, old)
		}, true},
		{"switch the marker knows", false, func(e *env) {
			rotate(e, false)
			e.step()
			rotate(e, true)
		}, false},
		{"switch forced before any publish", false, func(e *env) {
			rotate(e, false)
			rotate(e, true)
		}, false},
		{"marker from before keys were recorded", false, func(e *env) {
			path := filepath.Join(e.keys.Dir, "feed-state")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			i := strings.Index(string(b), `"keys"`)
			if i < 0 {
				t.Fatalf("the marker records no keys:\n%s", b)
			}
			rotate(e, false)
			rotate(e, true)
			// The marker as an older registry wrote it: scopes only.
			os.WriteFile(path, []byte(strings.TrimRight(string(b[:i]), ", \n")+"\n}\n"), 0o600)
		}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "sqlite")
			if tt.copied {
				e.markerCopy = filepath.Join(t.TempDir(), "ipreg-feed-state")
				e.pub.SetMarkerCopy(e.markerCopy)
			}
			e.publish()
			e.approve("ptcl", []string{pA}, nil)
			e.step()
			tt.run(e)
			if err := e.rd.Refresh(e.ctx); err != nil {
				t.Fatal(err)
			}
			before, _, err := e.rd.Notification(e.ctx, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Add(time.Minute)
			logs := e.logged()
			_, err = e.pub.PublishOnce(e.ctx)
			if got := errors.Is(err, publish.ErrRetiredKey); got != tt.refused {
				t.Fatalf("PublishOnce = %v, want refused=%v\n%s", err, tt.refused, logs)
			}
			if !tt.refused {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, want := range []string{"restored from before a key switch", "key backup"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the refusal does not say %q: %v", want, err)
				}
			}
			if err := e.rd.Refresh(e.ctx); err != nil {
				t.Fatal(err)
			}
			// Nothing was signed with the retired key.
			if after, _, err := e.rd.Notification(e.ctx, nil, ""); err != nil || string(after) != string(before) {
				t.Fatalf("the feed changed (err %v)", err)
			}
		})
	}
}
