package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipreg/ipreg/internal/registry"
)

// SessionCookie is the portal's session cookie; it holds the same kind of
// token as a bearer header.
const SessionCookie = "ipreg_session"

// authenticate resolves the bearer token or session cookie into a user. A
// request without credentials goes on anonymous (the service refuses what
// needs a user); a request with bad credentials is refused at once, so a
// client never mistakes a lapsed token for an anonymous answer.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := ""
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, t, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(t) == "" {
				s.writeError(w, r, registry.Errorf(registry.EUNAUTHORIZED, "the Authorization header must be \"Bearer <token>\""))
				return
			}
			token = strings.TrimSpace(t)
		} else if c, err := r.Cookie(SessionCookie); err == nil {
			token = c.Value
		}
		if token != "" {
			u, err := s.svc.Authenticate(r.Context(), token)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			r = r.WithContext(withUser(r.Context(), u))
		}
		next.ServeHTTP(w, r)
	})
}

// token returns the credential the request carried.
func token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		_, t, _ := strings.Cut(h, " ")
		return strings.TrimSpace(t)
	}
	if c, err := r.Cookie(SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// clientIP is the peer address. ipreg does not trust X-Forwarded-For: a
// deployment behind a proxy must make the proxy the only peer and accept
// that throttling then counts per proxy.
func clientIP(r *http.Request) string {
	return registry.ClientAddress(r.RemoteAddr)
}

// plainPath answers 404 to a path that, once unescaped, is not UTF-8 or
// holds a control character (NUL first): no id, number or file name has
// one, and PostgreSQL refuses such text in a query with an error that
// would surface as a 500 (a NUL in an application id did), so the
// request stops here before any handler hands the id to a database.
func (s *Server) plainPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if !utf8.ValidString(p) || strings.ContainsFunc(p, unicode.IsControl) {
			s.writeError(w, r, registry.Errorf(registry.ENOTFOUND, "no route or object has the path %q: it holds invalid UTF-8 or a control character; check the id or name in it", p))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

type metrics struct {
	requests *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	waiting  prometheus.Gauge
	streams  prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ipreg_http_requests_total", Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		// Bytes and waiters show what the feed costs the registry, and
		// what a caching proxy in front of /feed/v1/ takes off it.
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ipreg_http_response_bytes_total", Help: "Response body bytes written, by route pattern.",
		}, []string{"route"}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ipreg_feed_waiting", Help: "Feed long-polls (GET /feed/v1/…/wait) being held open now.",
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ipreg_feed_streams", Help: "Feed streams (GET /feed/v1/…/stream) open now.",
		}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ipreg_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.bytes, m.duration, m.waiting, m.streams)
	return m
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs each request (never its credentials or body) and records
// metrics labelled by route pattern, so label values stay bounded.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		route := "unmatched"
		r = r.WithContext(context.WithValue(r.Context(), patternKey, &route))
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		s.metrics.bytes.WithLabelValues(route).Add(float64(sw.bytes))
		s.metrics.duration.WithLabelValues(route).Observe(d.Seconds())
		s.log.LogAttrs(r.Context(), levelFor(sw.status), "http",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.status),
			slog.Duration("duration", d), slog.String("client", clientIP(r)))
		// At debug level, what an operator tracing a slow or failing
		// request also needs: the route it matched (the metrics' label),
		// the sizes both ways, the client program. Never the query (it
		// can hold a verification code), headers or body.
		if s.log.Enabled(r.Context(), slog.LevelDebug) {
			s.log.LogAttrs(r.Context(), slog.LevelDebug, "http detail",
				slog.String("route", route), slog.Int("status", sw.status),
				slog.Int64("request_bytes", r.ContentLength), slog.Int("response_bytes", sw.bytes),
				slog.String("user_agent", r.UserAgent()))
		}
	})
}

// Observe logs and counts another component's handler (the portal's
// pages) like the API's own routes, labelled with pattern.
func (s *Server) Observe(pattern string, h http.Handler) http.Handler {
	return s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(patternKey).(*string); ok {
			*p = pattern
		}
		h.ServeHTTP(w, r)
	}))
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				s.writeError(w, r, registry.Errorf(registry.EINTERNAL, "panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}
