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
	return a.check(t, a.stale(), ip), nil
}

// check answers with a table and staleness read once per request, so a
// batch pays for them once.
func (a *Agent) check(t *Table, stale bool, ip netip.Addr) Answer {
	ans := Answer{IP: ip.Unmap(), Stale: stale}
	if stale && a.cfg.FailClosed {
		return ans
	}
	// An entry past its "until" drops out by itself, even when no newer
	// version arrives (the registry removes it too, once its expiry job runs).
	now := a.cfg.Now()
	if e, ok := t.Lookup(ip); ok && now.Before(e.Until) {
		ans.Allowed, ans.Entry = true, e
	} else if e, ok := a.bindings.Lookup(ip); ok && now.Before(e.Until) {
		ans.Allowed, ans.Entry = true, e
	}
	return ans
}

// appendString writes s as a JSON string. Feed values are plain ASCII
// (registration numbers, categories, prefixes), so the common case copies
// them as they are; anything else goes through strconv's escaping.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return strconv.AppendQuote(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSON writes the answer as a JSON object; hand-written because
// batch lookups spend most of their time here.
func (ans Answer) appendJSON(b []byte) []byte {
	b = append(b, `{"ip":"`...)
	b = ans.IP.AppendTo(b)
	if ans.Allowed {
		b = append(b, `","allowed":true,"registration":`...)
		b = appendString(b, ans.Entry.Reg)
		if ans.Entry.Prefix != "" {
			b = append(b, `,"prefix":`...)
			b = appendString(b, ans.Entry.Prefix)
		} else {
			b = append(b, `,"mobile_number":`...)
			b = appendString(b, ans.Entry.MSISDN)
		}
		b = append(b, `,"category":`...)
		b = appendString(b, ans.Entry.Cat)
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
