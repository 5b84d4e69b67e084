package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ipreg/ipreg/internal/atomicfile"
	"github.com/ipreg/ipreg/internal/feed"
)

// The watermark is the newest notification signing time (timestamp) the
// agent has verified, in any session of its feed. A session change must
// not be a way back in time: a notification signed before the watermark
// is refused whatever its session (issue 11 §1), so nobody on the agent's
// path (a plain-HTTP registry URL, a mirror, a CDN) can hand it an older,
// still unexpired notification and undo revocations with it. RPKI
// relying parties keep manifests moving forward the same way (RFC 9286: a
// manifest's number only increases, and a fetched manifest older than the
// one held is not used), with the notification's signing time in the
// manifest number's place.
//
// It lives in its own file, watermark.json in --state-dir, written
// atomically (write, fsync, rename) before state.json on every persist, so
// it survives a restart, and it is kept when a damaged state is removed.

const watermarkFile = "watermark.json"

// MaxClockSkew is how much older than the watermark a notification may be
// signed and still be accepted, but only when it moves nothing back: the
// same session at the same or a newer version. Replicas of the registry
// sign with their own clocks, and two of them seconds apart must not make
// an agent refuse the slower one's re-signed notification. A session change
// or a lower version gets no tolerance: those must be signed at or after
// the watermark. Even then it may only continue the applied history (Sync
// refuses it as a replay otherwise, never taking its snapshot). Five minutes is Kerberos' customary skew and well below
// the registry's 15-minute re-signing interval.
const MaxClockSkew = 5 * time.Minute

// watermarkRecord is watermark.json: the watermark of every feed the
// agent has followed, by feed name. A feed's watermark is never dropped for
// another's: an agent re-pointed to another feed and back (deliberately, or
// by anyone who could make it believe another operator's /api/v1/me) still
// refuses its own feed's notifications older than it had verified. Files
// from before per-feed watermarks hold one feed in Feed and Timestamp.
type watermarkRecord struct {
	Feeds     map[string]time.Time `json:"feeds,omitempty"`
	Feed      string               `json:"feed,omitempty"`
	Timestamp time.Time            `json:"timestamp,omitzero"`
}

// checkWatermark refuses a notification signed before the watermark,
// except within MaxClockSkew for one that continues the agent's session
// without going back.
func (a *Agent) checkWatermark(old *state, n *feed.Notification) error {
	if a.watermark.IsZero() || !n.Timestamp.Before(a.watermark) {
		return nil
	}
	forward := old != nil && n.SessionID == old.SessionID && n.Version >= old.Version
	if forward && a.watermark.Sub(n.Timestamp) <= MaxClockSkew {
		return nil
	}
	return reject("replay", "notification of session %s version %d was signed at %s, before the newest one verified (%s): an older notification is never accepted again",
		n.SessionID, n.Version, n.Timestamp.Format(time.RFC3339), a.watermark.Format(time.RFC3339))
}

// raiseWatermark returns the watermark after verifying a notification
// signed at ts. A timestamp far in the agent's future (a registry clock
// gone wrong) raises it only to now + MaxClockSkew, so that correcting the
// registry's clock does not lock the agent out until the wrong time passes.
func raiseWatermark(wm, ts, now time.Time) time.Time {
	if limit := now.Add(MaxClockSkew); ts.After(limit) {
		ts = limit
	}
	if ts.After(wm) {
		return ts
	}
	return wm
}

// readWatermarks reads watermark.json (none: an empty map).
func readWatermarks(dir string) (map[string]time.Time, error) {
	b, err := os.ReadFile(filepath.Join(dir, watermarkFile))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]time.Time{}, nil
	}
	if err != nil {
		return nil, err
	}
	var w watermarkRecord
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("%s: %w (it holds the newest signing time verified: fix it or remove it)", watermarkFile, err)
	}
	if w.Feeds == nil {
		w.Feeds = map[string]time.Time{}
	}
	if w.Feed != "" && w.Timestamp.After(w.Feeds[w.Feed]) {
		w.Feeds[w.Feed] = w.Timestamp
	}
	return w.Feeds, nil
}

// loadWatermark reads watermark.json: the followed feed's watermark, and
// the other feeds', kept for writing back.
func (a *Agent) loadWatermark() error {
	if a.cfg.StateDir == "" {
		return nil
	}
	w, err := readWatermarks(a.cfg.StateDir)
	if err != nil {
		return err
	}
	a.watermarks = w
	a.watermark = w[feed.FeedName(a.cfg.Operator)]
	return nil
}

// writeWatermark persists s's watermark for the followed feed, with the
// other feeds' as loaded, atomically.
func (a *Agent) writeWatermark(s *state) error {
	if a.cfg.StateDir == "" || s.watermark.IsZero() {
		return nil
	}
	all := map[string]time.Time{}
	for f, ts := range a.watermarks {
		all[f] = ts
	}
	name := feed.FeedName(a.cfg.Operator)
	if s.watermark.After(all[name]) {
		all[name] = s.watermark
	}
	b, err := json.Marshal(watermarkRecord{Feeds: all})
	if err != nil {
		return err
	}
	return atomicfile.Write(a.cfg.StateDir, watermarkFile, b, 0o600)
}
