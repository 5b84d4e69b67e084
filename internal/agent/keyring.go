package agent

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/ipreg/ipreg/internal/atomicfile"
	"github.com/ipreg/ipreg/internal/feed"
)

// The agent's keys follow the registry's rotation ("ipreg key rotate"):
// the registry announces its next key in next_signing_key, signed with the
// current one, and the agent trusts it from then on; once the agent has
// verified a notification signed with an announced key, the rotation is
// done, and every other key the feed no longer announces (neither that
// signing key nor its next_signing_key) is retired: persisted as retired in
// keys.json and never trusted again, even when --trust-key still names it
// (a warning says to update --trust-key). So a retired key, stolen or left
// on an old backup, cannot sign a notification the agent takes, as TUF
// clients drop the keys a newer root no longer lists and never roll back to
// the older root. A key that was only announced is not retired by a
// notification of the current key that stops announcing it (a replica
// that has not seen the rotation yet); a rotation the registry abandons
// leaves it trusted until the next completed rotation retires it.
const keysFile = "keys.json"

// keyring is keys.json: the keys learned from next_signing_key and still
// trusted (the --trust-key keys are not recorded, so a key removed from
// the flag is no longer trusted), those of them not yet seen signing, and
// the retired.
type keyring struct {
	Trusted   []string `json:"trusted"`
	Announced []string `json:"announced,omitempty"`
	Retired   []string `json:"retired,omitempty"`
}

// keyState is the agent's keys: what verifies, what was announced as next
// and not yet seen signing, and what is retired.
type keyState struct {
	trusted   []ed25519.PublicKey
	announced []ed25519.PublicKey
	retired   []ed25519.PublicKey
}

func (k *keyState) clone() keyState {
	return keyState{slices.Clone(k.trusted), slices.Clone(k.announced), slices.Clone(k.retired)}
}

// learn returns the keys after verifying n with key signer. It says what
// was learned or retired, for the log.
func (k *keyState) learn(n *feed.Notification, signer ed25519.PublicKey) (keyState, []ed25519.PublicKey, *ed25519.PublicKey, error) {
	next := k.clone()
	var nk ed25519.PublicKey
	if n.NextSigningKey != "" {
		var err error
		if nk, err = feed.ParsePublicKey(n.NextSigningKey); err != nil {
			return next, nil, nil, reject("malformed", "next_signing_key: %v", err)
		}
	}
	var retired []ed25519.PublicKey
	if containsKey(k.announced, signer) {
		// The rotation is done: only what the feed still announces stays.
		keep := []ed25519.PublicKey{signer}
		if nk != nil && !containsKey(k.retired, nk) {
			keep = append(keep, nk)
		}
		for _, t := range k.trusted {
			if !containsKey(keep, t) {
				retired = append(retired, t)
			}
		}
		next.trusted, next.retired = keep, append(next.retired, retired...)
		next.announced = slices.DeleteFunc(next.announced, func(a ed25519.PublicKey) bool { return !containsKey(keep, a) || a.Equal(signer) })
	}
	var learned *ed25519.PublicKey
	if nk != nil && !containsKey(next.trusted, nk) && !containsKey(next.retired, nk) {
		next.trusted, next.announced, learned = append(next.trusted, nk), append(next.announced, nk), &nk
	}
	return next, retired, learned, nil
}

// record is keys.json's form of the keys.
func (k *keyState) record() keyring {
	f := func(keys []ed25519.PublicKey) []string {
		var out []string
		for _, x := range keys {
			out = append(out, feed.FormatPublicKey(x))
		}
		return out
	}
	return keyring{Trusted: f(k.trusted), Announced: f(k.announced), Retired: f(k.retired)}
}

// loadKeys reads keys.json; without it (a state directory from before it)
// the keys state.json lists beyond --trust-key count as announced, since
// next_signing_key was the only way to learn one. The --trust-key keys
// that are retired are dropped with a warning.
func (a *Agent) loadKeys(legacy []string) error {
	var r keyring
	b, err := os.ReadFile(filepath.Join(a.cfg.StateDir, keysFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		for _, s := range legacy {
			if pk, err := feed.ParsePublicKey(s); err == nil && !containsKey(a.cfg.TrustKeys, pk) {
				r.Trusted, r.Announced = append(r.Trusted, s), append(r.Announced, s)
			}
		}
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("%s: %w (it lists the keys learned and retired: fix it, or remove it and restart with the current key in --trust-key)", keysFile, err)
		}
	}
	parse := func(list []string) ([]ed25519.PublicKey, error) {
		var out []ed25519.PublicKey
		for _, s := range list {
			pk, err := feed.ParsePublicKey(s)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", keysFile, err)
			}
			out = append(out, pk)
		}
		return out, nil
	}
	var ks keyState
	if ks.retired, err = parse(r.Retired); err != nil {
		return err
	}
	if ks.announced, err = parse(r.Announced); err != nil {
		return err
	}
	learned, err := parse(r.Trusted)
	if err != nil {
		return err
	}
	for _, k := range append(slices.Clone(a.cfg.TrustKeys), learned...) {
		switch {
		case containsKey(ks.retired, k):
			if containsKey(a.cfg.TrustKeys, k) {
				a.cfg.Log.Warn("agent: --trust-key names a retired key, which is not trusted: the registry rotated to another key; update --trust-key to the output of \"ipreg key show\"",
					"key", feed.FormatPublicKey(k))
			}
		case !containsKey(ks.trusted, k):
			ks.trusted = append(ks.trusted, k)
		}
	}
	a.keys = ks
	return nil
}

// writeKeys persists the keys atomically.
func (a *Agent) writeKeys(k keyState) error {
	if a.cfg.StateDir == "" {
		return nil
	}
	r := k.record()
	r.Trusted = slices.DeleteFunc(r.Trusted, func(s string) bool {
		pk, err := feed.ParsePublicKey(s)
		return err == nil && containsKey(a.cfg.TrustKeys, pk) && !containsKey(k.announced, pk)
	})
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.Write(a.cfg.StateDir, keysFile, b, 0o600)
}
