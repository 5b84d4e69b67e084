// Package promexpose is how ipreg serve and ipreg-agent expose their
// Prometheus metrics without making them public, as Prometheus
// deployments expect (a scrape address apart from the service's, or a
// bearer token in the scrape configuration's "authorization" section):
//
//   - on the main listener, GET /metrics answers 404 unless a token file
//     is configured (--metrics-token-file); then it answers only requests
//     carrying "Authorization: Bearer <token>", others 401;
//   - --metrics-listen ADDR serves GET /metrics, without a token, on an
//     address of its own (loopback, such as 127.0.0.1:9090, unless a
//     scraper elsewhere needs it: a wider address is logged as a warning).
//
// Metrics name no person, but they tell routes, volumes, error rates and
// the feed's state, which help an attacker time and aim.
package promexpose

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/textfile"
)

// Flags holds the two metrics flags.
type Flags struct {
	Listen    string // --metrics-listen
	TokenFile string // --metrics-token-file
}

// Register adds --metrics-listen and --metrics-token-file to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Listen, "metrics-listen", "", "serve GET /metrics without a token on this separate address, e.g. 127.0.0.1:9090 for a local Prometheus (port 0 picks a free port); the main listener's /metrics answers 404 unless --metrics-token-file is given")
	fs.StringVar(&f.TokenFile, "metrics-token-file", "", "file holding a token (at least 16 characters, first line) that GET /metrics on the main listener requires as \"Authorization: Bearer <token>\"")
}

// MinTokenLength bounds how short a metrics token may be: it is a
// password a scraper sends, and guessable ones are refused.
const MinTokenLength = 16

// Token reads the token from f.TokenFile: "" when no file is configured.
func (f *Flags) Token() (string, error) {
	if f.TokenFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(f.TokenFile)
	if err != nil {
		return "", fmt.Errorf("--metrics-token-file: %w", err)
	}
	// As editors save it: a BOM (Notepad) and the line end are not part
	// of the token (textfile.Value).
	tok, _, _ := strings.Cut(textfile.Value(b), "\n")
	tok = strings.TrimSpace(tok)
	switch {
	case tok == "":
		return "", fmt.Errorf("--metrics-token-file: %s is empty; put a random token on its first line (e.g. openssl rand -hex 32 > %s)", f.TokenFile, f.TokenFile)
	case len(tok) < MinTokenLength:
		return "", fmt.Errorf("--metrics-token-file: the token in %s has %d characters, fewer than %d; use a random one (e.g. openssl rand -hex 32)", f.TokenFile, len(tok), MinTokenLength)
	}
	return tok, nil
}

// Authorized reports whether r carries "Authorization: Bearer <token>"
// (RFC 6750 2.1; the scheme in any letter case), compared in constant
// time. With token "" nothing is authorized.
func Authorized(r *http.Request, token string) bool {
	if token == "" {
		return false
	}
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// Challenge sets the WWW-Authenticate header a 401 for /metrics carries
// (RFC 6750 3).
func Challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
}

// Server is the separate metrics listener.
type Server struct {
	Addr net.Addr
	http *http.Server
	done chan struct{}
}

// Listen serves metrics (GET /metrics; everything else 404) on addr until
// Close. A non-loopback addr is allowed (a Prometheus on another host) but
// logged as a warning, since the metrics carry no token there.
func Listen(addr string, metrics http.Handler, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen %s: %w", addr, err)
	}
	if ap, err := netip.ParseAddrPort(ln.Addr().String()); err != nil || !ap.Addr().Unmap().IsLoopback() {
		log.Warn("metrics are served without a token on a non-loopback address; restrict it with a firewall", "addr", ln.Addr().String())
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "this address serves only GET /metrics", http.StatusNotFound)
	})
	s := &Server{Addr: ln.Addr(), done: make(chan struct{}),
		http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}}
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	return s, nil
}

// Close stops the listener, letting a scrape in progress finish until ctx
// ends.
func (s *Server) Close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	err := s.http.Shutdown(ctx)
	<-s.done
	return err
}
