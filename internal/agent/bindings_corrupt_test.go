package agent

import (
	"bytes"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A damaged or empty bindings.json does not stop the agent (field report
// item 8): it is logged, moved aside, and the agent starts without
// bindings; the next claims bind and persist as usual.
func TestRADIUSBindingsCorrupt(t *testing.T) {
	for _, tt := range []struct{ name, content string }{
		{"empty", ""},
		{"truncated", `{"bindings":[{"prefix":"39.32.0.10/32","number":"9230`},
		{"not JSON", "\x00\x01garbage"},
		{"a bad prefix", `{"bindings":[{"prefix":"39.32.0.300/32","number":"923001234567","session":"s"}]}`},
		{"another shape", `["39.32.0.10"]`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, bindingsFile)
			os.WriteFile(path, []byte(tt.content), 0o600)
			var log bytes.Buffer
			a := New(Config{StateDir: dir, Log: slog.New(slog.NewTextHandler(&log, nil)), Now: func() time.Time { return time.Date(2026, 11, 29, 11, 0, 0, 0, time.UTC) }})
			n, err := a.RestoreBindings(RADIUSOptions{SessionTimeout: time.Minute})
			if err != nil || n != 0 {
				t.Fatalf("RestoreBindings = %d, %v; want to start without bindings", n, err)
			}
			if _, err := os.Stat(path); err == nil {
				t.Errorf("%s is still in place", bindingsFile)
			}
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("moved aside: %v", aside)
			}
			if b, _ := os.ReadFile(aside[0]); string(b) != tt.content {
				t.Errorf("the file moved aside holds %q", b)
			}
			if !strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), filepath.Base(aside[0])) {
				t.Errorf("not logged as an error naming where it went:\n%s", log.String())
			}
			if n := testutil.ToFloat64(a.metrics.rejected.WithLabelValues("bindings_corrupt")); n != 1 {
				t.Errorf("bindings_corrupt = %v", n)
			}
			// The agent works on: a claim binds and is written afresh.
			a.bindings.Claim(Claim{Number: numberA, NAS: NAS{Addr: "10.9.9.1"}, Session: "s", Start: a.cfg.Now(), Timed: true, Expires: a.cfg.Now().Add(time.Minute),
				Prefixes: []netip.Prefix{netip.MustParsePrefix("39.32.0.10/32")}, Bind: []bool{true}})
			if err := a.syncBindings(); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(path); !strings.Contains(string(b), "39.32.0.10/32") {
				t.Errorf("%s after a claim: %s", bindingsFile, b)
			}
		})
	}
}
