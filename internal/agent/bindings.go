package agent

import (
	"errors"
	"fmt"
	"hash/maphash"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gaissmai/bart"
)

// Bindings are the addresses and prefixes that RADIUS accounting sessions
// of registered mobile numbers hold, each until its session stops, its NAS
// restarts, its number leaves the feed, a newer session claims it or it
// goes quiet for the session timeout.
//
// Every address's newest claim is remembered, whether it binds or not (a
// holder record: bound to a number, or unbound), until the session
// timeout: an unregistered session's claim, a Stop or a NAS restart leaves
// the record of who claimed the address last and when that session began,
// so that no packet of an older session takes the address back later.
// The holders never overlap: a claim ends every overlapping holder of
// another session, so an address is in at most one, lookups are one
// longest-prefix match, and the kernel's interval sets can hold the bound
// ones as they are.
//
// Stopped sessions (for the session timeout) and each NAS's last
// Accounting-On/Off are remembered too: a delayed or retransmitted packet
// of a session that ended binds nothing.
type Bindings struct {
	now func() time.Time
	mu  sync.RWMutex
	t   bart.Table[*Binding] // holders, bound (Number != "") or not
	// The bound holders of each session (by sessionKey), so that a Stop,
	// a release or a claim's start costs its own holders, not a walk of
	// all of them. Unbound holders are not indexed: nothing ends or
	// releases them, a session's renewal of its own address finds it in
	// the table, and leaving them out keeps an operator's unregistered
	// subscribers (most of its sessions) cheap; a session that loses an
	// address keeps its start in lost.
	bySession map[string][]netip.Prefix
	stopped   map[string][]Stopped // by sessionKey
	// quiet are the Stops that ended nothing (most of them: sessions of
	// unregistered subscribers), kept compact as the only thing they
	// decide, whether a later packet of the session is ignored, needs:
	// a 64-bit hash of the session key, the NAS (an index into nasList,
	// for the NAS-Identifier rule of NAS.matches) and the time. A second
	// such Stop for the same key from a NAS with another NAS-Identifier
	// goes into stopped. (Two session keys whose hashes collide, about
	// one chance in 2^25 among a million Stops, make one session's
	// packets ignored for the session timeout.)
	quiet    map[uint64]quietStop
	seed     maphash.Seed
	nasList  []NAS
	restarts map[NAS]Restart // each NAS's last Accounting-On/Off, until it no longer matters
	// nases holds one copy of each NAS's strings, shared by all its
	// sessions' records (each packet brings its own copies: two
	// allocations a record otherwise). NASes are few and sign their
	// packets with the shared secret.
	nases map[NAS]uint32 // index into nasList
	// lost remembers, by sessionKey, the earliest known start of each
	// session that lost an address to a newer session, for as long as the
	// session keeps sending (the session timeout after its last packet):
	// a later packet of it whose Acct-Session-Time is smaller (a NAS
	// counting afresh, an estimate off) does not make it newer than the
	// session that took the address.
	lost  map[string][]lostStart
	bound int          // bound holders
	n     atomic.Int64 // bound, so that lookups skip the lock while nothing is bound
	// gen counts changes of any kind, renewals included (for the
	// persister); watchers hear only of prefixes bound or unbound.
	gen atomic.Uint64
	// mustPersist is the last change that has to be on disk before a
	// request is answered (MustPersist); unbinding marks the change in
	// progress as one (b.mu held).
	mustPersist atomic.Uint64
	unbinding   bool

	watchers []func() // see Watch
	exp      expiries // when holders and stopped sessions may lapse (Expire)
}

// Binding is one prefix's newest claim: the accounting session that holds
// it, bound to the session's registered number or (Number "") unbound.
// It is the JSON shape of bindings.json's "bindings" in the state directory.
type Binding struct {
	Prefix netip.Prefix `json:"prefix"`           // a /32 or /128 for an address
	Number string       `json:"number,omitempty"` // the mobile number, canonical (92XXXXXXXXXX); "" while unbound
	// NAS is the NAS that reported the session; Session is its Acct-Session-Id.
	NAS     NAS    `json:"nas"`
	Session string `json:"session"`
	// Start is when the session began, as well as accounting tells; zero
	// (omitted) when no packet of it told (an Interim-Update without
	// Acct-Session-Time): such a session is older than any whose start is
	// known.
	Start   time.Time `json:"start,omitzero"`
	Expires time.Time `json:"expires"` // renewed by each Interim-Update
	// Ended marks an unbound holder that ended a binding (a Stop, a
	// restart, a newer claim, a release): only these and the bound
	// holders are persisted, so that bindings.json holds the registered
	// subscribers' sessions and what ended them, not every session of the
	// operator.
	Ended bool `json:"ended,omitempty"`
}

func (x *Binding) bound() bool { return x.Number != "" }

// startKnown says whether a packet of x's session told when it began.
func (x *Binding) startKnown() bool { return !x.Start.IsZero() }

// persisted says whether x goes into bindings.json.
func (x *Binding) persisted() bool { return x.bound() || x.Ended }

// Stopped is a session that sent its Stop (the JSON shape of
// bindings.json's "stopped"): later packets of it are ignored until Until.
type Stopped struct {
	NAS     NAS       `json:"nas"`
	Session string    `json:"session"`
	Until   time.Time `json:"until"`
	// ended: the Stop ended a binding (or came from bindings.json); only
	// these are persisted.
	ended bool
}

// Restart is a NAS's last Accounting-On or Accounting-Off (the JSON shape
// of bindings.json's "nas_restarts"): sessions of it that began before At
// are gone, and their packets are ignored until Until, the session
// timeout after the Accounting-On/Off arrived. After that the record no
// longer matters: a packet of a session begun before the restart that
// arrives a whole session timeout later is taken as any session whose
// records timed out is (as a stopped session's are, see Stopped); its
// NAS's holders and Stops of that time are gone; and a Stop of an
// earlier use of an id still ends nothing of the session now using it
// (Bindings.Stop).
type Restart struct {
	NAS   NAS       `json:"nas"`
	At    time.Time `json:"at"`
	Until time.Time `json:"until,omitzero"` // absent in files of earlier versions: the session timeout from the restore
}

// NAS identifies a NAS: its NAS-IP-Address (RFC 2865 §5.4) or else its
// NAS-IPv6-Address (RFC 3162 §2.1), or else the packet's source address
// (as FreeRADIUS fills NAS-IP-Address in when the NAS sends none), plus
// its NAS-Identifier (RFC 2865 §5.32) when it sends one.
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

// matches reports whether n and x can be the same NAS: the same address,
// and the same NAS-Identifier unless one of them carries none (a NAS that
// names itself in Start but not in Stop or Accounting-On is still itself;
// two NASes behind one address are told apart by their names). Stops,
// Accounting-On/Off and a session's later packets all match by this one
// rule.
func (n NAS) matches(x NAS) bool {
	return n.Addr == x.Addr && (n.Identifier == "" || x.Identifier == "" || n.Identifier == x.Identifier)
}

// sessionKey indexes a session: an Acct-Session-Id is unique only per NAS
// (RFC 2866 §5.5). The NAS-Identifier is compared apart (NAS.matches).
func sessionKey(nas NAS, session string) string {
	return nas.Addr + "\x00" + session
}

func (x *Binding) of(nas NAS, session string) bool {
	return x.Session == session && nas.matches(x.NAS)
}

func newBindings(now func() time.Time) *Bindings {
	return &Bindings{now: now, bySession: map[string][]netip.Prefix{}, stopped: map[string][]Stopped{}, restarts: map[NAS]Restart{}, nases: map[NAS]uint32{}, lost: map[string][]lostStart{}, quiet: map[uint64]quietStop{}, seed: maphash.MakeSeed()}
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

// MustPersist is the change (Gen) up to which the bindings must be on
// disk before an accounting request is answered: the last change that
// unbound a prefix, or that recorded a NAS restart. What binds may be lost
// in a crash (it only allows fewer addresses, until the next
// Interim-Update); what unbinds may not (it would allow an address to a
// number that no longer holds it).
func (b *Bindings) MustPersist() uint64 { return b.mustPersist.Load() }

// changed ends a change (b.mu held): every change counts in Gen, and one
// that unbound a prefix (b.unbinding, set by unbind and remove: the one
// place that decides) or that must be durable for another reason (durable)
// moves MustPersist to it.
func (b *Bindings) changed(durable bool) {
	g := b.gen.Add(1)
	if durable || b.unbinding {
		b.mustPersist.Store(g)
	}
	b.unbinding = false
}

// notify tells the watchers, outside b.mu, when prefixes were bound or
// unbound (moved).
func (b *Bindings) notify(moved bool) {
	if !moved {
		return
	}
	b.mu.RLock()
	ws := b.watchers
	b.mu.RUnlock()
	for _, fn := range ws {
		fn()
	}
}

// Claim is one accounting session's claim on prefixes (from a Start or an
// Interim-Update). Number is "" when the session's number is not a
// registered one: the claim then binds nothing, but it is still the
// prefixes' newest claim.
type Claim struct {
	Number, Session string
	NAS             NAS
	// Start is when the session began; Timed says whether the packet told
	// it (a Start, or an Interim-Update with Acct-Session-Time). A session
	// whose start is unknown, and not known from its earlier claims, counts
	// as older than any other session's claim.
	Start   time.Time
	Timed   bool
	Expires time.Time
	// Prefixes are all the session holds now (masked, disjoint): its
	// prefixes not among them are released (an Interim-Update carries the
	// session's current addresses, RFC 2866 §5.1, RFC 2869 §2.1).
	Prefixes []netip.Prefix
	Bind     []bool // per prefix: bind it (registered and in accepted space)
}

// ClaimResult counts what a Claim did.
type ClaimResult struct {
	Bound    int    // prefixes bound or renewed
	Ended    int    // bindings of other sessions ended
	Stale    int    // prefixes whose newest claim is another, newer session's: the claim lost them
	Released int    // the session's bindings it no longer lists
	Ignored  string // why the whole claim was ignored: outcomeStoppedSession or outcomeBeforeRestart; "" if not
}

// Claim records that c's session holds c's prefixes, and nothing else.
//
// A claim of a stopped session, or of a session that began before its
// NAS's last Accounting-On/Off, is ignored whole. Otherwise, for each
// prefix: if an overlapping holder belongs to another session that began
// after c's (or c's start is unknown), the claim takes nothing (a delayed
// or reordered packet of an older session); else every overlapping holder
// ends and c's session holds the prefix, bound to c's number when Bind
// says so, else unbound. The session's holders not among c's prefixes are
// released (unbound).
func (b *Bindings) Claim(c Claim) ClaimResult {
	var r ClaimResult
	moved := false // prefixes bound or unbound, not only renewed
	b.mu.Lock()
	// A session known already began when its first claim said, whatever
	// a later update without Acct-Session-Time suggests.
	var mine []*Binding
	if c.Session != "" { // an empty Acct-Session-Id is no session: its claims share nothing
		mine = b.holdersOf(c.NAS, c.Session)
	}
	if !c.Timed {
		// Not the arrival time: a session whose start is unknown stays
		// older than any session whose start is known, in its holders
		// too, or a newer session could never take the address from it.
		c.Start = time.Time{}
	}
	starts := mine
	if c.Session != "" {
		// The session's unbound holders are not indexed: those of the
		// claimed prefixes tell its start too.
		for _, p := range c.Prefixes {
			if x, ok := b.t.Get(p); ok && !x.bound() && x.of(c.NAS, c.Session) {
				starts = append(starts[:len(starts):len(starts)], x)
			}
		}
	}
	for _, x := range starts {
		if x.startKnown() && (!c.Timed || x.Start.Before(c.Start)) {
			c.Start, c.Timed = x.Start, true
		}
	}
	var lost []lostStart
	if c.Session != "" {
		lost = b.lost[sessionKey(c.NAS, c.Session)]
	}
	for i, l := range lost {
		if c.NAS.matches(l.nas) {
			if !c.Timed || l.start.Before(c.Start) {
				c.Start, c.Timed = l.start, true
			}
			if c.Expires.After(l.expires) { // the session still sends: remembered on
				lost[i].expires = c.Expires
				b.dueLost(sessionKey(c.NAS, c.Session), c.Expires)
			}
		}
	}
	if r.Ignored = b.ignored(c.NAS, c.Session, c.Start, c.Timed); r.Ignored != "" {
		b.mu.Unlock()
		return r
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
		if slices.ContainsFunc(overlapping, func(x *Binding) bool { return !x.of(c.NAS, c.Session) && (!c.Timed || x.Start.After(c.Start)) }) {
			r.Stale++
			continue
		}
		number := ""
		if c.Bind[i] {
			number = c.Number
		}
		if len(overlapping) == 1 && overlapping[0].Prefix == p && overlapping[0].of(c.NAS, c.Session) && overlapping[0].Number == number {
			x := overlapping[0]
			if c.Timed { // the session's earliest known start (see above)
				x.Start = c.Start
			}
			if c.Expires.After(x.Expires) {
				x.Expires = c.Expires
			}
			if x.bound() {
				r.Bound++
			}
			continue
		}
		ended := false
		for _, x := range overlapping {
			if x.bound() && !x.of(c.NAS, c.Session) {
				r.Ended++
			}
			moved = moved || x.bound()
			ended = ended || x.persisted()
			if !x.of(c.NAS, c.Session) {
				b.lose(x)
			}
			b.remove(x)
		}
		b.insert(&Binding{Prefix: p, Number: number, NAS: b.intern(c.NAS), Session: c.Session, Start: c.Start, Expires: c.Expires, Ended: number == "" && ended})
		if number != "" {
			moved = true
			r.Bound++
		}
	}
	// An empty Acct-Session-Id is no session (every such claim of the NAS
	// shares it): nothing of it is released.
	if c.Session != "" {
		for _, x := range mine {
			if x.bound() && !slices.Contains(c.Prefixes, x.Prefix) {
				if cur, ok := b.t.Get(x.Prefix); ok && cur == x {
					b.unbind(x)
					r.Released++
					moved = true
				}
			}
		}
	}
	b.changed(false)
	b.mu.Unlock()
	b.notify(moved)
	return r
}

// SessionNumber returns the number a session's addresses are bound to,
// or "" when none is bound: the number its Start (or an earlier
// Interim-Update) named, for packets that omit Calling-Station-Id (RFC
// 2866 requires it in none).
func (b *Bindings) SessionNumber(nas NAS, session string) string {
	if session == "" {
		return ""
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, x := range b.holdersOf(nas, session) {
		if x.bound() {
			return x.Number
		}
	}
	return ""
}

// lostStart is a session's earliest known start, kept after it lost an
// address (Bindings.lost).
type lostStart struct {
	nas            NAS
	start, expires time.Time
}

// lose records that x's session lost x's prefix to a newer session
// (b.mu held): its start is remembered while the session lasts.
func (b *Bindings) lose(x *Binding) {
	if x.Session == "" || !x.startKnown() {
		return
	}
	k := sessionKey(x.NAS, x.Session)
	for i, l := range b.lost[k] {
		if l.nas == x.NAS {
			if x.Start.Before(l.start) {
				b.lost[k][i].start = x.Start
			}
			if x.Expires.After(l.expires) {
				b.lost[k][i].expires = x.Expires
				b.dueLost(k, x.Expires)
			}
			return
		}
	}
	b.lost[k] = append(b.lost[k], lostStart{nas: x.NAS, start: x.Start, expires: x.Expires})
	b.dueLost(k, x.Expires)
}

// intern returns the one copy of nas's strings (b.mu held).
func (b *Bindings) intern(nas NAS) NAS { return b.nasList[b.nasIndex(nas)] }

// nasIndex returns nas's index in nasList (b.mu held).
func (b *Bindings) nasIndex(nas NAS) uint32 {
	if i, ok := b.nases[nas]; ok {
		return i
	}
	i := uint32(len(b.nasList))
	b.nasList = append(b.nasList, nas)
	b.nases[nas] = i
	return i
}

// quietStop is a Stop that ended nothing (Bindings.quiet).
type quietStop struct {
	nas   uint32 // index into nasList
	until int64  // Unix nanoseconds
}

// stopHash is the quiet Stops' key: a hash of the session key.
func (b *Bindings) stopHash(nas NAS, session string) uint64 {
	var h maphash.Hash
	h.SetSeed(b.seed)
	h.WriteString(nas.Addr)
	h.WriteByte(0)
	h.WriteString(session)
	return h.Sum64()
}

// holdersOf returns the bound holders of one session (b.mu held).
func (b *Bindings) holdersOf(nas NAS, session string) []*Binding {
	var out []*Binding
	for _, p := range b.bySession[sessionKey(nas, session)] {
		if x, ok := b.t.Get(p); ok && x.of(nas, session) {
			out = append(out, x)
		}
	}
	return out
}

// ignored says why a packet of a session is to be ignored whole, or ""
// (b.mu held): the session stopped, or began before its NAS's last
// Accounting-On/Off (or its start is unknown and the NAS restarted since
// the session timeout began).
func (b *Bindings) ignored(nas NAS, session string, start time.Time, timed bool) string {
	if session != "" {
		now := b.now()
		for _, s := range b.stopped[sessionKey(nas, session)] {
			if nas.matches(s.NAS) && now.Before(s.Until) {
				return outcomeStoppedSession
			}
		}
		if q, ok := b.quiet[b.stopHash(nas, session)]; ok && nas.matches(b.nasList[q.nas]) && now.UnixNano() < q.until {
			return outcomeStoppedSession
		}
	}
	for n, r := range b.restarts {
		if n.matches(nas) && (!timed || start.Before(r.At)) {
			return outcomeBeforeRestart
		}
	}
	return ""
}

// insert adds x, whose prefix overlaps no holder (b.mu held).
func (b *Bindings) insert(x *Binding) {
	b.t.Insert(x.Prefix, x)
	b.due(x)
	if x.bound() {
		b.index(x)
		b.bound++
		b.n.Store(int64(b.bound))
	}
}

// index adds bound holder x to its session's (b.mu held).
func (b *Bindings) index(x *Binding) {
	k := sessionKey(x.NAS, x.Session)
	x.Session = k[len(x.NAS.Addr)+1:] // one copy of the id, shared with the index's key
	b.bySession[k] = append(b.bySession[k], x.Prefix)
}

// unindex removes holder x from its session's (b.mu held).
func (b *Bindings) unindex(x *Binding) {
	k := sessionKey(x.NAS, x.Session)
	if ps := slices.DeleteFunc(b.bySession[k], func(p netip.Prefix) bool { return p == x.Prefix }); len(ps) > 0 {
		b.bySession[k] = ps
	} else {
		delete(b.bySession, k)
	}
}

// remove ends holder x (b.mu held).
func (b *Bindings) remove(x *Binding) {
	b.t.Delete(x.Prefix)
	if x.bound() {
		b.unindex(x)
		b.bound--
		b.n.Store(int64(b.bound))
		b.unbinding = true
	}
}

// unbind keeps holder x as its prefix's newest claim, bound to nothing
// (b.mu held).
func (b *Bindings) unbind(x *Binding) {
	if x.bound() {
		b.unindex(x)
		x.Number, x.Ended = "", true
		b.bound--
		b.n.Store(int64(b.bound))
		b.unbinding = true
	}
}

// startSlack is how far two estimates of one session's start may differ:
// Acct-Delay-Time and Acct-Session-Time count whole seconds (RFC 2866
// §5.2, §5.7) and the packets travel, so the same session's Start and
// Stop may place its start a second or two apart.
const startSlack = 2 * time.Second

// Stop records that one session stopped (Acct-Status-Type Stop): its
// bindings end, and its later packets are ignored until until (a Start or
// Interim-Update delayed past its Stop binds nothing). began is when the
// Stop says its session began (arrival − Acct-Delay-Time −
// Acct-Session-Time; without Acct-Session-Time, the latest it can have
// begun). It returns how many bindings ended, or why the Stop ends
// nothing:
//   - outcomeBeforeRestart: the session began before its NAS's last
//     Accounting-On/Off, so it is not the session that now uses the id (a
//     Stop buffered across the NAS's reboot; the NAS counts its ids afresh);
//   - outcomeStaleStop: it began before the known start of the session
//     now holding addresses under that id (an earlier use of the id).
//
// An empty session id matches nothing: Acct-Session-Id is required in
// every Accounting-Request (RFC 2866 §4.1, §5.5), and without one a Stop
// cannot say whose session ended.
func (b *Bindings) Stop(nas NAS, session string, began, until time.Time) (int, string) {
	if session == "" {
		return 0, ""
	}
	k := sessionKey(nas, session)
	b.mu.Lock()
	mine := b.holdersOf(nas, session)
	why := ""
	for n, r := range b.restarts {
		if n.matches(nas) && began.Add(startSlack).Before(r.At) {
			why = outcomeBeforeRestart
		}
	}
	for _, x := range mine {
		if why == "" && x.startKnown() && began.Add(startSlack).Before(x.Start) {
			why = outcomeStaleStop
		}
	}
	if why != "" {
		b.mu.Unlock()
		return 0, why
	}
	n := 0
	for _, x := range mine {
		if x.bound() {
			b.unbind(x)
			n++
		}
	}
	kept := false
	for i, s := range b.stopped[k] {
		if s.NAS == nas {
			b.stopped[k][i].Until, kept = until, true
			b.dueStopped(k, until)
			b.stopped[k][i].ended = s.ended || n > 0
		}
	}
	if !kept && n == 0 {
		h := b.stopHash(nas, session)
		q, ok := b.quiet[h]
		if !ok || b.nasList[q.nas] == nas {
			b.quiet[h] = quietStop{nas: b.nasIndex(nas), until: until.UnixNano()}
			b.dueQuiet(h, until)
			kept = true
		}
	}
	if !kept {
		b.stopped[k] = append(b.stopped[k], Stopped{NAS: b.intern(nas), Session: k[len(nas.Addr)+1:], Until: until, ended: n > 0})
		b.dueStopped(k, until)
	}
	b.changed(false)
	b.mu.Unlock()
	b.notify(n > 0)
	return n, ""
}

// EndNAS records an Accounting-On or Accounting-Off of nas at, remembered
// until until (see Restart) (the NAS
// restarted, so every session it had is gone; RFC 2866 §5.1, as
// FreeRADIUS closes them): the holders of its sessions that began at or
// before at, or whose start is unknown, are forgotten (their bindings
// end), later packets of sessions that began before at are ignored, and
// its stopped sessions are forgotten. A restarted NAS may number its
// sessions afresh: a new session reusing an Acct-Session-Id inherits
// nothing of the old one (neither its start nor its Stop). The NAS's
// restart time moves forward only, unless the one recorded lies ahead of
// now (the agent's clock was ahead and has been corrected): then at
// replaces it, or the NAS's new sessions would be ignored until then. It
// returns how many bindings ended.
func (b *Bindings) EndNAS(nas NAS, at, until time.Time) int {
	n := 0
	b.mu.Lock()
	if prev, ok := b.restarts[nas]; !ok || at.After(prev.At) || prev.At.After(b.now()) {
		b.restarts[nas] = Restart{NAS: nas, At: at, Until: until}
		b.dueRestart(b.restarts[nas])
	}
	for k, ss := range b.stopped {
		if ss = slices.DeleteFunc(ss, func(s Stopped) bool { return nas.matches(s.NAS) }); len(ss) > 0 {
			b.stopped[k] = ss
		} else {
			delete(b.stopped, k)
		}
	}
	for h, q := range b.quiet {
		if nas.matches(b.nasList[q.nas]) {
			delete(b.quiet, h)
		}
	}
	for k, ls := range b.lost {
		if ls = slices.DeleteFunc(ls, func(l lostStart) bool { return nas.matches(l.nas) && !l.start.After(at) }); len(ls) > 0 {
			b.lost[k] = ls
		} else {
			delete(b.lost, k)
		}
	}
	var gone []*Binding
	for _, x := range b.t.All() {
		if nas.matches(x.NAS) && !x.Start.After(at) {
			gone = append(gone, x)
		}
	}
	for _, x := range gone {
		if x.bound() {
			n++
		}
		b.remove(x)
	}
	// The restart time decides which later packets are ignored: it is
	// durable, whatever ended.
	b.changed(true)
	b.mu.Unlock()
	b.notify(n > 0)
	return n
}

// Keep ends the bindings whose number keep refuses (numbers that left the
// feed) and returns how many. The holders stay as their prefixes' newest
// claims.
func (b *Bindings) Keep(keep func(number string) bool) int {
	if b.n.Load() == 0 {
		return 0
	}
	n := 0
	b.mu.Lock()
	for _, x := range b.t.All() {
		if x.bound() && !keep(x.Number) {
			b.unbind(x)
			n++
		}
	}
	if n > 0 {
		b.changed(false)
	}
	b.mu.Unlock()
	b.notify(n > 0)
	return n
}

// Expire forgets the holders whose sessions went quiet and the stopped
// sessions past their time, and returns how many bindings ended. It takes
// them in order of time from a heap, a batch per hold of the lock
// (expiryBatch), so that lookups and accounting wait for one batch, not
// for every session: the cost is the sessions that lapsed, not all of
// them.
func (b *Bindings) Expire() int {
	total := 0
	for {
		now := b.now()
		b.mu.Lock()
		n, forgot, more := b.expireBatch(now)
		// Expiry needs no write before an answer: a restore drops what
		// lapsed by its own expiry.
		b.unbinding = false
		if forgot > 0 {
			b.changed(false)
		}
		b.mu.Unlock()
		b.notify(n > 0)
		total += n
		if !more {
			return total
		}
	}
}

// Lookup returns the number whose live session holds a, and the bound
// prefix.
func (b *Bindings) Lookup(a netip.Addr) (string, netip.Prefix, bool) {
	if b.n.Load() == 0 {
		return "", netip.Prefix{}, false
	}
	b.mu.RLock()
	x, ok := b.t.Lookup(a.Unmap())
	var number string
	var p netip.Prefix
	if ok {
		number, p, ok = x.Number, x.Prefix, x.bound() && !b.now().After(x.Expires)
	}
	b.mu.RUnlock()
	return number, p, ok
}

// BindingsState is everything Bindings remember, as bindings.json holds it.
type BindingsState struct {
	Bindings []Binding `json:"bindings"`
	Stopped  []Stopped `json:"stopped,omitempty"`
	Restarts []Restart `json:"nas_restarts,omitempty"`
}

// State returns a copy of what is persisted: the holders in address
// order that are bound or ended a binding, the stopped sessions that
// ended one, and the NAS restarts. (The newest claims and Stops of
// sessions that never bound anything stay in memory only: after a
// restart, they could only ever stand in the way of sessions that never
// bound anything either.)
func (b *Bindings) State() BindingsState {
	b.mu.RLock()
	defer b.mu.RUnlock()
	s := BindingsState{Bindings: make([]Binding, 0, b.bound)}
	for _, x := range b.t.AllSorted() {
		if x.persisted() {
			s.Bindings = append(s.Bindings, *x)
		}
	}
	for _, ss := range b.stopped {
		for _, st := range ss {
			if st.ended {
				s.Stopped = append(s.Stopped, st)
			}
		}
	}
	for _, r := range b.restarts {
		s.Restarts = append(s.Restarts, r)
	}
	return s
}

// All returns a copy of every bound binding, in address order.
func (b *Bindings) All() []Binding {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]Binding, 0, b.bound)
	for _, x := range b.t.AllSorted() {
		if x.bound() {
			out = append(out, *x)
		}
	}
	return out
}

// Prefixes returns the bound prefixes, in address order.
func (b *Bindings) Prefixes() []netip.Prefix {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]netip.Prefix, 0, b.bound)
	for p, x := range b.t.AllSorted() {
		if x.bound() {
			out = append(out, p)
		}
	}
	return out
}

// RestoreCheck decides whether a persisted binding may be bound again:
// nil; errNumberGone when its number left the feed (it is restored
// unbound); or why it may not be restored at all (its prefix lies outside
// the accepted space or is too broad).
type RestoreCheck func(x Binding) error

// errNumberGone: the binding's number is not in the table.
var errNumberGone = errors.New("its number is not in the table")

// Restore adds what s (from the state directory) remembers and is still
// live at now: holders whose session has not timed out (their expiry
// capped to maxExpires: a file from the future renews nothing); stopped
// sessions; NAS restarts. A bound holder that check refuses is dropped
// and reported in refused, as is a holder whose prefix is not one (not
// masked) or overlaps another; one whose number is gone comes back
// unbound. It returns how many bindings came back bound.
func (b *Bindings) Restore(s BindingsState, now, maxExpires time.Time, check RestoreCheck) (bound int, refused []error) {
	b.mu.Lock()
	for _, x := range s.Bindings {
		if !now.Before(x.Expires) {
			continue // lapsed: no error of the file's
		}
		switch {
		case !x.Prefix.IsValid() || x.Prefix != x.Prefix.Masked():
			refused = append(refused, fmt.Errorf("%s is not a prefix", x.Prefix))
			continue
		case x.Session == "" && x.bound():
			refused = append(refused, fmt.Errorf("%s: bound without an Acct-Session-Id", x.Prefix))
			continue
		case b.t.OverlapsPrefix(x.Prefix):
			refused = append(refused, fmt.Errorf("%s overlaps another binding", x.Prefix))
			continue
		}
		if tooBroad(x.Prefix) != nil && !x.bound() {
			// An unbound holder that broad would stand in every claim's way.
			refused = append(refused, tooBroad(x.Prefix))
			continue
		}
		if x.bound() {
			if err := check(x); errors.Is(err, errNumberGone) {
				x.Number, x.Ended = "", true
			} else if err != nil {
				refused = append(refused, err)
				continue
			}
		}
		if x.Expires.After(maxExpires) {
			x.Expires = maxExpires
		}
		b.insert(&x)
		if x.bound() {
			bound++
		}
	}
	for _, st := range s.Stopped {
		if st.Session != "" && now.Before(st.Until) {
			k := sessionKey(st.NAS, st.Session)
			if st.Until.After(maxExpires) {
				st.Until = maxExpires
			}
			st.ended = true
			b.stopped[k] = append(b.stopped[k], st)
			b.dueStopped(k, st.Until)
		}
	}
	for _, r := range s.Restarts {
		// A restart can only have happened by now: a time ahead (a clock
		// that was ahead, a file edited) would ignore every session of
		// the NAS until then.
		if r.At.After(now) {
			r.At = now
		}
		if r.Until.IsZero() || r.Until.After(maxExpires) {
			r.Until = maxExpires
		}
		if !now.Before(r.Until) {
			continue
		}
		if prev, ok := b.restarts[r.NAS]; !ok || r.At.After(prev.At) {
			b.restarts[r.NAS] = r
			b.dueRestart(r)
		}
	}
	b.changed(false)
	b.mu.Unlock()
	b.notify(bound > 0)
	return bound, refused
}

// Len is the number of bindings.
func (b *Bindings) Len() int { return int(b.n.Load()) }
