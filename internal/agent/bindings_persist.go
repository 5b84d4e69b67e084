package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ipreg/ipreg/internal/atomicfile"
)

// bindingsFile in the state directory holds the RADIUS bindings, so that a
// restarted agent allows its registered subscribers' addresses at once
// instead of after their next Interim-Update. Its shape:
//
//	{"bindings":[{"prefix":"39.32.0.10/32","number":"923001234567","nas":{"addr":"10.1.1.1","identifier":"bras-1"},
//	  "session":"4F2A…","start":"2026-11-29T10:00:00Z","expires":"2026-11-29T10:15:00Z"}, …]}
const bindingsFile = "bindings.json"

type bindingsDoc struct {
	Bindings []Binding `json:"bindings"`
}

// followTable ends the bindings of numbers that s, a new verified state,
// no longer holds (surrendered, revoked, expired): bindings follow the
// table, at once rather than at the session's end. Sync calls it after
// each swap.
func (a *Agent) followTable(s *state) {
	if n := a.bindings.Keep(func(number string) bool { _, ok := s.mobile[number]; return ok }); n > 0 {
		a.metrics.radius.WithLabelValues(outcomeFeedWithdrawal).Add(float64(n))
		a.cfg.Log.Info("agent: bindings of numbers no longer in the feed ended", "version", s.Version, "bindings", n)
	}
}

// RestoreBindings restores the bindings persisted in the state directory
// whose sessions are still live and whose numbers the restored table
// holds (all of them before any verified state: the first sync drops
// the rest). It returns how many; a missing file is not an error.
func (a *Agent) RestoreBindings() (int, error) {
	if a.cfg.StateDir == "" {
		return 0, nil
	}
	b, err := os.ReadFile(filepath.Join(a.cfg.StateDir, bindingsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var doc bindingsDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, fmt.Errorf("%s: %w (remove it to start without bindings)", bindingsFile, err)
	}
	xs := doc.Bindings
	if st := a.state.Load(); st != nil {
		xs = xs[:0:0]
		for _, x := range doc.Bindings {
			if _, ok := st.mobile[x.Number]; ok {
				xs = append(xs, x)
			}
		}
	}
	n := a.bindings.Restore(xs, a.cfg.Now())
	a.cfg.Log.Info("agent: restored RADIUS bindings", "live", n, "persisted", len(doc.Bindings))
	return n, nil
}

// writeBindings writes the bindings to the state directory atomically.
func (a *Agent) writeBindings() error {
	b, err := json.Marshal(bindingsDoc{Bindings: a.bindings.All()})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(a.cfg.StateDir, 0o700); err != nil {
		return err
	}
	return atomicfile.Write(a.cfg.StateDir, bindingsFile, b, 0o600)
}

// runBindingsPersist writes the bindings whenever addresses are bound or
// unbound, at most once per second, and after renewals alone at most once
// per renewEvery (a restart that loses some renewals only shortens those
// bindings' lives); and once more on the way out.
func (a *Agent) runBindingsPersist(ctx context.Context, renewEvery time.Duration) {
	if a.cfg.StateDir == "" {
		return
	}
	next := make(chan struct{}, 1)
	a.bindings.Watch(func() {
		select {
		case next <- struct{}{}:
		default:
		}
	})
	written := a.bindings.Gen() // what is on disk (restored, or nothing to write)
	write := func() {
		gen := a.bindings.Gen()
		if gen == written {
			return
		}
		if err := a.writeBindings(); err != nil {
			a.metrics.rejected.WithLabelValues("persist").Inc()
			a.cfg.Log.Error("agent: persist RADIUS bindings", "err", err)
			return
		}
		written = gen
	}
	renew := time.NewTicker(max(renewEvery, time.Second))
	defer renew.Stop()
	for {
		select {
		case <-ctx.Done():
			write()
			return
		case <-next:
		case <-renew.C:
		}
		write()
		select {
		case <-ctx.Done():
			write()
			return
		case <-time.After(time.Second):
		}
	}
}
