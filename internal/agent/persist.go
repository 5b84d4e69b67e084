package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ipreg/ipreg/internal/atomicfile"
	"github.com/ipreg/ipreg/internal/feed"
)

// The state directory holds:
//   - feed.json: the feed the directory is pinned to (pin.go);
//   - keys.json: the signing keys learned and retired (keyring.go);
//   - watermark.json: the newest signing time verified, per feed
//     (watermark.go);
//   - state.json: the verified metadata (session, version, hashes seen,
//     keys learned) and which snapshot and journal hold the entries;
//   - entries-<hash>.jsonl.gz: the entries of some earlier version, as a
//     snapshot file;
//   - journal-<hash>.log: the delta files applied since that snapshot,
//     each as the registry published it, appended as they arrive.
//
// A new version costs one append (and fsync) of its delta file and a
// rewrite of the small state.json, not an encoding of the whole table,
// which for a million entries is about a second of CPU. The snapshot is
// rewritten only when the journal has grown to half its size (or after a
// snapshot sync), and then under a new name, so that state.json always
// names files that exist: a crash leaves the old state or the new.
const (
	stateFile = "state.json"
	// entriesFile is the snapshot's name before journals existed; Load
	// still reads it.
	entriesFile = "entries.jsonl.gz"
	// journalLimit caps the journal's records between snapshots, besides
	// its size.
	journalLimit = 1000
)

// journalRecord is one delta file in the journal: its version and bytes.
type journalRecord struct {
	version int64
	file    []byte
}

// queueDelta records a delta file applied by Sync, for the persister to
// append; reset means the table came from a snapshot instead, so the
// journal must start over from a new snapshot.
func (a *Agent) queueDelta(r *journalRecord, reset bool) {
	a.journalMu.Lock()
	defer a.journalMu.Unlock()
	if reset {
		a.journalQueue, a.journalReset = nil, true
		return
	}
	a.journalQueue = append(a.journalQueue, *r)
}

// persist writes the verified state s: the delta files queued since the
// last write appended to the journal, or a new snapshot when the journal
// cannot continue (first write, a snapshot sync, a gap) or has grown too
// large. Each file is written atomically or appended and fsynced before
// state.json, which names them, is replaced.
func (a *Agent) persist(s *state) error {
	if a.cfg.StateDir == "" {
		return nil
	}
	a.journalMu.Lock()
	queue, reset := a.journalQueue, a.journalReset
	a.journalQueue, a.journalReset = nil, false
	a.journalMu.Unlock()

	prev := a.persisted
	cont := !reset && prev != nil && prev.Snapshot != "" && prev.SessionID == s.SessionID
	// The queue must take the persisted version to s's, one version at a time.
	v := int64(0)
	if prev != nil {
		v = prev.Version
	}
	var records []journalRecord
	for _, r := range queue {
		if r.version <= v {
			continue // persisted already (the queue outlived a snapshot write)
		}
		if r.version != v+1 {
			cont = false
			break
		}
		records, v = append(records, r), r.version
	}
	if v != s.Version {
		cont = false
	}
	if cont {
		size := prev.JournalSize
		for _, r := range records {
			size += int64(len(r.file)) + recordHeader
		}
		// Compact once the journal outweighs half the snapshot (a restart
		// would replay more than it reads) or holds too many records.
		if size > prev.SnapshotSize/2 || prev.JournalRecords+len(records) > journalLimit {
			cont = false
		}
	}
	if cont {
		return a.appendJournal(prev, s, records)
	}
	return a.writeSnapshot(prev, s)
}

// recordHeader is a journal record's header: length, version, SHA-256.
const recordHeader = 4 + 8 + sha256.Size

func (a *Agent) appendJournal(prev, s *state, records []journalRecord) error {
	s.Snapshot, s.SnapshotSize, s.BaseVersion, s.EntriesHash = prev.Snapshot, prev.SnapshotSize, prev.BaseVersion, prev.EntriesHash
	s.Journal, s.JournalSize, s.JournalRecords = prev.Journal, prev.JournalSize, prev.JournalRecords
	if len(records) > 0 {
		var buf bytes.Buffer
		for _, r := range records {
			var h [recordHeader]byte
			binary.BigEndian.PutUint32(h[0:4], uint32(len(r.file)))
			binary.BigEndian.PutUint64(h[4:12], uint64(r.version))
			sum := sha256.Sum256(r.file)
			copy(h[12:], sum[:])
			buf.Write(h[:])
			buf.Write(r.file)
		}
		// At the recorded size: a torn append from a crash is cut off.
		if err := atomicfile.WriteAt(a.cfg.StateDir, s.Journal, s.JournalSize, buf.Bytes(), 0o600); err != nil {
			return err
		}
		s.JournalSize += int64(buf.Len())
		s.JournalRecords += len(records)
	}
	return a.writeState(s)
}

func (a *Agent) writeSnapshot(prev, s *state) error {
	b, err := feed.EncodeSnapshot(feed.Header{SessionID: s.SessionID, Version: s.Version}, append(s.table.Entries(), s.numbers...))
	if err != nil {
		return err
	}
	s.EntriesHash = feed.Hash(b)
	s.Snapshot = "entries-" + s.EntriesHash[:16] + ".jsonl.gz"
	s.SnapshotSize, s.BaseVersion = int64(len(b)), s.Version
	s.Journal, s.JournalSize, s.JournalRecords = "journal-"+s.EntriesHash[:16]+".log", 0, 0
	if err := atomicfile.Write(a.cfg.StateDir, s.Snapshot, b, 0o600); err != nil {
		return err
	}
	// A journal left from an earlier life under this name starts empty.
	if err := os.Remove(filepath.Join(a.cfg.StateDir, s.Journal)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := a.writeState(s); err != nil {
		return err
	}
	// The previous files are no longer named by state.json.
	if prev != nil {
		for _, f := range []string{prev.Snapshot, prev.Journal} {
			if f != "" && f != s.Snapshot && f != s.Journal {
				os.Remove(filepath.Join(a.cfg.StateDir, f))
			}
		}
	}
	os.Remove(filepath.Join(a.cfg.StateDir, entriesFile))
	return nil
}

func (a *Agent) writeState(s *state) error {
	meta, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.Write(a.cfg.StateDir, stateFile, meta, 0o600)
}

// Load restores the last verified state from the state directory, so a
// restarted agent enforces at once, even while the registry is down: the
// snapshot, then the journal's deltas up to the recorded version. No state
// is not an error; a state that does not verify is. A journal cut short
// (a crash during an append) restores the last whole version before it.
func (a *Agent) Load() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	// The watermark first: it holds even when the state is missing.
	if err := a.loadWatermark(); err != nil {
		return err
	}
	meta, err := os.ReadFile(filepath.Join(a.cfg.StateDir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return a.loadKeys(nil)
	}
	if err != nil {
		return err
	}
	var s state
	if err := json.Unmarshal(meta, &s); err != nil {
		return fmt.Errorf("%s: %w", stateFile, err)
	}
	// The keys hold whatever the feed: one registry signs them all.
	if err := a.loadKeys(s.Keys); err != nil {
		return err
	}
	s.keys = a.keys
	// A table of another feed (the agent now follows another operator, or
	// the global feed) is not this feed's: start without it. A state from
	// before feeds were named is taken as the followed feed's.
	if want := feed.FeedName(a.cfg.Operator); s.Feed != "" && s.Feed != want {
		a.cfg.Log.Warn("agent: the persisted state is of another feed; starting afresh", "state", s.Feed, "following", want)
		return nil
	}
	s.Feed = feed.FeedName(a.cfg.Operator)
	snap := s.Snapshot
	if snap == "" {
		snap, s.BaseVersion = entriesFile, s.Version
	}
	b, err := os.ReadFile(filepath.Join(a.cfg.StateDir, snap))
	if err != nil {
		return err
	}
	if feed.Hash(b) != s.EntriesHash {
		return fmt.Errorf("%s does not match %s (hash differs); remove the state directory's files to start afresh", snap, stateFile)
	}
	entries, err := feed.DecodeSnapshot(b, s.SessionID, s.BaseVersion)
	if err != nil {
		return fmt.Errorf("%s: %w", snap, err)
	}
	table, numbers := Build(entries), mobileNumbers(entries)
	if s.Journal != "" && s.Version > s.BaseVersion {
		if table, numbers, err = a.replay(&s, table, numbers); err != nil {
			return err
		}
	}
	s.setContents(table, numbers)
	if s.Hashes == nil {
		s.Hashes = map[int64]string{}
	}
	if s.SnapshotHashes == nil {
		s.SnapshotHashes = map[int64]string{}
	}
	// A state from before the watermark file: its own signing time is the
	// newest verified.
	a.watermark = raiseWatermark(a.watermark, s.Timestamp, a.cfg.Now())
	s.watermark = a.watermark
	a.table.Store(s.table)
	a.state.Store(&s)
	a.persisted = &s
	a.cfg.Log.Info("agent: restored verified state", "session", s.SessionID, "version", s.Version, "entries", s.table.Len()+len(s.numbers))
	return nil
}

// replay applies the journal's delta files after the snapshot, up to the
// version state.json records. Records past it (an append whose state.json
// never landed) are ignored; a torn record ends the replay, and the state
// is what the last whole record made it.
func (a *Agent) replay(s *state, table *Table, numbers []feed.Entry) (*Table, []feed.Entry, error) {
	j, err := os.ReadFile(filepath.Join(a.cfg.StateDir, s.Journal))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	v, whole, records := s.BaseVersion, 0, 0 // whole: bytes of the records replayed
	for len(j) >= recordHeader && v < s.Version {
		n := int(binary.BigEndian.Uint32(j[0:4]))
		ver := int64(binary.BigEndian.Uint64(j[4:12]))
		if len(j) < recordHeader+n || ver != v+1 {
			break
		}
		file := j[recordHeader : recordHeader+n]
		if sum := sha256.Sum256(file); !bytes.Equal(sum[:], j[12:recordHeader]) {
			break
		}
		ops, err := feed.DecodeDelta(file, s.SessionID, ver)
		if err != nil {
			return nil, nil, fmt.Errorf("%s, version %d: %w", s.Journal, ver, err)
		}
		if table, numbers, err = applyOps(table, numbers, ops); err != nil {
			return nil, nil, fmt.Errorf("%s, version %d: %w", s.Journal, ver, err)
		}
		j, v = j[recordHeader+n:], ver
		whole, records = whole+recordHeader+n, records+1
	}
	if v != s.Version {
		a.cfg.Log.Warn("agent: the state journal ends early (a damaged write?); restoring the last whole version",
			"recorded", s.Version, "restored", v)
		// The next append goes right after the last whole record.
		s.Version, s.JournalSize, s.JournalRecords = v, int64(whole), records
	}
	return table, numbers, nil
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
	// The pin first (the feed a verified sync has now shown the agent
	// follows), then the watermark before the state that raised it: a
	// crash between the two leaves the watermark ahead, never behind, what
	// a restart loads.
	if !a.pinned {
		if err := WritePin(a.cfg.StateDir, feed.FeedName(a.cfg.Operator)); err != nil {
			a.metrics.rejected.WithLabelValues("persist").Inc()
			a.cfg.Log.Error("agent: persist the feed pin", "err", err)
			return
		}
		a.pinned = true
	}
	if err := a.writeKeys(s.keys); err != nil {
		a.metrics.rejected.WithLabelValues("persist").Inc()
		a.cfg.Log.Error("agent: persist keys", "err", err)
		return
	}
	if err := a.writeWatermark(s); err != nil {
		a.metrics.rejected.WithLabelValues("persist").Inc()
		a.cfg.Log.Error("agent: persist watermark", "err", err)
		return
	}
	if err := a.persist(s); err != nil {
		a.metrics.rejected.WithLabelValues("persist").Inc()
		a.cfg.Log.Error("agent: persist state", "err", err)
		return
	}
	a.persisted = s
}
