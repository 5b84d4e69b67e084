package agent

import (
	"net/netip"
	"sync"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
)

// Bindings are the current addresses of registered mobile numbers, learned
// from RADIUS accounting, each until its session stops or times out.
type Bindings struct {
	now func() time.Time
	mu  sync.RWMutex
	m   map[netip.Addr]binding
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
	b.mu.Unlock()
}

// Unbind removes a's binding if it belongs to session (a later session
// that reused the address keeps it).
func (b *Bindings) Unbind(a netip.Addr, session string) {
	b.mu.Lock()
	if cur, ok := b.m[a.Unmap()]; ok && (session == "" || cur.session == session) {
		delete(b.m, a.Unmap())
	}
	b.mu.Unlock()
}

// Lookup returns the number bound to a, if its session is live.
func (b *Bindings) Lookup(a netip.Addr) (feed.Entry, bool) {
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
	defer b.mu.Unlock()
	n := 0
	for a, x := range b.m {
		if now.After(x.expires) {
			delete(b.m, a)
			n++
		}
	}
	return n
}

// Len is the number of bindings.
func (b *Bindings) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.m)
}
