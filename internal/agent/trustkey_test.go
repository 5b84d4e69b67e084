package agent

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/feed"
)

// Issue 11 §4: the --trust-key file goes through the one list reader: a
// BOM and CRLF from a Windows editor, comments and the "next" line that
// "ipreg key show" prints during a rotation are read as an operator means
// them, and errors name the line.
func TestTrustKeyFile(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key := feed.FormatPublicKey(pub)
	dir := t.TempDir()
	for _, tt := range []struct{ name, text, err string }{
		{"plain", key + "\n", ""},
		{"BOM and CRLF", "\ufeff" + key + "\r\n", ""},
		{"comment first", "\ufeff# registry of 2026\r\n\r\n" + key + "  # current\r\nnext ed25519:AAAA\r\n", ""},
		{"empty", "\ufeff# nothing\r\n", "holds no key"},
		{"not a key", "# c\n\nssh-ed25519 AAAA\n", "line 3:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if err := os.WriteFile(f, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := trustKey(f)
			if tt.err == "" {
				if err != nil || !got.Equal(pub) {
					t.Fatalf("trustKey(%q) = %v, %v; want the key", tt.text, got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("trustKey(%q) error = %v; want …%s…", tt.text, err, tt.err)
			}
		})
	}
}
