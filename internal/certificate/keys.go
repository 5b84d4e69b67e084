package certificate

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/atomicfile"
	"github.com/ipreg/ipreg/internal/feed"
)

// Files in the data directory. The signing key is separate from the
// feed's: a certificate outlives many feed keys, and a leak of one must
// not let anyone forge the other.
const (
	KeyFile     = "certificate-signing-key.pem"
	RetiredFile = "certificate-keys-retired"
	LockFile    = "certificate-keys.lock" // held while a rotation runs
)

// Keys are the certificate signing keys in a data directory: the current
// private key, and the public keys it replaced, which still verify the
// certificates they signed.
type Keys struct {
	Dir string
}

// PublicKey is a certificate key as published.
type PublicKey struct {
	ID        string
	Key       ed25519.PublicKey
	Retired   bool
	RetiredAt time.Time
	Since     time.Time // the current key: when it was made (its file's modification time)
}

// KeySet is what Load reads.
type KeySet struct {
	Current ed25519.PrivateKey
	Public  []PublicKey // the current key first, then retired ones, oldest first
}

// Lookup finds a public key by KeyID.
func (ks *KeySet) Lookup(id string) (ed25519.PublicKey, bool) {
	for _, k := range ks.Public {
		if k.ID == id {
			return k.Key, true
		}
	}
	return nil, false
}

// Exists reports whether the directory holds a certificate key yet.
func (k Keys) Exists() (bool, error) {
	_, err := os.Stat(filepath.Join(k.Dir, KeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Load returns the keys, creating the current key if there is none yet
// (exclusively: replicas starting together end up with one key).
func (k Keys) Load() (*KeySet, error) {
	b, err := os.ReadFile(filepath.Join(k.Dir, KeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		key, err := feed.NewKey()
		if err != nil {
			return nil, err
		}
		pem, err := feed.MarshalKey(key)
		if err != nil {
			return nil, err
		}
		if err = atomicfile.Create(k.Dir, KeyFile, pem, 0o600); errors.Is(err, fs.ErrExist) {
			return k.Load() // another process won the race: use its key
		} else if err != nil {
			return nil, err
		}
		b = pem
	} else if err != nil {
		return nil, err
	}
	cur, err := feed.UnmarshalKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(k.Dir, KeyFile), err)
	}
	ks := &KeySet{Current: cur}
	curPub := cur.Public().(ed25519.PublicKey)
	var since time.Time
	if st, err := os.Stat(filepath.Join(k.Dir, KeyFile)); err == nil {
		since = st.ModTime().UTC().Truncate(time.Second)
	}
	ks.Public = append(ks.Public, PublicKey{ID: KeyID(curPub), Key: curPub, Since: since})
	retired, err := k.retired()
	if err != nil {
		return nil, err
	}
	for _, r := range retired {
		// A rotation interrupted after recording the old key as retired
		// but before replacing it leaves the current key listed too.
		if !r.Key.Equal(curPub) {
			ks.Public = append(ks.Public, r)
		}
	}
	return ks, nil
}

// retired reads the retired keys: one a line, "ed25519:<key> <RFC 3339 time>".
func (k Keys) retired() ([]PublicKey, error) {
	return ReadRetired(filepath.Join(k.Dir, RetiredFile))
}

// ReadRetired reads a retired-keys file at name (RetiredFile's format);
// none is an empty list.
func ReadRetired(name string) ([]PublicKey, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []PublicKey
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		keyText, when, _ := strings.Cut(line, " ")
		pub, err := feed.ParsePublicKey(keyText)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, n, err)
		}
		at, err := time.Parse(time.RFC3339, strings.TrimSpace(when))
		if err != nil {
			return nil, fmt.Errorf("%s line %d: the retirement time must be RFC 3339: %w", name, n, err)
		}
		out = append(out, PublicKey{ID: KeyID(pub), Key: pub, Retired: true, RetiredAt: at})
	}
	return out, sc.Err()
}

// Retire adds keys to the retired keys, each with its RetiredAt, but
// those listed already and the current key: the certificates they signed
// go on verifying. A restore that replaced the current key (or the
// retired list) with a backup's older one keeps what it replaced this
// way (tester, issue 14: a certificate signed after the backup failed as
// signed by an unknown key). It says how many it added.
func (k Keys) Retire(keys []PublicKey) (int, error) {
	unlock, err := lockDir(filepath.Join(k.Dir, LockFile))
	if err != nil {
		return 0, err
	}
	defer unlock()
	have, err := k.retired()
	if err != nil {
		return 0, err
	}
	var cur ed25519.PublicKey
	if b, err := os.ReadFile(filepath.Join(k.Dir, KeyFile)); err == nil {
		if key, err := feed.UnmarshalKey(b); err == nil {
			cur = key.Public().(ed25519.PublicKey)
		}
	}
	var b strings.Builder
	b.WriteString("# Retired certificate signing keys: they verify the certificates they signed and sign nothing new.\n")
	for _, r := range have {
		fmt.Fprintf(&b, "%s %s\n", feed.FormatPublicKey(r.Key), r.RetiredAt.UTC().Format(time.RFC3339))
	}
	added := 0
	for _, r := range keys {
		listed := cur != nil && r.Key.Equal(cur)
		for _, h := range have {
			listed = listed || h.Key.Equal(r.Key)
		}
		if listed {
			continue
		}
		fmt.Fprintf(&b, "%s %s\n", feed.FormatPublicKey(r.Key), r.RetiredAt.UTC().Format(time.RFC3339))
		have = append(have, r)
		added++
	}
	if added == 0 {
		return 0, nil
	}
	return added, atomicfile.Write(k.Dir, RetiredFile, []byte(b.String()), 0o644)
}

// Rotate retires the current key (its public key stays published and
// verifies the certificates it signed) and makes a new current key, which
// signs every certificate made from now on. It returns the new key's ID.
func (k Keys) Rotate(now time.Time) (string, error) {
	if ok, err := k.Exists(); err != nil {
		return "", err
	} else if !ok {
		return "", fmt.Errorf("%s holds no certificate signing key: give the --data-dir that ipreg serve uses (ipreg serve creates the key at its first start)", k.Dir)
	}
	// One rotation at a time: two that read the same current key would
	// each retire it and write a new one, and the first new key (which
	// may have signed certificates already) would be lost.
	unlock, err := lockDir(filepath.Join(k.Dir, LockFile))
	if err != nil {
		return "", err
	}
	defer unlock()
	ks, err := k.Load()
	if err != nil {
		return "", err
	}
	retired, err := k.retired()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("# Retired certificate signing keys: they verify the certificates they signed and sign nothing new.\n")
	old := ks.Current.Public().(ed25519.PublicKey)
	for _, r := range retired {
		if !r.Key.Equal(old) { // listed already by an interrupted rotation: once, below
			fmt.Fprintf(&b, "%s %s\n", feed.FormatPublicKey(r.Key), r.RetiredAt.UTC().Format(time.RFC3339))
		}
	}
	fmt.Fprintf(&b, "%s %s\n", feed.FormatPublicKey(old), now.UTC().Format(time.RFC3339))
	// The old key is recorded as retired before it is replaced: a crash in
	// between leaves it current and listed, never lost.
	if err := atomicfile.Write(k.Dir, RetiredFile, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	key, err := feed.NewKey()
	if err != nil {
		return "", err
	}
	pem, err := feed.MarshalKey(key)
	if err != nil {
		return "", err
	}
	if err := atomicfile.Write(k.Dir, KeyFile, pem, 0o600); err != nil {
		return "", err
	}
	return KeyID(key.Public().(ed25519.PublicKey)), nil
}
