package auth

import (
	"strings"
	"testing"
	"time"
)

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery", TestParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id", h)
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}} {
		ok, err := CheckPassword(h, tt.pw)
		if err != nil || ok != tt.want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
	if _, err := CheckPassword("$2a$10$bcrypt", "x"); err == nil {
		t.Error("a non-argon2id hash must be an error")
	}
	h2, _ := HashPassword("correct horse battery", TestParams)
	if h2 == h {
		t.Error("two hashes of one password must differ (random salt)")
	}
}

func TestToken(t *testing.T) {
	tok, hash, err := NewToken()
	if err != nil || !strings.HasPrefix(tok, TokenPrefix) || HashToken(tok) != hash || strings.Contains(hash, tok) {
		t.Fatalf("NewToken = %q, %q, %v", tok, hash, err)
	}
	if id := RandomID("app"); !strings.HasPrefix(id, "app_") || len(id) != 20 {
		t.Errorf("RandomID = %q", id)
	}
	if c := RandomCode(10); len(c) != 10 || strings.ContainsAny(c, "01OIL") {
		t.Errorf("RandomCode = %q", c)
	}
}

func TestThrottle(t *testing.T) {
	th := NewThrottle(3, time.Minute)
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if w := th.Wait("a", t0); w != 0 {
			t.Fatalf("attempt %d throttled early: %v", i, w)
		}
		th.Fail("a", t0.Add(time.Duration(i)*time.Second))
	}
	if w := th.Wait("a", t0.Add(3*time.Second)); w != 57*time.Second {
		t.Fatalf("Wait after 3 failures = %v, want 57s", w)
	}
	if w := th.Wait("b", t0); w != 0 {
		t.Fatalf("another key is throttled: %v", w)
	}
	if w := th.Wait("a", t0.Add(61*time.Second)); w != 0 {
		t.Fatalf("Wait after the window = %v, want 0", w)
	}
	th.Fail("a", t0)
	th.Reset("a")
	if w := th.Wait("a", t0); w != 0 {
		t.Fatalf("Wait after Reset = %v", w)
	}
}
