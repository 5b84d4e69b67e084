package registry

import (
	"context"
	"sync"
	"time"
)

// pdfAccountWait is how long an account's second PDF waits for its first
// to be checked before the upload is refused with ETOOMANY: a PDF check
// takes at most pdfCheckTime once a core is free.
const pdfAccountWait = 5 * time.Second

// accountSlots gives each account one slot, so that one applicant's PDFs
// are checked one at a time and cannot fill pdfGate's cores and queue
// while others wait. The zero value is ready; an account's entry lives
// only while it holds or waits for its slot.
type accountSlots struct {
	wait time.Duration // 0: pdfAccountWait
	mu   sync.Mutex
	m    map[string]*accountSlot
}

type accountSlot struct {
	ch    chan struct{} // holds a token while the slot is taken
	users int           // holders and waiters
}

// acquire takes account's slot, waiting at most s.wait; the error is
// ETOOMANY with a RetryAfter, or ctx's error.
func (s *accountSlots) acquire(ctx context.Context, account string) (release func(), err error) {
	wait := s.wait
	if wait == 0 {
		wait = pdfAccountWait
	}
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]*accountSlot{}
	}
	sl := s.m[account]
	if sl == nil {
		sl = &accountSlot{ch: make(chan struct{}, 1)}
		s.m[account] = sl
	}
	sl.users++
	s.mu.Unlock()
	done := func() {
		s.mu.Lock()
		if sl.users--; sl.users == 0 {
			delete(s.m, account)
		}
		s.mu.Unlock()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case sl.ch <- struct{}{}:
		return func() { <-sl.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	case <-t.C:
		done()
		return nil, &Error{Code: ETOOMANY, RetryAfter: wait,
			Message: "another of your PDFs is being checked; upload one document at a time, and try this one again in a few seconds"}
	}
}
