package agent

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/testbin"
)

// registryKeys signs as the publisher does with the registry's key files
// (publish.Keys): with the current key, announcing the next one.
type registryKeys struct {
	t    *testing.T
	keys publish.Keys
}

func (r registryKeys) sign(n feed.Notification) string {
	cur, next, err := r.keys.Load()
	if err != nil {
		r.t.Fatal(err)
	}
	if next != nil {
		n.NextSigningKey = feed.FormatPublicKey(next.Public().(ed25519.PublicKey))
	}
	return sign(r.t, n, cur)
}

func (r registryKeys) rotate(force bool) {
	if _, err := r.keys.Rotate(time.Now(), force); err != nil {
		r.t.Fatal(err)
	}
}

// TestKeyRetirement is the security tester's second report: after "ipreg
// key rotate" and "ipreg key rotate --force", a notification signed with
// the old key (a new session, one entry) was accepted, and the old key
// stayed trusted through --trust-key and state.json. Now the first
// notification the agent verifies with the announced key retires the old
// one: refused at once, and after a restart with --trust-key still naming
// it (a warning says to update --trust-key).
func TestKeyRetirement(t *testing.T) {
	fx := newFixture(t)
	rk := registryKeys{t, publish.Keys{Dir: t.TempDir()}}
	old, _, err := rk.keys.Load()
	if err != nil {
		t.Fatal(err)
	}
	oldPub := old.Public().(ed25519.PublicKey)
	var logs testbin.LogBuffer
	fx.a.cfg.TrustKeys = []ed25519.PublicKey{oldPub}
	fx.a.cfg.Log = slog.New(slog.NewTextHandler(&logs, nil))
	fx.a = New(fx.a.cfg)
	base := []feed.Entry{entry("14.1.104.0/24")}
	step := func(session string, v int64, entries []feed.Entry) string {
		fx.reg.now, fx.now = fx.reg.now.Add(time.Minute), fx.now.Add(time.Minute)
		return rk.sign(fx.reg.publish(t, session, v, entries, nil))
	}
	mustSync := func(what, jws string) {
		t.Helper()
		if err := fx.a.Sync(context.Background(), jws); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	mustSync("before the rotation", step("s1", 1, base))
	rk.rotate(false) // announce the next key
	announced := step("s1", 1, base)
	mustSync("the announcement", announced)
	_, nextKey, _ := rk.keys.Load()
	newPub := nextKey.Public().(ed25519.PublicKey)
	// A replica that has not seen the announcement yet signs with the old
	// key and announces nothing: the announced key stays trusted.
	fx.reg.now, fx.now = fx.reg.now.Add(time.Minute), fx.now.Add(time.Minute)
	mustSync("a replica unaware of the rotation", sign(t, fx.reg.publish(t, "s1", 1, base, nil), old))
	if !containsKey(fx.a.keys.trusted, newPub) || !containsKey(fx.a.keys.trusted, oldPub) {
		t.Fatal("the announced key was dropped before it signed")
	}
	rk.rotate(true) // switch to it
	mustSync("the first notification of the new key", step("s1", 1, base))
	if containsKey(fx.a.keys.trusted, oldPub) || !containsKey(fx.a.keys.retired, oldPub) {
		t.Fatalf("the old key is still trusted: %+v", fx.a.keys.record())
	}
	if got := testutil.ToFloat64(fx.a.metrics.keysRetired); got != 1 {
		t.Fatalf("ipreg_agent_keys_retired_total = %v", got)
	}
	if !strings.Contains(logs.String(), "update --trust-key") {
		t.Fatalf("no warning to update --trust-key:\n%s", logs.String())
	}

	// The old key, stolen or from a backup: a new session with one entry.
	fx.reg.now, fx.now = fx.reg.now.Add(time.Minute), fx.now.Add(time.Minute)
	forged := sign(t, fx.reg.publish(t, "s9", 1, []feed.Entry{entry("39.32.0.0/24")}, nil), old)
	// Neighbour: the old key announcing itself back as the next key.
	fx.reg.now = fx.reg.now.Add(time.Second)
	n := fx.reg.publish(t, "s1", 1, base, nil)
	n.NextSigningKey = feed.FormatPublicKey(oldPub)
	reannounced := sign(t, n, nextKey)
	mustSync("the new key announcing the old one", reannounced)
	if containsKey(fx.a.keys.trusted, oldPub) {
		t.Fatal("a retired key announced as next was trusted again")
	}
	check := func(a *Agent) {
		t.Helper()
		err := a.Sync(context.Background(), forged)
		if Reason(err) != "signature" || a.Status().SessionID != "s1" {
			t.Fatalf("a notification signed with the retired key: %v; status %+v", err, a.Status())
		}
	}
	check(fx.a)

	// A restart with --trust-key still naming the old key.
	fx.a.persistNow()
	var restartLogs testbin.LogBuffer
	cfg := fx.a.cfg
	cfg.Log = slog.New(slog.NewTextHandler(&restartLogs, nil))
	b := New(cfg)
	if err := b.Load(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(restartLogs.String(), "--trust-key names a retired key") {
		t.Fatalf("no warning at start:\n%s", restartLogs.String())
	}
	check(b)
	fx.reg.now, fx.now = fx.reg.now.Add(time.Minute), fx.now.Add(time.Minute)
	if err := b.Sync(context.Background(), rk.sign(fx.reg.publish(t, "s1", 2, base, nil))); err != nil {
		t.Fatalf("after the restart, the new key's notification: %v", err)
	}
	// Even with the state gone, keys.json remembers.
	os.Remove(filepath.Join(fx.a.cfg.StateDir, stateFile))
	c := New(fx.a.cfg)
	if err := c.Load(); err != nil {
		t.Fatal(err)
	}
	if containsKey(c.keys.trusted, oldPub) || !containsKey(c.keys.trusted, newPub) {
		t.Fatalf("without state.json: %+v", c.keys.record())
	}
}

// TestKeyLegacyState: a state directory from before keys.json counts the
// keys its state.json learned as announced, so the next notification one
// of them signs completes the rotation.
func TestKeyLegacyState(t *testing.T) {
	fx := newFixture(t)
	next, _ := feed.NewKey()
	nextPub := next.Public().(ed25519.PublicKey)
	n := fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	n.NextSigningKey = feed.FormatPublicKey(nextPub)
	if err := fx.a.Sync(context.Background(), sign(t, n, fx.reg.key)); err != nil {
		t.Fatal(err)
	}
	fx.a.persistNow()
	os.Remove(filepath.Join(fx.a.cfg.StateDir, keysFile))
	b := New(fx.a.cfg)
	if err := b.Load(); err != nil {
		t.Fatal(err)
	}
	if !containsKey(b.keys.announced, nextPub) {
		t.Fatalf("legacy learned key not announced: %+v", b.keys.record())
	}
	fx.reg.now, fx.now = fx.reg.now.Add(time.Minute), fx.now.Add(time.Minute)
	if err := b.Sync(context.Background(), sign(t, fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil), next)); err != nil {
		t.Fatal(err)
	}
	if containsKey(b.keys.trusted, fx.reg.key.Public().(ed25519.PublicKey)) {
		t.Fatal("the old key survived the rotation")
	}
}

// TestKeyRemovedFromFlag: a key only --trust-key named is not kept in
// keys.json, so an operator who removes it from the flag (it leaked) stops
// trusting it at the next start; learned keys are kept.
func TestKeyRemovedFromFlag(t *testing.T) {
	fx := newFixture(t)
	next, _ := feed.NewKey()
	nextPub := next.Public().(ed25519.PublicKey)
	n := fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	n.NextSigningKey = feed.FormatPublicKey(nextPub)
	if err := fx.a.Sync(context.Background(), sign(t, n, fx.reg.key)); err != nil {
		t.Fatal(err)
	}
	fx.a.persistNow()
	cfg := fx.a.cfg
	cfg.TrustKeys = []ed25519.PublicKey{nextPub}
	b := New(cfg)
	if err := b.Load(); err != nil {
		t.Fatal(err)
	}
	if containsKey(b.keys.trusted, fx.reg.key.Public().(ed25519.PublicKey)) || !containsKey(b.keys.trusted, nextPub) {
		t.Fatalf("after removing the old key from --trust-key: %+v", b.keys.record())
	}
}
