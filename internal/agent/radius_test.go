package agent

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/testbin"
)

// radclient sends one accounting request with Debian's radclient and
// reports whether the agent answered.
func radclient(t *testing.T, addr, secret string, attrs ...string) bool {
	t.Helper()
	cmd := exec.Command("radclient", "-r", "1", "-t", "1", addr, "acct", secret)
	cmd.Stdin = strings.NewReader(strings.Join(attrs, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(string(out), "Sent Accounting-Request") {
		t.Fatalf("radclient did not send: %v\n%s", err, out) // not a missing reply
	}
	if testing.Verbose() {
		t.Logf("radclient: %s", out)
	}
	return err == nil && strings.Contains(string(out), "Accounting-Response")
}

// clock is a test clock: session timeouts and expiries are reached by
// moving it, never by sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// The numbers of the RADIUS tests: A and B registered at the operator,
// unregistered one the issue's.
const (
	numberA      = "923001234567"
	numberB      = "923007654321"
	unregistered = "923339999999"
)

var (
	mobileA = feed.Entry{MSISDN: numberA, Reg: "VPN-2026-000009", Cat: "mobile_vpn", Until: until}
	mobileB = feed.Entry{MSISDN: numberB, Reg: "VPN-2026-000010", Cat: "mobile_vpn", Until: until}
)

// radiusRig is an agent following an operator feed with numbers A and B,
// with RADIUS accounting on a loopback port and a clock the test moves.
type radiusRig struct {
	t       *testing.T
	fx      *fixture
	clk     *clock
	addr    string
	timeout time.Duration
	stop    func()
}

func newRADIUSRig(t *testing.T, opts RADIUSOptions) *radiusRig {
	t.Helper()
	if _, err := exec.LookPath("radclient"); err != nil {
		testbin.SkipOrFail(t, "radclient is not installed (Debian: freeradius-utils)")
	}
	fx := newFixture(t)
	clk := &clock{t: time.Now().Truncate(time.Second)}
	fx.a.cfg.Now, fx.reg.now = clk.Now, clk.Now()
	fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24"), mobileA, mobileB}, nil)
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	r := &radiusRig{t: t, fx: fx, clk: clk}
	r.listen(opts)
	return r
}

func (r *radiusRig) listen(opts RADIUSOptions) {
	r.t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		r.t.Fatal(err)
	}
	if opts.Secret == nil {
		opts.Secret = []byte("s3cret")
	}
	if opts.SessionTimeout == 0 {
		opts.SessionTimeout = 15 * time.Minute
	}
	r.timeout = opts.SessionTimeout
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.fx.a.ListenRADIUS(ctx, pc, opts); close(done) }()
	r.stop = func() { cancel(); <-done }
	r.t.Cleanup(r.stop)
	r.addr = pc.LocalAddr().String()
}

// quoted are the string attributes, which radclient wants in quotes.
var quoted = map[string]bool{"Calling-Station-Id": true, "Acct-Session-Id": true, "NAS-Identifier": true}

// send sends an Accounting-Request of status with attributes given as
// name, value pairs, and fails the test unless the agent acknowledged it.
func (r *radiusRig) send(status string, kv ...string) {
	r.t.Helper()
	if !r.sendSecret("s3cret", status, kv...) {
		r.t.Fatalf("no Accounting-Response to %s %v", status, kv)
	}
}

func (r *radiusRig) sendSecret(secret, status string, kv ...string) bool {
	r.t.Helper()
	lines := []string{"Acct-Status-Type = " + status}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if quoted[kv[i]] {
			v = strconv.Quote(v)
		}
		lines = append(lines, kv[i]+" = "+v)
	}
	return radclient(r.t, r.addr, secret, lines...)
}

// holder returns the number whose binding allows ip ("" when ip is not allowed).
func (r *radiusRig) holder(ip string) string {
	r.t.Helper()
	ans, err := r.fx.a.Check(netip.MustParseAddr(ip))
	if err != nil {
		r.t.Fatal(err)
	}
	if ans.Allowed && ans.Entry.MSISDN == "" {
		r.t.Fatalf("%s is allowed by a prefix entry, not a binding", ip)
	}
	return ans.Entry.MSISDN
}

// expect fails the test unless each address is held as given ("" for not allowed).
func (r *radiusRig) expect(step string, want map[string]string) {
	r.t.Helper()
	for ip, number := range want {
		if got := r.holder(ip); got != number {
			r.t.Errorf("%s: %s is held by %q, want %q", step, ip, got, number)
		}
	}
}

func (r *radiusRig) outcomes(o string) int {
	return int(testutil.ToFloat64(r.fx.a.metrics.radius.WithLabelValues(o)))
}

// The examples (issue 11 §3) and their neighbours, each through
// radclient, as a NAS sends them.
func TestRADIUSAccounting(t *testing.T) {
	t.Run("start, interim, stop, timeout and the secret", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{SessionTimeout: 3 * time.Minute})
		r.send("Start", "Framed-IP-Address", "39.32.0.10", "Calling-Station-Id", "0300-1234567", "Acct-Session-Id", "sess1")
		r.expect("after Start", map[string]string{"39.32.0.10": numberA, "39.32.0.11": ""})
		if ans, _ := r.fx.a.Check(netip.MustParseAddr("39.32.0.10")); ans.Entry.Reg != "VPN-2026-000009" {
			t.Errorf("answer = %+v", ans)
		}
		// A wrong shared secret is not answered and binds nothing.
		if r.sendSecret("wrong", "Start", "Framed-IP-Address", "39.32.0.11", "Calling-Station-Id", "03001234567", "Acct-Session-Id", "sess9") {
			t.Error("a request with a wrong secret was answered")
		}
		r.expect("after a wrong secret", map[string]string{"39.32.0.11": ""})
		// Interim-Update renews: two thirds of the timeout twice outlive it
		// only through the renewal.
		r.clk.Add(2 * time.Minute)
		r.send("Interim-Update", "Framed-IP-Address", "39.32.0.10", "Calling-Station-Id", "03001234567", "Acct-Session-Id", "sess1", "Acct-Session-Time", "120")
		r.clk.Add(2 * time.Minute)
		r.fx.a.bindings.Expire()
		r.expect("after the renewal", map[string]string{"39.32.0.10": numberA})
		r.send("Stop", "Framed-IP-Address", "39.32.0.10", "Calling-Station-Id", "03001234567", "Acct-Session-Id", "sess1")
		r.expect("after Stop", map[string]string{"39.32.0.10": ""})
		// A session that goes quiet lapses, even before the expiry loop runs.
		r.send("Start", "Framed-IP-Address", "39.32.0.12", "Calling-Station-Id", "03001234567", "Acct-Session-Id", "sess2")
		r.clk.Add(3*time.Minute + time.Second)
		r.expect("after the timeout", map[string]string{"39.32.0.12": ""})
		if r.fx.a.bindings.Expire() != 1 || r.fx.a.bindings.Len() != 0 {
			t.Error("the quiet session's binding was not expired")
		}
	})

	t.Run("Accounting-On and Accounting-Off end the NAS's sessions", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{})
		// NAS 10.9.9.1 (NAS-IP-Address), NAS "bras-2" (NAS-Identifier
		// only, from 127.0.0.2), and a NAS that names itself not at all
		// (from 127.0.0.3): a NAS without NAS-IP-Address is its source
		// address, as FreeRADIUS takes it.
		nasA := []string{"NAS-IP-Address", "10.9.9.1"}
		nasB := []string{"NAS-Identifier", "bras-2", "Packet-Src-IP-Address", "127.0.0.2"}
		nasC := []string{"Packet-Src-IP-Address", "127.0.0.3"}
		start := func(nas []string, ip, number, session string) {
			r.send("Start", append([]string{"Framed-IP-Address", ip, "Calling-Station-Id", number, "Acct-Session-Id", session}, nas...)...)
		}
		for i, status := range []string{"Accounting-On", "Accounting-Off"} {
			r.clk.Add(time.Second)
			sfx := strconv.Itoa(i)
			start(nasA, "39.32.0.10", numberA, "a1"+sfx)
			start(nasA, "39.32.0.11", numberB, "a2"+sfx)
			start(nasB, "39.32.0.20", numberA, "b1"+sfx)
			start(nasC, "39.32.0.30", numberB, "c1"+sfx)
			r.expect("before "+status, map[string]string{"39.32.0.10": numberA, "39.32.0.11": numberB, "39.32.0.20": numberA, "39.32.0.30": numberB})
			r.send(status, nasA...)
			r.expect(status+" from 10.9.9.1", map[string]string{"39.32.0.10": "", "39.32.0.11": "", "39.32.0.20": numberA, "39.32.0.30": numberB})
			r.send(status, nasB...)
			r.expect(status+" from bras-2", map[string]string{"39.32.0.20": "", "39.32.0.30": numberB})
			r.send(status, nasC...) // from the source address
			r.expect(status+" from the source address", map[string]string{"39.32.0.30": ""})
		}
		// An Accounting-On delayed in the NAS's queue (Acct-Delay-Time)
		// ends only the sessions that began before the restart, as
		// FreeRADIUS's accounting_onoff_query does.
		start(nasA, "39.32.0.40", numberA, "a3")
		r.clk.Add(time.Minute)
		r.send("Accounting-On", append([]string{"Acct-Delay-Time", "120"}, nasA...)...)
		r.expect("a delayed Accounting-On", map[string]string{"39.32.0.40": numberA})
		// A NAS that sends both its address and its name in sessions but
		// only its address in Accounting-On (FreeRADIUS matches
		// NAS-IP-Address); another NAS of the same name at another address
		// is not restarted by the first's address; two NASes behind one
		// address are told apart by their names.
		both := []string{"NAS-IP-Address", "10.9.9.5", "NAS-Identifier", "bras-5"}
		start(both, "39.32.0.50", numberA, "e1")
		start([]string{"NAS-IP-Address", "10.9.9.6", "NAS-Identifier", "bras-5"}, "39.32.0.60", numberB, "f1")
		start([]string{"NAS-IP-Address", "10.9.9.5", "NAS-Identifier", "bras-7"}, "39.32.0.70", numberB, "g1")
		r.clk.Add(time.Second)
		r.send("Accounting-On", "NAS-IP-Address", "10.9.9.5", "NAS-Identifier", "bras-5")
		r.expect("Accounting-On from bras-5 at 10.9.9.5", map[string]string{"39.32.0.50": "", "39.32.0.60": numberB, "39.32.0.70": numberB})
		r.send("Accounting-Off", "NAS-IP-Address", "10.9.9.5")
		r.expect("Accounting-Off with the address only", map[string]string{"39.32.0.60": numberB, "39.32.0.70": ""})
		// A name alone is no address: it restarts the NAS of that name at
		// the packet's source, not another of the same name.
		r.send("Accounting-Off", "NAS-Identifier", "bras-5")
		r.expect("Accounting-Off with the name only, from elsewhere", map[string]string{"39.32.0.60": numberB})
		if n := r.outcomes(outcomeNASRestart); n != 10 {
			t.Errorf("nas_restart outcomes = %d, want 10", n)
		}
	})

	t.Run("an address belongs to its newest session", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{})
		own := func(step, ip, number string) {
			t.Helper()
			r.expect(step, map[string]string{ip: number})
		}
		// The example: the registered number's Start, then an
		// unregistered number's Start for the same address.
		r.send("Start", "Framed-IP-Address", "39.32.0.10", "Calling-Station-Id", numberA, "Acct-Session-Id", "reg1")
		own("registered Start", "39.32.0.10", numberA)
		r.send("Start", "Framed-IP-Address", "39.32.0.10", "Calling-Station-Id", unregistered, "Acct-Session-Id", "unreg1")
		own("unregistered Start", "39.32.0.10", "")
		if r.outcomes(outcomeSuperseded) != 1 {
			t.Errorf("superseded = %d", r.outcomes(outcomeSuperseded))
		}
		// Its Stop afterwards leaves a later binding alone; the old
		// session's Stop ends nothing either.
		r.send("Start", "Framed-IP-Address", "39.32.0.10", "Calling-Station-Id", numberB, "Acct-Session-Id", "reg2")
		own("another registered number's Start", "39.32.0.10", numberB)
		r.send("Stop", "Framed-IP-Address", "39.32.0.10", "Calling-Station-Id", numberA, "Acct-Session-Id", "reg1")
		r.send("Stop", "Framed-IP-Address", "39.32.0.10", "Calling-Station-Id", unregistered, "Acct-Session-Id", "unreg1")
		own("the older sessions' Stops", "39.32.0.10", numberB)
		// An Interim-Update claims as a Start does: unregistered, and a
		// Calling-Station-Id that is no number at all.
		r.send("Interim-Update", "Framed-IP-Address", "39.32.0.10", "Calling-Station-Id", unregistered, "Acct-Session-Id", "unreg2", "Acct-Session-Time", "0")
		own("unregistered Interim-Update", "39.32.0.10", "")
		r.send("Start", "Framed-IP-Address", "39.32.0.11", "Calling-Station-Id", numberA, "Acct-Session-Id", "reg3")
		r.send("Interim-Update", "Framed-IP-Address", "39.32.0.11", "Calling-Station-Id", "anonymous", "Acct-Session-Id", "anon1", "Acct-Session-Time", "0")
		own("unknown number's Interim-Update", "39.32.0.11", "")
		r.send("Start", "Framed-IP-Address", "39.32.0.12", "Calling-Station-Id", numberA, "Acct-Session-Id", "reg4")
		r.send("Start", "Framed-IP-Address", "39.32.0.12", "Acct-Session-Id", "nocsid")
		own("no Calling-Station-Id", "39.32.0.12", "")
		// A delayed update of an older session (it began 10 minutes ago,
		// before the holder) takes nothing back.
		r.send("Start", "Framed-IP-Address", "39.32.0.13", "Calling-Station-Id", numberA, "Acct-Session-Id", "new")
		r.send("Interim-Update", "Framed-IP-Address", "39.32.0.13", "Calling-Station-Id", numberB, "Acct-Session-Id", "old", "Acct-Session-Time", "600")
		own("a stale Interim-Update", "39.32.0.13", numberA)
		if r.outcomes(outcomeStale) != 1 {
			t.Errorf("stale = %d", r.outcomes(outcomeStale))
		}
		// Prefixes: an address inside a bound delegated prefix, claimed by
		// another session, ends the whole prefix's binding.
		r.send("Start", "Delegated-IPv6-Prefix", "2400:fc00:8100::/56", "Calling-Station-Id", numberA, "Acct-Session-Id", "v6a")
		own("delegated prefix", "2400:fc00:8100:12::1", numberA)
		r.send("Start", "Framed-IPv6-Address", "2400:fc00:8100:12::1", "Calling-Station-Id", numberB, "Acct-Session-Id", "v6b")
		r.expect("an address inside it", map[string]string{"2400:fc00:8100:12::1": numberB, "2400:fc00:8100:13::1": ""})
		// A prefix broader than a subscriber's claims nothing: an
		// unregistered session's ::/0 or 0.0.0.0/0 ends no binding.
		r.send("Start", "Framed-IP-Address", "39.32.0.15", "Calling-Station-Id", numberA, "Acct-Session-Id", "keep")
		r.send("Start", "Framed-IPv6-Prefix", "::/0", "Delegated-IPv6-Prefix", "2400::/12", "Calling-Station-Id", unregistered, "Acct-Session-Id", "wide")
		r.expect("an unregistered session's ::/0", map[string]string{"2400:fc00:8100:12::1": numberB, "39.32.0.15": numberA})
		r.send("Start", "Delegated-IPv6-Prefix", "2400:fc00::/40", "Calling-Station-Id", numberA, "Acct-Session-Id", "wide2")
		r.expect("a registered session's /40", map[string]string{"2400:fc00:8100:12::1": numberB, "2400:fc00:8200::1": ""})
		// The same Acct-Session-Id from another NAS is another session.
		r.send("Start", "Framed-IP-Address", "39.32.0.14", "Calling-Station-Id", numberA, "Acct-Session-Id", "dup", "NAS-IP-Address", "10.9.9.1")
		r.send("Stop", "Acct-Session-Id", "dup", "NAS-IP-Address", "10.9.9.2")
		own("the same session id from another NAS", "39.32.0.14", numberA)
	})

	t.Run("IPv6 addresses and prefixes bind as prefixes", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{})
		r.send("Start", "Calling-Station-Id", numberA, "Acct-Session-Id", "dual",
			"Framed-IP-Address", "39.32.0.10",
			"Framed-IPv6-Address", "2400:fc00:8000::2",
			"Framed-IPv6-Prefix", "2400:fc00:8000:1::/64",
			"Delegated-IPv6-Prefix", "2400:fc00:8100::/56")
		r.expect("after Start", map[string]string{
			"39.32.0.10":                    numberA,
			"2400:fc00:8000::2":             numberA,
			"2400:fc00:8000::3":             "",
			"2400:fc00:8000:1::1":           numberA,
			"2400:fc00:8000:1:ffff::9":      numberA,
			"2400:fc00:8000:2::1":           "",
			"2400:fc00:8100::":              numberA,
			"2400:fc00:8100:ff:1:2:3:4":     numberA,
			"2400:fc00:8101::1":             "",
			"::ffff:39.32.0.10":             numberA,
			"2400:fc00:8100:00ff::abcd:ef0": numberA,
		})
		if r.outcomes(outcomeBound) != 4 || r.fx.a.bindings.Len() != 4 {
			t.Errorf("bound = %d, bindings = %d; want 4", r.outcomes(outcomeBound), r.fx.a.bindings.Len())
		}
		r.send("Stop", "Calling-Station-Id", numberA, "Acct-Session-Id", "dual")
		if r.fx.a.bindings.Len() != 0 {
			t.Errorf("Stop left %v", r.fx.a.bindings.All())
		}
		// An address inside a prefix of the same claim is bound by the prefix.
		r.send("Start", "Calling-Station-Id", numberA, "Acct-Session-Id", "nested",
			"Framed-IPv6-Prefix", "2400:fc00:8000:1::/64", "Framed-IPv6-Address", "2400:fc00:8000:1::5")
		if got := r.fx.a.bindings.Prefixes(); len(got) != 1 || got[0] != netip.MustParsePrefix("2400:fc00:8000:1::/64") {
			t.Errorf("nested claim bound %v", got)
		}
	})

	t.Run("a number that leaves the feed loses its bindings at once", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{})
		r.send("Start", "Framed-IP-Address", "39.32.0.10", "Delegated-IPv6-Prefix", "2400:fc00:8100::/56", "Calling-Station-Id", numberA, "Acct-Session-Id", "a")
		r.send("Start", "Framed-IP-Address", "39.32.0.11", "Calling-Station-Id", numberB, "Acct-Session-Id", "b")
		// Version 2 removes number A (surrendered, revoked or expired at the registry).
		r.fx.reg.publish(t, "s1", 2, []feed.Entry{entry("14.1.104.0/24"), mobileB}, map[int64][]feed.Op{2: {{Op: "remove", Entry: mobileA}}})
		if err := r.fx.sync(); err != nil {
			t.Fatal(err)
		}
		r.expect("after a delta without A", map[string]string{"39.32.0.10": "", "2400:fc00:8100::1": "", "39.32.0.11": numberB})
		if r.fx.a.bindings.Len() != 1 || r.outcomes(outcomeFeedWithdrawal) != 2 {
			t.Errorf("bindings = %v, feed_withdrawal = %d", r.fx.a.bindings.All(), r.outcomes(outcomeFeedWithdrawal))
		}
		// A's next Interim-Update binds nothing.
		r.send("Interim-Update", "Framed-IP-Address", "39.32.0.10", "Calling-Station-Id", numberA, "Acct-Session-Id", "a")
		r.expect("A's Interim-Update", map[string]string{"39.32.0.10": ""})
		// A new session's snapshot without B (a registry restored from a backup).
		r.fx.reg.publish(t, "s2", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
		if err := r.fx.sync(); err != nil {
			t.Fatal(err)
		}
		r.expect("after a snapshot without B", map[string]string{"39.32.0.11": ""})
	})

	t.Run("Stop without Acct-Session-Id matches nothing", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{})
		r.send("Start", "Framed-IP-Address", "39.32.0.10", "Calling-Station-Id", numberA, "Acct-Session-Id", "a")
		r.send("Start", "Framed-IP-Address", "39.32.0.11", "Calling-Station-Id", numberB, "Acct-Session-Id", "b")
		// The example: another number's Stop for the address, without a session id.
		r.send("Stop", "Framed-IP-Address", "39.32.0.10", "Calling-Station-Id", numberB)
		r.send("Stop", "Framed-IP-Address", "39.32.0.11")
		r.send("Stop")
		r.expect("after Stops without Acct-Session-Id", map[string]string{"39.32.0.10": numberA, "39.32.0.11": numberB})
		// A zero-length Acct-Session-Id (radclient omits one; a NAS may send it).
		p := radius.New(radius.CodeAccountingRequest, []byte("s3cret"))
		rfc2866.AcctStatusType_Set(p, rfc2866.AcctStatusType_Value_Stop)
		p.Add(rfc2866.AcctSessionID_Type, radius.Attribute{})
		rfc2865.FramedIPAddress_Set(p, net.ParseIP("39.32.0.10"))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := radius.Exchange(ctx, p, r.addr); err != nil {
			t.Fatal(err)
		}
		r.expect("after a Stop with an empty Acct-Session-Id", map[string]string{"39.32.0.10": numberA})
		if n := r.outcomes(outcomeNoSession); n != 4 {
			t.Errorf("no_session = %d, want 4", n)
		}
		// A Start without one binds nothing (it could never be stopped),
		// but the address is no longer the previous session's.
		r.send("Start", "Framed-IP-Address", "39.32.0.12", "Calling-Station-Id", numberA)
		r.send("Start", "Framed-IP-Address", "39.32.0.11", "Calling-Station-Id", numberA)
		r.expect("Starts without Acct-Session-Id", map[string]string{"39.32.0.12": "", "39.32.0.11": ""})
		// The right Stop still works.
		r.send("Stop", "Acct-Session-Id", "a")
		r.expect("the right Stop", map[string]string{"39.32.0.10": ""})
		if r.outcomes(outcomeStopped) != 1 {
			t.Errorf("stopped = %d", r.outcomes(outcomeStopped))
		}
	})

	t.Run("bound addresses lie in accepted space", func(t *testing.T) {
		space, err := NewBindSpace([]netip.Prefix{netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("2400:fc00:9000::/36")})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name  string
			space *BindSpace
			attr  string
			value string
			probe string
			bound bool
		}{
			{"the issue's 8.8.8.8", nil, "Framed-IP-Address", "8.8.8.8", "8.8.8.8", false},
			{"Pakistan's space", nil, "Framed-IP-Address", "39.32.0.10", "39.32.0.10", true},
			{"private space", nil, "Framed-IP-Address", "10.1.2.3", "10.1.2.3", false},
			{"carrier-grade NAT by default", nil, "Framed-IP-Address", "100.64.9.7", "100.64.9.7", false},
			{"carrier-grade NAT in the operator's pool", space, "Framed-IP-Address", "100.64.9.7", "100.64.9.7", true},
			{"outside the pool", space, "Framed-IP-Address", "100.128.0.1", "100.128.0.1", false},
			{"still Pakistan with a pool", space, "Framed-IP-Address", "39.32.0.10", "39.32.0.10", true},
			{"loopback", space, "Framed-IP-Address", "127.0.0.1", "127.0.0.1", false},
			{"documentation IPv6", nil, "Framed-IPv6-Address", "2001:db8::1", "2001:db8::1", false},
			{"foreign IPv6", nil, "Framed-IPv6-Prefix", "2a00:1450:4001::/64", "2a00:1450:4001::1", false},
			{"Pakistan's IPv6", nil, "Framed-IPv6-Prefix", "2400:fc00:8000:1::/64", "2400:fc00:8000:1::1", true},
			{"delegated prefix broader than /48", nil, "Delegated-IPv6-Prefix", "2400:fc00::/32", "2400:fc00:1::1", false},
			{"delegated /48", nil, "Delegated-IPv6-Prefix", "2400:fc00:8000::/48", "2400:fc00:8000:ff::1", true},
			{"unique local", nil, "Framed-IPv6-Prefix", "fd00:1::/64", "fd00:1::1", false},
			{"IPv6 pool", space, "Framed-IPv6-Prefix", "2400:fc00:9001::/64", "2400:fc00:9001::1", true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := newRADIUSRig(t, RADIUSOptions{Space: tt.space})
				r.send("Start", tt.attr, tt.value, "Calling-Station-Id", numberA, "Acct-Session-Id", "s")
				want := ""
				if tt.bound {
					want = numberA
				}
				r.expect(tt.value, map[string]string{tt.probe: want})
				if refused := r.outcomes(outcomeRefused); refused != boolInt(!tt.bound) {
					t.Errorf("refused_address = %d", refused)
				}
			})
		}
	})

	t.Run("Calling-Station-Id as NAS equipment sends it", func(t *testing.T) {
		r := newRADIUSRig(t, RADIUSOptions{})
		for i, tt := range callingStationIDs {
			ip := netip.AddrFrom4([4]byte{39, 32, 1, byte(i)}).String()
			r.send("Start", "Framed-IP-Address", ip, "Calling-Station-Id", tt.value, "Acct-Session-Id", "s"+strconv.Itoa(i))
			r.expect(tt.value, map[string]string{ip: tt.want})
		}
	})
}

// callingStationIDs are Calling-Station-Id values and the registered
// number each names ("" for none).
var callingStationIDs = []struct {
	value, want string
}{
	{value: "923001234567", want: numberA},   // 3GPP TS 29.061: international, no "+"
	{value: "+923001234567", want: numberA},  // E.164
	{value: "03001234567", want: numberA},    // national
	{value: "0300-1234567", want: numberA},   // as written
	{value: "00923001234567", want: numberA}, // international prefix
	{value: "tel:+923001234567", want: numberA},
	{value: "TEL:+923001234567", want: numberA},
	{value: "tel:+92-300-1234567;phone-context=+92", want: numberA},
	{value: " tel:+923007654321 ", want: numberB},
	{value: "+92 (0)300 1234567", want: numberA},
	{value: "tel:+92.300.1234567", want: numberA},
	{value: "tel:+923339999999", want: ""},    // not registered
	{value: "tel:+14155550100", want: ""},     // not Pakistani
	{value: "sip:+923001234567", want: ""},    // not a tel: URI
	{value: "+92300123456", want: ""},         // a digit short
	{value: "tel:", want: ""},                 // nothing
	{value: "9230012345678", want: ""},        // a digit long
	{value: "02134567890", want: ""},          // a landline
	{value: "tel:+923001234567x", want: ""},   // trailing junk
	{value: "tel;+923001234567", want: ""},    // not a scheme
	{value: "tel:;+923001234567", want: ""},   // the number in a parameter
	{value: "00:11:22:33:44:55", want: ""},    // a MAC address, as Wi-Fi NAS send
	{value: "+92 300 1234567", want: numberA}, // spaces
}

// CallingNumber strips what only RADIUS adds and leaves the rest to the
// registry's one normaliser.
func TestCallingNumber(t *testing.T) {
	for _, tt := range callingStationIDs {
		got, err := CallingNumber(tt.value)
		switch {
		case tt.want == "" && (err == nil && (got == numberA || got == numberB)):
			t.Errorf("CallingNumber(%q) = %q; want no registered number", tt.value, got)
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("CallingNumber(%q) = %q, %v; want %s", tt.value, got, err, tt.want)
		}
	}
}

// Bindings persist in the state directory and those still live come back
// after a restart: no address waits for its next Interim-Update.
func TestRADIUSBindingsPersist(t *testing.T) {
	r := newRADIUSRig(t, RADIUSOptions{SessionTimeout: 10 * time.Minute})
	a := r.fx.a
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.runBindingsPersist(ctx, time.Minute); close(done) }()
	a.persistNow() // the verified table, as runPersist writes it
	r.send("Start", "Framed-IP-Address", "39.32.0.10", "Delegated-IPv6-Prefix", "2400:fc00:8100::/56", "Calling-Station-Id", numberA, "Acct-Session-Id", "a")
	r.send("Start", "Framed-IP-Address", "39.32.0.11", "Calling-Station-Id", numberB, "Acct-Session-Id", "b")
	r.clk.Add(6 * time.Minute)
	r.send("Interim-Update", "Framed-IP-Address", "39.32.0.10", "Delegated-IPv6-Prefix", "2400:fc00:8100::/56", "Calling-Station-Id", numberA, "Acct-Session-Id", "a", "Acct-Session-Time", "360")
	r.send("Start", "Framed-IP-Address", "39.32.0.12", "Calling-Station-Id", numberB, "Acct-Session-Id", "c", "NAS-Identifier", "bras-2")
	r.stop()
	cancel()
	<-done // the last write, on the way out
	b, err := os.ReadFile(filepath.Join(a.cfg.StateDir, bindingsFile))
	if err != nil || !strings.Contains(string(b), `"prefix":"2400:fc00:8100::/56"`) || strings.Contains(string(b), "s3cret") {
		t.Fatalf("%s = %s, %v", bindingsFile, b, err)
	}

	restart := func(t *testing.T, after time.Duration) *Agent {
		b := New(Config{Registry: a.cfg.Registry, TrustKeys: a.cfg.TrustKeys, StateDir: a.cfg.StateDir, MaxAge: 24 * time.Hour,
			Now: func() time.Time { return r.clk.Now().Add(after) }})
		if err := b.Load(); err != nil {
			t.Fatal(err)
		}
		if _, err := b.RestoreBindings(RADIUSOptions{SessionTimeout: 10 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		return b
	}
	held := func(b *Agent, ip string) string {
		ans, _ := b.Check(netip.MustParseAddr(ip))
		return ans.Entry.MSISDN
	}
	// At once: all of them, with their NAS and session, so that a Stop
	// after the restart still ends them.
	b1 := restart(t, 0)
	for ip, want := range map[string]string{"39.32.0.10": numberA, "2400:fc00:8100::1": numberA, "39.32.0.11": numberB, "39.32.0.12": numberB} {
		if got := held(b1, ip); got != want {
			t.Errorf("restored at once: %s held by %q, want %q", ip, got, want)
		}
	}
	if got, _ := b1.bindings.Stop(NAS{Addr: "127.0.0.1", Identifier: "bras-2"}, "c", r.clk.Now(), r.clk.Now().Add(time.Hour)); got != 1 {
		t.Errorf("a Stop after the restart ended %d bindings", got)
	}
	// Five minutes later: b's binding (not renewed since its Start 6
	// minutes before the shutdown) had lapsed; a's was renewed.
	b2 := restart(t, 5*time.Minute)
	for ip, want := range map[string]string{"39.32.0.10": numberA, "2400:fc00:8100::1": numberA, "39.32.0.11": ""} {
		if got := held(b2, ip); got != want {
			t.Errorf("restored after 5 minutes: %s held by %q, want %q", ip, got, want)
		}
	}
	if b2.bindings.Len() != 3 {
		t.Errorf("restored %v", b2.bindings.All())
	}
	// Numbers the restored table no longer holds are not restored.
	r.fx.reg.publish(t, "s1", 2, []feed.Entry{entry("14.1.104.0/24"), mobileB}, map[int64][]feed.Op{2: {{Op: "remove", Entry: mobileA}}})
	if err := r.fx.sync(); err != nil {
		t.Fatal(err)
	}
	a.persistNow()
	b3 := restart(t, 0)
	if got := held(b3, "39.32.0.10"); got != "" || b3.bindings.Len() != 2 {
		t.Errorf("a number gone from the table: %q; bindings %v", got, b3.bindings.All())
	}
	// A damaged file: TestRADIUSBindingsCorrupt.
}

// Bindings stay disjoint whatever the order of claims, and lookups answer
// every address inside a bound prefix.
func TestBindingsDisjoint(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	b := newBindings(func() time.Time { return now })
	claim := func(number, session string, start time.Time, ps ...string) ClaimResult {
		c := Claim{Number: number, NAS: NAS{Addr: "10.9.9.1"}, Session: session, Start: start, Timed: true, Expires: now.Add(time.Hour)}
		for _, p := range ps {
			c.Prefixes, c.Bind = append(c.Prefixes, netip.MustParsePrefix(p)), append(c.Bind, number != "")
		}
		return b.Claim(c)
	}
	claim(numberA, "a", now, "2400:fc00:8000:100::/56")
	claim(numberB, "b", now.Add(time.Second), "2400:fc00:8000:1ff::/64") // inside a's
	claim(numberA, "c", now.Add(2*time.Second), "2400:fc00:8000:100::1/128", "2400:fc00:8000:101::/64")
	// c claims addresses in a's former /56, beside b's /64: nothing of b's ends.
	r := claim(numberB, "d", now.Add(3*time.Second), "2400:fc00:8000::/48") // covers everything
	if r.Ended != 3 || b.Len() != 1 {
		t.Errorf("a /48 over three bindings ended %d; %v", r.Ended, b.All())
	}
	if r := claim(numberA, "e", now.Add(time.Second), "2400:fc00:8000:5::/64"); r.Stale != 1 || b.Len() != 1 {
		t.Errorf("an older session's claim inside a newer one's prefix: %+v", r)
	}
	if n, _, ok := b.Lookup(netip.MustParseAddr("2400:fc00:8000:ffff::1")); !ok || n != numberB {
		t.Errorf("lookup inside the /48 = %q, %v", n, ok)
	}
	ps := b.Prefixes()
	sort.Slice(ps, func(i, j int) bool { return ps[i].Addr().Less(ps[j].Addr()) })
	for i := 1; i < len(ps); i++ {
		if ps[i-1].Overlaps(ps[i]) {
			t.Errorf("overlapping bindings %s and %s", ps[i-1], ps[i])
		}
	}
}

func TestParseAllowPrefixes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pools")
	os.WriteFile(file, []byte("# CGNAT\n100.64.0.0/10\n2400:fc00:9000::/36 # IPv6 pool\n"), 0o600)
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("100.64.0.0/10\nnot-a-prefix\n"), 0o600)
	for _, tt := range []struct {
		value string
		n     int
		err   string
	}{
		{"", 0, ""},
		{"100.64.0.0/10", 1, ""},
		{"100.64.0.0/10, 2400:fc00:9000::/36", 2, ""},
		{file, 2, ""},
		{bad, 0, "line 2"},
		{"100.64.0.1/10", 0, "host bits"},
		{"/nonexistent/pools", 0, "nor a readable file"},
	} {
		ps, err := ParseAllowPrefixes(tt.value)
		if tt.err == "" && (err != nil || len(ps) != tt.n) || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ParseAllowPrefixes(%q) = %v, %v; want %d prefixes or %q", tt.value, ps, err, tt.n, tt.err)
		}
	}
	for _, p := range []string{"127.0.0.0/8", "0.0.0.0/0", "224.0.0.0/4", "fe80::/64", "::/0"} {
		if _, err := NewBindSpace([]netip.Prefix{netip.MustParsePrefix(p)}); err == nil || !strings.Contains(err.Error(), "no subscriber") {
			t.Errorf("pool %s: %v", p, err)
		}
	}
}
