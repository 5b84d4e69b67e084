package publish

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ipreg/ipreg/internal/feed"
)

// Timing of the feed (README, "The allowlist feed").
const (
	MinInterval    = time.Second      // at most one version a second
	ResignEvery    = 15 * time.Minute // notification re-signed even without changes
	NotifyLifetime = time.Hour        // a notification's expires, after its timestamp
	SnapshotEvery  = 24 * time.Hour   // a fresh snapshot at least daily
	DeltaKeep      = 24 * time.Hour   // deltas listed at least this long …
	FileGrace      = time.Hour        // … and files kept this long after they leave the notification
)

// Publisher makes feed versions from the registry's outbox.
type Publisher struct {
	store Store
	keys  Keys
	now   func() time.Time
	log   *slog.Logger

	kick    chan struct{}
	mu      sync.Mutex
	onPub   []func()
	lastPub time.Time
	// cycled is closed (and replaced) after each cycle of PublishOnce, to
	// wake WaitPublished.
	cycled chan struct{}

	// markerCopy is a second copy of the feed-state marker outside the
	// data directory (SetMarkerCopy), "" for none.
	markerCopy string
	// resigned: the first cycle since start has re-signed every feed.
	resigned bool
}

// SetMarkerCopy keeps a second copy of the feed-state marker at path
// (ipreg serve --feed-state-copy), outside the data directory, so that a
// restore of the whole data directory, database and marker together, is
// still noticed: the copy stays ahead, and the restored feed gets a new
// session. Call it before the first publish. The file may be missing (it
// is created at the first publish), its directory may not: a directory
// that is not there is a volume that is not mounted, and a copy written
// into the mount point would be lost, or stale, when it is mounted again.
// The error says so.
func (p *Publisher) SetMarkerCopy(path string) error {
	if path != "" {
		dir := filepath.Dir(path)
		st, err := os.Stat(dir)
		if err == nil && !st.IsDir() {
			err = errors.New("not a directory")
		}
		if err != nil {
			return fmt.Errorf("--feed-state-copy %s: its directory %s: %v (is its volume mounted? the copy must live where a restore of the data directory does not reach; create the directory or mount the volume)", path, dir, err)
		}
	}
	p.markerCopy = path
	return nil
}

// warnMissingMarker logs an error for each marker copy that is missing
// while another exists: it is about to be recreated from the other, and
// whatever removed it (a volume replaced, a restore, a clean-up) may also
// have taken the detection of a restored data directory with it. Both
// missing is a first start.
func (p *Publisher) warnMissingMarker() {
	var present, missing []string
	for _, path := range p.markerPaths() {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, path)
		} else {
			present = append(present, path)
		}
	}
	if len(present) > 0 && len(missing) > 0 {
		p.log.Error("feed: a feed-state marker copy is missing; recreating it from the other. If a volume was replaced or a directory restored, check that the data directory is the newest: a data directory restored whole is detected only while the copy outside it survives",
			"missing", missing, "present", present)
	}
}

// markerPaths are the marker's copies.
func (p *Publisher) markerPaths() []string {
	paths := []string{filepath.Join(p.keys.Dir, markerFile)}
	if p.markerCopy != "" {
		paths = append(paths, p.markerCopy)
	}
	return paths
}

// NewPublisher returns a publisher; Run starts it.
func NewPublisher(store Store, keys Keys, now func() time.Time, log *slog.Logger) *Publisher {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Publisher{store: store, keys: keys, now: now, log: log, kick: make(chan struct{}, 1), cycled: make(chan struct{})}
}

// WaitPublished waits until the running publisher (Run) has published
// every outbox change committed before the call, and returns the global
// feed's version then: an agent at that version has those changes (the
// import's report, issue 13). The version is the one that published them,
// or a later one when the feed moved on again before this call read it.
// It kicks the publisher and waits on its cycles (Run keeps its rate
// limit); ctx bounds the wait.
func (p *Publisher) WaitPublished(ctx context.Context) (int64, error) {
	var upTo int64
	err := p.store.FeedRead(ctx, func(tx Tx) error {
		var err error
		upTo, err = tx.LastChangeSeq(ctx)
		return err
	})
	if err != nil {
		return 0, err
	}
	for {
		p.mu.Lock()
		cycled := p.cycled
		p.mu.Unlock()
		var global *Scope
		err := p.store.FeedRead(ctx, func(tx Tx) error {
			scopes, err := tx.Scopes(ctx)
			for _, s := range scopes {
				if s.Name == "" {
					global = s
				}
			}
			return err
		})
		if err != nil {
			return 0, err
		}
		if global != nil && global.ChangeSeq >= upTo && global.Version > 0 {
			return global.Version, nil
		}
		p.Kick()
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-cycled:
		}
	}
}

// wake ends a cycle for WaitPublished.
func (p *Publisher) wake() {
	p.mu.Lock()
	close(p.cycled)
	p.cycled = make(chan struct{})
	p.mu.Unlock()
}

// Kick asks for a publish now (rate-limited to MinInterval). It never blocks.
func (p *Publisher) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// OnPublish registers fn to run after each cycle that changed the feed.
func (p *Publisher) OnPublish(fn func()) {
	p.mu.Lock()
	p.onPub = append(p.onPub, fn)
	p.mu.Unlock()
}

// Run publishes on every Kick and at least every poll interval (changes
// made through other replicas, re-signing, retention) until ctx ends.
func (p *Publisher) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if wait := MinInterval - p.now().Sub(p.lastPub); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		changed, err := p.PublishOnce(ctx)
		if err != nil && ctx.Err() == nil {
			p.log.Error("feed: publish", "err", err)
		}
		if changed {
			p.lastPub = p.now()
		}
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		case <-t.C:
		}
	}
}

// Result says what one cycle did, per scope.
type Result struct {
	Versions  map[string]int64 // scopes that got a new version
	Snapshots int
	Resigned  int
	Deleted   int
	marks     map[string]Mark // every scope's state, for the feed-state marker
}

// PublishOnce runs one cycle and reports whether the feed changed. It first
// looks without a lock, so idle replicas cost one small query a poll.
func (p *Publisher) PublishOnce(ctx context.Context) (_ bool, err error) {
	defer func() {
		// A failed cycle wakes nobody: WaitPublished would only kick
		// the next failure at once.
		if err == nil {
			p.wake()
		}
	}()
	cur, next, err := p.keys.Load()
	if err != nil {
		return false, fmt.Errorf("feed keys: %w", err)
	}
	signedWith := keyState(cur, next)
	now := p.now().UTC()
	mk := p.marker()
	// A key that is neither the marker's nor its announced next key is a
	// retired one put back: agents refuse all it signs, so publish nothing
	// and say why (Run logs the error every cycle until the key is fixed).
	if err := mk.checkKeys(cur, p.markerPaths()); err != nil {
		return false, err
	}
	// The first cycle after start re-signs every feed, changed or not: a
	// data directory restored whole (database and marker together) looks
	// consistent, and its notifications, signed before the backup, would
	// be refused by agents as replays until the next re-signing, while they
	// kept entries the registry no longer holds. Signed afresh, the
	// notification shows them the version going back (or the hashes
	// changing) at once, and they take the snapshot.
	p.mu.Lock()
	resign := !p.resigned
	p.mu.Unlock()
	due := resign
	err = p.store.FeedRead(ctx, func(tx Tx) error {
		var err error
		if !due {
			due, err = p.due(ctx, tx, now, signedWith, mk)
		}
		return err
	})
	if err != nil || !due {
		return false, err
	}
	var res Result
	err = p.store.FeedWrite(ctx, func(tx Tx) error {
		var err error
		// Read again under the publishers' lock: another replica may have
		// moved the feed and the marker on since.
		res, err = p.cycle(ctx, tx, now, cur, next, signedWith, p.marker(), resign)
		return err
	})
	if err != nil {
		return false, err
	}
	p.mu.Lock()
	p.resigned = true
	p.mu.Unlock()
	// After the commit: the marker never names a state the database lacks.
	keys := keyMark(cur, next, now)
	p.warnMissingMarker()
	for _, path := range p.markerPaths() {
		if err := saveMarker(path, res.marks, keys); err != nil {
			return false, fmt.Errorf("feed-state marker: %w", err)
		}
	}
	changed := len(res.Versions) > 0 || res.Snapshots > 0 || res.Resigned > 0
	if len(res.Versions) > 0 {
		p.log.Info("feed: published", "versions", res.Versions, "snapshots", res.Snapshots)
	}
	if changed {
		p.mu.Lock()
		fns := slices.Clone(p.onPub)
		p.mu.Unlock()
		for _, fn := range fns {
			fn()
		}
	}
	return changed, nil
}

// marker reads the feed-state marker beside the keys; a damaged one is
// logged and counts as none (see loadMarker).
func (p *Publisher) marker() marker {
	m := marker{Scopes: map[string]Mark{}}
	for _, path := range p.markerPaths() {
		c, err := loadMarker(path)
		if err != nil {
			p.log.Error("feed: the feed-state marker is unreadable; publishing without it until it is rewritten", "err", err)
		}
		m.merge(c) // the later state of each feed, from either copy
	}
	return m
}

func keyState(cur, next ed25519.PrivateKey) string {
	s := feed.FormatPublicKey(cur.Public().(ed25519.PublicKey))
	if next != nil {
		s += " next " + feed.FormatPublicKey(next.Public().(ed25519.PublicKey))
	}
	return s
}

// due reports whether a cycle has anything to do.
func (p *Publisher) due(ctx context.Context, tx Tx, now time.Time, signedWith string, mk marker) (bool, error) {
	last, err := tx.LastChangeSeq(ctx)
	if err != nil {
		return false, err
	}
	scopes, err := tx.Scopes(ctx)
	if err != nil {
		return false, err
	}
	ops, err := tx.OperatorIDs(ctx)
	if err != nil {
		return false, err
	}
	if len(scopes) != len(ops)+1 {
		return true, nil // a scope to create
	}
	for _, s := range scopes {
		if s.ChangeSeq < last || s.SignedWith != signedWith || now.Sub(s.SignedAt) >= ResignEvery ||
			now.Sub(s.SnapshotAt) >= SnapshotEvery {
			return true, nil
		}
		// The marker differs: the database went back (a new session is
		// due), or the marker lags (it moves up). A notification signed at
		// another time than the marker's is a difference too: a version
		// reissued (publishScope compares the hashes), or, more often,
		// another replica's re-signing.
		if m, ok := mk.Scopes[s.Name]; !ok || m.SessionID != s.SessionID || m.Version != s.Version || !m.SignedAt.Equal(s.SignedAt.Truncate(time.Microsecond)) {
			return true, nil
		}
	}
	return false, nil
}

func (p *Publisher) cycle(ctx context.Context, tx Tx, now time.Time, cur, next ed25519.PrivateKey, signedWith string, mk marker, resign bool) (Result, error) {
	res := Result{Versions: map[string]int64{}, marks: map[string]Mark{}}
	applied, err := tx.LockHead(ctx)
	if err != nil {
		return res, err
	}
	last, err := tx.LastChangeSeq(ctx)
	if err != nil {
		return res, err
	}
	// Apply the outbox to the current set, noting which changes mattered.
	changes, err := tx.Changes(ctx, applied, last)
	if err != nil {
		return res, err
	}
	for i := range changes {
		if err := tx.ApplyChange(ctx, &changes[i]); err != nil {
			return res, err
		}
	}
	if err := tx.SetHead(ctx, last); err != nil {
		return res, err
	}
	existing, err := tx.Scopes(ctx)
	if err != nil {
		return res, err
	}
	byName := map[string]*Scope{}
	for _, s := range existing {
		byName[s.Name] = s
	}
	ops, err := tx.OperatorIDs(ctx)
	if err != nil {
		return res, err
	}
	for _, name := range append([]string{""}, ops...) {
		s := byName[name]
		if s == nil {
			s = &Scope{Name: name, SessionID: uuid.NewString()}
		}
		var m *Mark
		if x, ok := mk.Scopes[name]; ok {
			m = &x
		}
		if err := p.publishScope(ctx, tx, s, m, changes, last, now, cur, next, signedWith, resign, &res); err != nil {
			return res, fmt.Errorf("scope %q: %w", name, err)
		}
	}
	return res, nil
}

// targets are the outbox targets a scope carries.
func targets(scope string) []string {
	if scope == "" {
		return []string{""}
	}
	return []string{"", scope}
}

// netOps reduces a window of effective changes to deltas, each with one
// operation per key: effective operations on a key alternate, so an odd
// count means the key's state flipped and the last operation says to
// what. An even count usually means nothing changed, except when the
// entry was removed and added back with other contents (a renewal moves
// its entries' until; the key is prefix and registration, not until): a
// delta cannot say that with one operation on the key, so the removal
// goes in the first delta and the new entry in a second. Both versions are
// published under one notification, and agents apply every delta a
// notification lists before answering from the new table, so the entry
// is never missing from what they serve. The second delta is nil when no
// entry changed in place.
func netOps(changes []Change, scope string) (ops, readds []feed.Op) {
	ts := targets(scope)
	count := map[string]int{}
	firstOp := map[string]feed.Op{}
	lastOp := map[string]feed.Op{}
	for _, c := range changes {
		if !c.Effective || !slices.Contains(ts, c.Target) {
			continue
		}
		k := c.Entry.Key()
		if count[k] == 0 {
			firstOp[k] = feed.Op{Op: c.Op, Entry: c.Entry}
		}
		count[k]++
		lastOp[k] = feed.Op{Op: c.Op, Entry: c.Entry}
	}
	for k, n := range count {
		switch {
		case n%2 == 1:
			ops = append(ops, lastOp[k])
		case firstOp[k].Op == "remove" && lastOp[k].Entry != firstOp[k].Entry:
			ops = append(ops, firstOp[k])
			readds = append(readds, lastOp[k])
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Key() < ops[j].Key() })
	sort.Slice(readds, func(i, j int) bool { return readds[i].Key() < readds[j].Key() })
	return ops, readds
}

func fileName(kind string, version int64) string {
	b := make([]byte, 8)
	rand.Read(b)
	return fmt.Sprintf("%s-%d-%s.jsonl.gz", kind, version, hex.EncodeToString(b))
}

// publishScope brings one scope's feed to the current set: a delta, a
// snapshot when due, retention, and the notification signed. m is the
// feed-state marker's record of the scope (nil when it has none): a
// database behind it gets a new session.
func (p *Publisher) publishScope(ctx context.Context, tx Tx, s *Scope, m *Mark, changes []Change, last int64, now time.Time,
	cur, next ed25519.PrivateKey, signedWith string, resign bool, res *Result) error {
	files, err := tx.Files(ctx, s.Name)
	if err != nil {
		return err
	}
	restart := ""
	if m != nil {
		restart = behind(s, files, *m)
	}
	if restart != "" {
		// A new session, with a fresh snapshot of the current set. Its
		// version continues above every version the old session reached,
		// so agents long-polling with after=<their version> wake at once.
		old := s.SessionID
		if s.Version == 0 {
			old = ""
		}
		s.SessionID, s.Version = uuid.NewString(), max(s.Version, m.Version)+1
		res.Versions[s.Name] = s.Version
		p.log.Warn("feed: the database's feed state went back (restored from a backup?); starting a new session",
			"feed", feed.FeedName(s.Name), "reason", restart, "old_session", old, "marker_session", m.SessionID,
			"marker_version", m.Version, "new_session", s.SessionID, "version", s.Version)
	}
	var snapSize int64
	var snapHash string
	var deltas []*File
	for _, f := range files {
		switch {
		case f.Kind == "snapshot" && f.Name == s.SnapshotName:
			snapSize, snapHash = f.Size, f.SHA256
		case f.Kind == "delta" && f.UnlistedAt.IsZero():
			deltas = append(deltas, f)
		}
	}
	changed := false
	var madeHash string // the hash of the delta made now
	if restart != "" {
		// The old session's files leave the notification (and go after
		// FileGrace); the new one starts from its snapshot alone.
		for _, d := range deltas {
			if err := tx.UnlistFile(ctx, d.Name, now); err != nil {
				return err
			}
		}
		deltas = nil
	} else if s.Version > 0 {
		ops, readds := netOps(changes, s.Name)
		for _, ops := range [][]feed.Op{ops, readds} {
			if len(ops) == 0 {
				continue
			}
			s.Version++
			b, err := feed.EncodeDelta(feed.Header{SessionID: s.SessionID, Version: s.Version}, ops)
			if err != nil {
				return err
			}
			f := &File{Name: fileName("delta", s.Version), Scope: s.Name, Kind: "delta", Version: s.Version,
				SHA256: feed.Hash(b), Size: int64(len(b)), Content: b, CreatedAt: now}
			if err := tx.PutFile(ctx, f); err != nil {
				return err
			}
			deltas = append(deltas, f)
			madeHash = f.SHA256
			changed = true
			res.Versions[s.Name] = s.Version
		}
	}
	s.ChangeSeq = last
	// A fresh snapshot: for a new scope, daily, or once the deltas since
	// the last one outweigh it (then a snapshot is the cheaper download).
	var since int64
	for _, d := range deltas {
		if d.Version > s.SnapshotVersion {
			since += d.Size
		}
	}
	if s.Version == 0 || restart != "" || now.Sub(s.SnapshotAt) >= SnapshotEvery || since > snapSize {
		if s.Version == 0 {
			s.Version = 1
			res.Versions[s.Name] = 1
		}
		entries, err := tx.Entries(ctx, targets(s.Name))
		if err != nil {
			return err
		}
		b, err := feed.EncodeSnapshot(feed.Header{SessionID: s.SessionID, Version: s.Version}, entries)
		if err != nil {
			return err
		}
		f := &File{Name: fileName("snapshot", s.Version), Scope: s.Name, Kind: "snapshot", Version: s.Version,
			SHA256: feed.Hash(b), Size: int64(len(b)), Content: b, CreatedAt: now}
		if err := tx.PutFile(ctx, f); err != nil {
			return err
		}
		for _, old := range files {
			if old.Kind == "snapshot" && old.UnlistedAt.IsZero() {
				if err := tx.UnlistFile(ctx, old.Name, now); err != nil {
					return err
				}
			}
		}
		s.SnapshotVersion, s.SnapshotName, s.SnapshotAt, snapSize, snapHash = s.Version, f.Name, now, f.Size, f.SHA256
		changed = true
		res.Snapshots++
	}
	// Deltas stay listed for DeltaKeep unless together they outgrow the
	// snapshot. The chain must be unbroken, so the first delta dropped
	// (newest first) drops every older one too.
	sort.Slice(deltas, func(i, j int) bool { return deltas[i].Version > deltas[j].Version })
	var listed []*File
	var cum int64
	for i, d := range deltas {
		cum += d.Size
		if now.Sub(d.CreatedAt) > DeltaKeep || cum > snapSize {
			for _, drop := range deltas[i:] {
				if err := tx.UnlistFile(ctx, drop.Name, now); err != nil {
					return err
				}
			}
			break
		}
		listed = append(listed, d)
	}
	// Files out of the notification for longer than FileGrace go: a client
	// holding an older notification has had time to fetch them.
	for _, f := range files {
		if !f.UnlistedAt.IsZero() && now.Sub(f.UnlistedAt) >= FileGrace {
			if err := tx.DeleteFile(ctx, f.Name); err != nil {
				return err
			}
			res.Deleted++
		}
	}
	// What the marker records once this commits.
	mark := Mark{SessionID: s.SessionID, Version: s.Version, Hash: madeHash, SignedAt: s.SignedAt}
	if mark.Hash == "" && restart == "" {
		mark.Hash = deltaHash(files, s.Version)
	}
	// The database keeps times to the microsecond; so does the marker, or
	// due would find them different after every cycle.
	defer func() { mark.SignedAt = s.SignedAt.Truncate(time.Microsecond); res.marks[s.Name] = mark }()
	if !changed && !resign && s.SignedWith == signedWith && now.Sub(s.SignedAt) < ResignEvery {
		return tx.PutScope(ctx, s) // only ChangeSeq moved
	}
	n := feed.Notification{Feed: feed.FeedName(s.Name), SessionID: s.SessionID, Version: s.Version, Timestamp: now, Expires: now.Add(NotifyLifetime),
		Snapshot: feed.FileRef{Version: s.SnapshotVersion, URL: "files/" + s.SnapshotName, Hash: snapHash},
		Deltas:   []feed.FileRef{}}
	// Deltas oldest first, as clients apply them.
	for i := len(listed) - 1; i >= 0; i-- {
		d := listed[i]
		n.Deltas = append(n.Deltas, feed.FileRef{Version: d.Version, URL: "files/" + d.Name, Hash: d.SHA256})
	}
	if next != nil {
		n.NextSigningKey = feed.FormatPublicKey(next.Public().(ed25519.PublicKey))
	}
	jws, err := feed.Sign(n, cur)
	if err != nil {
		return err
	}
	s.Notification, s.SignedAt, s.SignedWith = jws, now, signedWith
	if !changed {
		res.Resigned++
	}
	return tx.PutScope(ctx, s)
}
