package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/promexpose"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// /metrics is not public: without a metrics token configured the main
// listener answers 404 to everyone, with or without credentials, and the
// separate listener (--metrics-listen) serves the metrics without one.
// TestAPI covers the token (401 without it, 200 with it).
func TestMetricsNotPublic(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	svc := registry.NewService(db, registry.Config{Hashing: auth.TestParams})
	a := api.New(svc, slog.New(slog.DiscardHandler), api.Config{})
	main := httptest.NewServer(a.Handler())
	defer main.Close()
	sep, err := promexpose.Listen("127.0.0.1:0", a.MetricsHandler(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer sep.Close(t.Context())

	get := func(url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	get(main.URL+"/healthz", "") // a request for the metrics to count
	if _, _, err := svc.Signup(t.Context(), registry.SignupInput{Email: "m@example.pk", Password: "a long password", Kind: "individual",
		Name: "M", CNIC: "35202-1234567-1", Mobile: "03001234567"}); err != nil {
		t.Fatal(err)
	} // a verification e-mail, pending: no mailer
	for _, token := range []string{"", "anything-at-all-0123456789", testMetricsToken} {
		if code, body := get(main.URL+"/metrics", token); code != http.StatusNotFound || strings.Contains(body, "go_goroutines") {
			t.Errorf("main listener, no metrics token configured, bearer %q: %d %.80s", token, code, body)
		}
	}
	code, body := get("http://"+sep.Addr.String()+"/metrics", "")
	if code != http.StatusOK || !strings.Contains(body, `ipreg_http_requests_total{code="200",route="GET /healthz"}`) {
		t.Errorf("separate listener: %d %.200s", code, body)
	}
	if !strings.Contains(body, `ipreg_outbox_messages{channel="email",state="pending"} 1`) || !strings.Contains(body, `ipreg_outbox_messages{channel="sms",state="failed"} 0`) {
		t.Errorf("no outbox metrics:\n%s", body)
	}
	if code, _ := get("http://"+sep.Addr.String()+"/api/v1/me", ""); code != http.StatusNotFound {
		t.Errorf("separate listener serves more than /metrics: %d", code)
	}
}
