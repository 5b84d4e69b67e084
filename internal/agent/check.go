package agent

import (
	"errors"
	"net/netip"
	"strconv"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
)

// ErrNotReady means no verified sync has happened yet: the agent does not
// enforce anything it has not verified.
var ErrNotReady = errors.New("no verified allowlist yet: the agent has not completed its first sync")

// Answer is the lookup result for one address.
type Answer struct {
	IP      netip.Addr
	Allowed bool
	Stale   bool // data older than --max-age (with fail-closed, Allowed is then false)
	Entry   feed.Entry
}

// Check answers whether a is registered: in the table, or bound to a
// registered mobile number.
func (a *Agent) Check(ip netip.Addr) (Answer, error) {
	t := a.table.Load()
	if t == nil {
		return Answer{}, ErrNotReady
	}
	ans := Answer{IP: ip.Unmap(), Stale: a.stale()}
	if ans.Stale && a.cfg.FailClosed {
		return ans, nil
	}
	if e, ok := t.Lookup(ip); ok {
		ans.Allowed, ans.Entry = true, e
	} else if e, ok := a.bindings.Lookup(ip); ok {
		ans.Allowed, ans.Entry = true, e
	}
	return ans, nil
}

// appendJSON writes the answer as a JSON object; hand-written because
// batch lookups spend most of their time here.
func (ans Answer) appendJSON(b []byte) []byte {
	b = append(b, `{"ip":"`...)
	b = ans.IP.AppendTo(b)
	if ans.Allowed {
		b = append(b, `","allowed":true,"registration":`...)
		b = strconv.AppendQuote(b, ans.Entry.Reg)
		if ans.Entry.Prefix != "" {
			b = append(b, `,"prefix":`...)
			b = strconv.AppendQuote(b, ans.Entry.Prefix)
		} else {
			b = append(b, `,"mobile_number":`...)
			b = strconv.AppendQuote(b, ans.Entry.MSISDN)
		}
		b = append(b, `,"category":`...)
		b = strconv.AppendQuote(b, ans.Entry.Cat)
		b = append(b, `,"until":"`...)
		b = ans.Entry.Until.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, '"')
	} else {
		b = append(b, `","allowed":false`...)
	}
	if ans.Stale {
		b = append(b, `,"stale":true`...)
	}
	return append(b, '}')
}
