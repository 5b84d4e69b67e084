package publish

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ipreg/ipreg/internal/atomicfile"
	"github.com/ipreg/ipreg/internal/feed"
)

// Keys are the feed's signing keys in a data directory: the current key,
// and, during a rotation, the next one, which notifications announce in
// next_signing_key before it signs anything.
type Keys struct {
	Dir string
}

const (
	keyFile     = "feed-signing-key.pem"
	nextKeyFile = "feed-signing-key.next.pem"
)

// MinAnnounce is how long a next key is announced before "ipreg key
// rotate" switches to it: agents that poll at least this often learn it.
const MinAnnounce = time.Hour

// Load returns the current key (created if there is none yet) and the
// next key, if a rotation is under way.
// Exists reports whether the data directory holds a signing key yet (ipreg
// serve creates one at its first start).
func (k Keys) Exists() (bool, error) {
	_, err := os.Stat(filepath.Join(k.Dir, keyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (k Keys) Load() (cur, next ed25519.PrivateKey, err error) {
	cur, err = k.read(keyFile)
	if errors.Is(err, fs.ErrNotExist) {
		// Created exclusively: two processes (or goroutines) starting on a
		// fresh data directory must end up with one key, not two.
		if cur, err = feed.NewKey(); err != nil {
			return nil, nil, err
		}
		b, err := feed.MarshalKey(cur)
		if err != nil {
			return nil, nil, err
		}
		err = atomicfile.Create(k.Dir, keyFile, b, 0o600)
		if errors.Is(err, fs.ErrExist) {
			cur, err = k.read(keyFile) // another won the race: use its key
		}
		if err != nil {
			return nil, nil, err
		}
	} else if err != nil {
		return nil, nil, err
	}
	next, err = k.read(nextKeyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return cur, nil, nil
	}
	return cur, next, err
}

// Rotate announces a new next key, or, when one has been announced for at
// least MinAnnounce (or force), makes it the current key. It says which.
func (k Keys) Rotate(now time.Time, force bool) (string, error) {
	cur, _, err := k.Load()
	if err != nil {
		return "", err
	}
	st, err := os.Stat(filepath.Join(k.Dir, nextKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		next, err := feed.NewKey()
		if err != nil {
			return "", err
		}
		if err := k.write(nextKeyFile, next); err != nil {
			return "", err
		}
		// The marker learns the keys at once, so that a switch forced
		// before the next publish is not taken for a retired key.
		if err := k.mark(cur, next, now); err != nil {
			return "", err
		}
		return fmt.Sprintf("announced next key %s; notifications carry it from the next publish.\nRun \"ipreg key rotate\" again after %s to switch to it.",
			feed.FormatPublicKey(next.Public().(ed25519.PublicKey)), MinAnnounce), nil
	}
	if err != nil {
		return "", err
	}
	if age := now.Sub(st.ModTime()); age < MinAnnounce && !force {
		return "", fmt.Errorf("the next key was announced %s ago; agents need time to see it: wait %s more, or pass --force",
			age.Round(time.Second), (MinAnnounce - age).Round(time.Second))
	}
	if err := os.Rename(filepath.Join(k.Dir, nextKeyFile), filepath.Join(k.Dir, keyFile)); err != nil {
		return "", err
	}
	if cur, _, err = k.Load(); err != nil {
		return "", err
	}
	if err := k.mark(cur, nil, now); err != nil {
		return "", err
	}
	return "switched: notifications are now signed with " + feed.FormatPublicKey(cur.Public().(ed25519.PublicKey)), nil
}

func (k Keys) read(name string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(filepath.Join(k.Dir, name))
	if err != nil {
		return nil, err
	}
	key, err := feed.UnmarshalKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(k.Dir, name), err)
	}
	return key, nil
}

// write stores a key with mode 0600, atomically.
func (k Keys) write(name string, key ed25519.PrivateKey) error {
	b, err := feed.MarshalKey(key)
	if err != nil {
		return err
	}
	return atomicfile.Write(k.Dir, name, b, 0o600)
}

// mark records the keys in the feed-state marker of the data directory (a
// --feed-state-copy learns them at the next publish; the later record
// wins when the copies are read).
func (k Keys) mark(cur, next ed25519.PrivateKey, now time.Time) error {
	if err := saveMarker(filepath.Join(k.Dir, markerFile), nil, keyMark(cur, next, now)); err != nil {
		return fmt.Errorf("feed-state marker: %w", err)
	}
	return nil
}
