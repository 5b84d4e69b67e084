package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ipreg/ipreg/internal/atomicfile"
)

// bindingsFile in the state directory holds what the RADIUS bindings
// remember (BindingsState), so that a restarted agent allows its
// registered subscribers' addresses at once instead of after their next
// Interim-Update, and still ignores the late packets of sessions that
// stopped or whose NAS restarted. Its shape:
//
//	{"bindings":[{"prefix":"39.32.0.10/32","number":"923001234567","nas":{"addr":"10.1.1.1","identifier":"bras-1"},
//	  "session":"4F2A…","start":"2026-11-29T10:00:00Z","expires":"2026-11-29T10:15:00Z"}, …],
//	 "stopped":[{"nas":{…},"session":"4F29…","until":"…"}], "nas_restarts":[{"nas":{…},"at":"…","until":"…"}]}
//
// A holder without "number" ("ended":true) is an address's newest claim,
// binding nothing, that ended a binding; stops are those that ended one.
const bindingsFile = "bindings.json"

// bindingsDisk serialises writes of bindingsFile and remembers which
// change (Bindings.Gen) is on disk.
type bindingsDisk struct {
	mu      sync.Mutex
	written uint64
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

// RestoreBindings restores what the state directory remembers of RADIUS
// accounting (see Bindings.Restore): holders whose sessions are still
// live, their expiry capped to now + opts.SessionTimeout (a file written
// with another timeout, or by a clock ahead, renews nothing); those bound
// to a number are checked again as a new claim is (the number in the
// restored table, when there is one, else they come back unbound, as
// followTable would leave them; the prefix in opts.Space, nil for
// Pakistan's, and no broader than a subscriber's, else they are dropped,
// each logged and counted as outcome "restore_refused", as are holders
// whose prefix is not one). It returns how many bindings came back.
//
// A file that does not decode (damaged, empty) is moved aside to
// bindings.json.corrupt-<time>, logged as an error and counted
// (ipreg_agent_rejected_total{reason="bindings_corrupt"}), and the agent
// starts without bindings. A missing file is not an error; a file that
// cannot be read or moved aside is.
func (a *Agent) RestoreBindings(opts RADIUSOptions) (int, error) {
	if a.cfg.StateDir == "" {
		return 0, nil
	}
	path := filepath.Join(a.cfg.StateDir, bindingsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var doc BindingsState
	if err := json.Unmarshal(b, &doc); err != nil {
		// Starting without bindings only allows fewer addresses until the
		// sessions' next Interim-Updates; refusing to start would stop
		// every lookup for one damaged file. The file is kept for a look.
		aside := fmt.Sprintf("%s.corrupt-%s", path, a.cfg.Now().UTC().Format("20060102T150405.000Z"))
		if rerr := os.Rename(path, aside); rerr != nil {
			return 0, fmt.Errorf("%s does not decode (%v) and cannot be moved aside (%w): move or remove it to start without bindings", path, err, rerr)
		}
		a.metrics.rejected.WithLabelValues("bindings_corrupt").Inc()
		a.cfg.Log.Error("agent: RADIUS bindings do not decode; moved aside, starting without them (addresses come back with their sessions' next Interim-Update)",
			"file", path, "moved_to", aside, "err", err)
		return 0, nil
	}
	space := opts.Space
	if space == nil {
		space, _ = NewBindSpace(nil)
	}
	st := a.state.Load()
	check := func(x Binding) error {
		if st != nil {
			if _, ok := st.mobile[x.Number]; !ok {
				return errNumberGone
			}
		}
		return space.Accept(x.Prefix)
	}
	now := a.cfg.Now()
	n, refused := a.bindings.Restore(doc, now, now.Add(opts.SessionTimeout), check)
	for _, err := range refused {
		a.metrics.radius.WithLabelValues(outcomeRestoreRefused).Inc()
		a.cfg.Log.Warn("agent: a persisted RADIUS binding is not restored", "reason", err)
	}
	a.bindingsDisk.mu.Lock()
	a.bindingsDisk.written = a.bindings.Gen() // on disk already (what was refused comes back at the next write)
	a.bindingsDisk.mu.Unlock()
	a.cfg.Log.Info("agent: restored RADIUS bindings", "live", n, "not_restored", len(refused), "persisted", len(doc.Bindings))
	return n, nil
}

// syncBindings writes the bindings to the state directory (write, fsync,
// rename) unless a write since the last change made them durable already.
// Concurrent callers share writes: each waits for one that began after
// its change (group commit), so a burst of Stops costs a few writes.
func (a *Agent) syncBindings() error { return a.syncBindingsTo(a.bindings.Gen()) }

// syncUnbound makes every unbinding so far durable
// (Bindings.MustPersist): the RADIUS handler calls it before each
// Accounting-Response, whatever the request was, so that no path that
// unbinds can forget to.
func (a *Agent) syncUnbound() error { return a.syncBindingsTo(a.bindings.MustPersist()) }

// syncBindingsTo writes the bindings unless change want is on disk.
func (a *Agent) syncBindingsTo(want uint64) error {
	if a.cfg.StateDir == "" {
		return nil
	}
	d := &a.bindingsDisk
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.written >= want {
		return nil
	}
	gen := a.bindings.Gen() // the state written holds at least this change
	b, err := json.Marshal(a.bindings.State())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(a.cfg.StateDir, 0o700); err != nil {
		return err
	}
	if err := atomicfile.Write(a.cfg.StateDir, bindingsFile, b, 0o600); err != nil {
		return err
	}
	d.written = gen
	return nil
}

// runBindingsPersist writes the bindings whenever addresses are bound, at
// most once per second, and after renewals alone at most once per
// renewEvery (a restart that loses some bindings or renewals only
// allows fewer addresses, for a while); and once more on the way out.
// What unbinds is written before its request is answered (syncBindings).
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
	write := func() {
		if err := a.syncBindings(); err != nil {
			a.metrics.rejected.WithLabelValues("persist").Inc()
			a.cfg.Log.Error("agent: persist RADIUS bindings", "err", err)
		}
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
