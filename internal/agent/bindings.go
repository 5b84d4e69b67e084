package agent

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
)

// Bindings are the current addresses of registered mobile numbers, learned
// from RADIUS accounting, each until its session stops or times out.
type Bindings struct {
	now func() time.Time
	mu  sync.RWMutex
	m   map[netip.Addr]binding
	n   atomic.Int64 // len(m), so that lookups skip the lock while nothing is bound

	onChange func(a netip.Addr, bound bool) // see SetOnChange
}

// SetOnChange makes fn hear of every address bound (true) or unbound
// (false). It is called outside the lock and must not block.
func (b *Bindings) SetOnChange(fn func(a netip.Addr, bound bool)) {
	b.mu.Lock()
	b.onChange = fn
	b.mu.Unlock()
}

type binding struct {
	entry   feed.Entry
	session string
	expires time.Time
}

func newBindings(now func() time.Time) *Bindings {
	return &Bindings{now: now, m: map[netip.Addr]binding{}}
}

// Bind records that a's traffic belongs to the registered number e until expires.
func (b *Bindings) Bind(a netip.Addr, e feed.Entry, session string, expires time.Time) {
	b.mu.Lock()
	b.m[a.Unmap()] = binding{entry: e, session: session, expires: expires}
	b.n.Store(int64(len(b.m)))
	b.mu.Unlock()
	b.changed(a.Unmap(), true)
}

func (b *Bindings) changed(a netip.Addr, bound bool) {
	b.mu.RLock()
	fn := b.onChange
	b.mu.RUnlock()
	if fn != nil {
		fn(a, bound)
	}
}

// Unbind removes a's binding if it belongs to session (a later session
// that reused the address keeps it).
func (b *Bindings) Unbind(a netip.Addr, session string) {
	b.mu.Lock()
	cur, ok := b.m[a.Unmap()]
	ok = ok && (session == "" || cur.session == session)
	if ok {
		delete(b.m, a.Unmap())
		b.n.Store(int64(len(b.m)))
	}
	b.mu.Unlock()
	if ok {
		b.changed(a.Unmap(), false)
	}
}

// Lookup returns the number bound to a, if its session is live.
func (b *Bindings) Lookup(a netip.Addr) (feed.Entry, bool) {
	if b.n.Load() == 0 {
		return feed.Entry{}, false
	}
	b.mu.RLock()
	x, ok := b.m[a.Unmap()]
	b.mu.RUnlock()
	if !ok || b.now().After(x.expires) {
		return feed.Entry{}, false
	}
	return x.entry, true
}

// Expire drops timed-out bindings and returns how many.
func (b *Bindings) Expire() int {
	now := b.now()
	b.mu.Lock()
	var gone []netip.Addr
	for a, x := range b.m {
		if now.After(x.expires) {
			delete(b.m, a)
			gone = append(gone, a)
		}
	}
	b.n.Store(int64(len(b.m)))
	b.mu.Unlock()
	for _, a := range gone {
		b.changed(a, false)
	}
	return len(gone)
}

// Len is the number of bindings.
func (b *Bindings) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.m)
}
