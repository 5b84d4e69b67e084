package agent

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestOperatorOfStatus is the third round's sixth finding, at the agent: a
// 503 from GET /api/v1/me (a registry shutting down) was logged as "the
// registry refused the token (status 503)". Only 401 and 403 are about the
// token; the message says what each status means, with the registry's own
// message when it sent one.
func TestOperatorOfStatus(t *testing.T) {
	for _, tt := range []struct {
		status int
		body   string
		want   []string
		refuse bool // the message says the token was refused
	}{
		{503, `{"error":{"code":"unavailable","message":"the server is shutting down"}}`, []string{"unavailable", "status 503", "shutting down", "not refusing the token"}, false},
		{502, "bad gateway", []string{"unavailable", "status 502"}, false},
		{429, "", []string{"busy", "429"}, false},
		{401, `{"error":{"code":"unauthorized","message":"the token is not valid (revoked or mistyped); log in again"}}`, []string{"refused the token", "401", "revoked or mistyped"}, true},
		{403, "", []string{"refused the token", "403"}, true},
		{404, "", []string{"unexpected", "404"}, false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tt.status)
			w.Write([]byte(tt.body))
		}))
		u, _ := url.Parse(srv.URL)
		_, err := operatorOf(context.Background(), u, "ipreg_secret")
		srv.Close()
		if err == nil {
			t.Fatalf("status %d: no error", tt.status)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("status %d: %q does not say %q", tt.status, err, w)
			}
		}
		if got := strings.Contains(err.Error(), "refused the token"); got != tt.refuse {
			t.Errorf("status %d: %q says the token was refused: %v", tt.status, err, got)
		}
		if strings.Contains(err.Error(), "ipreg_secret") {
			t.Errorf("the token is in the message: %q", err)
		}
	}
}
