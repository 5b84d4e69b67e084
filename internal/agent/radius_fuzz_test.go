package agent

import (
	"net"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"

	"github.com/ipreg/ipreg/internal/feed"
)

// responseRecorder is a radius.ResponseWriter that keeps the answer.
type responseRecorder struct{ got *radius.Packet }

func (r *responseRecorder) Write(p *radius.Packet) error { r.got = p; return nil }

// FuzzRADIUS sends the accounting handler any packet that parses: no
// panic; every Accounting-Request is acknowledged with its Proxy-State
// attributes in order; and nothing binds an address to a number the feed
// does not register (only A and B are).
func FuzzRADIUS(f *testing.F) {
	secret := []byte("s3cret")
	for _, status := range []rfc2866.AcctStatusType{rfc2866.AcctStatusType_Value_Start, rfc2866.AcctStatusType_Value_Stop, rfc2866.AcctStatusType_Value_InterimUpdate} {
		for _, number := range []string{"+92 300 1234567", unregistered, "0300-7654321", "x"} {
			p := radius.New(radius.CodeAccountingRequest, secret)
			rfc2866.AcctStatusType_Set(p, status)
			rfc2865.CallingStationID_SetString(p, number)
			rfc2866.AcctSessionID_SetString(p, "sess-1")
			rfc2865.FramedIPAddress_Set(p, net.IPv4(10, 1, 2, 3))
			rfc2865.ProxyState_Add(p, []byte("proxy-1"))
			b, err := p.Encode()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := radius.Parse(b, secret)
		if err != nil {
			return // the library's refusal, before the handler
		}
		fx := newFixture(t)
		fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24"), mobileA, mobileB}, nil)
		if err := fx.sync(); err != nil {
			t.Fatal(err)
		}
		space, _ := NewBindSpace(nil)
		h := &RADIUS{Agent: fx.a, RADIUSOptions: RADIUSOptions{Secret: secret, SessionTimeout: 15 * time.Minute, Space: space}}
		w := &responseRecorder{}
		h.ServeRADIUS(w, &radius.Request{Packet: p, RemoteAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1813}})
		if p.Code != radius.CodeAccountingRequest {
			return
		}
		if w.got == nil || w.got.Code != radius.CodeAccountingResponse {
			t.Fatalf("an Accounting-Request was not acknowledged: %+v", w.got)
		}
		want, _ := rfc2865.ProxyState_Gets(p)
		got, _ := rfc2865.ProxyState_Gets(w.got)
		if len(want) != len(got) {
			t.Fatalf("Proxy-State: %q answered %q", want, got)
		}
		for i := range want {
			if string(want[i]) != string(got[i]) {
				t.Fatalf("Proxy-State: %q answered %q", want, got)
			}
		}
		for _, bd := range fx.a.bindings.All() {
			if bd.Number != "" && bd.Number != numberA && bd.Number != numberB {
				t.Fatalf("%s bound to %s, which the feed does not register", bd.Prefix, bd.Number)
			}
		}
	})
}
