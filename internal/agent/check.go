package agent

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/ipreg/ipreg/internal/feed"
)

// ErrNotReady means no verified sync has happened yet: the agent does not
// enforce anything it has not verified.
var ErrNotReady = errors.New("no verified allowlist yet: the agent has not completed its first sync")

// ParseCheckAddr reads an address asked about in /v1/check. IPv6 zones
// ("fe80::1%eth0") are refused, as the registry refuses them in
// registrations (netpolicy.ParsePrefix): a zone names an interface on one
// host, so an address with one is not an address the allowlist can hold,
// and answering for the address without it would answer another question.
func ParseCheckAddr(s string) (netip.Addr, error) {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		return netip.Addr{}, fmt.Errorf("%s has an IPv6 zone (%s); a zone names an interface on one host: ask without the %%zone", quoteShort(s), quoteShort(s[i:]))
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s is not an IP address", quoteShort(s))
	}
	return ip, nil
}

// quoteShort quotes s for a message, cut to a readable length, so that
// hostile input is never echoed back at length.
func quoteShort(s string) string {
	const max = 60
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// Answer is the lookup result for one address.
type Answer struct {
	IP      netip.Addr
	Allowed bool
	Stale   bool // data older than --max-age (with fail-closed, Allowed is then false)
	Entry   feed.Entry
	plain   bool // Entry's strings need no escaping (known for table entries)
}

// Check answers whether a is registered: in the table, or bound to a
// registered mobile number.
func (a *Agent) Check(ip netip.Addr) (Answer, error) {
	t := a.table.Load()
	if t == nil {
		return Answer{}, ErrNotReady
	}
	return a.answer(t, a.stale(), a.cfg.Now(), ip, t.lookup(ip)), nil
}

// answer makes the answer for ip from its table value v (-1: not in the
// table), with the staleness and time read once per request, so that a
// batch pays for them once.
func (a *Agent) answer(t *Table, stale bool, now time.Time, ip netip.Addr, v int) Answer {
	ans := Answer{IP: ip.Unmap(), Stale: stale}
	if stale && a.cfg.FailClosed {
		return ans
	}
	// An entry past its "until" drops out by itself, even when no newer
	// version arrives (the registry removes it too, once its expiry job runs).
	if v >= 0 && t.es.allowedAt(uint32(v), now) {
		ans.Allowed, ans.Entry, ans.plain = true, t.entry(uint32(v)), t.es.plain(uint32(v))
		return ans
	}
	// A bound address answers for its number's current entry, so that a
	// number that left the feed or expired is not allowed even before its
	// bindings end (see followTable).
	if number, bound, ok := a.bindings.Lookup(ip); ok {
		if st := a.state.Load(); st != nil {
			if e, ok := st.mobile[number]; ok && now.Before(e.Until) {
				// "prefix" is the bound prefix (the feed entry of a
				// number has none).
				ans.Allowed, ans.Entry = true, e
				ans.Entry.Prefix = bound.String()
			}
		}
	}
	return ans
}

// jsonPlain reports whether s can be written into JSON as it is: ASCII
// from space on, without quotes or backslashes, as feed values are
// (registration numbers, categories, prefixes). Eight bytes at a time,
// because Build asks it of every entry.
func jsonPlain(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	hasZero := func(w uint64) bool { return (w-ones)&^w&highs != 0 }
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
		// A byte below 0x20 or from 0x80: after subtracting 0x20 from
		// each byte (no borrow can cross bytes while all are at least
		// 0x20), its high bit or a borrow shows; quote and backslash as
		// zero bytes after an XOR.
		if w&highs != 0 || (w-0x2020202020202020)&highs != 0 || hasZero(w^0x2222222222222222) || hasZero(w^0x5c5c5c5c5c5c5c5c) {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// appendString writes s as a JSON string; plain says jsonPlain(s) holds
// already (table entries know it from when they were stored). Anything
// else goes through encoding/json, whose escapes are valid JSON.
func appendString(b []byte, s string, plain bool) []byte {
	if !plain && !jsonPlain(s) {
		q, _ := json.Marshal(s)
		return append(b, q...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSON writes the answer as a JSON object; hand-written because
// batch lookups spend most of their time here.
func (ans *Answer) appendJSON(b []byte) []byte {
	b = append(b, `{"ip":"`...)
	b = ans.IP.AppendTo(b)
	if ans.Allowed {
		b = append(b, `","allowed":true,"registration":`...)
		b = appendString(b, ans.Entry.Reg, ans.plain)
		if ans.Entry.Prefix != "" {
			b = append(b, `,"prefix":`...)
			b = appendString(b, ans.Entry.Prefix, ans.plain)
		}
		if ans.Entry.MSISDN != "" { // a RADIUS-bound address: its number, and the bound prefix above
			b = append(b, `,"mobile_number":`...)
			b = appendString(b, ans.Entry.MSISDN, ans.plain)
		}
		b = append(b, `,"category":`...)
		b = appendString(b, ans.Entry.Cat, ans.plain)
		b = append(b, `,"until":"`...)
		b = appendTime(b, ans.Entry.Until)
		b = append(b, '"')
	} else {
		b = append(b, `","allowed":false`...)
	}
	if ans.Stale {
		b = append(b, `,"stale":true`...)
	}
	return append(b, '}')
}

// appendTime writes t in RFC 3339 (UTC); whole seconds, as the registry's
// dates are, by hand, because a batch writes thousands.
func appendTime(b []byte, t time.Time) []byte {
	sec := t.Unix()
	if t.Nanosecond() != 0 || sec < -30610224000 || sec > 253402300799 { // outside years 1000-9999
		return t.UTC().AppendFormat(b, time.RFC3339)
	}
	// The civil date from the day number (Howard Hinnant's algorithm),
	// cheaper than time's Date and Clock, which a batch calls thousands
	// of times.
	days, rem := sec/86400, sec%86400
	if rem < 0 {
		days, rem = days-1, rem+86400
	}
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := int(doy - (153*mp+2)/5 + 1)
	m := int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y := int(yoe + era*400)
	if m <= 2 {
		y++
	}
	h, mi, s := int(rem/3600), int(rem%3600/60), int(rem%60)
	two := func(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }
	b = two(two(b, y/100), y%100)
	b = two(append(b, '-'), m)
	b = two(append(b, '-'), d)
	b = two(append(b, 'T'), h)
	b = two(append(b, ':'), mi)
	b = two(append(b, ':'), s)
	return append(b, 'Z')
}
