package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// GatewayConfig configures an HTTPTexter: how to ask an SMS gateway over
// HTTP to send one text. Templates name the message with placeholders:
// {to} (the number, 92XXXXXXXXXX), {text}, {sender} and {token}.
type GatewayConfig struct {
	// URL is the request's address, e.g.
	// "https://sms.example.pk/send?to={to}&msg={text}&from={sender}".
	// Placeholders are query-escaped: put them in the query.
	URL string
	// Method is GET or POST; "" is GET without a Body and POST with one.
	Method string
	// Body is the POST body's template: JSON when it starts with "{" or
	// "[" (placeholders JSON-escaped, write them inside quotes:
	// {"to":"{to}","text":"{text}"}), otherwise a form
	// (to={to}&text={text}, placeholders query-escaped).
	Body string
	// Sender fills {sender}: the gateway's sender ID or short code.
	Sender string
	// User and Password, when set, go as HTTP basic authentication.
	User, Password string
	// Token fills {token} where a template has it; otherwise it goes in
	// the TokenHeader ("Authorization" by default, as "Bearer <token>";
	// any other header carries the bare token).
	Token       string
	TokenHeader string
	// Success is a regular expression the response body must match, as
	// well as the status being 2xx (many gateways answer 200 with an
	// error in the body); "" accepts any 2xx.
	Success string
	// Timeout bounds the whole request; 0 means 15 seconds.
	Timeout time.Duration
	// Client sends the requests; nil for one of its own.
	Client *http.Client
}

// HTTPTexter sends text messages through an HTTP SMS gateway, one request
// per message. It is safe for concurrent use.
type HTTPTexter struct {
	cfg     GatewayConfig
	json    bool
	success *regexp.Regexp
	client  *http.Client
}

// NewHTTPTexter checks cfg and returns a texter. It does not connect.
func NewHTTPTexter(cfg GatewayConfig) (*HTTPTexter, error) {
	t := &HTTPTexter{cfg: cfg}
	if cfg.URL == "" {
		return nil, errors.New("sms gateway: no URL")
	}
	trimmed := strings.TrimSpace(cfg.Body)
	t.json = strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")
	switch {
	case cfg.Method == "":
		t.cfg.Method = http.MethodGet
		if cfg.Body != "" {
			t.cfg.Method = http.MethodPost
		}
	case cfg.Method == http.MethodGet && cfg.Body != "":
		return nil, errors.New("sms gateway: a GET request has no body; use POST with a body template")
	case cfg.Method != http.MethodGet && cfg.Method != http.MethodPost:
		return nil, fmt.Errorf("sms gateway: method %q: use GET or POST", cfg.Method)
	}
	if cfg.Password != "" && cfg.User == "" {
		return nil, errors.New("sms gateway: a password without a user; give the user too")
	}
	if strings.Contains(cfg.URL+cfg.Body, "{token}") && cfg.Token == "" {
		return nil, errors.New("sms gateway: a template uses {token} but no token is configured")
	}
	if t.cfg.TokenHeader == "" {
		t.cfg.TokenHeader = "Authorization"
	}
	// The templates with sample values must make a URL and, for JSON, a
	// document: a mistake shows at start-up, not at the first message.
	sample := SMS{To: "923001234567", Text: "Sample \"text\" & نمونہ"}
	u, err := url.Parse(t.fill(cfg.URL, sample, url.QueryEscape))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("sms gateway: the URL template does not make an http or https URL")
	}
	if t.json && !json.Valid([]byte(t.fill(cfg.Body, sample, jsonEscape))) {
		return nil, errors.New("sms gateway: the body template does not make valid JSON; put each placeholder inside quotes: {\"text\":\"{text}\"}")
	}
	if cfg.Success != "" {
		if t.success, err = regexp.Compile(cfg.Success); err != nil {
			return nil, fmt.Errorf("sms gateway: success pattern: %w", err)
		}
	}
	if err := checkPlaceholders(cfg.URL, cfg.Body); err != nil {
		return nil, err
	}
	if t.cfg.Timeout == 0 {
		t.cfg.Timeout = 15 * time.Second
	}
	t.client = cfg.Client
	if t.client == nil {
		t.client = &http.Client{}
	}
	return t, nil
}

// String describes the gateway for the start-up log: its host only, as the
// URL may carry a key.
func (t *HTTPTexter) String() string {
	u, err := url.Parse(t.fill(t.cfg.URL, SMS{}, url.QueryEscape))
	if err != nil {
		return "sms gateway"
	}
	return fmt.Sprintf("sms gateway %s %s://%s", t.cfg.Method, u.Scheme, u.Host)
}

func (t *HTTPTexter) fill(tmpl string, m SMS, esc func(string) string) string {
	return strings.NewReplacer("{to}", esc(m.To), "{text}", esc(m.Text), "{sender}", esc(t.cfg.Sender),
		"{token}", esc(t.cfg.Token)).Replace(tmpl)
}

// placeholder is what a template's placeholder looks like; the known
// ones are in placeholders.
var (
	placeholder  = regexp.MustCompile(`\{[A-Za-z0-9_.-]+\}`)
	placeholders = map[string]bool{"{to}": true, "{text}": true, "{sender}": true, "{token}": true}
)

// checkPlaceholders refuses a template with a placeholder that is not one
// of {to} {text} {sender} {token} (a misspelling would reach the gateway
// as it is, and the message would be lost), and templates that between
// them leave out {to} or {text} (no message could be addressed or said).
// Errors name the flag and the placeholder.
func checkPlaceholders(urlTmpl, body string) error {
	for _, tm := range []struct{ flag, tmpl string }{{"--sms-gateway-url", urlTmpl}, {"--sms-gateway-body", body}} {
		for _, p := range placeholder.FindAllString(tm.tmpl, -1) {
			if !placeholders[p] {
				return fmt.Errorf("sms gateway: %s has an unknown placeholder %s: use {to}, {text}, {sender} or {token}", tm.flag, p)
			}
		}
	}
	for _, p := range []string{"{to}", "{text}"} {
		if !strings.Contains(urlTmpl, p) && !strings.Contains(body, p) {
			return fmt.Errorf("sms gateway: neither --sms-gateway-url nor --sms-gateway-body has the placeholder %s: put it where the gateway expects it", p)
		}
	}
	return nil
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

var mobile = regexp.MustCompile(`^923[0-9]{9}$`)

// SendSMS asks the gateway to send m. A number not in the form
// 92XXXXXXXXXX or an empty text is a Permanent error. Every other failure is temporary: a
// gateway's refusal of one number cannot be told from a misconfiguration
// that refuses them all, so the outbox retries until it gives up and the
// administrators see the error. Errors name the status and a little of
// the answer, never the URL (it may carry a key), the number or the text.
func (t *HTTPTexter) SendSMS(ctx context.Context, m SMS) error {
	// What no retry can cure: a number not in the registry's form, or
	// nothing to say.
	if !mobile.MatchString(m.To) {
		return Permanent(errors.New("sms gateway: the number is not a Pakistani mobile number in the form 92XXXXXXXXXX"))
	}
	if m.Text == "" {
		return Permanent(errors.New("sms gateway: the message has no text"))
	}
	ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if t.cfg.Body != "" {
		if t.json {
			body = strings.NewReader(t.fill(t.cfg.Body, m, jsonEscape))
		} else {
			body = strings.NewReader(t.fill(t.cfg.Body, m, url.QueryEscape))
		}
	}
	req, err := http.NewRequestWithContext(ctx, t.cfg.Method, t.fill(t.cfg.URL, m, url.QueryEscape), body)
	if err != nil {
		return errors.New("sms gateway: the URL template makes no valid request")
	}
	if body != nil {
		if t.json {
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if t.cfg.User != "" {
		req.SetBasicAuth(t.cfg.User, t.cfg.Password)
	}
	if t.cfg.Token != "" && !strings.Contains(t.cfg.URL+t.cfg.Body, "{token}") {
		if http.CanonicalHeaderKey(t.cfg.TokenHeader) == "Authorization" {
			req.Header.Set("Authorization", "Bearer "+t.cfg.Token)
		} else {
			req.Header.Set(t.cfg.TokenHeader, t.cfg.Token)
		}
	}
	res, err := t.client.Do(req)
	if err != nil {
		// A *url.Error quotes the URL, which may carry a key.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("sms gateway: %w", err)
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("sms gateway: HTTP %d, reading the answer: %w", res.StatusCode, err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("sms gateway: HTTP %d: %s", res.StatusCode, t.excerpt(answer, m))
	}
	if t.success != nil && !t.success.Match(answer) {
		return fmt.Errorf("sms gateway: the answer does not match the success pattern %q: %s", t.cfg.Success, t.excerpt(answer, m))
	}
	return nil
}

// excerpt is the start of a gateway's answer for an error message, with
// the number, the text and the credentials taken out, should the gateway
// echo them.
func (t *HTTPTexter) excerpt(answer []byte, m SMS) string {
	s := strings.ToValidUTF8(string(answer), "?")
	for _, secret := range []string{m.Text, url.QueryEscape(m.Text), jsonEscape(m.Text), m.To, t.cfg.Token, t.cfg.Password} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "…")
		}
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	if s == "" {
		return "(empty answer)"
	}
	return fmt.Sprintf("%q", s)
}
