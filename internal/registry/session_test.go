package registry_test

import (
	"testing"
	"time"

	. "github.com/ipreg/ipreg/internal/registry"
)

// A login session slides with activity: it ends session_hours after the
// last request made with it, not session_hours after the login, and at the
// latest SessionCap after the login. API tokens keep their fixed expiry.
func TestSessionSlides(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		window := 12 * time.Hour // the default session_hours

		t.Run("active", func(t *testing.T) {
			tok := mustLogin(t, h, "reviewer")
			u, err := h.svc.Authenticate(h.ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if !u.SessionRenewedUntil.IsZero() {
				t.Errorf("a request right after the login moved the expiry to %v: no write is needed yet", u.SessionRenewedUntil)
			}
			// Requests every 11 hours keep the session past the 12 hours a
			// fixed expiry gave it.
			for i := 1; i <= 3; i++ {
				h.clock.Add(11 * time.Hour)
				u, err := h.svc.Authenticate(h.ctx, tok)
				if err != nil {
					t.Fatalf("after %d h of activity: %v", 11*i, err)
				}
				if want := h.svc.Now().Add(window); !u.SessionRenewedUntil.Equal(want) {
					t.Errorf("after %d h: renewed until %v, want %v", 11*i, u.SessionRenewedUntil, want)
				}
			}
		})

		t.Run("idle", func(t *testing.T) {
			tok := mustLogin(t, h, "reviewer")
			h.clock.Add(6 * time.Hour)
			if _, err := h.svc.Authenticate(h.ctx, tok); err != nil {
				t.Fatal(err)
			}
			// Idle for the window after the last request: ended.
			h.clock.Add(window)
			_, err := h.svc.Authenticate(h.ctx, tok)
			wantCode(t, err, EUNAUTHORIZED, "expired")
		})

		t.Run("capped", func(t *testing.T) {
			tok := mustLogin(t, h, "reviewer")
			start := h.svc.Now()
			for h.svc.Now().Sub(start) < SessionCap-11*time.Hour {
				h.clock.Add(11 * time.Hour)
				u, err := h.svc.Authenticate(h.ctx, tok)
				if err != nil {
					t.Fatalf("%v after the login: %v", h.svc.Now().Sub(start), err)
				}
				if u.SessionRenewedUntil.After(start.Add(SessionCap)) {
					t.Fatalf("renewed until %v, past the cap %v", u.SessionRenewedUntil, start.Add(SessionCap))
				}
			}
			h.clock.Add(11 * time.Hour)
			_, err := h.svc.Authenticate(h.ctx, tok)
			wantCode(t, err, EUNAUTHORIZED, "expired")
		})

		t.Run("api token", func(t *testing.T) {
			u, err := h.svc.Authenticate(h.ctx, mustLogin(t, h, "reviewer"))
			if err != nil {
				t.Fatal(err)
			}
			api, tok, err := h.svc.CreateAPIToken(h.ctx, u, "script", 1, "")
			if err != nil {
				t.Fatal(err)
			}
			h.clock.Add(20 * time.Hour)
			if u, err := h.svc.Authenticate(h.ctx, api); err != nil || !u.SessionRenewedUntil.IsZero() {
				t.Fatalf("API token after 20 h = %v, renewed until %v; want valid and not moved", err, u.SessionRenewedUntil)
			}
			h.clock.Add(tok.ExpiresAt.Sub(h.svc.Now()))
			_, err = h.svc.Authenticate(h.ctx, api)
			wantCode(t, err, EUNAUTHORIZED, "expired")
		})
	})
}
