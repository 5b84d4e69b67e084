// Package api is ipreg's JSON API under /api/v1, the allowlist feed under
// /feed/v1, and /healthz, /readyz and /metrics (404 unless a metrics token
// is configured; see package promexpose). Handlers decode, call the
// registry service (which checks roles and ownership) and encode; the one
// place that maps error codes to HTTP statuses is writeError. The contract is openapi.json, served at
// /api/v1/openapi.json and checked against real responses by the tests.
package api

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/registry"
)

// Config configures the API.
type Config struct {
	MaxBodyBytes int64           // request bodies beyond this answer 413; default 1 MiB
	Feed         *publish.Reader // serves /feed/v1/
	// MetricsToken, when set, is the bearer token GET /metrics requires;
	// unset, /metrics answers 404 here (serve MetricsHandler on a listener
	// of its own instead).
	MetricsToken string
	// FeedKeys returns the feed's public signing keys (the next one only
	// during a rotation) for GET /api/v1/keys; nil publishes none.
	FeedKeys func() (cur, next ed25519.PublicKey, err error)
	// StreamKeepAlive is how often a quiet feed stream sends its
	// keep-alive, and so how soon a revoked token ends the stream it
	// opened (checked at each); default 20 s.
	StreamKeepAlive time.Duration
}

// Server serves the API.
type Server struct {
	svc     *registry.Service
	log     *slog.Logger
	cfg     Config
	metrics *metrics
	reg     *prometheus.Registry
	// streams ends when the server shuts down, and with it every feed
	// stream (CloseStreams).
	streams      context.Context
	stopStreams  context.CancelFunc
	streamEvents stepEvents // the last stream step, encoded once for all streams
}

// New returns an API server over svc.
func New(svc *registry.Service, log *slog.Logger, cfg Config) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newOutboxCollector(svc))
	streams, stop := context.WithCancel(context.Background())
	return &Server{svc: svc, log: log, cfg: cfg, metrics: newMetrics(reg), reg: reg, streams: streams, stopStreams: stop}
}

// Registry is the Prometheus registry /metrics serves, for other parts
// (background jobs) to add their metrics to.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// route is one entry of the routing table. The table is the single list of
// what the API serves; a test checks every entry against openapi.json.
type route struct {
	method, path string
	handler      func(*Server, http.ResponseWriter, *http.Request)
}

// Routes lists every route as "METHOD /path", for tests and docs.
func Routes() []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.method + " " + r.path
	}
	return out
}

var routes = []route{
	{"POST", "/api/v1/signup", (*Server).signup},
	{"POST", "/api/v1/login", (*Server).login},
	{"POST", "/api/v1/logout", (*Server).logout},
	{"GET", "/api/v1/me", (*Server).me},
	{"PATCH", "/api/v1/me", (*Server).updateMe},
	{"POST", "/api/v1/me/email/verification", (*Server).resendEmailVerification},
	{"POST", "/api/v1/email/verify", (*Server).verifyEmail},
	{"POST", "/api/v1/me/totp", (*Server).beginTOTP},
	{"POST", "/api/v1/me/totp/confirm", (*Server).confirmTOTP},
	{"POST", "/api/v1/me/totp/disable", (*Server).disableTOTP},
	{"GET", "/api/v1/me/export", (*Server).exportData},
	{"POST", "/api/v1/me/delete", (*Server).deleteAccount},
	{"GET", "/api/v1/tokens", (*Server).listTokens},
	{"POST", "/api/v1/tokens", (*Server).createToken},
	{"DELETE", "/api/v1/tokens/{id}", (*Server).deleteToken},
	{"GET", "/api/v1/operators", (*Server).listOperators},
	{"GET", "/api/v1/applications", (*Server).listApplications},
	{"POST", "/api/v1/applications", (*Server).createApplication},
	{"GET", "/api/v1/applications/{id}", (*Server).getApplication},
	{"PATCH", "/api/v1/applications/{id}", (*Server).updateApplication},
	{"GET", "/api/v1/applications/{id}/documents", (*Server).listDocuments},
	{"POST", "/api/v1/applications/{id}/documents", (*Server).uploadDocument},
	{"GET", "/api/v1/applications/{id}/documents/{doc}", (*Server).getDocument},
	{"DELETE", "/api/v1/applications/{id}/documents/{doc}", (*Server).deleteDocument},
	{"GET", "/api/v1/applications/{id}/accesses", (*Server).listAccesses},
	{"POST", "/api/v1/applications/{id}/submit", (*Server).submitApplication},
	{"POST", "/api/v1/applications/{id}/withdraw", (*Server).withdrawApplication},
	{"POST", "/api/v1/applications/{id}/decision", (*Server).decide},
	{"POST", "/api/v1/applications/{id}/appeal", (*Server).submitAppeal},
	{"GET", "/api/v1/appeals", (*Server).listAppeals},
	{"GET", "/api/v1/appeals/{id}", (*Server).getAppeal},
	{"POST", "/api/v1/appeals/{id}/decision", (*Server).decideAppeal},
	{"GET", "/api/v1/review/overdue", (*Server).reviewOverdue},
	{"GET", "/api/v1/operator/checks", (*Server).listChecks},
	{"POST", "/api/v1/operator/checks/{id}", (*Server).answerCheck},
	{"GET", "/api/v1/review/queue", (*Server).reviewQueue},
	{"GET", "/api/v1/registrations", (*Server).listRegistrations},
	{"GET", "/api/v1/registrations/{number}", (*Server).getRegistration},
	{"GET", "/api/v1/registrations/{number}/certificate.pdf", (*Server).getCertificate},
	{"POST", "/api/v1/registrations/{number}/surrender", (*Server).surrender},
	{"POST", "/api/v1/registrations/{number}/renewal", (*Server).renewRegistration},
	{"POST", "/api/v1/registrations/{number}/amendment", (*Server).amendRegistration},
	{"POST", "/api/v1/registrations/{number}/revocations", (*Server).proposeRevocation},
	{"GET", "/api/v1/revocations", (*Server).listRevocations},
	{"POST", "/api/v1/revocations/{id}/confirm", (*Server).confirmRevocation},
	{"POST", "/api/v1/revocations/{id}/cancel", (*Server).cancelRevocation},
	{"GET", "/api/v1/verify/{number}", (*Server).verify},
	{"GET", "/api/v1/keys", (*Server).listKeys},
	{"GET", "/api/v1/stats", (*Server).stats},
	{"POST", "/api/v1/eligibility", (*Server).eligibility},
	{"GET", "/api/v1/admin/settings", (*Server).getSettings},
	{"PUT", "/api/v1/admin/settings", (*Server).putSettings},
	{"GET", "/api/v1/admin/jobs", (*Server).listJobs},
	{"POST", "/api/v1/admin/jobs/{name}/run", (*Server).runJob},
	{"GET", "/api/v1/admin/outbox", (*Server).listOutbox},
	{"POST", "/api/v1/admin/outbox/{id}/resend", (*Server).resendOutboxMessage},
	{"GET", "/api/v1/providers", (*Server).listProviders},
	{"GET", "/api/v1/providers.csv", (*Server).listProvidersCSV},
	{"GET", "/api/v1/admin/providers", (*Server).adminListProviders},
	{"POST", "/api/v1/admin/providers", (*Server).createProvider},
	{"GET", "/api/v1/admin/providers/{id}", (*Server).adminGetProvider},
	{"PATCH", "/api/v1/admin/providers/{id}", (*Server).updateProvider},
	{"GET", "/api/v1/notices", (*Server).listNotices},
	{"GET", "/api/v1/notices/{id}", (*Server).getNotice},
	{"GET", "/api/v1/admin/notices", (*Server).adminListNotices},
	{"POST", "/api/v1/admin/notices", (*Server).publishNotice},
	{"PUT", "/api/v1/admin/notices/{id}", (*Server).editNotice},
	{"POST", "/api/v1/admin/notices/{id}/withdraw", (*Server).withdrawNotice},
	{"GET", "/api/v1/admin/invitations", (*Server).listInvitations},
	{"POST", "/api/v1/admin/invitations", (*Server).createInvitations},
	{"POST", "/api/v1/admin/invitations/{user}/link", (*Server).invitationLink},
	{"POST", "/api/v1/invitations/claim", (*Server).claimInvitation},
	{"POST", "/api/v1/admin/imports", (*Server).createImport},
	{"GET", "/api/v1/openapi.json", (*Server).openAPI},
	{"GET", "/healthz", (*Server).healthz},
	{"GET", "/readyz", (*Server).readyz},
	{"GET", "/metrics", (*Server).metricsHandler},
	{"GET", "/feed/v1/notification.jose", (*Server).feedNotification},
	{"GET", "/feed/v1/files/{name}", (*Server).feedFile},
	{"GET", "/feed/v1/wait", (*Server).feedWait},
	{"GET", "/feed/v1/stream", (*Server).feedStream},
	{"GET", "/feed/v1/operators/{operator}/notification.jose", (*Server).feedNotification},
	{"GET", "/feed/v1/operators/{operator}/files/{name}", (*Server).feedFile},
	{"GET", "/feed/v1/operators/{operator}/wait", (*Server).feedWait},
	{"GET", "/feed/v1/operators/{operator}/stream", (*Server).feedStream},
}

// feedScopeRoute reports whether a token of the feed scope may use the
// route: the feed (/feed/v1/…, whose reader checks the operator) and GET
// /api/v1/me, which tells ipreg-agent its operator.
func feedScopeRoute(method, path string) bool {
	return strings.HasPrefix(path, "/feed/v1/") || method == "GET" && path == "/api/v1/me"
}

// Handler returns the API's handler with its middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	// handle registers h and tells observe which pattern matched:
	// middleware that copies the request (authenticate) hides req.Pattern.
	handle := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, req *http.Request) {
			if p, ok := req.Context().Value(patternKey).(*string); ok {
				*p = pattern
			}
			h(w, req)
		})
	}
	for _, r := range routes {
		h, feedRoute, public, params := r.handler, feedScopeRoute(r.method, r.path), publicRoutes[r.method+" "+r.path], queryParams[r.method+" "+r.path]
		handle(r.method+" "+r.path, func(w http.ResponseWriter, req *http.Request) {
			// The token's scope, checked for every route that takes a
			// token at once (a feed token could once revoke itself
			// through logout, which checked no scope).
			if err := registry.CheckScope(user(req), feedRoute || public); err != nil {
				s.writeError(w, req, err)
				return
			}
			// No route takes a query parameter twice: each reads one
			// value, so a repeat (?page=1&page=2) is refused, 400, as
			// the statistics' from and to were, not quietly read as
			// its first value.
			if err := queryOnce(req, params); err != nil {
				s.writeError(w, req, err)
				return
			}
			h(s, w, req)
		})
	}
	// Anything else answers in the API's error shape: 405 with Allow when
	// the path exists under other methods (asking the mux itself), else 404.
	const catchAll = "/"
	handle(catchAll, func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != catchAll && pattern != "" {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			s.writeError(w, r, registry.Errorf(registry.EMETHOD, "%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allowed, " or ")))
			return
		}
		s.writeError(w, r, registry.Errorf(registry.ENOTFOUND, "no route %s %s; see /api/v1/openapi.json", r.Method, r.URL.Path))
	})
	// Browsers send Sec-Fetch-Site/Origin; cross-origin state-changing
	// requests are refused, so a session cookie cannot be ridden (CSRF).
	// API clients with bearer tokens send neither header and pass.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, registry.Errorf(registry.EFORBIDDEN, "cross-origin request refused: send it from the portal's own origin, or use an API token without a browser"))
	}))
	users := cop.Handler(s.authenticate(mux))
	// /metrics carries its own credential, the metrics token, which user
	// authentication would refuse as an unknown ipreg token; a GET has
	// nothing for cross-origin protection to guard.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			mux.ServeHTTP(w, r)
			return
		}
		users.ServeHTTP(w, r)
	})
	return s.recoverer(s.observe(securityHeaders(s.plainPath(h))))
}

type ctxKey int

const (
	userKey ctxKey = iota
	patternKey
)

// user returns the authenticated user, or nil.
func user(r *http.Request) *registry.User {
	u, _ := r.Context().Value(userKey).(*registry.User)
	return u
}

func withUser(ctx context.Context, u *registry.User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// queryOnce refuses a parameter of params given twice in r's query;
// nothing when the route takes none.
func queryOnce(r *http.Request, params []string) error {
	if len(params) == 0 || r.URL.RawQuery == "" {
		return nil
	}
	return registry.QueryOnce(r.URL.Query(), params...)
}
