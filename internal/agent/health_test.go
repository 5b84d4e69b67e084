package agent

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
)

// TestUnhealthyWhenExpired is the tester's fifth report: /v1/status and
// /healthz stayed healthy while every sync was refused. Now the agent is
// unhealthy (503 "expired" on /healthz, healthy:false with a reason in
// /v1/status) once its newest verified notification has expired without a
// newer one verified, well before --max-age; across a restart too.
func TestUnhealthyWhenExpired(t *testing.T) {
	fx := newFixture(t)
	health := func(a *Agent) (int, string, Status) {
		t.Helper()
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		var body struct{ Error struct{ Code string } }
		json.Unmarshal(rec.Body.Bytes(), &body)
		rec2 := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec2, httptest.NewRequest("GET", "/v1/status", nil))
		var st Status
		if err := json.Unmarshal(rec2.Body.Bytes(), &st); err != nil {
			t.Fatal(err)
		}
		return rec.Code, body.Error.Code, st
	}
	fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	// Every later notification is refused: another feed's, on this path.
	fx.reg.mu.Lock()
	fx.reg.feed = feed.FeedName("zong")
	fx.reg.mu.Unlock()
	for _, tt := range []struct {
		after   time.Duration // since the verified notification was signed (it expires after an hour)
		healthy bool
	}{
		{30 * time.Minute, true},
		{time.Hour, true},
		{time.Hour + time.Second, false},
		{3 * time.Hour, false},
	} {
		fx.now = fx.reg.now.Add(tt.after)
		fx.reg.publish(t, "z1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
		if err := fx.sync(); Reason(err) != "wrong_feed" {
			t.Fatalf("%s: sync %v", tt.after, err)
		}
		code, errCode, st := health(fx.a)
		if st.Healthy != tt.healthy || (code == http.StatusOK) != tt.healthy || st.Stale {
			t.Fatalf("%s after signing: /healthz %d, status %+v", tt.after, code, st)
		}
		if !tt.healthy && (errCode != "expired" || !strings.Contains(st.Reason, "expired")) {
			t.Fatalf("%s: /healthz code %q, reason %q", tt.after, errCode, st.Reason)
		}
	}
	fx.a.persistNow()
	b := New(fx.a.cfg)
	if err := b.Load(); err != nil {
		t.Fatal(err)
	}
	if code, _, st := health(b); code != http.StatusServiceUnavailable || st.Healthy {
		t.Fatalf("after a restart: %d %+v", code, st)
	}
	// A newer notification of its feed verifies: healthy again.
	fx.reg.mu.Lock()
	fx.reg.feed = ""
	fx.reg.mu.Unlock()
	fx.reg.now = fx.now
	fx.reg.publish(t, "s1", 1, []feed.Entry{entry("14.1.104.0/24")}, nil)
	if err := fx.sync(); err != nil {
		t.Fatal(err)
	}
	if code, _, st := health(fx.a); code != http.StatusOK || !st.Healthy || st.Reason != "" {
		t.Fatalf("after a fresh notification: %d %+v", code, st)
	}
}
