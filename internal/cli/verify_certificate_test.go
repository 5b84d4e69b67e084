package cli

import (
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/feed"
)

// Nothing from the certificate is printed raw: a key id with a
// right-to-left override (which would reorder what the terminal shows) is
// escaped, and an unverified key id is named as the certificate's claim.
func TestVerifyCertificateSanitises(t *testing.T) {
	payload := strings.Join([]string{"1", "VPN-2026-000001", "Al*** Tr*****", "company_vpn", "1795000000", "1826000000",
		"1795000000000000", "digest", "\u202Eevil"}, "\n")
	tok := base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64))
	k, err := feed.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	u := certificate.VerifyURL("https://registry.example.pk", "VPN-2026-000001", "ABCDE12345", tok)
	code, out, errOut := run(t, nil, "", "verify-certificate", "--offline", "--key", feed.FormatPublicKey(k.Public().(ed25519.PublicKey)), u)
	all := out + errOut
	if code != exitUnknownKey || strings.Contains(all, "\u202E") || !strings.Contains(all, `\u202E`) || !strings.Contains(all, "names a signing key") {
		t.Fatalf("verify-certificate = %d %q", code, all)
	}
	if got := safe("a\u202Eb\x1b[31mc\u2066"); got != `a\u202Eb\u001B[31mc\u2066` {
		t.Errorf("safe = %q", got)
	}
}

// A keys file's "retired <time>" is read: such a key verifies only what
// was issued before it.
func TestReadKeysFileRetired(t *testing.T) {
	k1, _ := feed.NewKey()
	k2, _ := feed.NewKey()
	f := filepath.Join(t.TempDir(), "keys.txt")
	os.WriteFile(f, []byte(feed.FormatPublicKey(k1.Public().(ed25519.PublicKey))+" id1 current 2026-11-29T10:00:00Z\n"+
		feed.FormatPublicKey(k2.Public().(ed25519.PublicKey))+" id2 retired 2026-11-29T09:00:00Z\n"), 0o644)
	ks, err := readKeysFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 2 || ks[0].Retired || !ks[1].Retired || !ks[1].RetiredAt.Equal(time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("readKeysFile = %+v", ks)
	}
	os.WriteFile(f, []byte(feed.FormatPublicKey(k2.Public().(ed25519.PublicKey))+" id2 retired\n"), 0o644)
	if _, err := readKeysFile(f); err == nil || !strings.Contains(err.Error(), "retirement time") {
		t.Fatalf("a retired key without its time: %v", err)
	}
}
