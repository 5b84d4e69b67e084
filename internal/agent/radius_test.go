package agent

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

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

func TestRADIUS(t *testing.T) {
	if _, err := exec.LookPath("radclient"); err != nil {
		testbin.SkipOrFail(t, "radclient is not installed (Debian: freeradius-utils)")
	}
	fx := newFixture(t)
	fx.a.cfg.Now = time.Now
	fx.reg.now = time.Now()
	mob := feed.Entry{MSISDN: "923001234567", Reg: "VPN-2026-000009", Cat: "mobile_vpn", Until: time.Now().AddDate(1, 0, 0)}
	fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24"), mob}, nil)
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go fx.a.ListenRADIUS(ctx, pc, []byte("s3cret"), 3*time.Second)
	addr := pc.LocalAddr().String()
	var events []string
	var evMu sync.Mutex
	fx.a.bindings.SetOnChange(func(a netip.Addr, bound bool) {
		evMu.Lock()
		events = append(events, fmt.Sprintf("%s %v", a, bound))
		evMu.Unlock()
	})
	allowed := func(ip string) bool {
		ans, _ := fx.a.Check(netip.MustParseAddr(ip))
		return ans.Allowed
	}
	acct := func(secret, status, ip, calling, session string) bool {
		return radclient(t, addr, secret, "Acct-Status-Type = "+status, "Framed-IP-Address = "+ip,
			fmt.Sprintf("Calling-Station-Id = %q", calling), fmt.Sprintf("Acct-Session-Id = %q", session))
	}
	if !acct("s3cret", "Start", "100.64.9.7", "0300-1234567", "sess1") {
		t.Fatal("no Accounting-Response to a Start")
	}
	if !allowed("100.64.9.7") {
		t.Fatal("a registered number's address is not allowed after Start")
	}
	if ans, _ := fx.a.Check(netip.MustParseAddr("100.64.9.7")); ans.Entry.Reg != "VPN-2026-000009" || ans.Entry.MSISDN != "923001234567" {
		t.Errorf("answer = %+v", ans)
	}
	// Unknown numbers are ignored (but acknowledged).
	if !acct("s3cret", "Start", "100.64.9.8", "+923331111111", "sess2") || allowed("100.64.9.8") {
		t.Error("an unregistered number got bound")
	}
	// A wrong shared secret is not answered and binds nothing.
	if acct("wrong", "Start", "100.64.9.9", "03001234567", "sess3") || allowed("100.64.9.9") {
		t.Error("a request with a wrong secret was accepted")
	}
	// Interim-Update renews; Stop removes.
	// Interim-Update renews: 1.8 s + 1.8 s outlives the 3 s timeout only
	// if the update renewed the binding (1.2 s of margin either way).
	time.Sleep(1800 * time.Millisecond)
	acct("s3cret", "Interim-Update", "100.64.9.7", "03001234567", "sess1")
	time.Sleep(1800 * time.Millisecond)
	if !allowed("100.64.9.7") {
		t.Fatal("the interim update did not renew the binding")
	}
	acct("s3cret", "Stop", "100.64.9.7", "03001234567", "sess1")
	if allowed("100.64.9.7") {
		t.Fatal("still allowed after Stop")
	}
	// A session that goes quiet times out.
	acct("s3cret", "Start", "100.64.9.10", "03001234567", "sess4")
	time.Sleep(3500 * time.Millisecond)
	fx.a.bindings.Expire() // as the expiry loop does
	if allowed("100.64.9.10") {
		t.Fatal("a silent session did not time out")
	}
	// The kernel mirror must end as the bindings did: each address bound
	// first and unbound last (a slow machine may add an expiry and a
	// re-bind in between, which the kernel set follows too).
	evMu.Lock()
	defer evMu.Unlock()
	for _, ip := range []string{"100.64.9.7", "100.64.9.10"} {
		var seq []string
		for _, e := range events {
			if strings.HasPrefix(e, ip+" ") {
				seq = append(seq, strings.TrimPrefix(e, ip+" "))
			}
		}
		if len(seq) < 2 || seq[0] != "true" || seq[len(seq)-1] != "false" {
			t.Errorf("binding changes for %s = %v; want bound first and unbound last", ip, seq)
		}
	}
}
