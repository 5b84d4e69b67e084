package publish

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ipreg/ipreg/internal/atomicfile"
	"github.com/ipreg/ipreg/internal/feed"
)

// The feed-state marker, <data-dir>/feed-state beside the signing key,
// records per feed the newest state published from this data directory:
// session, version, the SHA-256 of the delta that made that version, and
// when it was signed. The database holds the feed too; when it is behind
// the marker, its feed state has gone back (a database restored from a
// backup, a copy put back) and publishing on from it would reissue
// versions agents already hold with other content under the same session.
// The publisher then starts a new session instead (issue 11 §2), as an
// RRDP repository starts a new session_id when it cannot continue its
// serials (RFC 8182).
//
// The database is behind the marker when, for a feed:
//   - its session differs and was signed no later than the marker's (a
//     session that started after the marker was written is ahead: another
//     replica started it);
//   - same session, a lower version;
//   - same session, and the delta of the marker's version, still in the
//     database, has another hash (the version was reissued);
//   - the marker knows the feed and the database does not.
//
// Replicas share the key files, and so the marker when they share the
// data directory; each writes it after publishing, moving it only forward
// (a later version of the same session, or a session signed later), so
// replicas never undo each other. A replica whose marker lags behind the
// database (another published since, or its data directory is a copy of
// the keys) just moves it up.
const markerFile = MarkerFile

// MarkerFile is the feed-state marker's name in the data directory: its
// presence says the registry has published a feed (whose key agents
// trust) or a restore recorded the sessions it replaced.
const MarkerFile = "feed-state"

// Mark is the marker's record of one feed.
type Mark struct {
	SessionID string    `json:"session_id"`
	Version   int64     `json:"version"`
	Hash      string    `json:"hash,omitempty"` // the SHA-256 of the delta that made Version ("" for a session's first version)
	SignedAt  time.Time `json:"signed_at"`
}

// marker is the file, by feed scope ("" the global feed), with the
// signing keys last used.
type marker struct {
	Scopes map[string]Mark `json:"scopes"`
	Keys   *KeyMark        `json:"keys,omitempty"`
}

// KeyMark is the marker's record of the signing keys: the public key that
// signs the feed and the announced next key (ipreg key rotate), in the
// form "ipreg key show" prints, and when the record was made. A data
// directory (or only its key files) restored from before a key switch
// brings the retired key back: every agent has retired it and refuses all
// it signs, a fleet-wide outage whose cause the registry could not see.
// The marker, kept in both copies, remembers the newer key (checkKeys).
type KeyMark struct {
	SigningKey     string    `json:"signing_key"`
	NextSigningKey string    `json:"next_signing_key,omitempty"`
	Since          time.Time `json:"since"`
}

// keyMark is the record of the keys cur and next (nil: none) at now.
func keyMark(cur, next ed25519.PrivateKey, now time.Time) *KeyMark {
	k := &KeyMark{SigningKey: feed.FormatPublicKey(cur.Public().(ed25519.PublicKey)), Since: now.UTC()}
	if next != nil {
		k.NextSigningKey = feed.FormatPublicKey(next.Public().(ed25519.PublicKey))
	}
	return k
}

// sameKeys reports whether k records the same keys as o.
func (k *KeyMark) sameKeys(o *KeyMark) bool {
	return k != nil && o != nil && k.SigningKey == o.SigningKey && k.NextSigningKey == o.NextSigningKey
}

// ErrRetiredKey is the refusal to publish with a signing key that is
// neither the one the feed-state marker records nor its announced next key.
var ErrRetiredKey = errors.New("retired signing key")

// checkKeys refuses the key in use (cur) when the marker records another
// signing key and cur is not its announced next key either: the key files
// were put back from before a key switch (or replaced). Publishing with it
// would only have every agent refuse the feed (they retired that key when
// the switch completed); refusing here says why, at the registry. A marker
// from before keys were recorded accepts any key.
func (m marker) checkKeys(cur ed25519.PrivateKey, paths []string) error {
	if m.Keys == nil || m.Keys.SigningKey == "" {
		return nil
	}
	k := feed.FormatPublicKey(cur.Public().(ed25519.PublicKey))
	if k == m.Keys.SigningKey || k == m.Keys.NextSigningKey {
		return nil
	}
	return fmt.Errorf("%w: the feed signing key in use (%s) is not the key this registry last signed with (%s, recorded %s in the feed-state marker %v): "+
		"the data directory or its key files were restored from before a key switch. Every agent has retired that key and would refuse all it signs, so nothing is published. "+
		"Restore feed-signing-key.pem (and feed-signing-key.next.pem, if there was one) from the key backup taken after the switch and restart; "+
		"only if this key is meant (a replica given the switched key without the announcement step, or a compromised key replaced on purpose), remove the feed-state marker files and make sure every agent trusts it (--trust-key)",
		ErrRetiredKey, k, m.Keys.SigningKey, m.Keys.Since.Format(time.RFC3339), paths)
}

// markerMu serialises read-merge-write within a process (several
// publishers over one data directory, as in tests); across processes the
// forward-only merge makes a lost update harmless: the marker lags, and
// the next cycle moves it up.
var markerMu sync.Mutex

// loadMarker reads the marker at path; a missing one is empty. A damaged
// one is an error the caller logs: it tells nothing, so publishing goes on
// as before markers existed, and the next write replaces it.
func loadMarker(path string) (marker, error) {
	m := marker{Scopes: map[string]Mark{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return marker{Scopes: map[string]Mark{}}, fmt.Errorf("%s: %w", path, err)
	}
	if m.Scopes == nil {
		m.Scopes = map[string]Mark{}
	}
	return m, nil
}

// merge takes, per feed, the later of m's and o's marks, and the later
// key record.
func (m *marker) merge(o marker) {
	if o.Keys != nil && (m.Keys == nil || o.Keys.Since.After(m.Keys.Since)) {
		m.Keys = o.Keys
	}
	for name, n := range o.Scopes {
		if old, ok := m.Scopes[name]; !ok || n.ahead(old) {
			m.Scopes[name] = n
		}
	}
}

// ahead reports whether n is a later feed state than m.
func (n Mark) ahead(m Mark) bool {
	if n.SessionID != m.SessionID {
		return n.SignedAt.After(m.SignedAt)
	}
	return n.Version > m.Version || n.Version == m.Version && n.SignedAt.After(m.SignedAt)
}

// saveMarker merges marks into the marker at path, each only if ahead of
// what it holds, records keys when they differ from its record, and writes
// it atomically if anything moved.
func saveMarker(path string, marks map[string]Mark, keys *KeyMark) error {
	markerMu.Lock()
	defer markerMu.Unlock()
	m, err := loadMarker(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		m = marker{Scopes: map[string]Mark{}} // damaged: rewritten whole
	}
	moved := false
	for name, n := range marks {
		if old, ok := m.Scopes[name]; !ok || n.ahead(old) {
			m.Scopes[name] = n
			moved = true
		}
	}
	if keys != nil && !keys.sameKeys(m.Keys) {
		m.Keys = keys
		moved = true
	}
	if !moved && err == nil {
		if _, statErr := os.Stat(path); statErr == nil {
			return nil
		}
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Dir(path), filepath.Base(path), b, 0o600)
}

// deltaHash returns the hash of the scope's delta of version v among
// files, or "" when there is none (a session's first version, or a delta
// deleted after retention).
func deltaHash(files []*File, v int64) string {
	for _, f := range files {
		if f.Kind == "delta" && f.Version == v {
			return f.SHA256
		}
	}
	return ""
}

// behind says why the database's feed state s (with its files) is behind
// the marker's m, or "" when it is not.
func behind(s *Scope, files []*File, m Mark) string {
	switch {
	case s.Version == 0:
		return fmt.Sprintf("the database has no such feed, the marker has session %s version %d", m.SessionID, m.Version)
	case s.SessionID != m.SessionID && !s.SignedAt.After(m.SignedAt):
		return fmt.Sprintf("the database's session %s (signed %s) is older than the marker's %s (signed %s)",
			s.SessionID, s.SignedAt.Format(time.RFC3339), m.SessionID, m.SignedAt.Format(time.RFC3339))
	case s.SessionID != m.SessionID:
		return ""
	case s.Version < m.Version:
		return fmt.Sprintf("the database is at version %d, the marker at %d", s.Version, m.Version)
	}
	if h := deltaHash(files, m.Version); h != "" && m.Hash != "" && h != m.Hash {
		return fmt.Sprintf("version %d in the database has another delta than the one published", m.Version)
	}
	return ""
}
