package publish

import (
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
const markerFile = "feed-state"

// Mark is the marker's record of one feed.
type Mark struct {
	SessionID string    `json:"session_id"`
	Version   int64     `json:"version"`
	Hash      string    `json:"hash,omitempty"` // the SHA-256 of the delta that made Version ("" for a session's first version)
	SignedAt  time.Time `json:"signed_at"`
}

// marker is the file, by feed scope ("" the global feed).
type marker struct {
	Scopes map[string]Mark `json:"scopes"`
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

// merge takes, per feed, the later of m's and o's marks.
func (m marker) merge(o marker) {
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
// what it holds, and writes it atomically if anything moved.
func saveMarker(path string, marks map[string]Mark) error {
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
