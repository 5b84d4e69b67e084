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
// the watermark. Five minutes is Kerberos' customary skew and well below
// the registry's 15-minute re-signing interval.
const MaxClockSkew = 5 * time.Minute

// watermarkRecord is watermark.json.
type watermarkRecord struct {
	Feed      string    `json:"feed"`      // the feed it is for (feed.FeedName)
	Timestamp time.Time `json:"timestamp"` // the newest signing time verified
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

// loadWatermark reads watermark.json; one for another feed is ignored (the
// agent was pointed at another feed), as is a missing file.
func (a *Agent) loadWatermark() error {
	if a.cfg.StateDir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(a.cfg.StateDir, watermarkFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var w watermarkRecord
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("%s: %w (it holds the newest signing time verified: fix it or remove it)", watermarkFile, err)
	}
	if w.Feed != feed.FeedName(a.cfg.Operator) {
		a.cfg.Log.Warn("agent: the watermark is of another feed; ignoring it", "file", w.Feed, "following", feed.FeedName(a.cfg.Operator))
		return nil
	}
	a.watermark = w.Timestamp
	return nil
}

// writeWatermark persists s's watermark atomically.
func (a *Agent) writeWatermark(s *state) error {
	if a.cfg.StateDir == "" || s.watermark.IsZero() {
		return nil
	}
	b, err := json.Marshal(watermarkRecord{Feed: feed.FeedName(a.cfg.Operator), Timestamp: s.watermark})
	if err != nil {
		return err
	}
	return atomicfile.Write(a.cfg.StateDir, watermarkFile, b, 0o600)
}
