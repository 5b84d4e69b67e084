// Package publish turns registry changes into the signed allowlist feed:
// versions batched at most once a second from the outbox the registry
// writes, snapshot and delta files, the notification re-signed every 15
// minutes, retention, and the reading side (notification, files, long-poll
// wait) with its access rules. Files live in the database, so several
// ipreg serve replicas over one PostgreSQL serve one consistent feed.
package publish

import (
	"context"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
)

// Store is the feed's storage. FeedWrite runs fn in one transaction.
type Store interface {
	FeedWrite(ctx context.Context, fn func(Tx) error) error
	FeedRead(ctx context.Context, fn func(Tx) error) error
}

// Scope is one feed: "" the global feed, else an operator's.
type Scope struct {
	Name            string
	SessionID       string
	Version         int64
	ChangeSeq       int64 // outbox position published
	Notification    string
	SignedAt        time.Time
	SignedWith      string // the keys it was signed with and announced, to notice a rotation
	SnapshotVersion int64
	SnapshotName    string
	SnapshotAt      time.Time
}

// Change is one outbox row.
type Change struct {
	Seq       int64
	Target    string // "" for prefixes, an operator id for its mobile numbers
	Op        string // add or remove
	Entry     feed.Entry
	Effective bool // whether applying it changed the set
}

// File is a published snapshot or delta. Content is left empty by Files.
type File struct {
	Name       string
	Scope      string
	Kind       string // snapshot or delta
	Version    int64
	SHA256     string
	Size       int64
	Content    []byte
	CreatedAt  time.Time
	UnlistedAt time.Time
}

// Tx is what the publisher does in a transaction.
type Tx interface {
	// LockHead takes the publishers' lock (until the transaction ends) and
	// returns how far the outbox has been applied.
	LockHead(ctx context.Context) (appliedSeq int64, err error)
	SetHead(ctx context.Context, appliedSeq int64) error
	LastChangeSeq(ctx context.Context) (int64, error)
	Changes(ctx context.Context, after, upTo int64) ([]Change, error)
	// ApplyChange adds or removes the entry in the current set and records
	// whether that changed anything.
	ApplyChange(ctx context.Context, c *Change) error
	// Entries returns the current entries of the targets, sorted by key.
	Entries(ctx context.Context, targets []string) ([]feed.Entry, error)
	Scopes(ctx context.Context) ([]*Scope, error)
	PutScope(ctx context.Context, s *Scope) error
	// DeleteScope removes a feed's row (NewSession).
	DeleteScope(ctx context.Context, name string) error
	PutFile(ctx context.Context, f *File) error
	Files(ctx context.Context, scope string) ([]*File, error)
	UnlistFile(ctx context.Context, name string, at time.Time) error
	DeleteFile(ctx context.Context, name string) error
	// File returns one file with its content; registry.ENOTFOUND if absent.
	File(ctx context.Context, name string) (*File, error)
	OperatorIDs(ctx context.Context) ([]string, error)
}
