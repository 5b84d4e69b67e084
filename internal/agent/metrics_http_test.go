package agent

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// /metrics on the lookup API: 404 without a metrics token configured
// (whatever the request carries), 401 without the token or with another,
// 200 with it; MetricsHandler, for a listener of its own, needs none.
func TestMetricsEndpoint(t *testing.T) {
	const token = "0123456789abcdef0123"
	tests := []struct {
		name, configured, bearer string
		want                     int
	}{
		{"not configured", "", "", 404},
		{"not configured, a bearer sent", "", token, 404},
		{"no token sent", token, "", 401},
		{"another token", token, "fedcba9876543210fedc", 401},
		{"the token", token, token, 200},
	}
	for _, tt := range tests {
		a := New(Config{Registry: &url.URL{}, MaxAge: time.Hour, MetricsToken: tt.configured})
		r := httptest.NewRequest("GET", "/metrics", nil)
		if tt.bearer != "" {
			r.Header.Set("Authorization", "Bearer "+tt.bearer)
		}
		w := httptest.NewRecorder()
		a.Handler().ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("%s: %d, want %d: %s", tt.name, w.Code, tt.want, w.Body)
		}
		if tt.want == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: 401 without a Bearer challenge", tt.name)
		}
		if got := strings.Contains(w.Body.String(), "ipreg_agent_"); got != (tt.want == 200) {
			t.Errorf("%s: metrics in the body: %v", tt.name, got)
		}
		w = httptest.NewRecorder()
		a.MetricsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "ipreg_agent_") {
			t.Errorf("%s: MetricsHandler = %d", tt.name, w.Code)
		}
	}
}
