package agent

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
)

// syncError carries the reason label for the rejected-files metric.
type syncError struct {
	reason string
	err    error
}

func (e *syncError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *syncError) Unwrap() error { return e.err }

func reject(reason string, format string, args ...any) error {
	return &syncError{reason: reason, err: fmt.Errorf(format, args...)}
}

// Reason returns the metric label of a sync error.
func Reason(err error) string {
	var se *syncError
	if errors.As(err, &se) {
		return se.reason
	}
	return "fetch"
}

func (a *Agent) feedURL(path string) string {
	p := "/feed/v1/"
	if a.cfg.Operator != "" {
		p += "operators/" + url.PathEscape(a.cfg.Operator) + "/"
	}
	return a.cfg.Registry.JoinPath(p + path).String()
}

// get fetches a URL with the operator token, bounded in time and size.
func (a *Agent) get(ctx context.Context, u string, timeout time.Duration, limit int64) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return 0, nil, err
	}
	if a.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.cfg.Token)
	}
	res, err := a.cfg.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return res.StatusCode, nil, err
	}
	if int64(len(b)) > limit {
		return res.StatusCode, nil, reject("too_large", "%s is larger than %d bytes", u, limit)
	}
	return res.StatusCode, b, nil
}

const (
	maxNotification = 1 << 20
	maxFile         = 2 << 30
)

// fetchNotification gets the current notification, or, with wait, long-
// polls for one newer than the agent's version (ok=false when none came).
func (a *Agent) fetchNotification(ctx context.Context, wait time.Duration) (string, bool, error) {
	u, timeout := a.feedURL("notification.jose"), a.cfg.Timeout
	if wait > 0 {
		var after int64
		if s := a.state.Load(); s != nil {
			after = s.Version
		}
		u = a.feedURL("wait") + "?after=" + strconv.FormatInt(after, 10) + "&timeout=" + strconv.Itoa(int(wait/time.Second))
		timeout = wait + a.cfg.Timeout
	}
	code, b, err := a.get(ctx, u, timeout, maxNotification)
	switch {
	case err != nil:
		return "", false, err
	case code == http.StatusNoContent && wait > 0:
		return "", false, nil
	case code != http.StatusOK:
		return "", false, fmt.Errorf("GET %s: status %d", u, code)
	}
	return string(b), true, nil
}

// fetchFile gets a file named by the notification and checks its hash.
func (a *Agent) fetchFile(ctx context.Context, ref feed.FileRef) ([]byte, error) {
	base, err := url.Parse(a.feedURL("notification.jose"))
	if err != nil {
		return nil, err
	}
	rel, err := url.Parse(ref.URL)
	if err != nil {
		return nil, reject("bad_url", "file URL %q: %v", ref.URL, err)
	}
	u := base.ResolveReference(rel)
	if u.Host != base.Host {
		return nil, reject("bad_url", "file URL %q leaves the registry", ref.URL)
	}
	if b, ok := a.inline.take(ref.Hash); ok {
		a.metrics.inlineFiles.Inc()
		return b, nil // sent by the stream; its hash is the notification's
	}
	code, b, err := a.get(ctx, u.String(), 20*a.cfg.Timeout, maxFile)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", u, code)
	}
	if feed.Hash(b) != ref.Hash {
		return nil, reject("hash_mismatch", "%s: SHA-256 differs from the notification's", ref.URL)
	}
	return b, nil
}

// Sync verifies one notification and brings the table to its version.
// Any failure leaves the current table and state untouched. A refusal
// (other than of a notification not newer, which a replaying path
// causes) stays in Status's LastRefusal until a sync succeeds.
func (a *Agent) Sync(ctx context.Context, jws string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	err := a.sync(ctx, jws)
	var se *syncError
	switch {
	case err == nil:
		a.lastRefusal.Store(nil)
	case errors.As(err, &se) && se.reason != "not_newer":
		msg := err.Error()
		a.lastRefusal.Store(&msg)
	}
	return err
}

// operatorMust lists the refusals no retry mends: the registry's key or
// the agent's configuration must change, so they are logged as errors.
var operatorMust = map[string]bool{"signature": true, "wrong_feed": true}

// logSyncFailure logs a failed sync or stream, saying what lookups are
// answered from meanwhile.
func (a *Agent) logSyncFailure(msg string, err error, backoff time.Duration) {
	if a.state.Load() == nil {
		msg += "; no verified table yet, so lookups answer not ready"
	} else {
		msg += "; serving the last verified table"
	}
	log := a.cfg.Log.Warn
	if operatorMust[Reason(err)] {
		log = a.cfg.Log.Error
	}
	log(msg, "err", err, "retry_in", backoff)
}

func (a *Agent) sync(ctx context.Context, jws string) error {
	n, signer, err := feed.Verify(jws, a.keys.trusted...)
	if err != nil {
		if errors.Is(err, feed.ErrSignature) {
			return reject("signature", "%v", signatureHelp(err, a.keys.trusted))
		}
		return reject("malformed", "%v", err)
	}
	// The notification names its feed under the signature: one of another
	// feed (the global feed served on an operator feed's path, or another
	// operator's) is refused, or its session would replace this one. A
	// notification naming no feed is refused too: every registry names it
	// since feeds were named, so one without is older than that change or
	// made to look so, and nothing says which feed it is. Upgrade the
	// registry before its agents.
	if want := feed.FeedName(a.cfg.Operator); n.Feed != want {
		if n.Feed == "" {
			return reject("wrong_feed", "the notification names no feed (a registry from before feeds were named?); this agent follows %q", want)
		}
		return reject("wrong_feed", "the notification is of feed %q; this agent follows %q", n.Feed, want)
	}
	now := a.cfg.Now()
	if now.After(n.Expires) {
		return reject("expired", "notification of %s expired at %s", n.Timestamp.Format(time.RFC3339), n.Expires.Format(time.RFC3339))
	}
	old := a.state.Load()
	if err := a.checkWatermark(old, n); err != nil {
		return err
	}
	same := old != nil && n.SessionID == old.SessionID
	// skewed: accepted only under the clock-skew allowance (signed before
	// the watermark; checkWatermark let it through because it continues the
	// session without going back). Such a notification may only continue
	// the history the agent applied, never replace it: otherwise anyone
	// holding a notification of another branch of the same session (a
	// registry restored from a backup reissued a version with other
	// content, and the agent followed the newer branch) could switch the
	// agent back to the older branch, and forth, within the allowance. Any
	// continuity doubt about it is a replay, refused; a snapshot fallback
	// is taken only on a notification signed at or after the watermark.
	skewed := !a.watermark.IsZero() && n.Timestamp.Before(a.watermark)
	if skewed && same && n.Version == old.Version {
		if err := a.continuity(old, n); err != nil {
			return replayOf(n, a.watermark, err)
		}
		return nil // an older signature of what the agent holds: nothing to change
	}
	next := &state{Feed: n.Feed, SessionID: n.SessionID, Version: n.Version, Timestamp: n.Timestamp, Expires: n.Expires, LastSuccess: now,
		Hashes: map[int64]string{}, SnapshotHashes: map[int64]string{}, watermark: raiseWatermark(a.watermark, n.Timestamp, now)}
	// Trust the next key the registry announces under a key already
	// trusted; a notification signed with an announced key ends the
	// rotation and retires the keys no longer announced (keyring.go).
	keys, retired, learned, err := a.keys.learn(n, signer)
	if err != nil {
		return err
	}
	next.keys = keys
	for _, k := range keys.trusted {
		next.Keys = append(next.Keys, feed.FormatPublicKey(k))
	}
	commitKeys := func() {
		a.keys = keys
		if learned != nil {
			a.cfg.Log.Info("agent: learned the registry's next signing key", "key", feed.FormatPublicKey(*learned))
		}
		for _, k := range retired {
			a.metrics.keysRetired.Inc()
			if containsKey(a.cfg.TrustKeys, k) {
				a.cfg.Log.Warn("agent: retired a signing key the registry no longer announces; it is never trusted again: update --trust-key to the output of \"ipreg key show\"",
					"retired", feed.FormatPublicKey(k), "signing_key", feed.FormatPublicKey(signer))
			} else {
				a.cfg.Log.Info("agent: retired a signing key the registry no longer announces", "retired", feed.FormatPublicKey(k))
			}
		}
	}

	start := time.Now()
	var table *Table
	var numbers []feed.Entry
	var records []journalRecord // the delta files applied, for the state journal
	if same {
		err := a.continuity(old, n)
		switch {
		case err != nil && skewed:
			return replayOf(n, a.watermark, err)
		case err != nil:
			// Not provably the history the agent applied (a registry
			// restored from a backup reissuing versions, a fork): only the
			// snapshot can be trusted, as RRDP relying parties do.
			// A fallback, not a refusal: counted apart from attacks.
			a.metrics.snapshotFallbacks.WithLabelValues(Reason(err)).Inc()
			level := slog.LevelInfo // routine: deltas pruned, or the link not listed
			if r := Reason(err); r == "hash_changed" || r == "version_back" {
				level = slog.LevelWarn // the registry went back (restored?)
			}
			a.cfg.Log.Log(ctx, level, "agent: cannot continue from the applied version; taking the snapshot", "err", err)
		case n.Version == old.Version:
			table, numbers = old.table, old.numbers // nothing new: only the timestamp moves
		default:
			if table, numbers, records, err = a.applyDeltas(ctx, old.table, old.numbers, old.Version, n); err != nil {
				if skewed {
					return replayOf(n, a.watermark, err)
				}
				a.metrics.snapshotFallbacks.WithLabelValues(Reason(err)).Inc()
				a.cfg.Log.Warn("agent: deltas not applied; taking the snapshot", "err", err)
			}
		}
	}
	fromSnapshot := table == nil
	if fromSnapshot && skewed { // never reached (checkWatermark, the cases above): the rule in one place
		return replayOf(n, a.watermark, errors.New("it would replace the table by its snapshot"))
	}
	if fromSnapshot {
		if table, numbers, err = a.fromSnapshot(ctx, n); err != nil {
			return err
		}
	} else {
		// The history continues: what was seen before stays comparable.
		keepHashes(next.Hashes, old.Hashes, n.Version-int64(a.cfg.MaxDeltas))
		keepHashes(next.SnapshotHashes, old.SnapshotHashes, n.Version-int64(a.cfg.MaxDeltas))
	}
	// Every file the verified notification lists, up to its version, is now
	// the history the agent holds: the deltas applied or skipped over by
	// the snapshot, and the snapshot.
	for _, d := range n.Deltas {
		next.Hashes[d.Version] = d.Hash
	}
	next.SnapshotHashes[n.Snapshot.Version] = n.Snapshot.Hash
	next.setContents(table, numbers)
	commitKeys()
	changed := a.table.Swap(table) != table
	a.state.Store(next)
	a.watermark = next.watermark
	a.followTable(next) // RADIUS bindings of numbers that left the feed end (bindings_persist.go)
	if fromSnapshot {
		a.queueDelta(nil, true)
	}
	for i := range records {
		a.queueDelta(&records[i], false)
	}
	a.metrics.applyDuration.Observe(time.Since(start).Seconds())
	// Persisting a large table takes longer than applying a delta, so it
	// happens after the swap, off the apply path. A crash before it lands
	// restarts from the previous verified state, which a sync then updates.
	select {
	case a.persistNext <- struct{}{}:
	default:
	}
	if changed {
		select {
		case a.exported <- struct{}{}:
		default: // an export is pending already; it will take this table
		}
	}
	if old == nil || old.Version != next.Version || old.SessionID != next.SessionID {
		a.cfg.Log.Info("agent: synced", "session", n.SessionID, "version", n.Version, "entries", table.Len(), "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// replayOf is the refusal of a notification accepted only under the
// clock-skew allowance that does not provably continue the applied
// history (why: err).
func replayOf(n *feed.Notification, watermark time.Time, err error) error {
	return reject("replay", "notification of session %s version %d was signed at %s, before the newest one verified (%s), and does not continue the history applied (%v): an older notification may only continue it, never replace it",
		n.SessionID, n.Version, n.Timestamp.Format(time.RFC3339), watermark.Format(time.RFC3339), err)
}

// keepHashes copies the hashes of versions from on.
func keepHashes(dst, src map[int64]string, from int64) {
	for v, h := range src {
		if v >= from {
			dst[v] = h
		}
	}
}

// continuity checks that a notification of the agent's session continues
// the history the agent applied, as RRDP relying parties check the hashes
// of the deltas of serials they have seen (RFC 9697, as rpki-client does;
// a changed one means the server desynchronised, and only its snapshot
// can be trusted): the
// version has not gone back; no listed file has, for a version the agent
// holds, another hash than the one it saw; and the notification lists a
// file of the agent's own version whose hash it knows (the delta that made
// it, or the snapshot), linking what it applied to what follows. Without
// that link a registry restored from a backup could reissue the versions
// after the backup with other content, and the agent would apply the next
// delta on top of entries that are no longer registered. It returns nil
// when the deltas may be applied (or, at the same version, nothing needs
// to be), else the reason to take the snapshot.
func (a *Agent) continuity(old *state, n *feed.Notification) error {
	if n.Version < old.Version {
		return reject("version_back", "the notification's version %d is below the applied version %d of the same session (signed later, so the registry went back)",
			n.Version, old.Version)
	}
	linked := false
	for _, d := range n.Deltas {
		h, ok := old.Hashes[d.Version]
		if ok && h != d.Hash {
			return reject("hash_changed", "delta %d's hash differs from the one seen before", d.Version)
		}
		linked = linked || (ok && d.Version == old.Version)
	}
	if h, ok := old.SnapshotHashes[n.Snapshot.Version]; ok {
		if h != n.Snapshot.Hash {
			return reject("hash_changed", "snapshot %d's hash differs from the one seen before", n.Snapshot.Version)
		}
		linked = linked || n.Snapshot.Version == old.Version
	}
	if n.Version-old.Version > int64(a.cfg.MaxDeltas) {
		return reject("too_far_behind", "%d versions behind", n.Version-old.Version)
	}
	listed := map[int64]bool{}
	for _, d := range n.Deltas {
		listed[d.Version] = true
	}
	for v := old.Version + 1; v <= n.Version; v++ {
		if !listed[v] {
			return reject("gap", "no delta for version %d", v)
		}
	}
	if !linked {
		return reject("continuity", "the notification lists no file of the applied version %d with a hash the agent knows", old.Version)
	}
	return nil
}

// fromSnapshot loads the notification's snapshot and any deltas after it.
func (a *Agent) fromSnapshot(ctx context.Context, n *feed.Notification) (*Table, []feed.Entry, error) {
	b, err := a.fetchFile(ctx, n.Snapshot)
	if err != nil {
		return nil, nil, err
	}
	entries, err := feed.DecodeSnapshot(b, n.SessionID, n.Snapshot.Version)
	if err != nil {
		return nil, nil, reject("decode", "%v", err)
	}
	table, numbers := Build(entries), mobileNumbers(entries)
	if n.Snapshot.Version == n.Version {
		return table, numbers, nil
	}
	table, numbers, _, err = a.applyDeltas(ctx, table, numbers, n.Snapshot.Version, n)
	return table, numbers, err
}

// mobileNumbers returns the mobile-number entries (they follow the
// prefixes in feed order).
func mobileNumbers(entries []feed.Entry) []feed.Entry {
	i := len(entries)
	for i > 0 && entries[i-1].MSISDN != "" {
		i--
	}
	return slices.Clone(entries[i:])
}

// setContents sets what the state holds.
func (s *state) setContents(t *Table, numbers []feed.Entry) {
	s.table, s.numbers = t, numbers
	s.mobile = make(map[string]feed.Entry, len(numbers))
	for _, e := range numbers {
		s.mobile[e.MSISDN] = e
	}
}

// applyDeltas applies the deltas after from's version up to n's, all or
// nothing: a missing version, a file whose hash differs from the
// notification's, an add of an entry already there or a removal of one
// that is not, and the whole batch is refused (continuity has compared the
// hashes with those seen before). It returns the delta files too, for the
// journal.
func (a *Agent) applyDeltas(ctx context.Context, table *Table, numbers []feed.Entry, from int64, n *feed.Notification) (*Table, []feed.Entry, []journalRecord, error) {
	if n.Version-from > int64(a.cfg.MaxDeltas) {
		return nil, nil, nil, reject("too_far_behind", "%d versions behind", n.Version-from)
	}
	byVersion := map[int64]feed.FileRef{}
	for _, d := range n.Deltas {
		byVersion[d.Version] = d
	}
	var records []journalRecord
	for v := from + 1; v <= n.Version; v++ {
		ref, ok := byVersion[v]
		if !ok {
			return nil, nil, nil, reject("gap", "no delta for version %d", v)
		}
		b, err := a.fetchFile(ctx, ref)
		if err != nil {
			return nil, nil, nil, err
		}
		ops, err := feed.DecodeDelta(b, n.SessionID, v)
		if err != nil {
			return nil, nil, nil, reject("decode", "%v", err)
		}
		if table, numbers, err = applyOps(table, numbers, ops); err != nil {
			return nil, nil, nil, reject("inconsistent", "delta %d: %v", v, err)
		}
		records = append(records, journalRecord{version: v, file: b})
	}
	return table, numbers, records, nil
}

// applyOps applies one delta's ops to the table and, for mobile numbers,
// to the numbers; the originals are left as they were.
func applyOps(table *Table, numbers []feed.Entry, ops []feed.Op) (*Table, []feed.Entry, error) {
	table, err := table.Apply(ops)
	if err != nil {
		return nil, nil, err
	}
	var mobileOps []feed.Op
	for _, o := range ops {
		if o.MSISDN != "" {
			mobileOps = append(mobileOps, o)
		}
	}
	if len(mobileOps) > 0 {
		if numbers, err = merge(numbers, mobileOps); err != nil {
			return nil, nil, err
		}
	}
	return table, numbers, nil
}

// merge applies sorted ops to sorted entries (here the mobile numbers),
// returning a new slice.
func merge(entries []feed.Entry, ops []feed.Op) ([]feed.Entry, error) {
	out := make([]feed.Entry, 0, len(entries)+len(ops))
	i := 0
	for _, o := range ops {
		k := o.Key()
		j := i + sort.Search(len(entries)-i, func(x int) bool { return entries[i+x].Key() >= k })
		out = append(out, entries[i:j]...)
		i = j
		present := i < len(entries) && entries[i].Key() == k
		switch {
		case o.Op == "add" && present:
			return nil, fmt.Errorf("adds %s, which is already there", k)
		case o.Op == "remove" && !present:
			return nil, fmt.Errorf("removes %s, which is not there", k)
		case o.Op == "add":
			out = append(out, o.Entry)
		case o.Op == "remove":
			i++
		}
	}
	return append(out, entries[i:]...), nil
}

// Run syncs until ctx ends: long-polls for new versions, polls regularly
// (to refresh the data age when nothing changes), and on failure keeps the
// last verified table and retries with jittered exponential backoff.
//
// The long-poll (GET wait?after=N) answers only with a version above N, or
// 204 when none came: an answer that is not newer (the same version,
// re-signed or replayed, by something in the agent's path) is paced like a
// refusal (not_newer, counted in ipreg_agent_rejected_total, jittered
// exponential backoff), or an agent would ask again at once, dozens of
// times a second. Real updates are not delayed: a newer answer is applied
// at once and resets the backoff, as a 204 does.
func (a *Agent) Run(ctx context.Context) {
	backoff := time.Second
	nextPoll := time.Time{}
	// streamFails: stream attempts in a row that synced nothing; after
	// maxStreamFails the agent long-polls until streamPausedUntil.
	streamFails, streamPausedUntil := 0, time.Time{}
	pause := a.pause
	if pause == nil {
		pause = func(ctx context.Context, d time.Duration) bool {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(d):
				return true
			}
		}
	}
	for ctx.Err() == nil {
		var jws string
		var ok bool
		var err error
		var wait time.Duration
		before := a.state.Load()
		if a.cfg.Stream && before != nil && !a.noStream.Load() && time.Now().After(streamPausedUntil) {
			// The stream replaces both the long-poll and the regular poll:
			// the registry pushes every new notification, re-signed ones
			// included, and a silent stream is dropped within a minute.
			a.metrics.streaming.Set(1)
			synced, err := a.stream(ctx)
			a.metrics.streaming.Set(0)
			if synced > 0 {
				// Progress ends the backoff, as a long-poll's answer does:
				// one outage's backoff must not delay the next reconnect.
				backoff = time.Second
				if streamFails > 0 {
					a.cfg.Log.Info("agent: feed stream resumed", "version", a.state.Load().Version)
				}
				streamFails = 0
			}
			switch {
			case errors.Is(err, errNoStream):
				a.noStream.Store(true)
				a.cfg.Log.Info("agent: the registry has no feed stream; long-polling instead")
				continue
			case err == nil:
				backoff = time.Second // the registry ended it, as it does every few minutes
				continue
			case ctx.Err() != nil:
				return
			}
			a.metrics.rejected.WithLabelValues(Reason(err)).Inc()
			if streamFails++; streamFails >= maxStreamFails {
				// A stream that keeps failing (refused by something in the
				// path, or open and silent) must not leave the agent behind:
				// long-poll for a while, fetching the notification at once,
				// then try the stream again.
				a.cfg.Log.Warn("agent: the feed stream failed repeatedly; long-polling for a while", "err", err, "failures", streamFails, "stream_again_in", streamPause)
				streamPausedUntil, streamFails, nextPoll = time.Now().Add(streamPause), 0, time.Time{}
				continue
			}
			a.logSyncFailure("agent: feed stream failed", err, backoff)
			// Whatever broke the stream (a path that refuses or stalls it),
			// the plain notification may still come through: take it, so
			// the agent is not behind while it waits to reconnect.
			if jws, ok, ferr := a.fetchNotification(ctx, 0); ferr == nil && ok {
				if serr := a.Sync(ctx, jws); serr != nil {
					a.metrics.rejected.WithLabelValues(Reason(serr)).Inc()
				}
			}
			if !pause(ctx, backoff/2+rand.N(backoff/2+1)) {
				return
			}
			backoff = min(backoff*2, time.Minute)
			continue
		}
		if now := time.Now(); now.After(nextPoll) || before == nil {
			jws, ok, err = a.fetchNotification(ctx, 0)
			nextPoll = now.Add(a.cfg.Poll)
		} else {
			wait = min(25*time.Second, time.Until(nextPoll))
			if wait < time.Second {
				wait = time.Second
			}
			jws, ok, err = a.fetchNotification(ctx, wait)
		}
		if err == nil && ok {
			err = a.Sync(ctx, jws)
		}
		if err == nil && ok && wait > 0 && !advanced(before, a.state.Load()) {
			err = reject("not_newer", "the long-poll for a version above %d answered with version %d, not newer (a registry answers only with a newer version, or 204): something in the path replays notifications",
				before.Version, a.state.Load().Version)
		}
		if err == nil {
			// The backoff ends when the registry behaves: a long-poll that
			// answered newer or 204, or a fetch that moved the agent on. A
			// plain fetch of the same notification after a refusal does not
			// end it, or a path replaying old notifications to the long-poll
			// would be asked again every second.
			if wait > 0 || advanced(before, a.state.Load()) {
				backoff = time.Second
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		a.metrics.rejected.WithLabelValues(Reason(err)).Inc()
		a.logSyncFailure("agent: sync failed", err, backoff)
		// Full jitter keeps thousands of agents from retrying in step.
		if !pause(ctx, backoff/2+rand.N(backoff/2+1)) {
			return
		}
		backoff = min(backoff*2, time.Minute)
		if Reason(err) != "not_newer" {
			nextPoll = time.Time{} // after a failure, fetch the notification afresh
		}
	}
}

// advanced reports whether the agent's position moved from before to
// after: another session, or a higher version.
func advanced(before, after *state) bool {
	return after != nil && (before == nil || after.SessionID != before.SessionID || after.Version > before.Version)
}

// signatureHelp says, beside a notification's failed signature, which
// keys the agent trusts and what to do: the usual cause is the
// registry's feed key replaced without a rotation (a restore from another
// registry's backup, ipreg serve --new-keys), the other a feed that is
// not the registry's. Public keys only, in --trust-key's form.
func signatureHelp(err error, trusted []ed25519.PublicKey) error {
	names := make([]string, len(trusted))
	for i, k := range trusted {
		names[i] = feed.FormatPublicKey(k)
	}
	return fmt.Errorf("%w (this agent trusts %s). If the registry's feed key was replaced (a restore, or ipreg serve --new-keys), run `ipreg key show` on the registry and give its output to --trust-key, then restart the agent; if it was not, the feed is not the registry's: check --registry",
		err, strings.Join(names, ", "))
}
