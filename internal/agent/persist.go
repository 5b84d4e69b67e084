package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ipreg/ipreg/internal/atomicfile"
	"github.com/ipreg/ipreg/internal/feed"
)

const (
	stateFile   = "state.json"
	entriesFile = "entries.jsonl.gz"
)

// persist writes the verified state: the entries as a snapshot file, then
// the metadata naming that file's hash, each atomically (write, fsync,
// rename, fsync the directory), so a crash leaves the old state or the new.
func (a *Agent) persist(s *state) error {
	if a.cfg.StateDir == "" {
		return nil
	}
	b, err := feed.EncodeSnapshot(feed.Header{SessionID: s.SessionID, Version: s.Version}, append(s.table.Entries(), s.numbers...))
	if err != nil {
		return err
	}
	s.EntriesHash = feed.Hash(b)
	if err := atomicfile.Write(a.cfg.StateDir, entriesFile, b, 0o600); err != nil {
		return err
	}
	meta, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.Write(a.cfg.StateDir, stateFile, meta, 0o600)
}

// Load restores the last verified state from the state directory, so a
// restarted agent enforces at once, even while the registry is down. No
// state is not an error; a state that does not verify is.
func (a *Agent) Load() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	meta, err := os.ReadFile(filepath.Join(a.cfg.StateDir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var s state
	if err := json.Unmarshal(meta, &s); err != nil {
		return fmt.Errorf("%s: %w", stateFile, err)
	}
	b, err := os.ReadFile(filepath.Join(a.cfg.StateDir, entriesFile))
	if err != nil {
		return err
	}
	if feed.Hash(b) != s.EntriesHash {
		return fmt.Errorf("%s does not match %s (hash differs); remove both to start afresh", entriesFile, stateFile)
	}
	entries, err := feed.DecodeSnapshot(b, s.SessionID, s.Version)
	if err != nil {
		return fmt.Errorf("%s: %w", entriesFile, err)
	}
	s.setContents(Build(entries), mobileNumbers(entries))
	for _, k := range s.Keys {
		if pk, err := feed.ParsePublicKey(k); err == nil && !containsKey(a.trusted, pk) {
			a.trusted = append(a.trusted, pk)
		}
	}
	if s.Hashes == nil {
		s.Hashes = map[int64]string{}
	}
	a.table.Store(s.table)
	a.state.Store(&s)
	a.persisted = &s
	a.cfg.Log.Info("agent: restored verified state", "session", s.SessionID, "version", s.Version, "entries", s.table.Len()+len(s.numbers))
	return nil
}

// runPersist writes the newest state whenever Sync asks, coalescing
// versions that arrive while a write is under way.
func (a *Agent) runPersist(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			a.persistNow() // the last state, on the way out
			return
		case <-a.persistNext:
			a.persistNow()
		}
	}
}

// persistNow writes the current state (serialised with other writers).
func (a *Agent) persistNow() {
	a.persistMu.Lock()
	defer a.persistMu.Unlock()
	s := a.state.Load()
	if s == nil || s == a.persisted {
		return
	}
	if err := a.persist(s); err != nil {
		a.metrics.rejected.WithLabelValues("persist").Inc()
		a.cfg.Log.Error("agent: persist state", "err", err)
		return
	}
	a.persisted = s
}
