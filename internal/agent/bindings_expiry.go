package agent

import (
	"slices"
	"time"
)

// expiryBatch is how many expiries Expire handles per hold of the
// bindings' lock: lookups wait for at most one batch, however many
// sessions lapse at once (half a million unregistered sessions lapsing
// together held the lock over a second when expiry walked every holder).
const expiryBatch = 256

// expiry is when a holder (x) or a key's stopped sessions (x nil) may
// lapse. Entries are not updated in place: a renewal leaves the entry,
// which, when it comes due, finds its holder renewed and is pushed again
// at the new time; an entry whose holder has gone is dropped.
type expiry struct {
	at  int64 // Unix nanoseconds
	x   *Binding
	key string // the stopped sessions' sessionKey, when x is nil
	// With x nil: a NAS's restart when key is "", else (nas ==
	// &lostMark) that session's lost start (Bindings.lost).
	nas *NAS
	// With x nil, key "" and nas nil: the quiet Stop of this hash.
	h uint64
}

// lostMark marks an expiry of a lost start (no field of its own: the
// heap holds one entry per session, and every byte counts).
var lostMark NAS

// expiries is a min-heap by time, typed (container/heap would box every
// entry pushed and popped: two allocations a session).
type expiries []expiry

func (h *expiries) push(e expiry) {
	*h = append(*h, e)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[p].at <= q[i].at {
			break
		}
		q[p], q[i] = q[i], q[p]
		i = p
	}
}

func (h *expiries) pop() expiry {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = expiry{} // no reference kept past its time
	q = q[:last]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(q) && q[l].at < q[m].at {
			m = l
		}
		if r := l + 1; r < len(q) && q[r].at < q[m].at {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// due schedules holder x's expiry (b.mu held).
func (b *Bindings) due(x *Binding) {
	b.exp.push(expiry{at: x.Expires.UnixNano(), x: x})
}

// dueStopped schedules a stopped session's expiry (b.mu held).
func (b *Bindings) dueStopped(key string, until time.Time) {
	b.exp.push(expiry{at: until.UnixNano(), key: key})
}

// dueLost schedules a lost start's expiry (b.mu held).
func (b *Bindings) dueLost(key string, expires time.Time) {
	b.exp.push(expiry{at: expires.UnixNano(), key: key, nas: &lostMark})
}

// dueQuiet schedules a quiet Stop's expiry (b.mu held).
func (b *Bindings) dueQuiet(h uint64, until time.Time) {
	b.exp.push(expiry{at: until.UnixNano(), h: h})
}

// dueRestart schedules a NAS restart record's expiry (b.mu held).
func (b *Bindings) dueRestart(r Restart) {
	b.exp.push(expiry{at: r.Until.UnixNano(), nas: &r.NAS})
}

// expireBatch handles at most expiryBatch due expiries (b.mu held) and
// returns how many bindings ended, how many records it forgot, and
// whether more are due.
func (b *Bindings) expireBatch(now time.Time) (ended, forgot int, more bool) {
	t := now.UnixNano()
	for range expiryBatch {
		// A holder lapses once now is after its Expires (and a stopped
		// session once now is not before its Until, which then no longer
		// matters): entries strictly before now are due.
		if len(b.exp) == 0 || b.exp[0].at >= t {
			return ended, forgot, false
		}
		e := b.exp.pop()
		if x := e.x; x != nil {
			if cur, ok := b.t.Get(x.Prefix); !ok || cur != x {
				continue // ended otherwise already
			}
			if !now.After(x.Expires) {
				b.due(x) // renewed since
				continue
			}
			if x.bound() {
				ended++
			}
			b.remove(x)
			forgot++
			continue
		}
		if e.key == "" && e.nas == nil {
			if q, ok := b.quiet[e.h]; ok && q.until <= t {
				delete(b.quiet, e.h)
				forgot++
			}
			continue
		}
		if e.nas == &lostMark {
			ls := b.lost[e.key]
			l := len(ls)
			if ls = slices.DeleteFunc(ls, func(x lostStart) bool { return now.After(x.expires) }); len(ls) > 0 {
				b.lost[e.key] = ls
			} else {
				delete(b.lost, e.key)
			}
			forgot += l - len(ls)
			continue
		}
		if e.nas != nil {
			if r, ok := b.restarts[*e.nas]; ok && !now.Before(r.Until) {
				delete(b.restarts, *e.nas)
				forgot++
			}
			continue
		}
		ss := b.stopped[e.key]
		l := len(ss)
		kept := ss[:0]
		for _, s := range ss {
			if now.Before(s.Until) {
				kept = append(kept, s)
			}
		}
		if len(kept) > 0 {
			b.stopped[e.key] = kept
		} else {
			delete(b.stopped, e.key)
		}
		forgot += l - len(kept)
	}
	return ended, forgot, len(b.exp) > 0 && b.exp[0].at < t
}
