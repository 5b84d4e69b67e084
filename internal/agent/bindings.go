package agent

import (
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gaissmai/bart"
)

// Bindings are the addresses and prefixes that RADIUS accounting sessions
// of registered mobile numbers hold, each until its session stops, its NAS
// restarts, its number leaves the feed or it goes quiet for the session
// timeout.
//
// The bound prefixes never overlap: a claim on addresses ends every
// overlapping binding of another session (an address belongs to its
// newest session), so an address is in at most one binding, lookups are
// one longest-prefix match, and the kernel's interval sets can hold them
// as they are.
type Bindings struct {
	now func() time.Time
	mu  sync.RWMutex
	t   bart.Table[*Binding]
	// The bound prefixes of each session (by sessionKey), so that a Stop
	// costs its own bindings, not a walk of all of them.
	bySession map[string][]netip.Prefix
	n         atomic.Int64 // t.Size(), so that lookups skip the lock while nothing is bound
	// gen counts changes of any kind, renewals included (for the
	// persister); watchers hear only of prefixes bound or unbound.
	gen atomic.Uint64

	watchers []func() // see Watch
}

// Binding is one prefix held by an accounting session (the JSON shape of
// bindings.json in the state directory).
type Binding struct {
	Prefix netip.Prefix `json:"prefix"` // a /32 or /128 for an address
	Number string       `json:"number"` // the mobile number, canonical (92XXXXXXXXXX)
	// NAS is the NAS that reported the session; Session is its Acct-Session-Id.
	NAS     NAS       `json:"nas"`
	Session string    `json:"session"`
	Start   time.Time `json:"start"`   // when the session began, as well as accounting tells
	Expires time.Time `json:"expires"` // renewed by each Interim-Update
}

func (x *Binding) key() string { return sessionKey(x.NAS, x.Session) }

// NAS identifies a NAS as it names itself: NAS-IP-Address (RFC 2865 §5.4)
// or NAS-IPv6-Address (RFC 3162 §2.1), and NAS-Identifier (RFC 2865
// §5.32); Addr is the packet's source address when it sends none of them.
type NAS struct {
	Addr       string `json:"addr,omitempty"`
	Identifier string `json:"identifier,omitempty"`
}

func (n NAS) String() string {
	switch {
	case n.Addr != "" && n.Identifier != "":
		return n.Addr + " (" + n.Identifier + ")"
	case n.Addr != "":
		return n.Addr
	}
	return n.Identifier
}

// restarted reports whether an Accounting-On or -Off from n concerns a
// session reported by x: matched by address when n sends one, as
// FreeRADIUS's accounting_onoff_query matches NAS-IP-Address, else by
// NAS-Identifier.
func (n NAS) restarted(x NAS) bool {
	if n.Addr != "" {
		return x.Addr == n.Addr
	}
	return n.Identifier != "" && x.Identifier == n.Identifier
}

// sessionKey identifies a session: an Acct-Session-Id is unique only per
// NAS (RFC 2866 §5.5), as FreeRADIUS's Acct-Unique-Session-Id reflects.
func sessionKey(nas NAS, session string) string {
	return nas.Addr + "\x00" + nas.Identifier + "\x00" + session
}

func newBindings(now func() time.Time) *Bindings {
	return &Bindings{now: now, bySession: map[string][]netip.Prefix{}}
}

// Watch makes fn hear of every prefix bound or unbound (not of renewals).
// It is called outside the lock and must not block; callers coalesce.
func (b *Bindings) Watch(fn func()) {
	b.mu.Lock()
	b.watchers = append(b.watchers, fn)
	b.mu.Unlock()
}

// Gen counts the changes so far, renewals included.
func (b *Bindings) Gen() uint64 { return b.gen.Load() }

func (b *Bindings) changed() {
	b.gen.Add(1)
	b.mu.RLock()
	ws := b.watchers
	b.mu.RUnlock()
	for _, fn := range ws {
		fn()
	}
}

// Claim is one accounting session's claim on prefixes (from a Start or an
// Interim-Update). Number is "" when the session's number is not a
// registered one: the claim then only ends other sessions' bindings.
type Claim struct {
	Number, Session string
	NAS             NAS
	Start, Expires  time.Time
	Prefixes        []netip.Prefix // masked
	Bind            []bool         // per prefix: bind it (registered and in accepted space)
}

// ClaimResult counts what a Claim did.
type ClaimResult struct {
	Bound int // prefixes bound or renewed
	Ended int // bindings of other sessions ended
	Stale int // prefixes held by a session that began later: the claim lost them
}

// Claim records that c's session holds c's prefixes: every overlapping
// binding of another session ends, unless that session began after c's
// (a delayed or reordered packet of an older session takes nothing
// back); the prefixes marked Bind are bound to c's number, the others
// to nothing. The session's other bindings are renewed: it is alive.
func (b *Bindings) Claim(c Claim) ClaimResult {
	var r ClaimResult
	moved := false // prefixes bound or unbound, not only renewed
	key := sessionKey(c.NAS, c.Session)
	b.mu.Lock()
	// A session known already began when its first claim said, whatever
	// a later update without Acct-Session-Time suggests.
	for _, p := range b.bySession[key] {
		if x, ok := b.t.Get(p); ok && x.Start.Before(c.Start) {
			c.Start = x.Start
		}
	}
	for i, p := range c.Prefixes {
		var overlapping []*Binding
		for _, x := range b.t.Supernets(p) {
			overlapping = append(overlapping, x)
		}
		for _, x := range b.t.Subnets(p) {
			if !slices.Contains(overlapping, x) { // the exact match may come with both
				overlapping = append(overlapping, x)
			}
		}
		if slices.ContainsFunc(overlapping, func(x *Binding) bool { return x.key() != key && x.Start.After(c.Start) }) {
			r.Stale++
			continue
		}
		if c.Bind[i] && len(overlapping) == 1 && overlapping[0].Prefix == p && overlapping[0].key() == key && overlapping[0].Number == c.Number {
			r.Bound++ // renewed below with the session's other bindings
			continue
		}
		for _, x := range overlapping {
			if x.key() != key {
				r.Ended++
			}
			b.remove(x)
			moved = true
		}
		if c.Bind[i] {
			moved = true
			b.insert(&Binding{Prefix: p, Number: c.Number, NAS: c.NAS, Session: c.Session, Start: c.Start, Expires: c.Expires})
			r.Bound++
		}
	}
	for _, p := range b.bySession[key] {
		if x, ok := b.t.Get(p); ok && c.Expires.After(x.Expires) {
			x.Expires = c.Expires
		}
	}
	b.mu.Unlock()
	if moved {
		b.changed()
	} else {
		b.gen.Add(1)
	}
	return r
}

// insert adds x, whose prefix overlaps no binding (b.mu held).
func (b *Bindings) insert(x *Binding) {
	b.t.Insert(x.Prefix, x)
	b.bySession[x.key()] = append(b.bySession[x.key()], x.Prefix)
	b.n.Store(int64(b.t.Size()))
}

// remove ends binding x (b.mu held).
func (b *Bindings) remove(x *Binding) {
	b.t.Delete(x.Prefix)
	k := x.key()
	if ps := slices.DeleteFunc(b.bySession[k], func(p netip.Prefix) bool { return p == x.Prefix }); len(ps) > 0 {
		b.bySession[k] = ps
	} else {
		delete(b.bySession, k)
	}
	b.n.Store(int64(b.t.Size()))
}

// Stop ends the bindings of one session (Acct-Status-Type Stop) and
// returns how many. An empty session id matches nothing: Acct-Session-Id
// is required in every Accounting-Request (RFC 2866 §4.1, §5.5), and
// without one a Stop cannot say whose session ended.
func (b *Bindings) Stop(nas NAS, session string) int {
	if session == "" {
		return 0
	}
	return b.removeIf(func(x *Binding) bool { return x.NAS == nas && x.Session == session }, sessionKey(nas, session))
}

// EndNAS ends the bindings of every session of one NAS that began at or
// before at (Accounting-On or Accounting-Off: the NAS restarted, so every
// session it had is gone; RFC 2866 §5.1, as FreeRADIUS closes them) and
// returns how many.
func (b *Bindings) EndNAS(nas NAS, at time.Time) int {
	return b.removeIf(func(x *Binding) bool { return nas.restarted(x.NAS) && !x.Start.After(at) }, "")
}

// Keep ends the bindings whose number keep refuses (numbers that left the
// feed) and returns how many.
func (b *Bindings) Keep(keep func(number string) bool) int {
	return b.removeIf(func(x *Binding) bool { return !keep(x.Number) }, "")
}

// Expire ends the bindings whose sessions went quiet and returns how many.
func (b *Bindings) Expire() int {
	now := b.now()
	return b.removeIf(func(x *Binding) bool { return now.After(x.Expires) }, "")
}

// removeIf ends the bindings that gone selects, among those of one
// session (by sessionKey; "" for all), and returns how many.
func (b *Bindings) removeIf(gone func(*Binding) bool, session string) int {
	if b.n.Load() == 0 {
		return 0
	}
	var victims []*Binding
	b.mu.Lock()
	if session != "" {
		for _, p := range b.bySession[session] {
			if x, ok := b.t.Get(p); ok && gone(x) {
				victims = append(victims, x)
			}
		}
	} else {
		for _, x := range b.t.All() {
			if gone(x) {
				victims = append(victims, x)
			}
		}
	}
	for _, x := range victims {
		b.remove(x)
	}
	b.mu.Unlock()
	if len(victims) > 0 {
		b.changed()
	}
	return len(victims)
}

// Lookup returns the number whose live session holds a.
func (b *Bindings) Lookup(a netip.Addr) (string, bool) {
	if b.n.Load() == 0 {
		return "", false
	}
	b.mu.RLock()
	x, ok := b.t.Lookup(a.Unmap())
	var number string
	if ok {
		number, ok = x.Number, !b.now().After(x.Expires)
	}
	b.mu.RUnlock()
	return number, ok
}

// All returns a copy of every binding, in address order.
func (b *Bindings) All() []Binding {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]Binding, 0, b.t.Size())
	for _, x := range b.t.AllSorted() {
		out = append(out, *x)
	}
	return out
}

// Prefixes returns the bound prefixes, in address order.
func (b *Bindings) Prefixes() []netip.Prefix {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]netip.Prefix, 0, b.t.Size())
	for p := range b.t.AllSorted() {
		out = append(out, p)
	}
	return out
}

// Restore adds bindings (from the state directory) still live at now,
// skipping any that overlaps one already there, and returns how many.
func (b *Bindings) Restore(xs []Binding, now time.Time) int {
	n := 0
	b.mu.Lock()
	for _, x := range xs {
		if !x.Prefix.IsValid() || x.Prefix != x.Prefix.Masked() || !now.Before(x.Expires) || x.Session == "" || b.t.OverlapsPrefix(x.Prefix) {
			continue
		}
		b.insert(&x)
		n++
	}
	b.mu.Unlock()
	if n > 0 {
		b.changed()
	}
	return n
}

// Len is the number of bindings.
func (b *Bindings) Len() int { return int(b.n.Load()) }
