package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ipreg/ipreg/internal/atomicfile"
	"github.com/ipreg/ipreg/internal/feed"
)

// The feed an agent follows is pinned in its state directory (feed.json),
// as a relying party's trust anchor and repository are configured, never
// learned from an unsigned answer: the registry's GET /api/v1/me, which
// names the operator an API token belongs to, is not signed, and anyone on
// the agent's path could make it name another operator. An agent that
// believed it would follow that operator's (validly signed) feed, and its
// watermark and state for its own feed would be set aside, so that an
// older notification of its own feed, saved earlier, could roll it back.
//
// The pin is written at the first verified sync (or at start with
// --operator, the deliberate way to choose or change the feed); a state
// directory from before pins is pinned to the feed its state.json or
// watermark.json names. At start, /api/v1/me only confirms the pin: an
// answer naming another operator is refused, logged with what to do, and
// shown in /v1/status (feed_conflict), while the agent keeps following,
// and serving, its pinned feed.
const pinFile = "feed.json"

// pinRecord is feed.json.
type pinRecord struct {
	Feed string `json:"feed"` // feed.FeedName: "global" or "operator:<id>"
}

// ReadPin returns the feed the state directory is pinned to ("" when none
// is): feed.json, else the feed state.json or watermark.json names.
func ReadPin(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	for _, name := range []string{pinFile, stateFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		var p pinRecord
		if err := json.Unmarshal(b, &p); err != nil {
			return "", fmt.Errorf("%s: %w", filepath.Join(dir, name), err)
		}
		if p.Feed != "" {
			return p.Feed, nil
		}
	}
	w, err := readWatermarks(dir)
	if err != nil || len(w) != 1 {
		return "", err // several feeds' watermarks name no one feed
	}
	for f := range w {
		return f, nil
	}
	return "", nil
}

// WritePin pins the state directory to a feed (feed.FeedName).
func WritePin(dir, feedName string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(pinRecord{Feed: feedName})
	if err != nil {
		return err
	}
	return atomicfile.Write(dir, pinFile, b, 0o600)
}

// OperatorOfFeed returns the operator id of a feed name ("" for the
// global feed).
func OperatorOfFeed(name string) string {
	op, _ := strings.CutPrefix(name, "operator:")
	if name == feed.GlobalFeed {
		return ""
	}
	return op
}

// ConfirmOperator compares the operator the registry's /api/v1/me names
// for the token with the pinned feed, and records a disagreement for
// /v1/status. It returns the error logged; the agent keeps its feed.
func (a *Agent) ConfirmOperator(me string) error {
	if me == a.cfg.Operator {
		a.feedConflict.Store(nil)
		return nil
	}
	msg := fmt.Sprintf("the registry's /api/v1/me says the token is operator %q's, but this agent is pinned to feed %q (%s in %s); "+
		"it keeps following that feed. If the token really is another operator's now, re-point the agent deliberately: restart it with --operator %s",
		me, feed.FeedName(a.cfg.Operator), pinFile, a.cfg.StateDir, me)
	a.feedConflict.Store(&msg)
	return errors.New(msg)
}
