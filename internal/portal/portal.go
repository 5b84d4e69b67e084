// Package portal is ipreg's web portal: server-rendered pages (html/template,
// embedded) for the public, applicants, operators, reviewers, supervisors
// and admins, in English and Urdu. Pages call the same registry.Service as
// the JSON API, which checks roles and ownership; the portal only decides
// what to show and where to send people. No page needs JavaScript; the one
// small script (static/app.js) only adds conveniences.
package portal

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/registry"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// SessionCookie is the session cookie: the API's, which takes the same
// token as a bearer header.
const SessionCookie = api.SessionCookie

// langCookie keeps the chosen language.
const langCookie = "ipreg_lang"

// Config configures the portal.
type Config struct {
	// SecureCookies marks cookies Secure even on plain HTTP, for a
	// deployment behind a TLS-terminating proxy. Under TLS they always are.
	SecureCookies bool
	// Demo shows a banner saying the demo users exist.
	Demo bool
	// PublicURL is the registry's address as people reach it, such as
	// https://ipreg.pta.gov.pk, without a trailing slash: the start of
	// every link the portal writes into a message (password resets).
	// Never taken from a request's Host or X-Forwarded-Host, which the
	// requester chooses. Empty: such links are refused (503) rather than
	// guessed; the notices feed alone, whose links only point its own
	// reader back at the site, then takes the request's (feedBase).
	PublicURL string
	// CookieKey signs the account cookie that lets a form posted after the
	// session ended come back after the next login (pending.go). Derived
	// from a secret in the data directory, it survives a restart, and so
	// do the cookies; empty: a key made at start-up (tests).
	CookieKey []byte
	// Wrap, if set, wraps every page handler with the given pattern (the
	// API's request logging and metrics).
	Wrap func(pattern string, h http.Handler) http.Handler
}

// Server serves the portal.
type Server struct {
	svc   *registry.Service
	log   *slog.Logger
	cfg   Config
	pages map[string]*template.Template
	kept  *keptForms // forms posted after their session ended (pending.go)
	// homeFigures: the home page's statistics, reused for a few seconds
	// (home_figures.go).
	homeFigures homeFigureCache
	// imports are the allowlist files admins checked (page_import.go).
	imports *importUploads
}

// New parses the templates and returns the portal.
func New(svc *registry.Service, log *slog.Logger, cfg Config) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kept, err := newKeptForms(cfg.CookieKey)
	if err != nil {
		return nil, err
	}
	s := &Server{svc: svc, log: log, cfg: cfg, pages: map[string]*template.Template{}, kept: kept, imports: &importUploads{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("portal template %s: %w", base, err)
		}
		s.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return s, nil
}

// route is one entry of the portal's routing table: the single list of
// pages, which the access tests walk.
type route struct {
	pattern string
	handler func(*Server, http.ResponseWriter, *http.Request)
}

var routes = []route{
	{"GET /{$}", (*Server).home},
	{"GET /privacy", (*Server).privacy},
	{"GET /statistics", (*Server).statistics},
	{"GET /statistics.csv", (*Server).statisticsDownload},
	{"GET /statistics.json", (*Server).statisticsDownload},
	{"GET /lang/{code}", (*Server).switchLang},
	{"GET /signup", (*Server).signupPage},
	{"POST /signup", (*Server).signupPost},
	{"GET /login", (*Server).loginPage},
	{"POST /login", (*Server).loginPost},
	{"POST /logout", (*Server).logout},
	{"GET /password/forgot", (*Server).forgotPage},
	{"POST /password/forgot", (*Server).forgotPost},
	{"GET /password/reset", (*Server).resetPage},
	{"POST /password/reset", (*Server).resetPost},
	{"GET /verify", (*Server).verifyPage},
	{"GET /eligibility", (*Server).eligibilityPage},
	{"POST /eligibility", (*Server).eligibilityPost},
	{"GET /verify/{number}", (*Server).verifyPage},
	{"GET /account", (*Server).account},
	{"POST /account/email/verification", (*Server).accountVerification},
	{"POST /account/language", (*Server).accountLanguage},
	{"GET /verify-email", (*Server).verifyEmailPage},
	{"POST /verify-email", (*Server).verifyEmailPost},
	{"POST /account/totp", (*Server).totpBegin},
	{"POST /account/totp/confirm", (*Server).totpConfirm},
	{"GET /account/export", (*Server).accountExport},
	{"GET /account/delete", (*Server).accountDeletePage},
	{"POST /account/delete", (*Server).accountDeletePost},

	{"GET /dashboard", (*Server).dashboard},
	{"GET /applications/new", (*Server).applicationNew},
	{"POST /applications", (*Server).applicationCreate},
	{"GET /applications/{id}", (*Server).applicationView},
	{"GET /applications/{id}/edit", (*Server).applicationEdit},
	{"POST /applications/{id}", (*Server).applicationUpdate},
	{"POST /applications/{id}/documents", (*Server).documentUpload},
	{"POST /applications/{id}/documents/{doc}/delete", (*Server).documentDelete},
	{"GET /applications/{id}/documents/{doc}", (*Server).documentView},
	{"POST /applications/{id}/submit", (*Server).applicationSubmit},
	{"POST /applications/{id}/withdraw", (*Server).applicationWithdraw},
	{"POST /applications/{id}/decision", (*Server).applicationDecide},
	{"POST /applications/{id}/appeal", (*Server).appealSubmit},
	{"GET /appeals", (*Server).appealsPage},
	{"POST /appeals/{id}/decision", (*Server).appealDecide},
	{"GET /review/overdue", (*Server).overduePage},
	{"GET /applications/{id}/accesses", (*Server).accesses},
	{"GET /registrations/{number}", (*Server).registrationView},
	{"GET /registrations/{number}/certificate.pdf", (*Server).registrationCertificate},
	{"POST /registrations/{number}/surrender", (*Server).registrationSurrender},
	{"GET /registrations/{number}/renew", (*Server).renewPage},
	{"POST /registrations/{number}/renew", (*Server).renewPost},
	{"GET /registrations/{number}/change", (*Server).changePage},
	{"POST /registrations/{number}/change", (*Server).changePost},
	{"POST /registrations/{number}/revocations", (*Server).revocationPropose},

	{"GET /operator/checks", (*Server).checks},
	{"POST /operator/checks", (*Server).checksAnswer},
	{"GET /operator/checks.csv", (*Server).checksCSV},
	{"POST /operator/checks/upload", (*Server).checksUpload},

	{"GET /review", (*Server).reviewQueue},
	{"GET /revocations", (*Server).revocations},
	{"POST /revocations/{id}/confirm", (*Server).revocationConfirm},
	{"POST /revocations/{id}/cancel", (*Server).revocationCancel},

	{"GET /admin/users", (*Server).adminUsers},
	{"POST /admin/users", (*Server).adminUserCreate},
	{"POST /admin/users/{id}/disable", (*Server).adminUserDisable},
	{"POST /admin/users/{id}/enable", (*Server).adminUserEnable},
	{"POST /admin/users/{id}/reset-totp", (*Server).adminUserResetTOTP},
	{"POST /admin/users/{id}/reset-password", (*Server).adminUserResetPassword},
	{"GET /admin/operators", (*Server).adminOperators},
	{"POST /admin/operators", (*Server).adminOperatorCreate},
	{"POST /admin/operators/{id}/prefixes", (*Server).adminOperatorPrefixes},
	{"GET /admin/settings", (*Server).adminSettings},
	{"POST /admin/settings", (*Server).adminSettingsPost},
	{"GET /admin/holidays", (*Server).adminHolidays},
	{"POST /admin/holidays", (*Server).adminHolidaysPost},
	{"GET /admin/jobs", (*Server).adminJobs},
	{"POST /admin/jobs/{name}/run", (*Server).adminJobRun},
	{"GET /admin/outbox", (*Server).adminOutbox},
	{"POST /admin/outbox/{id}/resend", (*Server).adminOutboxResend},

	// The register of licensed VPN service providers (issue 13).
	{"GET /providers", (*Server).providersPage},
	{"GET /admin/providers", (*Server).adminProviders},
	{"POST /admin/providers", (*Server).adminProviderCreate},
	{"GET /admin/providers/{id}", (*Server).adminProviderEdit},
	{"POST /admin/providers/{id}", (*Server).adminProviderUpdate},
	{"GET /notices", (*Server).noticesPage},
	{"GET /notices.atom", (*Server).noticesAtom},
	{"GET /admin/notices", (*Server).adminNotices},
	{"POST /admin/notices", (*Server).adminNoticeCreate},
	{"GET /admin/notices/{id}", (*Server).adminNoticeEdit},
	{"POST /admin/notices/{id}", (*Server).adminNoticeSave},
	{"POST /admin/notices/{id}/withdraw", (*Server).adminNoticeWithdraw},
	{"GET /claim", (*Server).claimPage},
	{"POST /claim", (*Server).claimPost},
	{"GET /admin/invitations", (*Server).adminInvitations},
	{"POST /admin/invitations/{id}/link", (*Server).adminInvitationLink},
	{"POST /admin/invitations/{id}/resend", (*Server).adminInvitationResend},
	{"GET /admin/import", (*Server).adminImport},
	{"POST /admin/import", (*Server).adminImportCheck},
	{"POST /admin/import/confirm", (*Server).adminImportConfirm},
}

// Patterns lists the routing table, for tests.
func Patterns() []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.pattern
	}
	return out
}

// Handler returns the portal with its middleware: security headers,
// cross-origin protection for every state-changing request, the session
// and the language.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		h := rt.handler
		var hh http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
		if s.cfg.Wrap != nil {
			hh = s.cfg.Wrap(rt.pattern, hh)
		}
		mux.Handle(rt.pattern, hh)
	}
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// A form's address opened as a link (a bookmark of /logout, a
		// reload after a refused post) is there, for another method:
		// 405 with Allow, as the API answers (RFC 9110, 15.5.6).
		// A page's address sent a form (a script, a stale form) is
		// told the reverse.
		if allow := otherMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			if slices.Contains(allow, http.MethodGet) {
				s.errorPage(w, r, http.StatusMethodNotAllowed, "This page takes no form",
					"This address is a page to open, and takes no form. Open it from its link or the menu, or start from the home page.")
				return
			}
			s.errorPage(w, r, http.StatusMethodNotAllowed, "Use the page's button",
				"This address is for sending a form, and does not open as a link. Go back to the page and use its button, or start from the home page.")
			return
		}
		s.errorPage(w, r, http.StatusNotFound, "Page not found", "There is no page at this address. Check the link, or start from the home page.")
	})
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Refused before the session is read: reading it could slide
		// it (registry.SessionCap), an effect another site must not
		// cause. The page is in the person's language (a cookie, no
		// read), and a person with a session cookie is not offered
		// "Sign up" and "Log in" as if logged out (sessionUnread).
		ctx := context.WithValue(r.Context(), langKey, langOf(r))
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			ctx = context.WithValue(ctx, sessionUnreadKey, true)
		}
		r = r.WithContext(ctx)
		s.errorPage(w, r, http.StatusForbidden, "Request refused",
			"The form was sent from another site, so it was refused to protect your account. Open the page on this site and send it again.")
	}))
	return s.recoverer(securityHeaders(cop.Handler(s.session(mux))))
}

// otherMethods lists the methods besides r's that mux routes r's path
// for, other than to its catch-all "/".
func otherMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if m == r.Method || (m == http.MethodGet && r.Method == http.MethodHead) {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead) // served for every GET route
			}
		}
	}
	return allow
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// The Content-Security-Policy allows scripts and styles from this origin
// only (no inline script or style anywhere), images also as data: URLs
// (the TOTP QR code), and forms posting only here.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "portal panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The error was logged. Try again in a moment.")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type ctxKey int

const (
	userKey ctxKey = iota
	langKey
	// sessionUnreadKey marks a request refused before its session
	// cookie was read (view.SessionUnread).
	sessionUnreadKey
)

// session resolves the session cookie and the language. A lapsed or
// revoked session is dropped quietly: the visitor is anonymous and pages
// that need a login send them to it.
func (s *Server) session(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), langKey, langOf(r))
		// Stylesheet and script need no user: no database read for them.
		if strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			u, err := s.svc.Authenticate(ctx, c.Value)
			if err == nil {
				// The portal has no feed routes: a feed-scoped API token
				// put in the cookie is refused on every page (logout too:
				// it must not revoke itself), naming its scope.
				if err := registry.CheckScope(u, false); err != nil {
					s.fail(w, r.WithContext(ctx), err)
					return
				}
				ctx = context.WithValue(ctx, userKey, u)
				// An active session moved on (registry.SessionCap): the
				// cookies follow it.
				if !u.SessionRenewedUntil.IsZero() {
					s.setSession(w, r, c.Value, u.ID, u.SessionRenewedUntil)
				}
			} else {
				s.clearSession(w, r)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func currentUser(r *http.Request) *registry.User {
	u, _ := r.Context().Value(userKey).(*registry.User)
	return u
}

func currentLang(r *http.Request) string {
	if l, ok := r.Context().Value(langKey).(string); ok {
		return l
	}
	return "en"
}

// langOf is the language cookie, else the browser's preference for Urdu.
func langOf(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && registry.Language(c.Value) != "" {
		return registry.Language(c.Value)
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "ur"):
			return "ur"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "en"
}

func (s *Server) cookie(r *http.Request, name, value string, expires time.Time) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", Expires: expires, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil || s.cfg.SecureCookies}
}

// setSession sets the session cookie, and the account cookie that lets a
// form posted after the session ends come back after the next login of
// the same account (pending.go).
func (s *Server) setSession(w http.ResponseWriter, r *http.Request, token, userID string, expires time.Time) {
	http.SetCookie(w, s.cookie(r, SessionCookie, token, expires))
	s.setAccount(w, r, userID, token, expires)
}

func (s *Server) clearSession(w http.ResponseWriter, r *http.Request) {
	c := s.cookie(r, SessionCookie, "", time.Unix(0, 0))
	c.MaxAge = -1
	http.SetCookie(w, c)
}

// need returns the user if they have one of roles (any role when none
// given). Otherwise it answers: anonymous visitors go to the login page
// and come back; staff who must still set up TOTP go to their account
// page; other roles get a 403 page.
func (s *Server) need(w http.ResponseWriter, r *http.Request, roles ...registry.Role) (*registry.User, bool) {
	u := currentUser(r)
	if u == nil {
		s.toLogin(w, r)
		return nil, false
	}
	if u.EnrolmentOnly && !strings.HasPrefix(r.URL.Path, "/account") {
		http.Redirect(w, r, "/account?msg=totp_required", http.StatusSeeOther)
		return nil, false
	}
	if len(roles) == 0 {
		return u, true
	}
	for _, role := range roles {
		if u.Role == role {
			return u, true
		}
	}
	s.errorPage(w, r, http.StatusForbidden, "Not for your role", "This page is for other users. Use the menu to reach your own pages.")
	return nil, false
}

// localPath is the one check every "next" parameter (the login form, the
// language switch) passes before the portal redirects to it: only a clean
// path on this site, else fallback, so no link can send a visitor elsewhere
// (an open redirect, OWASP ASVS 5.1.5). p is the parameter's decoded value.
// Refused: control characters (browsers drop tabs and line breaks, turning
// "/\t/evil.example" into "//evil.example"), backslashes (read as "/"),
// a scheme, host or user, anything not starting with exactly one "/", and
// a path that decodes to "//…" or holds a backslash or control character.
func localPath(p, fallback string) string {
	bad := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return r == '\\' || unicode.IsControl(r) || r == utf8.RuneError })
	}
	if p == "" || bad(p) || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return fallback
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || bad(u.Path) {
		return fallback
	}
	return p
}

// home is where each role starts.
func home(u *registry.User) string {
	if u == nil {
		return "/"
	}
	switch u.Role {
	case registry.RoleOperator:
		return "/operator/checks"
	case registry.RoleReviewer, registry.RoleSupervisor:
		return "/review"
	case registry.RoleAdmin:
		return "/admin/users"
	}
	return "/dashboard"
}

// fail answers a service error on a page that has no form to show it in.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	msg := translateDomain(currentLang(r), registry.ErrorMessage(err))
	switch registry.ErrorCode(err) {
	case registry.EUNAUTHORIZED:
		s.toLogin(w, r)
	case registry.EFORBIDDEN:
		s.errorPage(w, r, http.StatusForbidden, "Not allowed", msg)
	case registry.ENOTFOUND:
		// The registry's message names the object by its id ("document
		// doc_… not found in application app_…"), which the address bar
		// already shows: the page says what happened in words.
		s.errorPage(w, r, http.StatusNotFound, "Not found", translate(currentLang(r), "There is nothing at this address. It may have been deleted, or the link may be mistyped or belong to another account. Check the address, or go back to your start page."))
	case registry.EMALFORMED, registry.EUNSUPPORTED:
		s.errorPage(w, r, http.StatusBadRequest, "The form could not be read", msg)
	case registry.ECONFLICT, registry.EINVALID, registry.ETOOLARGE:
		s.errorPage(w, r, http.StatusConflict, "That cannot be done now", msg)
	case registry.ETOOMANY:
		s.errorPage(w, r, http.StatusTooManyRequests, "Too many attempts", msg)
	case registry.EUNAVAILABLE:
		s.errorPage(w, r, http.StatusServiceUnavailable, "Not available right now", msg)
	default:
		s.log.ErrorContext(r.Context(), "portal: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The error was logged. Try again in a moment.")
	}
}

// statusOf is the HTTP status for a form that failed with err: the API's
// mapping, so a page and the API answer one error alike.
func statusOf(err error) int { return api.StatusOf(registry.ErrorCode(err)) }

// formError is what a failed form shows: a summary at the top linking to
// each field, and each field's message next to it.
type formError struct {
	Summary string
	Fields  map[string]string
	// RetryAfter, for a throttled or busy answer (429, 503), becomes the
	// Retry-After header.
	RetryAfter time.Duration
	// NotForm: the error is not about what was typed (a conflict, a
	// missing object, a limit, our fault), so the summary is headed
	// "There is a problem", not "Please fix the following".
	NotForm bool
	// Labels name fields as this page labels them where the page's label
	// differs from fieldLabels' ("purpose" is "Why you need the new ones
	// (optional)" on the change form): English catalog keys.
	Labels map[string]string
	// Order lists fields in the order the page's form asks them, where
	// that is not by name (the questionnaire): the summary names them
	// first, in this order, then the others by name (FieldKeys).
	Order []string
	// onPage, set by render from the page it rendered: the label text of
	// the input each field's summary link points at (in the page's
	// language), and the fields whose input is not on the page (the
	// summary names them without a link). See render.
	onPage  map[string]string
	offPage map[string]bool
	// pagePos, set by render likewise: where each field's input is on the
	// page, for the summary's order.
	pagePos map[string]int
}

// label is the page's own label of a field, if it set one.
func (e *formError) label(field string) (string, bool) {
	if e == nil {
		return "", false
	}
	l, ok := e.Labels[field]
	return l, ok
}

// FieldKeys lists the fields of the error in the order the summary names
// them: by name, but missing documents in the order of the requirements
// (registry.DocumentKinds), front of the CNIC first, as the pages list
// them, not alphabetically (which put the CNIC's back before its front).
func (e *formError) FieldKeys() []string {
	if e == nil {
		return nil
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	order := func(k string) string {
		if kind, ok := strings.CutPrefix(k, "documents."); ok {
			if i := slices.Index(registry.DocumentKinds, registry.DocumentKind(kind)); i >= 0 {
				return fmt.Sprintf("documents.%03d", i)
			}
		}
		return padIndices(k)
	}
	// A field of Order before any other, in Order's order; then the
	// fields whose input the page has, in the page's order (as the form
	// asks them: GOV.UK's error summary); then the others by name.
	rank := func(k string) int {
		if i := slices.Index(e.Order, k); i >= 0 {
			return i
		}
		return len(e.Order)
	}
	pos := func(k string) int {
		if p, ok := e.pagePos[k]; ok {
			return p
		}
		return math.MaxInt
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(pos(a), pos(b)), strings.Compare(order(a), order(b)), strings.Compare(a, b))
	})
	return keys
}

// padIndices writes a key's list indices with leading zeros, so that
// keys sort in line order: addresses[2] before addresses[10] (sorted as
// text, line 11 came before line 2; tester).
func padIndices(k string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(k, '[')
		if open < 0 {
			break
		}
		end := strings.IndexByte(k[open:], ']')
		if end < 0 {
			break
		}
		b.WriteString(k[:open+1])
		digits := k[open+1 : open+end]
		if len(digits) < 12 {
			b.WriteString(strings.Repeat("0", 12-len(digits)))
		}
		b.WriteString(digits)
		k = k[open+end:]
	}
	b.WriteString(k)
	return b.String()
}

// withLabels sets the page's own field labels on an error (nil stays nil).
func (e *formError) withLabels(labels map[string]string) *formError {
	if e != nil {
		e.Labels = labels
	}
	return e
}

func toFormError(s *Server, r *http.Request, err error) *formError {
	var e *registry.Error
	lang := currentLang(r)
	if !errors.As(err, &e) || e.Code == registry.EINTERNAL {
		s.log.ErrorContext(r.Context(), "portal: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		return &formError{Summary: translate(lang, "The error was logged. Try again in a moment."), NotForm: true}
	}
	fe := &formError{Summary: translateDomain(lang, e.Message), RetryAfter: e.RetryAfter,
		NotForm: e.Code != registry.EINVALID && len(e.Fields) == 0}
	if len(e.Fields) > 0 {
		fe.Fields = make(map[string]string, len(e.Fields))
		for k, m := range e.Fields {
			fe.Fields[k] = translateNamed(lang, m, s.operatorNames(r))
		}
	}
	return fe
}

func asError(err error, target **registry.Error) bool { return errors.As(err, target) }

// Root serves the API (and the feed and operational endpoints) under its
// own paths and the portal everywhere else: what ipreg serve listens with.
func Root(apiHandler http.Handler, p *Server) http.Handler {
	root := http.NewServeMux()
	for _, prefix := range []string{"/api/", "/feed/", "/healthz", "/readyz", "/metrics"} {
		root.Handle(prefix, apiHandler)
	}
	root.Handle("/", p.Handler())
	return root
}
