package agent

import (
	"encoding/json"
	"fmt"
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

// A NAS restart time ahead of now (second field report, item 3: a
// bindings.json whose nas_restarts say 2027, or an agent clock that was
// ahead) does not block that NAS's sessions until then: a restored time
// is capped at now, and an Accounting-On sets the time even backwards
// when the one recorded lies ahead.
func TestRADIUSRestartTimeAhead(t *testing.T) {
	nas := []string{"NAS-IP-Address", "10.9.9.1"}
	t.Run("restored from bindings.json", func(t *testing.T) {
		for _, ahead := range []time.Duration{time.Hour, 365 * 24 * time.Hour} {
			r := newRADIUSRig(t, RADIUSOptions{})
			a := r.fx.a
			a.persistNow()
			b, _ := json.Marshal(BindingsState{Bindings: []Binding{}, Restarts: []Restart{{NAS: NAS{Addr: "10.9.9.1"}, At: r.clk.Now().Add(ahead)}}})
			os.WriteFile(filepath.Join(a.cfg.StateDir, bindingsFile), b, 0o600)
			ag := New(Config{Registry: a.cfg.Registry, TrustKeys: a.cfg.TrustKeys, StateDir: a.cfg.StateDir, MaxAge: 24 * time.Hour, Now: r.clk.Now})
			if err := ag.Load(); err != nil {
				t.Fatal(err)
			}
			if _, err := ag.RestoreBindings(RADIUSOptions{SessionTimeout: 15 * time.Minute}); err != nil {
				t.Fatal(err)
			}
			r.stop()
			r.fx.a = ag
			r.listen(RADIUSOptions{})
			// A session begun before the restore was begun before the
			// restart as far as anyone can know; one begun after it binds.
			r.clk.Add(time.Second)
			r.send("Start", append([]string{"Framed-IP-Address", "39.36.3.1", "Calling-Station-Id", numberA, "Acct-Session-Id", "f1"}, nas...)...)
			r.expect(fmt.Sprintf("a Start after a restored restart %v ahead", ahead), map[string]string{"39.36.3.1": numberA})
			r.send("Interim-Update", append([]string{"Framed-IP-Address", "39.36.3.2", "Calling-Station-Id", numberB, "Acct-Session-Id", "f0", "Acct-Session-Time", "60"}, nas...)...)
			r.expect("a session begun before the restore", map[string]string{"39.36.3.2": ""})
		}
	})
	t.Run("the agent's clock set back", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{})
		r.send("Accounting-On", nas...)
		r.clk.Add(-time.Hour) // the clock was an hour ahead, and is corrected
		r.send("Accounting-On", nas...)
		r.clk.Add(time.Second)
		r.send("Start", append([]string{"Framed-IP-Address", "39.36.3.1", "Calling-Station-Id", numberA, "Acct-Session-Id", "f1"}, nas...)...)
		r.expect("a Start after the second Accounting-On", map[string]string{"39.36.3.1": numberA})
		// A second Accounting-On whose time is earlier than the one
		// recorded, which is not ahead: the time stays.
		r.send("Accounting-On", append([]string{"Acct-Delay-Time", "30"}, nas...)...)
		r.send("Interim-Update", append([]string{"Framed-IP-Address", "39.36.3.2", "Calling-Station-Id", numberB, "Acct-Session-Id", "f2", "Acct-Session-Time", "10"}, nas...)...)
		r.expect("a session begun before the later restart", map[string]string{"39.36.3.2": ""})
	})
}

// Restored NAS restart records keep their time limit (second field
// report, item 5b): one past it is not restored; one from a file without
// "until" (an earlier version) lasts the session timeout from the restore.
func TestRADIUSRestoreRestartUntil(t *testing.T) {
	const timeout = 5 * time.Minute
	for _, tt := range []struct {
		name  string
		until time.Duration // from now; 0 for none in the file
		want  time.Duration // the restored record's Until from now; -1 for not restored
	}{
		{"live", time.Minute, time.Minute},
		{"past its time", -time.Second, -1},
		{"no until (an earlier version's file)", 0, timeout},
		{"until beyond the timeout", time.Hour, timeout},
	} {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Now().Truncate(time.Second)
			b := newBindings(func() time.Time { return now })
			r := Restart{NAS: NAS{Addr: "10.9.9.1"}, At: now.Add(-time.Minute)}
			if tt.until != 0 {
				r.Until = now.Add(tt.until)
			}
			b.Restore(BindingsState{Restarts: []Restart{r}}, now, now.Add(timeout), func(Binding) error { return nil })
			got := b.State().Restarts
			if tt.want < 0 {
				if len(got) != 0 {
					t.Errorf("restored %v", got)
				}
				return
			}
			if len(got) != 1 || !got[0].Until.Equal(now.Add(tt.want)) {
				t.Errorf("restored %v, want until now+%v", got, tt.want)
			}
		})
	}
}
