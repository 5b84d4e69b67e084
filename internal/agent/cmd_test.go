package agent

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
)

// The RADIUS flags: --help tells them, and a bad combination or pool is
// refused before anything starts, with a message that says how to fix it.
func TestMainRADIUSFlags(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"--help"}, noEnv, IO{Stdout: &out, Stderr: &out}); code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	for _, want := range []string{"--radius-allow-prefixes", "Accounting-On/Off", "Delegated-IPv6-Prefix", "newest session", "IPv6 zone", "refused_address"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help does not mention %s", want)
		}
	}
	key, _ := feed.NewKey()
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)
	token := filepath.Join(t.TempDir(), "token")
	os.WriteFile(token, []byte("tok\n"), 0o600)
	base := []string{"--registry", "http://127.0.0.1:1", "--trust-key", feed.FormatPublicKey(key.Public().(ed25519.PublicKey)), "--state-dir", t.TempDir()}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--radius-allow-prefixes", "100.64.0.0/10"}, "--radius-allow-prefixes needs --radius-listen"},
		// Without an operator feed every number would count as unregistered.
		{[]string{"--radius-listen", "127.0.0.1:0", "--radius-secret-file", secret}, "--radius-listen needs --operator-token-file"},
		{[]string{"--radius-listen", "127.0.0.1:0", "--operator-token-file", token, "--radius-secret-file", secret, "--radius-allow-prefixes", "127.0.0.0/8"}, "127.0.0.0/8 overlaps 127.0.0.0/8, which no subscriber's address lies in"},
		{[]string{"--radius-listen", "127.0.0.1:0", "--operator-token-file", token, "--radius-secret-file", secret, "--radius-allow-prefixes", "/nonexistent"}, "nor a readable file"},
		{[]string{"--radius-listen", "127.0.0.1:0", "--radius-allow-prefixes", "100.64.0.0/10"}, "--radius-listen needs --radius-secret-file"},
	} {
		errOut.Reset()
		// An agent that starts instead of refusing serves until this ends.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if code := Main(ctx, append(append([]string{}, base...), tt.args...), noEnv, IO{Stdout: &out, Stderr: &errOut}); code == 0 || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("%v: exit %d, %s; want %q", tt.args, code, errOut.String(), tt.want)
		}
	}
}
