package registry_test

import (
	"testing"
	"time"

	. "github.com/ipreg/ipreg/internal/registry"
)

func TestPasswordReset(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		alice := h.applicant("company")
		tok, _, err := svc.Login(ctx, alice.Email, "a long password", "", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if reset, err := svc.RequestPasswordReset(ctx, "nobody@example.pk", "192.0.2.1"); err != nil || reset != "" {
			t.Fatalf("reset for an unknown address = %q, %v", reset, err)
		}
		reset, err := svc.RequestPasswordReset(ctx, " "+alice.Email+" ", "192.0.2.1")
		if err != nil || reset == "" {
			t.Fatalf("reset = %q, %v", reset, err)
		}
		// A second and a third link, asked for before the first is used.
		sibling, _ := svc.RequestPasswordReset(ctx, alice.Email, "192.0.2.1")
		third, _ := svc.RequestPasswordReset(ctx, alice.Email, "192.0.2.5")
		wantCode(t, svc.ResetPassword(ctx, reset, "short", "192.0.2.1"), EINVALID, "password")
		wantCode(t, svc.ResetPassword(ctx, reset+"x", "a brand new password", "192.0.2.1"), ENOTFOUND, "not valid")
		if err := svc.ResetPassword(ctx, reset, "a brand new password", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, svc.ResetPassword(ctx, reset, "another new password", "192.0.2.1"), ENOTFOUND, "used already")
		// A reset ends every other link of the account too.
		for _, other := range []string{sibling, third} {
			wantCode(t, svc.ResetPassword(ctx, other, "another new password", "192.0.2.1"), ENOTFOUND, "used already")
		}
		// The old session ended; the new password works, the old does not.
		_, err = svc.Authenticate(ctx, tok)
		wantCode(t, err, EUNAUTHORIZED)
		_, _, err = svc.Login(ctx, alice.Email, "a long password", "", "192.0.2.1")
		wantCode(t, err, EUNAUTHORIZED)
		if _, _, err := svc.Login(ctx, alice.Email, "a brand new password", "", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		// Links last an hour.
		late, _ := svc.RequestPasswordReset(ctx, alice.Email, "192.0.2.1")
		h.clock.Add(61 * time.Minute)
		wantCode(t, svc.ResetPassword(ctx, late, "a third new password", "192.0.2.1"), ENOTFOUND, "expired")
		// Requests are throttled per client address.
		var last error
		for i := 0; i < 60 && last == nil; i++ {
			_, last = svc.RequestPasswordReset(ctx, alice.Email, "192.0.2.99")
		}
		wantCode(t, last, ETOOMANY)
	})
}

func TestUsersAdmin(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		admin, reviewer := h.staff("admin"), h.staff("reviewer")
		us, err := svc.ListUsers(ctx, admin)
		if err != nil || len(us) < 4 {
			t.Fatalf("users = %d, %v", len(us), err)
		}
		_, err = svc.ListUsers(ctx, reviewer)
		wantCode(t, err, EFORBIDDEN)
		_, err = svc.SetUserDisabled(ctx, admin, admin.ID, true)
		wantCode(t, err, ECONFLICT, "your own")
		tok, _, _ := svc.Login(ctx, "reviewer@demo.test", "demo-password-1", "", "127.0.0.1")
		if _, err := svc.SetUserDisabled(ctx, admin, reviewer.ID, true); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Authenticate(ctx, tok)
		wantCode(t, err, EUNAUTHORIZED)
		_, _, err = svc.Login(ctx, "reviewer@demo.test", "demo-password-1", "", "127.0.0.1")
		wantCode(t, err, EUNAUTHORIZED, "disabled")
		if _, err := svc.SetUserDisabled(ctx, admin, reviewer.ID, false); err != nil {
			t.Fatal(err)
		}
		h.staff("reviewer")
		_, err = svc.SetUserDisabled(ctx, admin, "usr_none", true)
		wantCode(t, err, ENOTFOUND)
	})
}

// Language tags are case-insensitive (BCP 47 §2.1.1): "UR" is Urdu
// wherever a language is read, and stored as "ur".
func TestLanguageAnyCase(t *testing.T) {
	for tag, want := range map[string]string{"ur": "ur", "UR": "ur", "Ur": "ur", " en ": "en", "EN": "en", "fr": "", "": "", "urd": "", "ur-PK": ""} {
		if got := Language(tag); got != want {
			t.Errorf("Language(%q) = %q, want %q", tag, got, want)
		}
	}
	eachStore(t, func(t *testing.T, h *harness) {
		u := h.applicant("individual")
		got, err := h.svc.SetLanguage(h.ctx, u, "UR")
		if err != nil || got.Lang != "ur" {
			t.Errorf("SetLanguage(UR) = %+v, %v; want lang ur", got, err)
		}
	})
}
