package agent

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
)

// The Accounting-Response carries the request's Proxy-State attributes,
// in their order (field report item 10; RFC 2865 §5.33), and is signed.
func TestRADIUSProxyState(t *testing.T) {
	r := newRADIUSRig(t, RADIUSOptions{})
	c := nasSocket(t, "127.0.0.2", r.addr)
	for _, states := range [][]string{nil, {"hop1"}, {"hop1", "\x00\x01binary"}} {
		p := radius.New(radius.CodeAccountingRequest, []byte("s3cret"))
		p.Identifier = byte(len(states))
		rfc2865.FramedIPAddress_Set(p, []byte{39, 32, 0, 10})
		for _, s := range states {
			rfc2865.ProxyState_Add(p, []byte(s))
		}
		b := acctRequest(t, "s3cret", byte(len(states)), func(q *radius.Packet) { q.Attributes = append(q.Attributes, p.Attributes...) })
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		raw := make([]byte, radius.MaxPacketLength)
		n, err := c.Read(raw)
		if err != nil {
			t.Fatalf("no answer with Proxy-State %q: %v", states, err)
		}
		raw = raw[:n]
		if !radius.IsAuthenticResponse(raw, b, []byte("s3cret")) {
			t.Error("the answer's Response Authenticator does not verify")
		}
		ans, err := radius.Parse(raw, []byte("s3cret"))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, avp := range ans.Attributes {
			if avp.Type == rfc2865.ProxyState_Type {
				got = append(got, string(avp.Attribute))
			}
		}
		if !slices.Equal(got, states) {
			t.Errorf("Proxy-State %q answered as %q", states, got)
		}
	}
}

// /v1/check answers a bound address with the bound prefix and the number
// (field report item 10; the README's answer shape).
func TestRADIUSCheckAnswerPrefix(t *testing.T) {
	r := newRADIUSRig(t, RADIUSOptions{})
	r.send("Start", "Framed-IP-Address", "39.32.0.10", "Delegated-IPv6-Prefix", "2400:fc00:8100::/56", "Calling-Station-Id", numberA, "Acct-Session-Id", "p")
	srv := httptest.NewServer(r.fx.a.Handler())
	defer srv.Close()
	for ip, prefix := range map[string]string{"39.32.0.10": "39.32.0.10/32", "2400:fc00:8100:12::1": "2400:fc00:8100::/56"} {
		res, err := srv.Client().Get(srv.URL + "/v1/check?ip=" + ip)
		if err != nil {
			t.Fatal(err)
		}
		var ans map[string]any
		json.NewDecoder(res.Body).Decode(&ans)
		res.Body.Close()
		if ans["allowed"] != true || ans["prefix"] != prefix || ans["mobile_number"] != numberA || ans["registration"] != mobileA.Reg {
			t.Errorf("%s: %v; want prefix %s and number %s", ip, ans, prefix, numberA)
		}
	}
}
