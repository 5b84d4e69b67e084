package publish

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/registry"
)

// Reader serves the feed: notifications and files from the store, and
// long-polls that return as soon as a newer version exists. It keeps the
// current notifications in memory, refreshed by Run from the store, so
// waiters on every replica wake for versions any replica published.
type Reader struct {
	store Store
	log   *slog.Logger

	mu      sync.Mutex
	scopes  map[string]view
	changed chan struct{} // closed and replaced when a scope changes

	files     map[string]*File // immutable, so cached without invalidation
	fileOrder []string
	fileBytes int64
	loading   singleflight.Group // one store read per file however many agents ask at once
}

type view struct {
	version      int64
	notification string
	// The notification's files, read once per change for streams.
	snapshot feed.FileRef
	deltas   []feed.FileRef
}

// MaxCachedFileBytes bounds the in-memory file cache.
const MaxCachedFileBytes = 256 << 20

// MaxWait is the longest a long-poll waits (below the server's write timeout).
const MaxWait = 25 * time.Second

// NewReader returns a reader; call Refresh or Run before serving.
func NewReader(store Store, log *slog.Logger) *Reader {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reader{store: store, log: log, scopes: map[string]view{}, changed: make(chan struct{}), files: map[string]*File{}}
}

// Run refreshes every poll until ctx ends.
func (r *Reader) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := r.Refresh(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("feed: refresh", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Refresh reloads the scopes' notifications and wakes waiters if any changed.
func (r *Reader) Refresh(ctx context.Context) error {
	var scopes []*Scope
	if err := r.store.FeedRead(ctx, func(tx Tx) error {
		var err error
		scopes, err = tx.Scopes(ctx)
		return err
	}); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, s := range scopes {
		old := r.scopes[s.Name]
		if old.version == s.Version && old.notification == s.Notification {
			continue
		}
		v := view{version: s.Version, notification: s.Notification}
		if n, err := feed.PayloadUnverified(s.Notification); err == nil {
			v.snapshot, v.deltas = n.Snapshot, n.Deltas
		}
		r.scopes[s.Name] = v
		changed = true
	}
	if changed {
		close(r.changed)
		r.changed = make(chan struct{})
	}
	return nil
}

// allowed applies the feed's access rule: the global feed is public; an
// operator's feed is for that operator's users alone, and for anyone else
// it does not exist.
// Allowed says whether actor may read scope's feed ("" is the public one):
// nil, EUNAUTHORIZED without a token for an operator's feed, ENOTFOUND for
// another operator's. Handlers call it before they look at the request's
// parameters, so that a caller without a right learns nothing from them.
func (r *Reader) Allowed(actor *registry.User, scope string) error { return allowed(actor, scope) }

func allowed(actor *registry.User, scope string) error {
	if scope == "" {
		return nil
	}
	if actor == nil {
		return registry.Errorf(registry.EUNAUTHORIZED, "an operator feed needs that operator's API token: send Authorization: Bearer <token>")
	}
	if actor.Role != registry.RoleOperator || actor.OperatorID != scope {
		return registry.Errorf(registry.ENOTFOUND, "no feed for operator %s", scope)
	}
	return nil
}

func (r *Reader) current(scope string) (view, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.scopes[scope], r.changed
}

var errNotYet = registry.Errorf(registry.ENOTFOUND, "the feed has not been published yet; try again in a few seconds")

// Notification returns a scope's current signed notification and version.
func (r *Reader) Notification(ctx context.Context, actor *registry.User, scope string) (string, int64, error) {
	if err := allowed(actor, scope); err != nil {
		return "", 0, err
	}
	v, _ := r.current(scope)
	if v.notification == "" {
		return "", 0, errNotYet
	}
	return v.notification, v.version, nil
}

// Wait returns the notification as soon as the scope's version is above
// after, or ok=false when timeout passes first.
func (r *Reader) Wait(ctx context.Context, actor *registry.User, scope string, after int64, timeout time.Duration) (string, int64, bool, error) {
	if err := allowed(actor, scope); err != nil {
		return "", 0, false, err
	}
	if timeout <= 0 || timeout > MaxWait {
		timeout = MaxWait
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		v, changed := r.current(scope)
		if v.notification != "" && v.version > after {
			return v.notification, v.version, true, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return "", v.version, false, nil
		case <-ctx.Done():
			return "", v.version, false, ctx.Err()
		}
	}
}

// File returns a published file of the scope.
func (r *Reader) File(ctx context.Context, actor *registry.User, scope, name string) (*File, error) {
	if err := allowed(actor, scope); err != nil {
		return nil, err
	}
	r.mu.Lock()
	f := r.files[name]
	r.mu.Unlock()
	if f == nil {
		// A new version wakes every long-poll at once, and each agent then
		// asks for the same new delta: without this, each of thousands of
		// requests read the file from the store before the first one had
		// cached it. The read is the first caller's and outlives none of
		// them: detached from the first caller's cancellation, bounded by its own
		// timeout.
		v, err, _ := r.loading.Do(name, func() (any, error) {
			// A caller that missed the cache just before an earlier
			// flight for this file ended starts a flight of its own:
			// look again, so it does not read the store a second time.
			r.mu.Lock()
			f := r.files[name]
			r.mu.Unlock()
			if f != nil {
				return f, nil
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			err := r.store.FeedRead(rctx, func(tx Tx) error {
				var err error
				f, err = tx.File(rctx, name)
				return err
			})
			if err != nil {
				return nil, err
			}
			r.cache(f)
			return f, nil
		})
		if err != nil {
			return nil, err
		}
		f = v.(*File)
	}
	if f.Scope != scope {
		return nil, registry.Errorf(registry.ENOTFOUND, "file %s not found in this feed", name)
	}
	return f, nil
}

func (r *Reader) cache(f *File) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.files[f.Name]; ok || f.Size > MaxCachedFileBytes/4 {
		return
	}
	for r.fileBytes+f.Size > MaxCachedFileBytes && len(r.fileOrder) > 0 {
		old := r.fileOrder[0]
		r.fileOrder = r.fileOrder[1:]
		r.fileBytes -= r.files[old].Size
		delete(r.files, old)
	}
	r.files[f.Name] = f
	r.fileOrder = append(r.fileOrder, f.Name)
	r.fileBytes += f.Size
}
