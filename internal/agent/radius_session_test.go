package agent

import (
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// An address's newest claim is remembered whether it binds or not, and
// decides every later claim (issue 11 §3, field report item 1): an older
// registered session does not take back an address that a newer
// unregistered session claimed.
func TestRADIUSNewestClaimRemembered(t *testing.T) {
	const ip = "39.32.4.1"
	for _, tt := range []struct {
		name string
		// The unregistered session's Start, after the registered session's
		// Interim-Update (Acct-Session-Time 600).
		start []string
		// The registered session's next update, a minute later.
		update []string
	}{
		{"the report's example", nil, []string{"Acct-Session-Time", "660"}},
		{"the newer Start delayed", []string{"Acct-Delay-Time", "30"}, []string{"Acct-Session-Time", "660"}},
		{"the newer Start delayed long", []string{"Acct-Delay-Time", "590"}, []string{"Acct-Session-Time", "660"}},
		{"an update without Acct-Session-Time", nil, nil},
		{"an update delayed", nil, []string{"Acct-Session-Time", "600", "Acct-Delay-Time", "60"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRADIUSRig(t, RADIUSOptions{})
			r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "i1", "Acct-Session-Time", "600")
			r.expect("the registered session's Interim-Update", map[string]string{ip: numberA})
			r.clk.Add(time.Second)
			r.send("Start", append([]string{"Framed-IP-Address", ip, "Calling-Station-Id", unregistered, "Acct-Session-Id", "i2"}, tt.start...)...)
			r.expect("the unregistered session's Start", map[string]string{ip: ""})
			r.clk.Add(time.Minute)
			r.send("Interim-Update", append([]string{"Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "i1"}, tt.update...)...)
			r.expect("the older session's next update", map[string]string{ip: ""})
			if n := r.outcomes(outcomeStale); n != 1 {
				t.Errorf("stale = %d, want 1", n)
			}
			// The unregistered session renews its claim; a newer registered
			// session takes the address; the old one still does not.
			r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", unregistered, "Acct-Session-Id", "i2", "Acct-Session-Time", "60")
			r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "i1", "Acct-Session-Time", "720")
			r.expect("after the newer session's renewal", map[string]string{ip: ""})
			r.clk.Add(time.Second)
			r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", numberB, "Acct-Session-Id", "i3")
			r.expect("a newer registered session", map[string]string{ip: numberB})
			r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "i1")
			r.expect("the oldest session again", map[string]string{ip: numberB})
		})
	}
	// The unregistered claim is remembered for the session timeout, not
	// longer: after it, the address is free for whoever claims it.
	t.Run("the unbound claim expires with the session timeout", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{SessionTimeout: 5 * time.Minute})
		r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "i1")
		r.clk.Add(time.Second)
		r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", unregistered, "Acct-Session-Id", "i2")
		r.clk.Add(5*time.Minute + time.Second)
		r.fx.a.bindings.Expire()
		r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "i1", "Acct-Session-Time", "301")
		r.expect("after the timeout", map[string]string{ip: numberA})
		if n := len(r.fx.a.bindings.State().Bindings); n != 1 {
			t.Errorf("%d holders remembered, want 1", n)
		}
	})
}

// A stopped session stays stopped (field report item 2): its Start or
// Interim-Update arriving after its Stop binds nothing, for the session
// timeout.
func TestRADIUSStoppedSessionStaysStopped(t *testing.T) {
	const ip = "39.32.4.2"
	for _, tt := range []struct {
		name   string
		status string
		late   []string
	}{
		{"a late Start (Acct-Delay-Time 31)", "Start", []string{"Acct-Delay-Time", "31"}},
		{"a Start retransmitted without Acct-Delay-Time", "Start", nil},
		{"a late Interim-Update", "Interim-Update", []string{"Acct-Session-Time", "60", "Acct-Delay-Time", "5"}},
		{"an Interim-Update without Acct-Session-Time", "Interim-Update", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRADIUSRig(t, RADIUSOptions{SessionTimeout: 5 * time.Minute})
			r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "s1")
			r.clk.Add(time.Minute)
			r.send("Stop", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "s1", "Acct-Session-Time", "60")
			r.expect("after Stop", map[string]string{ip: ""})
			r.clk.Add(time.Second)
			r.send(tt.status, append([]string{"Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "s1"}, tt.late...)...)
			r.expect("after the late packet", map[string]string{ip: ""})
			if n := r.outcomes(outcomeStoppedSession); n != 1 {
				t.Errorf("stopped_session = %d, want 1", n)
			}
			// Another session for the address is not affected.
			r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", numberB, "Acct-Session-Id", "s2")
			r.expect("another session", map[string]string{ip: numberB})
		})
	}
	t.Run("a Stop before its Start, and the session id after the timeout", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{SessionTimeout: 5 * time.Minute})
		r.send("Stop", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "s1")
		r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "s1", "Acct-Delay-Time", "3")
		r.expect("a Start reordered after its Stop", map[string]string{ip: ""})
		// Another NAS's session of the same id is another session.
		r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "s1", "NAS-IP-Address", "10.9.9.1")
		r.expect("the same id at another NAS", map[string]string{ip: numberA})
		r.clk.Add(5*time.Minute + time.Second)
		r.fx.a.bindings.Expire()
		r.send("Start", "Framed-IP-Address", "39.32.4.3", "Calling-Station-Id", numberA, "Acct-Session-Id", "s1")
		r.expect("the id again after the timeout", map[string]string{"39.32.4.3": numberA})
	})
}

// A NAS restart is remembered (field report item 3): after its
// Accounting-On or -Off, a delayed packet of a session that began before
// it binds nothing; sessions that began after it, and other NASes', bind.
func TestRADIUSRestartRemembered(t *testing.T) {
	const ip = "39.32.4.3"
	nas := []string{"NAS-IP-Address", "10.9.9.1"}
	for _, status := range []string{"Accounting-On", "Accounting-Off"} {
		for _, tt := range []struct {
			name   string
			status string
			attrs  []string
			bound  bool
		}{
			{"a delayed Interim-Update", "Interim-Update", []string{"Acct-Session-Id", "r1", "Acct-Session-Time", "70"}, false},
			{"an Interim-Update without Acct-Session-Time", "Interim-Update", []string{"Acct-Session-Id", "r1"}, false},
			{"a delayed Start", "Start", []string{"Acct-Session-Id", "r2", "Acct-Delay-Time", "65"}, false},
			{"an unknown session's Interim-Update begun before", "Interim-Update", []string{"Acct-Session-Id", "r9", "Acct-Session-Time", "65"}, false},
			{"a Start after the restart", "Start", []string{"Acct-Session-Id", "r3"}, true},
			{"an Interim-Update of a session begun after", "Interim-Update", []string{"Acct-Session-Id", "r4", "Acct-Session-Time", "5"}, true},
		} {
			t.Run(status+", "+tt.name, func(t *testing.T) {
				r := newRADIUSRig(t, RADIUSOptions{})
				r.send("Start", append([]string{"Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "r1"}, nas...)...)
				r.clk.Add(10 * time.Second)
				r.send(status, nas...)
				r.expect("after "+status, map[string]string{ip: ""})
				r.clk.Add(time.Minute)
				r.send(tt.status, append(append([]string{"Framed-IP-Address", ip, "Calling-Station-Id", numberA}, tt.attrs...), nas...)...)
				want := ""
				if tt.bound {
					want = numberA
				}
				r.expect(tt.name, map[string]string{ip: want})
				if n := r.outcomes(outcomeBeforeRestart); n != boolInt(!tt.bound) {
					t.Errorf("before_restart = %d", n)
				}
			})
		}
	}
	t.Run("another NAS's older session", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{})
		r.send("Accounting-On", nas...)
		r.clk.Add(time.Minute)
		r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "x", "Acct-Session-Time", "1000", "NAS-IP-Address", "10.9.9.2")
		r.expect("a session of 10.9.9.2", map[string]string{ip: numberA})
	})
}

// A NAS without NAS-IP-Address is its source address (field report item
// 5): two NASes that both name themselves "MikroTik" and number their
// sessions alike are two NASes; a Stop without the NAS-Identifier its
// Start carried still ends it.
func TestRADIUSNASBySourceAddress(t *testing.T) {
	r := newRADIUSRig(t, RADIUSOptions{})
	from := func(src string, kv ...string) []string {
		return append(kv, "NAS-Identifier", "MikroTik", "Packet-Src-IP-Address", src)
	}
	r.send("Start", from("127.0.0.2", "Framed-IP-Address", "39.32.4.4", "Calling-Station-Id", numberA, "Acct-Session-Id", "same")...)
	r.send("Start", from("127.0.0.3", "Framed-IP-Address", "39.32.4.5", "Calling-Station-Id", numberB, "Acct-Session-Id", "same")...)
	r.expect("two NASes' sessions", map[string]string{"39.32.4.4": numberA, "39.32.4.5": numberB})
	r.send("Stop", from("127.0.0.2", "Acct-Session-Id", "same")...)
	r.expect("the first NAS's Stop", map[string]string{"39.32.4.4": "", "39.32.4.5": numberB})
	r.clk.Add(time.Second)
	r.send("Start", from("127.0.0.2", "Framed-IP-Address", "39.32.4.6", "Calling-Station-Id", numberA, "Acct-Session-Id", "other")...)
	r.send("Accounting-On", from("127.0.0.3")...)
	r.expect("the second NAS's Accounting-On", map[string]string{"39.32.4.5": "", "39.32.4.6": numberA})
	// A Stop without the NAS-Identifier the Start carried, from the same
	// NAS, ends it; one with another NAS-Identifier does not.
	r.send("Start", from("127.0.0.2", "Framed-IP-Address", "39.32.4.7", "Calling-Station-Id", numberB, "Acct-Session-Id", "s7")...)
	r.send("Stop", "Acct-Session-Id", "s7", "NAS-Identifier", "Cisco", "Packet-Src-IP-Address", "127.0.0.2")
	r.expect("a Stop naming another NAS", map[string]string{"39.32.4.7": numberB})
	r.send("Stop", "Acct-Session-Id", "s7", "Packet-Src-IP-Address", "127.0.0.2")
	r.expect("a Stop without NAS-Identifier", map[string]string{"39.32.4.7": ""})
	// NAS-IP-Address, when sent, is the NAS whatever the source.
	r.send("Start", "Framed-IP-Address", "39.32.4.8", "Calling-Station-Id", numberA, "Acct-Session-Id", "s8", "NAS-IP-Address", "10.9.9.1", "Packet-Src-IP-Address", "127.0.0.2")
	r.send("Stop", "Acct-Session-Id", "s8", "NAS-IP-Address", "10.9.9.1", "Packet-Src-IP-Address", "127.0.0.3")
	r.expect("a Stop relayed from elsewhere", map[string]string{"39.32.4.8": ""})
}

// An Interim-Update carries the session's current addresses (field report
// item 7): the session's addresses it no longer lists are released.
func TestRADIUSInterimReleases(t *testing.T) {
	r := newRADIUSRig(t, RADIUSOptions{})
	r.send("Start", "Framed-IP-Address", "39.32.4.6", "Delegated-IPv6-Prefix", "2400:fc00:8100::/56", "Calling-Station-Id", numberA, "Acct-Session-Id", "v")
	r.expect("after Start", map[string]string{"39.32.4.6": numberA, "2400:fc00:8100::1": numberA})
	steps := []struct {
		attrs []string
		want  map[string]string
	}{
		{[]string{"Framed-IP-Address", "39.32.4.6"}, map[string]string{"39.32.4.6": numberA, "2400:fc00:8100::1": ""}},
		{[]string{"Framed-IP-Address", "39.32.4.7"}, map[string]string{"39.32.4.6": "", "39.32.4.7": numberA}},
		{[]string{"Framed-IP-Address", "39.32.4.7", "Framed-IPv6-Prefix", "2400:fc00:8000:1::/64"}, map[string]string{"39.32.4.7": numberA, "2400:fc00:8000:1::1": numberA}},
		{[]string{"Framed-IP-Address", "8.8.8.8"}, map[string]string{"39.32.4.7": "", "2400:fc00:8000:1::1": "", "8.8.8.8": ""}},
		{nil, map[string]string{"39.32.4.7": ""}},
	}
	for i, s := range steps {
		r.clk.Add(time.Minute)
		r.send("Interim-Update", append([]string{"Calling-Station-Id", numberA, "Acct-Session-Id", "v", "Acct-Session-Time", strconv.Itoa(60 * (i + 1))}, s.attrs...)...)
		r.expect("Interim-Update "+strconv.Itoa(i+1), s.want)
	}
	if n := r.outcomes(outcomeReleased); n != 4 {
		t.Errorf("released = %d, want 4", n)
	}
	// Another session's addresses are not the Interim-Update's to release.
	r.send("Start", "Framed-IP-Address", "39.32.4.9", "Calling-Station-Id", numberB, "Acct-Session-Id", "w")
	r.send("Interim-Update", "Framed-IP-Address", "39.32.4.6", "Calling-Station-Id", numberA, "Acct-Session-Id", "v", "Acct-Session-Time", "400")
	r.expect("another session", map[string]string{"39.32.4.9": numberB, "39.32.4.6": numberA})
}

// Claims without Acct-Session-Id are no session: one does not lend its
// start to another (which would make a newer claim look older).
func TestRADIUSNoSessionClaimsShareNothing(t *testing.T) {
	r := newRADIUSRig(t, RADIUSOptions{})
	r.send("Start", "Framed-IP-Address", "39.32.4.3", "Calling-Station-Id", unregistered)
	r.clk.Add(30 * time.Second)
	r.send("Start", "Framed-IP-Address", "39.32.4.4", "Calling-Station-Id", numberB, "Acct-Session-Id", "b")
	r.clk.Add(30 * time.Second)
	r.send("Interim-Update", "Framed-IP-Address", "39.32.4.4", "Calling-Station-Id", unregistered, "Acct-Session-Time", "10")
	r.expect("a newer claim without Acct-Session-Id", map[string]string{"39.32.4.4": ""})
}

// A session whose start is unknown (an Interim-Update without
// Acct-Session-Time of a session the agent does not know) stays "start
// unknown" in its holder record, older than any session whose start is
// known, instead of taking the arrival time (second field report, item
// 1): a genuinely newer session takes the address from it.
func TestRADIUSUnknownStartStaysUnknown(t *testing.T) {
	const ip = "39.36.2.1"
	for _, tt := range []struct {
		name  string
		old   []string // the unknown session's Interim-Update, no Acct-Session-Time
		next  []string // a later claim of another session, a second later
		want  string   // the address's holder after it
		stale int
	}{
		{"the report's example: unregistered OLD, then NEW's delayed Start",
			[]string{"Calling-Station-Id", "03012222222", "Acct-Session-Id", "old"},
			[]string{"Start", "Calling-Station-Id", "03001234567", "Acct-Session-Id", "new", "Acct-Delay-Time", "5"}, numberA, 0},
		{"registered OLD, then NEW's delayed Start",
			[]string{"Calling-Station-Id", numberB, "Acct-Session-Id", "old"},
			[]string{"Start", "Calling-Station-Id", numberA, "Acct-Session-Id", "new", "Acct-Delay-Time", "5"}, numberA, 0},
		{"OLD, then NEW's Interim-Update with Acct-Session-Time",
			[]string{"Calling-Station-Id", numberB, "Acct-Session-Id", "old"},
			[]string{"Interim-Update", "Calling-Station-Id", numberA, "Acct-Session-Id", "new", "Acct-Session-Time", "3600"}, numberA, 0},
		{"OLD, then another unknown session's Interim-Update (neither is newer: the holder keeps it)",
			[]string{"Calling-Station-Id", numberB, "Acct-Session-Id", "old"},
			[]string{"Interim-Update", "Calling-Station-Id", numberA, "Acct-Session-Id", "new"}, numberB, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRADIUSRig(t, RADIUSOptions{})
			r.send("Interim-Update", append([]string{"Framed-IP-Address", ip}, tt.old...)...)
			r.clk.Add(time.Second)
			r.send(tt.next[0], append([]string{"Framed-IP-Address", ip}, tt.next[1:]...)...)
			r.expect("after the later claim", map[string]string{ip: tt.want})
			if n := r.outcomes(outcomeStale); n != tt.stale {
				t.Errorf("stale = %d, want %d", n, tt.stale)
			}
		})
	}
	// The unknown session learns its start from a later packet of its own,
	// and from then on counts as began then.
	t.Run("the start learned later", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{})
		r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberB, "Acct-Session-Id", "old")
		r.clk.Add(time.Second)
		r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberB, "Acct-Session-Id", "old", "Acct-Session-Time", "10")
		// A session begun 20 s ago is older than one begun 9 s ago.
		r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "new", "Acct-Session-Time", "20")
		r.expect("an older session's update", map[string]string{ip: numberB})
		r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "newer")
		r.expect("a newer session's Start", map[string]string{ip: numberA})
	})
}

// After a NAS reboot, a session reusing an Acct-Session-Id is a new
// session (second field report, item 2): (a) it inherits nothing of the
// old session's holder record, which the Accounting-On forgets; (b) a
// Stop buffered before the reboot and flushed after the Accounting-On,
// whose Acct-Delay-Time and Acct-Session-Time place its session before
// the restart, ends nothing; nor does a Stop of an earlier session with
// the id of the one now holding the address. The new session's own Stop
// still ends it.
func TestRADIUSReusedSessionIDAfterRestart(t *testing.T) {
	const old, reused = "39.36.2.1", "39.36.2.2"
	nas := []string{"NAS-IP-Address", "10.9.9.1"}
	for _, status := range []string{"Accounting-On", "Accounting-Off"} {
		for _, tt := range []struct {
			name    string
			packet  []string // after the reused session's Start, a minute later
			want    string   // the reused session's address after it
			outcome string   // counted once
		}{
			{"the reused session's Interim-Update", nil, numberB, outcomeBound},
			{"a Stop buffered before the reboot",
				[]string{"Stop", "Acct-Session-Id", "r1", "Acct-Session-Time", "300", "Acct-Delay-Time", "80"}, numberB, outcomeBeforeRestart},
			{"a buffered Stop without Acct-Session-Time",
				[]string{"Stop", "Acct-Session-Id", "r1", "Acct-Delay-Time", "100"}, numberB, outcomeBeforeRestart},
			{"a Stop of an earlier use of the id, begun after the restart but before the reused session",
				[]string{"Stop", "Acct-Session-Id", "r1", "Acct-Session-Time", "75"}, numberB, outcomeStaleStop},
			{"the reused session's own Stop", []string{"Stop", "Acct-Session-Id", "r1", "Acct-Session-Time", "60"}, "", outcomeStopped},
			{"its own Stop, a second off", []string{"Stop", "Acct-Session-Id", "r1", "Acct-Session-Time", "61"}, "", outcomeStopped},
			{"its own Stop without Acct-Session-Time", []string{"Stop", "Acct-Session-Id", "r1"}, "", outcomeStopped},
		} {
			t.Run(status+", "+tt.name, func(t *testing.T) {
				r := newRADIUSRig(t, RADIUSOptions{})
				r.send("Start", append([]string{"Framed-IP-Address", old, "Calling-Station-Id", numberA, "Acct-Session-Id", "r1"}, nas...)...)
				r.clk.Add(4 * time.Minute)
				r.send(status, nas...)
				r.expect("after "+status, map[string]string{old: ""})
				r.clk.Add(30 * time.Second)
				r.send("Start", append([]string{"Framed-IP-Address", reused, "Calling-Station-Id", numberB, "Acct-Session-Id", "r1"}, nas...)...)
				r.expect("the reused id's Start", map[string]string{reused: numberB})
				if n := r.outcomes(outcomeBeforeRestart); n != 0 {
					t.Fatalf("the new session's Start counted before_restart %d times", n)
				}
				r.clk.Add(time.Minute)
				before := r.outcomes(tt.outcome)
				if tt.packet != nil {
					r.send(tt.packet[0], append(tt.packet[1:], nas...)...)
				} else {
					r.send("Interim-Update", append([]string{"Framed-IP-Address", reused, "Calling-Station-Id", numberB, "Acct-Session-Id", "r1", "Acct-Session-Time", "60"}, nas...)...)
				}
				r.expect(tt.name, map[string]string{reused: tt.want, old: ""})
				if n := r.outcomes(tt.outcome) - before; n != 1 {
					t.Errorf("%s = %d, want 1", tt.outcome, n)
				}
				// The reused session stays live unless its own Stop came.
				r.send("Interim-Update", append([]string{"Framed-IP-Address", reused, "Calling-Station-Id", numberB, "Acct-Session-Id", "r1", "Acct-Session-Time", "120"}, nas...)...)
				r.expect("its next Interim-Update", map[string]string{reused: tt.want})
			})
		}
	}
}

// An Interim-Update or Stop need not carry Calling-Station-Id (RFC 2866
// requires it in no packet; second field report, item 4): the session's
// number is the one its Start named, and its binding stays.
func TestRADIUSInterimWithoutCallingStationID(t *testing.T) {
	const ip = "39.36.2.5"
	for _, tt := range []struct {
		name   string
		start  string // the Start's Calling-Station-Id
		update []string
		want   string
	}{
		{"a registered session's update", numberA, []string{"Acct-Session-Time", "60"}, numberA},
		{"an update without Acct-Session-Time either", numberA, nil, numberA},
		{"an update with a second address", numberA, []string{"Framed-IP-Address", "39.36.2.6", "Acct-Session-Time", "60"}, numberA},
		{"an unregistered session's update binds nothing", unregistered, []string{"Acct-Session-Time", "60"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRADIUSRig(t, RADIUSOptions{})
			r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", tt.start, "Acct-Session-Id", "c1")
			r.clk.Add(time.Minute)
			r.send("Interim-Update", append([]string{"Framed-IP-Address", ip, "Acct-Session-Id", "c1"}, tt.update...)...)
			r.expect("after the update without Calling-Station-Id", map[string]string{ip: tt.want})
			if n := r.outcomes(outcomeReleased); n != 0 {
				t.Errorf("released = %d", n)
			}
			// Another session's packet without it names no number.
			r.send("Start", "Framed-IP-Address", "39.36.2.7", "Acct-Session-Id", "c2")
			r.expect("a Start without Calling-Station-Id", map[string]string{"39.36.2.7": ""})
			r.send("Stop", "Acct-Session-Id", "c1", "Acct-Session-Time", "60")
			r.expect("its Stop without Calling-Station-Id", map[string]string{ip: ""})
		})
	}
}

// A NAS restart record lasts the session timeout, not for good (second
// field report, item 5b): within it a packet of a session begun before
// the restart is ignored; after it, and an expiry, the record is gone
// and such a packet is taken as any session's whose records timed out.
func TestRADIUSRestartRecordExpires(t *testing.T) {
	const ip = "39.36.2.9"
	nas := []string{"NAS-IP-Address", "10.9.9.1"}
	r := newRADIUSRig(t, RADIUSOptions{SessionTimeout: 5 * time.Minute})
	r.send("Accounting-On", nas...)
	r.clk.Add(4 * time.Minute)
	r.fx.a.bindings.Expire()
	r.send("Interim-Update", append([]string{"Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "e1", "Acct-Session-Time", "600"}, nas...)...)
	r.expect("within the session timeout", map[string]string{ip: ""})
	if n := len(r.fx.a.bindings.State().Restarts); n != 1 {
		t.Errorf("%d restarts remembered within the timeout, want 1", n)
	}
	r.clk.Add(time.Minute + time.Second)
	r.fx.a.bindings.Expire()
	if n := len(r.fx.a.bindings.State().Restarts); n != 0 {
		t.Errorf("%d restarts remembered after the timeout, want 0", n)
	}
	r.send("Interim-Update", append([]string{"Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "e1", "Acct-Session-Time", "660"}, nas...)...)
	r.expect("after the session timeout", map[string]string{ip: numberA})
	// A later Accounting-On is remembered afresh, for its own timeout.
	r.send("Accounting-On", nas...)
	r.expect("after the second Accounting-On", map[string]string{ip: ""})
	if n := len(r.fx.a.bindings.State().Restarts); n != 1 {
		t.Errorf("%d restarts remembered after the second Accounting-On, want 1", n)
	}
}

// An IPv4-mapped IPv6 address or prefix is the IPv4 one (second field
// report, item 6), as the registry reads it: it binds the IPv4 address,
// answers IPv4 lookups, and a claim of the IPv4 address supersedes it.
func TestRADIUSMappedIPv6IsIPv4(t *testing.T) {
	for _, tt := range []struct {
		name, attr, value string
		probe             string // an address inside
		bound             string // the bound prefix
	}{
		{"Framed-IPv6-Address", "Framed-IPv6-Address", "::ffff:39.36.3.1", "39.36.3.1", "39.36.3.1/32"},
		{"Framed-IPv6-Prefix", "Framed-IPv6-Prefix", "::ffff:39.36.3.0/120", "39.36.3.77", "39.36.3.0/24"},
		{"Delegated-IPv6-Prefix", "Delegated-IPv6-Prefix", "::ffff:39.36.3.128/121", "39.36.3.200", "39.36.3.128/25"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRADIUSRig(t, RADIUSOptions{})
			r.send("Start", tt.attr, tt.value, "Calling-Station-Id", numberA, "Acct-Session-Id", "m1")
			r.expect("the mapped claim", map[string]string{tt.probe: numberA})
			if _, p, ok := r.fx.a.bindings.Lookup(netip.MustParseAddr(tt.probe)); !ok || p.String() != tt.bound {
				t.Errorf("bound prefix %v (%v), want %s", p, ok, tt.bound)
			}
			r.clk.Add(time.Second)
			r.send("Start", "Framed-IP-Address", tt.probe, "Calling-Station-Id", numberB, "Acct-Session-Id", "m2")
			r.expect("the IPv4 claim of a newer session", map[string]string{tt.probe: numberB})
			if n := r.outcomes(outcomeSuperseded); n != 1 {
				t.Errorf("superseded = %d, want 1", n)
			}
		})
	}
}

// A session that lost its address to a newer session remembers its own
// start (second field report, item 6): a later packet of it with a
// smaller Acct-Session-Time does not make it newer and win the address
// back, for as long as the session keeps sending.
func TestRADIUSLostSessionKeepsItsStart(t *testing.T) {
	const ip = "39.36.3.9"
	for _, tt := range []struct {
		name      string
		sendEvery time.Duration // the old session's updates after losing, until 10 minutes passed (0: none)
		want      string        // the holder after the old session's update with a small Acct-Session-Time
	}{
		{"at once", 0, numberB},
		{"while the session keeps sending past its first expiry", 4 * time.Minute, numberB},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRADIUSRig(t, RADIUSOptions{SessionTimeout: 5 * time.Minute})
			r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "o1")
			r.clk.Add(time.Minute)
			r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", numberB, "Acct-Session-Id", "n1")
			r.expect("the newer session's Start", map[string]string{ip: numberB})
			elapsed := time.Minute
			for tt.sendEvery > 0 && elapsed < 10*time.Minute {
				r.clk.Add(tt.sendEvery)
				elapsed += tt.sendEvery
				r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "o1", "Acct-Session-Time", strconv.Itoa(int(elapsed.Seconds())))
				r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberB, "Acct-Session-Id", "n1", "Acct-Session-Time", strconv.Itoa(int((elapsed - time.Minute).Seconds())))
				r.fx.a.bindings.Expire()
			}
			r.clk.Add(10 * time.Second)
			r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "o1", "Acct-Session-Time", "5")
			r.expect("the older session's update with a small Acct-Session-Time", map[string]string{ip: tt.want})
		})
	}
	t.Run("forgotten once the session went quiet for the timeout", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{SessionTimeout: 5 * time.Minute})
		r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "o1")
		r.clk.Add(time.Minute)
		r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", numberB, "Acct-Session-Id", "n1")
		r.clk.Add(5*time.Minute + time.Second)
		r.fx.a.bindings.Expire()
		if n := len(r.fx.a.bindings.lost); n != 0 {
			t.Errorf("%d lost starts remembered after the timeout", n)
		}
	})
}

// A session's unbound holder is not in the per-session index (second
// field report, item 5c: unregistered sessions kept compact) but still
// tells the session's start when the session claims the same address
// again: a session that first named no registered number and then does
// (without Acct-Session-Time) keeps its start, and an older session's
// packet does not take the address.
func TestRADIUSUnboundHolderKeepsStart(t *testing.T) {
	const ip = "39.36.3.11"
	for _, first := range []string{"unknown", unregistered} {
		t.Run(first, func(t *testing.T) {
			r := newRADIUSRig(t, RADIUSOptions{})
			r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", first, "Acct-Session-Id", "u1")
			r.clk.Add(time.Minute)
			r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberA, "Acct-Session-Id", "u1")
			r.expect("the session's update naming a registered number", map[string]string{ip: numberA})
			r.send("Interim-Update", "Framed-IP-Address", ip, "Calling-Station-Id", numberB, "Acct-Session-Id", "o1", "Acct-Session-Time", "120")
			r.expect("an older session's update", map[string]string{ip: numberA})
			if len(r.fx.a.bindings.bySession) != 1 {
				t.Errorf("%d sessions indexed, want the bound one", len(r.fx.a.bindings.bySession))
			}
		})
	}
}
