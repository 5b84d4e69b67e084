package registry_test

import (
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

// TestFeedScopeInService: the scope check is part of requireUser, the
// step every operation needing a user takes, so an operation reached
// without the HTTP layers' check refuses a feed-scoped token too. The
// third round's example: Logout revoked the feed token itself. Only Me
// (GET /api/v1/me) takes it. On both databases.
func TestFeedScopeInService(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		jazz := h.staff("operator.jazz")
		tok, _, err := svc.CreateAPIToken(ctx, jazz, "agent", 30, ScopeFeed)
		if err != nil {
			t.Fatal(err)
		}
		u, err := svc.Authenticate(ctx, tok)
		if err != nil || !u.FeedOnly {
			t.Fatalf("Authenticate = %+v, %v", u, err)
		}
		wantCode(t, svc.Logout(ctx, u, tok), EFORBIDDEN, "feed scope")
		_, err = svc.BeginTOTP(ctx, u)
		wantCode(t, err, EFORBIDDEN, "feed scope")
		_, _, err = svc.CreateAPIToken(ctx, u, "escalate", 30, "")
		wantCode(t, err, EFORBIDDEN, "feed scope")
		if _, err := svc.Me(ctx, u); err != nil {
			t.Fatalf("Me with the feed token: %v", err)
		}
		if _, err := svc.Authenticate(ctx, tok); err != nil {
			t.Fatalf("the feed token was revoked: %v", err)
		}
		for _, tt := range []struct {
			feedRoute bool
			want      bool // refused
		}{{true, false}, {false, true}} {
			if err := CheckScope(u, tt.feedRoute); (err != nil) != tt.want {
				t.Errorf("CheckScope(feed token, feedRoute=%v) = %v", tt.feedRoute, err)
			}
			if err := CheckScope(jazz, tt.feedRoute); err != nil {
				t.Errorf("CheckScope(full access, %v) = %v", tt.feedRoute, err)
			}
		}
	})
}
