package publish

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/registry"
)

// MaxInlineFileBytes bounds a file a stream carries inline; a larger one
// the client fetches by its URL (through a cache, if any).
const MaxInlineFileBytes = 64 << 10

// maxInlineFiles bounds the deltas one stream step carries: a client
// further behind gets the snapshot instead.
const maxInlineFiles = 16

// Step is what a feed stream sends next: the files a client needs to
// reach the notification's version (the deltas after its version, oldest
// first, or the snapshot; each at most MaxInlineFileBytes; possibly none,
// then the client fetches what it needs by URL), then the notification
// that lists them.
type Step struct {
	Notification string
	Version      int64
	Files        []*File
}

// Next waits until the scope's notification differs from sent (the one a
// stream sent last; "" for none: a stream opens with the current one,
// whatever version the client holds, which may be of another session),
// or until wake fires (ok=false: the caller sends a
// keep-alive and asks again), or ctx ends. A re-signed notification of the
// same version is a step too: it keeps the client's data age fresh. Inline
// files: see inline; a cache miss reads the store once for all streams
// (File).
func (r *Reader) Next(ctx context.Context, actor *registry.User, scope, sent string, have int64, wake <-chan time.Time) (Step, bool, error) {
	if err := allowed(actor, scope); err != nil {
		return Step{}, false, err
	}
	for {
		v, changed := r.current(scope)
		if v.notification != "" && v.notification != sent {
			st := Step{Notification: v.notification, Version: v.version}
			st.Files = r.inline(ctx, actor, scope, v, have)
			return st, true, nil
		}
		select {
		case <-changed:
		case <-wake:
			return Step{}, false, nil
		case <-ctx.Done():
			return Step{}, false, ctx.Err()
		}
	}
}

// inline returns the files a client at version have needs to reach v, as
// ipreg-agent decides (RRDP's rule): the deltas after have when v lists
// them all and a file of version have itself (the link the client checks
// its history against), else v's snapshot and the deltas after it. None
// when a file is too large (MaxInlineFileBytes) or unreadable, when more
// than maxInlineFiles deltas would go, or when the client holds v already:
// the client then fetches what it needs by URL, as without a stream.
func (r *Reader) inline(ctx context.Context, actor *registry.User, scope string, v view, have int64) []*File {
	if v.version == have {
		return nil
	}
	delta := func(version int64) (feed.FileRef, bool) {
		i := slices.IndexFunc(v.deltas, func(d feed.FileRef) bool { return d.Version == version })
		if i < 0 {
			return feed.FileRef{}, false
		}
		return v.deltas[i], true
	}
	// deltasFrom lists the deltas from+1 … v's version, or false.
	deltasFrom := func(from int64) ([]feed.FileRef, bool) {
		if v.version-from > maxInlineFiles {
			return nil, false
		}
		var out []feed.FileRef
		for want := from + 1; want <= v.version; want++ {
			d, ok := delta(want)
			if !ok {
				return nil, false
			}
			out = append(out, d)
		}
		return out, true
	}
	_, linked := delta(have)
	refs, ok := deltasFrom(have)
	if have <= 0 || have > v.version || !ok || !linked && v.snapshot.Version != have {
		if v.snapshot.URL == "" {
			return nil
		}
		after, ok := deltasFrom(v.snapshot.Version)
		if !ok {
			after = nil // the client fetches what follows the snapshot
		}
		refs = append([]feed.FileRef{v.snapshot}, after...)
	}
	var out []*File
	for _, ref := range refs {
		f, err := r.File(ctx, actor, scope, strings.TrimPrefix(ref.URL, "files/"))
		if err != nil || f.Size > MaxInlineFileBytes || f.SHA256 != ref.Hash {
			return out // what was read, in order: the client fetches the rest
		}
		out = append(out, f)
	}
	return out
}
