package backup

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/feed"
)

const (
	feedKeyFile     = "feed-signing-key.pem"
	feedNextKeyFile = "feed-signing-key.next.pem"
)

// keyIdentities are the public identities of the key files dataDir
// holds, by file name: the feed keys' public key as ipreg key show
// prints it, the certificate key's key id (certificate.KeyID), the
// document key's fingerprint in hex. Nothing secret: a backup records
// them (Manifest.KeyIdentities) even when the keys are kept apart, so
// that a restore can tell the keys it finds from another registry's.
func keyIdentities(dataDir string) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range []string{feedKeyFile, feedNextKeyFile, certificate.KeyFile} {
		b, err := os.ReadFile(filepath.Join(dataDir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		k, err := feed.UnmarshalKey(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dataDir, name), err)
		}
		pub := k.Public().(ed25519.PublicKey)
		if name == certificate.KeyFile {
			out[name] = certificate.KeyID(pub)
		} else {
			out[name] = feed.FormatPublicKey(pub)
		}
	}
	fp, ok, err := docstore.KeyFingerprint(dataDir)
	if err != nil {
		return nil, err
	}
	if ok {
		out[docstore.KeyFile] = hex.EncodeToString(fp)
	}
	return out, nil
}

// foreignKeys compares the feed and certificate keys dataDir holds after
// a restore, for those the backup did not put there (kept apart), with
// the identities the backup recorded, and says, for each that is neither
// the backup's key nor one that followed it by a rotation, why serving
// with it fails. The document key needs no such check: the restore opens
// the documents with it (checkSealed). A backup from before identities
// were recorded says nothing.
func foreignKeys(dataDir string, m *Manifest, placed []string) ([]string, error) {
	if len(m.KeyIdentities) == 0 {
		return nil, nil
	}
	have, err := keyIdentities(dataDir)
	if err != nil {
		return nil, err
	}
	var out []string
	if cur, was := have[feedKeyFile], m.KeyIdentities[feedKeyFile]; cur != "" && was != "" && !slices.Contains(placed, feedKeyFile) &&
		cur != was && cur != m.KeyIdentities[feedNextKeyFile] {
		out = append(out, fmt.Sprintf("%s in %s (%s) is neither the key the registry signed its feed with when the backup was taken (%s) nor the next key it had announced. If the feed key was rotated after the backup, that is expected; if not, it is another registry's key, and every agent would refuse the feed: put this registry's key back (from your key backup) before starting ipreg serve",
			feedKeyFile, dataDir, cur, was))
	}
	if cur, was := have[certificate.KeyFile], m.KeyIdentities[certificate.KeyFile]; cur != "" && was != "" && !slices.Contains(placed, certificate.KeyFile) && cur != was {
		retired, err := certificate.ReadRetired(filepath.Join(dataDir, certificate.RetiredFile))
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(retired, func(k certificate.PublicKey) bool { return k.ID == was }) {
			out = append(out, fmt.Sprintf("%s in %s (key id %s) is not the key the registry signed certificates with when the backup was taken (key id %s), and %s does not hold that key either: the restored registrations' certificates would not verify. Put this registry's certificate key (and %s) back from your key backup before starting ipreg serve",
				certificate.KeyFile, dataDir, cur, was, certificate.RetiredFile, certificate.RetiredFile))
		}
	}
	return out, nil
}
