package agent

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Restored bindings are checked again as new claims are (field report
// item 6): a bindings.json edited by hand, or written under other
// --radius-allow-prefixes, allows nothing outside the accepted space, and
// renews nothing beyond the session timeout.
func TestRADIUSRestoreRechecks(t *testing.T) {
	pools, err := NewBindSpace([]netip.Prefix{netip.MustParsePrefix("100.64.0.0/10")})
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 10 * time.Minute
	for _, tt := range []struct {
		name    string
		space   *BindSpace
		binding Binding // Start and Expires filled in
		probe   string
		allowed bool
		refused bool
	}{
		{"in Pakistan's space", nil, Binding{Prefix: netip.MustParsePrefix("39.32.0.10/32"), Number: numberA}, "39.32.0.10", true, false},
		{"the report's 8.8.8.8", nil, Binding{Prefix: netip.MustParsePrefix("8.8.8.8/32"), Number: numberA}, "8.8.8.8", false, true},
		{"too broad", nil, Binding{Prefix: netip.MustParsePrefix("2400:fc00::/32"), Number: numberA}, "2400:fc00:1::1", false, true},
		{"a pool no longer allowed", nil, Binding{Prefix: netip.MustParsePrefix("100.64.1.1/32"), Number: numberA}, "100.64.1.1", false, true},
		{"a pool still allowed", pools, Binding{Prefix: netip.MustParsePrefix("100.64.1.1/32"), Number: numberA}, "100.64.1.1", true, false},
		{"host bits set", nil, Binding{Prefix: netip.MustParsePrefix("39.32.0.11/24"), Number: numberA}, "39.32.0.11", false, true},
		{"an unbound claim on everything", nil, Binding{Prefix: netip.MustParsePrefix("0.0.0.0/0")}, "39.32.0.12", false, true},
		{"a number no longer in the table", nil, Binding{Prefix: netip.MustParsePrefix("39.32.0.13/32"), Number: unregistered}, "39.32.0.13", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRADIUSRig(t, RADIUSOptions{})
			a := r.fx.a
			a.persistNow()
			now := r.clk.Now()
			x := tt.binding
			x.NAS, x.Session, x.Start, x.Expires = NAS{Addr: "10.9.9.1"}, "s", now.Add(-time.Minute), now.Add(24*time.Hour)
			b, _ := json.Marshal(BindingsState{Bindings: []Binding{x}})
			os.WriteFile(filepath.Join(a.cfg.StateDir, bindingsFile), b, 0o600)
			ag := New(Config{Registry: a.cfg.Registry, TrustKeys: a.cfg.TrustKeys, StateDir: a.cfg.StateDir, MaxAge: 24 * time.Hour, Now: r.clk.Now})
			if err := ag.Load(); err != nil {
				t.Fatal(err)
			}
			if _, err := ag.RestoreBindings(RADIUSOptions{SessionTimeout: timeout, Space: tt.space}); err != nil {
				t.Fatal(err)
			}
			ans, _ := ag.Check(netip.MustParseAddr(tt.probe))
			if ans.Allowed != tt.allowed {
				t.Errorf("%s allowed = %v after the restore, want %v", tt.probe, ans.Allowed, tt.allowed)
			}
			if n := testutil.ToFloat64(ag.metrics.radius.WithLabelValues(outcomeRestoreRefused)); n != float64(boolInt(tt.refused)) {
				t.Errorf("restore_refused = %v", n)
			}
			// The expiry is capped to the session timeout from the restore.
			if tt.allowed {
				r.clk.Add(timeout + time.Second)
				if ans, _ := ag.Check(netip.MustParseAddr(tt.probe)); ans.Allowed {
					t.Errorf("%s still allowed after the session timeout: the restored expiry was not capped", tt.probe)
				}
			}
		})
	}
}
