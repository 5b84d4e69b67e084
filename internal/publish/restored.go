package publish

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// NewSession makes every feed start a new session at the next publish, for
// a database just restored from a backup (ipreg restore): agents hold
// versions published after the backup was taken, which the restored
// database does not have, so the feed must not continue from it. Only a
// new session, with a fresh snapshot, tells every agent to drop what it
// holds and take the snapshot, as an RRDP repository restored from a
// backup starts a new session_id (RFC 8182 §3.3.2).
//
// In one transaction it removes each feed's published state (its row,
// notification and files), keeping the current set of entries and the
// outbox position; the publisher then sees feeds to create. It records
// each feed's last session and version in the feed-state marker of
// dataDir (moving it only forward, as publishers do), so that the new
// session's version continues above the old one's and agents long-polling
// with after=<their version> wake at once; a marker already ahead (a
// restore in place) keeps its higher version. It returns the feeds reset.
func NewSession(ctx context.Context, store Store, dataDir string) ([]Mark, error) {
	var marks []Mark
	byName := map[string]Mark{}
	err := store.FeedWrite(ctx, func(tx Tx) error {
		if _, err := tx.LockHead(ctx); err != nil {
			return err
		}
		scopes, err := tx.Scopes(ctx)
		if err != nil {
			return err
		}
		for _, s := range scopes {
			files, err := tx.Files(ctx, s.Name)
			if err != nil {
				return err
			}
			for _, f := range files {
				if err := tx.DeleteFile(ctx, f.Name); err != nil {
					return err
				}
			}
			if err := tx.DeleteScope(ctx, s.Name); err != nil {
				return err
			}
			m := Mark{SessionID: s.SessionID, Version: s.Version, SignedAt: s.SignedAt.Truncate(time.Microsecond)}
			marks = append(marks, m)
			byName[s.Name] = m
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("start a new feed session: %w", err)
	}
	if len(byName) > 0 {
		if err := saveMarker(filepath.Join(dataDir, markerFile), byName, nil); err != nil {
			return nil, fmt.Errorf("start a new feed session: feed-state marker: %w", err)
		}
	}
	return marks, nil
}
