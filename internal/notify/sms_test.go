package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// gateway is an SMS gateway in the test: it records each request and
// answers with the next scripted reply (the last one repeats).
type gateway struct {
	mu      sync.Mutex
	replies []reply
	got     []*http.Request
	bodies  []string
}

type reply struct {
	status int
	body   string
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.got = append(g.got, r)
	g.bodies = append(g.bodies, string(b))
	rep := g.replies[0]
	if len(g.replies) > 1 {
		g.replies = g.replies[1:]
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func newGateway(t *testing.T, replies ...reply) (*gateway, string) {
	g := &gateway{replies: replies}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv.URL
}

const urduText = "آپ کی درخواست VPN-2026-000123 منظور ہو گئی ہے & شکریہ"

func TestHTTPTexterGET(t *testing.T) {
	g, base := newGateway(t,
		reply{500, "internal error"},
		reply{200, "ERROR: no credit left for 923001234567"},
		reply{200, "OK: queued id=77"})
	tx, err := NewHTTPTexter(GatewayConfig{
		URL:      base + "/api/send?to={to}&msg={text}&mask={sender}",
		Sender:   "PTA VPN",
		User:     "ipreg",
		Password: "gateway pass",
		Success:  `^OK:`,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := SMS{To: "923001234567", Text: urduText, Lang: "ur"}
	ctx := context.Background()
	// The gateway fails, then answers 200 without the success mark, then
	// recovers: the first two are temporary errors that do not leak the
	// number, text or password; the third succeeds.
	err = tx.SendSMS(ctx, m)
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("500: %v", err)
	}
	err = tx.SendSMS(ctx, m)
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "success pattern") || !strings.Contains(err.Error(), "no credit left") {
		t.Fatalf("200 without OK: %v", err)
	}
	if strings.Contains(err.Error(), "923001234567") {
		t.Errorf("the number reached the error: %v", err)
	}
	if err := tx.SendSMS(ctx, m); err != nil {
		t.Fatalf("recovered gateway: %v", err)
	}
	// What no retry can cure never reaches the gateway.
	for _, bad := range []SMS{{To: "03001234567", Text: "hi"}, {To: "92300123456", Text: "hi"}, {To: "923001234567&x=1", Text: "hi"}, {To: "923001234567"}} {
		if err := tx.SendSMS(ctx, bad); err == nil || !IsPermanent(err) {
			t.Errorf("SendSMS(%+v) = %v, want a permanent error", bad, err)
		}
	}
	if len(g.got) != 3 {
		t.Fatalf("%d requests, want 3", len(g.got))
	}
	for _, r := range g.got {
		if r.Method != "GET" {
			t.Errorf("method %s", r.Method)
		}
		if u, p, ok := r.BasicAuth(); !ok || u != "ipreg" || p != "gateway pass" {
			t.Errorf("basic auth %q %q %v", u, p, ok)
		}
		q := r.URL.Query()
		if q.Get("to") != "923001234567" || q.Get("msg") != urduText || q.Get("mask") != "PTA VPN" {
			t.Errorf("query %v", q)
		}
		// The ampersand in the text did not cut it short: escaped.
		if strings.Contains(r.URL.RawQuery, "& ") || !strings.Contains(r.URL.RawQuery, "%D8%A2") {
			t.Errorf("raw query not escaped: %s", r.URL.RawQuery)
		}
	}
}

func TestHTTPTexterPOST(t *testing.T) {
	t.Run("json body and bearer token", func(t *testing.T) {
		g, base := newGateway(t, reply{202, `{"status":"accepted"}`})
		tx, err := NewHTTPTexter(GatewayConfig{
			URL:     base + "/v1/messages",
			Body:    `{"to":"{to}","text":"{text}","from":"{sender}"}`,
			Sender:  "8484",
			Token:   "tok-123456",
			Success: `"accepted"`,
		})
		if err != nil {
			t.Fatal(err)
		}
		text := `Quote " and backslash \ and ` + urduText
		if err := tx.SendSMS(context.Background(), SMS{To: "923331112223", Text: text}); err != nil {
			t.Fatal(err)
		}
		r := g.got[0]
		if r.Method != "POST" || r.Header.Get("Authorization") != "Bearer tok-123456" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("request %s %v", r.Method, r.Header)
		}
		var body map[string]string
		if err := json.Unmarshal([]byte(g.bodies[0]), &body); err != nil {
			t.Fatalf("body %s: %v", g.bodies[0], err)
		}
		if body["to"] != "923331112223" || body["text"] != text || body["from"] != "8484" {
			t.Errorf("body %v", body)
		}
	})
	t.Run("form body and token header", func(t *testing.T) {
		g, base := newGateway(t, reply{200, "1701"})
		tx, err := NewHTTPTexter(GatewayConfig{
			URL:         base + "/send",
			Method:      "POST",
			Body:        "receiver={to}&message={text}",
			Token:       "key-abc",
			TokenHeader: "X-Api-Key",
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.SendSMS(context.Background(), SMS{To: "923001234567", Text: urduText}); err != nil {
			t.Fatal(err)
		}
		r := g.got[0]
		if r.Header.Get("X-Api-Key") != "key-abc" || r.Header.Get("Authorization") != "" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("headers %v", r.Header)
		}
		form, err := url.ParseQuery(g.bodies[0])
		if err != nil || form.Get("receiver") != "923001234567" || form.Get("message") != urduText {
			t.Errorf("form %q: %v", g.bodies[0], err)
		}
	})
	t.Run("token in the URL stays out of errors", func(t *testing.T) {
		g, base := newGateway(t, reply{403, "bad key secret-key-9"})
		tx, err := NewHTTPTexter(GatewayConfig{URL: base + "/send?key={token}&to={to}&text={text}", Token: "secret-key-9"})
		if err != nil {
			t.Fatal(err)
		}
		err = tx.SendSMS(context.Background(), SMS{To: "923001234567", Text: "hi"})
		if err == nil || strings.Contains(err.Error(), "secret-key-9") || !strings.Contains(err.Error(), "HTTP 403") {
			t.Errorf("error %v", err)
		}
		if g.got[0].URL.Query().Get("key") != "secret-key-9" || g.got[0].Header.Get("Authorization") != "" {
			t.Errorf("token sent as %v %v", g.got[0].URL, g.got[0].Header)
		}
		// A gateway that does not answer at all: the error names no URL.
		tx, _ = NewHTTPTexter(GatewayConfig{URL: "http://127.0.0.1:1/send?key={token}&to={to}&text={text}", Token: "secret-key-9"})
		err = tx.SendSMS(context.Background(), SMS{To: "923001234567", Text: "hi"})
		if err == nil || strings.Contains(err.Error(), "secret-key-9") || strings.Contains(err.Error(), "/send") {
			t.Errorf("unreachable gateway: %v", err)
		}
	})
}

func TestHTTPTexterConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  GatewayConfig
		err  string
	}{
		{"no URL", GatewayConfig{}, "no URL"},
		{"not http", GatewayConfig{URL: "ftp://x.example/{to}"}, "http or https"},
		{"GET with body", GatewayConfig{URL: "https://x.example/", Method: "GET", Body: "a={to}"}, "GET request has no body"},
		{"PUT", GatewayConfig{URL: "https://x.example/", Method: "PUT"}, "use GET or POST"},
		{"bad JSON", GatewayConfig{URL: "https://x.example/", Body: `{"text":{text}}`}, "valid JSON"},
		{"bad pattern", GatewayConfig{URL: "https://x.example/", Success: "("}, "success pattern"},
		{"token placeholder without token", GatewayConfig{URL: "https://x.example/?k={token}"}, "no token"},
		{"password without user", GatewayConfig{URL: "https://x.example/", Password: "p"}, "without a user"},
		{"misspelled placeholder in the URL", GatewayConfig{URL: "http://127.0.0.1:1/send?to={to}&msg={txt}"},
			"--sms-gateway-url has an unknown placeholder {txt}"},
		{"misspelled placeholder in the body", GatewayConfig{URL: "https://x.example/send", Body: `{"to":"{to}","text":"{Text}"}`},
			"--sms-gateway-body has an unknown placeholder {Text}"},
		{"no text anywhere", GatewayConfig{URL: "https://x.example/send?to={to}"}, "has the placeholder {text}"},
		{"no number anywhere", GatewayConfig{URL: "https://x.example/send?text={text}&from={sender}"}, "has the placeholder {to}"},
		{"no text in a POST", GatewayConfig{URL: "https://x.example/send?to={to}", Body: "from={sender}"}, "has the placeholder {text}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewHTTPTexter(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NewHTTPTexter = %v, want %q", err, tt.err)
			}
		})
	}
	tx, err := NewHTTPTexter(GatewayConfig{URL: "https://sms.example.pk/send?key={token}&to={to}&text={text}", Token: "k"})
	if err != nil || tx.String() != "sms gateway GET https://sms.example.pk" {
		t.Errorf("String = %v, %v", tx, err)
	}
	// The placeholders may be split between URL and body; a JSON body's
	// own braces are not placeholders.
	for _, cfg := range []GatewayConfig{
		{URL: "https://x.example/send?to={to}", Body: "text={text}"},
		{URL: "https://x.example/send", Body: `{"msg":{"to":"{to}","text":"{text}","opts":{}}}`},
	} {
		if _, err := NewHTTPTexter(cfg); err != nil {
			t.Errorf("NewHTTPTexter(%+v) = %v", cfg, err)
		}
	}
}
