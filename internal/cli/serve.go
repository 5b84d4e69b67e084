package cli

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/net/idna"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/flagenv"
	"github.com/ipreg/ipreg/internal/notify"
	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/promexpose"
	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

// DemoPassword is the password of every demo user.
const DemoPassword = "demo-password-1"

// ServeConfig is everything ipreg serve needs.
type ServeConfig struct {
	Listen       string
	Demo         bool
	JobsInterval time.Duration
	FeedPoll     time.Duration
	MaxBodyBytes int64
	// PublicURL is the registry's address as people reach it, the start
	// of the links it writes (password resets and every other message). Under --demo it defaults
	// to http://<listen address>; elsewhere, without it, reset links are
	// refused (503) and the start-up log says so.
	PublicURL string
	// SecureCookies marks the portal's cookies Secure on plain HTTP too,
	// for a deployment behind a TLS-terminating proxy.
	SecureCookies bool
	// FeedStateCopy is a second copy of the feed-state marker outside the
	// data directory, so that restoring the whole data directory is
	// noticed too (publish.Publisher.SetMarkerCopy); "" for none.
	FeedStateCopy string
	LogFormat     string
	LogLevel      string
	// Metrics: --metrics-listen and --metrics-token-file (package promexpose).
	Metrics promexpose.Flags
	db      dbFlags
	// mailer, set by tests, receives the outbox's e-mail. The transports
	// (SMTP, SMS gateway, log) and their flags are wired here separately.
	mailer notify.Mailer
}

// Server is a running ipreg serve: NewServer, Start, then Close.
type Server struct {
	Config ServeConfig
	Addr   net.Addr // set by Start: where it listens
	// MetricsAddr is set by Start when metrics have a listener of their
	// own (--metrics-listen, or the demo's loopback default).
	MetricsAddr net.Addr

	log  *slog.Logger
	db   *store.DB
	svc  *registry.Service
	http *http.Server
	ln   net.Listener
	wg   sync.WaitGroup
	stop context.CancelFunc
	// stopFeed stops the feed publisher; feedDone closes when it has
	// (Close stops it before draining HTTP).
	stopFeed context.CancelFunc
	feedDone chan struct{}

	metrics *promexpose.Server
}

func runServe(ctx context.Context, args []string, env Env, stdio IO) error {
	var cfg ServeConfig
	fs := flagSet("serve", "Run the registry: the web portal (English and Urdu), the JSON API under /api/v1, the signed allowlist feed under /feed/v1,\nhealth endpoints, and the background jobs (operator-check deadlines, expiry, token clean-up, document retention).\nPrometheus metrics are not public: --metrics-listen serves them on an address of their own, --metrics-token-file\nbehind a bearer token on --listen; with neither, /metrics answers 404 (--demo picks a free loopback port for them).\nThe feed's signing key is <data-dir>/feed-signing-key.pem, beside it <data-dir>/feed-state, the newest feed state\npublished (a database restored behind it starts a new feed session; every start re-signs the feed at once, and\n--feed-state-copy keeps a second copy elsewhere, so a whole data directory restored is noticed too); uploaded documents are sealed (AES-256-GCM)\nunder <data-dir>/document-key in <data-dir>/documents. Replicas over one PostgreSQL must share the signing key,\nthe document key and the documents (see ipreg key).", stdio)
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	fs.BoolVar(&cfg.Demo, "demo", false, "create the demo operators and users (password "+DemoPassword+"); refused on a database with non-demo users")
	fs.DurationVar(&cfg.JobsInterval, "jobs-interval", time.Minute, "how often the background jobs run")
	fs.DurationVar(&cfg.FeedPoll, "feed-poll", time.Second, "how often the feed publisher looks for changes made through other replicas (changes made here publish at once)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", 1<<20, "largest JSON request body accepted")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "the registry's address as people reach it, e.g. https://ipreg.example.pk (http or https, a host name valid under IDNA or an IP address, a port from 1 to 65535, no query, fragment or control characters): the start of the links in the messages it sends (password reset, e-mail verification, applications, registrations), never taken from a request's Host header; without it reset links are refused and the forgot-password page says to ask the administrators, except under --demo, where it defaults to http://<listen address>")
	fs.BoolVar(&cfg.SecureCookies, "secure-cookies", false, "mark the portal's cookies Secure although ipreg serves plain HTTP (behind a TLS-terminating proxy); under TLS they always are")
	fs.StringVar(&cfg.FeedStateCopy, "feed-state-copy", "", "a file outside the data directory for a second copy of the feed-state marker (e.g. /var/lib/ipreg-feed-state on another volume): a restore of the whole data directory, database and marker together, then starts a new feed session too; its directory must exist (serve refuses to start otherwise: an unmounted volume)")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	cfg.db.register(fs)
	cfg.Metrics.Register(fs)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	log, err := flagenv.Logger(stdio.Stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	s := &Server{Config: cfg, log: log}
	if err := s.Start(ctx, stdio.Stderr); err != nil {
		s.Close()
		return err
	}
	if s.MetricsAddr != nil {
		fmt.Fprintf(stdio.Stderr, "ipreg: metrics on http://%s/metrics\n", s.MetricsAddr)
	}
	fmt.Fprintf(stdio.Stderr, "ipreg: serving on http://%s (Ctrl-C to stop)\n", s.Addr)
	<-ctx.Done()
	log.Info("shutting down: finishing in-flight requests")
	return s.Close()
}

// Start opens and migrates the database, prepares the demo if asked, and
// starts the HTTP server and background jobs. banner receives the demo's
// loud start-up notice.
func (s *Server) Start(ctx context.Context, banner io.Writer) error {
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	db, applied, err := s.Config.db.open(ctx)
	if err != nil {
		return err
	}
	s.db = db
	if len(applied) > 0 {
		s.log.Info("database migrated", "dialect", db.Dialect(), "applied", strings.Join(applied, ", "))
	}
	// The feed: signing keys in the data directory (replicas must share
	// them), a publisher fed by the registry's outbox, and a reader that
	// serves notifications, files and long-polls.
	keys := publish.Keys{Dir: s.Config.db.dataDir}
	cur, next, err := keys.Load()
	if err != nil {
		return fmt.Errorf("feed signing key: %w", err)
	}
	publicURL, err := parsePublicURL(s.Config.PublicURL)
	if err != nil {
		return err
	}
	s.log.Info("feed signing key", "public_key", feed.FormatPublicKey(cur.Public().(ed25519.PublicKey)), "rotating", next != nil)
	pub := publish.NewPublisher(db, keys, nil, s.log)
	if err := pub.SetMarkerCopy(s.Config.FeedStateCopy); err != nil {
		return err
	}
	reader := publish.NewReader(db, s.log)
	// Documents: sealed with AES-256-GCM under <data-dir>/document-key,
	// kept in <data-dir>/documents (replicas must share both).
	docs, err := docstore.Open(s.Config.db.dataDir)
	if err != nil {
		return fmt.Errorf("document store: %w", err)
	}
	s.svc = registry.NewService(db, registry.Config{Log: s.log, FeedChanged: pub.Kick, Documents: docs,
		DemoWithoutTOTP: s.Config.Demo, ResetLinks: publicURL != "" || s.Config.Demo, PublicURL: publicURL, Mailer: s.Config.mailer})
	// Addresses stored before e-mail normalisation (NFC, IDNA) existed.
	if n, err := s.svc.NormalizeStoredEmails(ctx); err != nil {
		return err
	} else if n > 0 {
		s.log.Info("stored e-mail addresses normalised", "users", n)
	}
	if s.Config.Demo {
		if err := s.startDemo(ctx, banner); err != nil {
			return err
		}
	}
	metricsToken, err := s.Config.Metrics.Token()
	if err != nil {
		return err
	}
	a := api.New(s.svc, s.log, api.Config{MaxBodyBytes: s.Config.MaxBodyBytes, Feed: reader, MetricsToken: metricsToken})
	jobsCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	s.startJobs(jobsCtx, a.Registry())
	// Publish once before serving, so the feed exists from the first request.
	if _, err := pub.PublishOnce(ctx); err != nil {
		if errors.Is(err, publish.ErrRetiredKey) {
			// Refuse to start: every agent would refuse the feed, and the
			// registry alone can say why.
			s.log.Error("feed: refusing to publish with a retired signing key", "err", err)
		}
		return fmt.Errorf("publish feed: %w", err)
	}
	if err := reader.Refresh(ctx); err != nil {
		return fmt.Errorf("read feed: %w", err)
	}
	pub.OnPublish(func() {
		if err := reader.Refresh(jobsCtx); err != nil && jobsCtx.Err() == nil {
			s.log.Warn("feed: refresh after publish", "err", err)
		}
	})
	// The publisher has a context of its own: Close stops it (and so its
	// feed-state marker writes) before draining HTTP, which long-polls
	// keep going for seconds.
	pubCtx, stopPub := context.WithCancel(jobsCtx)
	s.stopFeed, s.feedDone = stopPub, make(chan struct{})
	go func() { defer close(s.feedDone); pub.Run(pubCtx, s.Config.FeedPoll) }()
	s.wg.Add(1)
	// Other replicas publish too: look for their versions four times a second.
	go func() { defer s.wg.Done(); reader.Run(jobsCtx, 250*time.Millisecond) }()

	s.ln, err = net.Listen("tcp", s.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Config.Listen, err)
	}
	s.Addr = s.ln.Addr()
	switch {
	case publicURL != "":
	case s.Config.Demo:
		publicURL = "http://" + demoHost(s.Addr)
		s.svc.SetPublicURL(publicURL) // known only now that it listens
	default:
		s.log.Warn("password reset links are off: start ipreg serve with --public-url (IPREG_PUBLIC_URL), the address people reach the registry at")
	}

	// The API, the feed and the operational endpoints, and the portal for
	// every other path.
	p, err := portal.New(s.svc, s.log, portal.Config{Demo: s.Config.Demo, SecureCookies: s.Config.SecureCookies, Wrap: a.Observe,
		PublicURL: publicURL})
	if err != nil {
		return err
	}
	root := portal.Root(a.Handler(), p)
	s.http = &http.Server{
		Handler:           root,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	s.log.Info("listening", "addr", s.Addr.String(), "database", db.Dialect())
	// Metrics are not public (package promexpose). The demo, with neither
	// flag, serves them on loopback at a free port, printed at start: at
	// hand for whoever runs it, out of reach of everyone else.
	if addr := s.Config.Metrics.Listen; addr != "" || (s.Config.Demo && metricsToken == "") {
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if s.metrics, err = promexpose.Listen(addr, a.MetricsHandler(), s.log); err != nil {
			return err
		}
		s.MetricsAddr = s.metrics.Addr
		s.log.Info("metrics listening", "addr", s.MetricsAddr.String())
	}
	return nil
}

func (s *Server) startDemo(ctx context.Context, banner io.Writer) error {
	others, err := s.svc.NonDemoUsers(ctx)
	if err != nil {
		return err
	}
	if len(others) > 0 {
		return fmt.Errorf("refusing --demo: this database holds %d non-demo users (e.g. %s); the demo's known passwords must never sit beside real accounts. Use a fresh --data-dir or --db", len(others), others[0])
	}
	if err := s.svc.EnsureDemo(ctx, DemoPassword); err != nil {
		return err
	}
	var ops []string
	for _, o := range registry.DemoOperators {
		ops = append(ops, "operator."+o.ID+registry.DemoDomain)
	}
	fmt.Fprintf(banner, `
********************************************************************************
*  DEMO MODE — NOT FOR REAL DATA                                               *
*  Users (password %s for all):                                   *
*    admin@demo.test  reviewer@demo.test  supervisor@demo.test                 *
*    one operator user per operator:                                           *
%s********************************************************************************

`, DemoPassword, wrapBanner(ops))
	return nil
}

func wrapBanner(words []string) string {
	var b, line strings.Builder
	for _, w := range words {
		if line.Len()+len(w)+1 > 72 {
			fmt.Fprintf(&b, "*      %-72s*\n", line.String())
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteString(" ")
		}
		line.WriteString(w)
	}
	if line.Len() > 0 {
		fmt.Fprintf(&b, "*      %-72s*\n", line.String())
	}
	return b.String()
}

// startJobs runs the time-driven work every JobsInterval until ctx ends.
func (s *Server) startJobs(ctx context.Context, reg prometheus.Registerer) {
	done := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ipreg_jobs_items_total", Help: "Items handled by the background jobs, by kind.",
	}, []string{"kind"})
	failures := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ipreg_jobs_failures_total", Help: "Background job runs that failed.",
	})
	reg.MustRegister(done, failures)
	interval := s.Config.JobsInterval
	if interval <= 0 {
		interval = time.Minute
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			res, err := s.svc.RunJobs(ctx)
			if err != nil && ctx.Err() == nil {
				failures.Inc()
				s.log.Error("background jobs", "err", err)
			}
			done.WithLabelValues("checks_expired").Add(float64(res.ChecksExpired))
			done.WithLabelValues("registrations_expired").Add(float64(res.RegistrationsExpired))
			done.WithLabelValues("tokens_deleted").Add(float64(res.TokensDeleted))
			done.WithLabelValues("documents_purged").Add(float64(res.DocumentsPurged))
			if res.ChecksExpired+res.RegistrationsExpired+res.DocumentsPurged > 0 {
				s.log.Info("background jobs", "checks_expired", res.ChecksExpired, "registrations_expired", res.RegistrationsExpired,
					"documents_purged", res.DocumentsPurged)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Close stops the feed publisher (a cycle under way finishes), lets
// in-flight requests finish (up to 30 s), stops the jobs and closes the
// database. The publisher stops first: a stopping registry must not
// publish, nor write the feed-state marker, while long-polls keep the
// drain going; changes made meanwhile stay in the outbox for the next
// start or another replica.
func (s *Server) Close() error {
	var errs []error
	if s.stopFeed != nil {
		s.stopFeed()
		<-s.feedDone
		s.log.Info("feed publisher stopped; draining HTTP requests")
	}
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
	} else if s.ln != nil {
		s.ln.Close()
	}
	if s.metrics != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.metrics.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown metrics: %w", err))
		}
	}
	if s.stop != nil {
		s.stop()
	}
	s.wg.Wait()
	if s.db != nil {
		if err := s.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close database: %w", err))
		}
	}
	return errors.Join(errs...)
}

// parsePublicURL checks --public-url: an absolute http or https URL with a
// host, a port (if any) from 1 to 65535 (RFC 6335), and nothing a link
// cannot start with (user, query, fragment, control characters in the path
// whether written or %-escaped). It
// returns it without a trailing slash, or "" for "".
func parsePublicURL(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	bad := func(why string) error {
		return fmt.Errorf("--public-url %q: %s; give the address people reach the registry at, such as https://ipreg.example.pk", v, why)
	}
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return "", bad("not a URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return "", bad("must start with https:// (or http://)")
	case u.Host == "" || u.Hostname() == "":
		return "", bad("names no host")
	case u.User != nil:
		return "", bad("must not carry a user name or password")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", bad("must not have a query or fragment")
	case u.Port() != "" && !validPort(u.Port()):
		return "", bad("the port must be a number from 1 to 65535")
	case strings.ContainsFunc(u.Path, unicode.IsControl):
		// url.Parse refuses raw control characters but decodes escaped
		// ones (%0d%0a): a link holding them could split a mail header.
		return "", bad("the path must not hold control characters, written or escaped (such as %0d%0a)")
	}
	if why := badHost(u.Hostname()); why != "" {
		return "", bad(why)
	}
	// An internationalised host goes out in its ASCII form (RFC 5891), as
	// mail clients and browsers read it, not %-escaped.
	if ascii, err := idna.Lookup.ToASCII(u.Hostname()); err == nil && ascii != strings.ToLower(u.Hostname()) {
		port := u.Port()
		u.Host = ascii
		if port != "" {
			u.Host = net.JoinHostPort(ascii, port)
		}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// badHost says what is wrong with a URL's host, or "": an IP literal
// (without an IPv6 zone, which names an interface of one machine only),
// or a DNS name valid under the IDNA Lookup profile (UTS #46, RFC 5891:
// letters, digits and inner hyphens in each label, no "_", no empty
// label, no trailing dot) and written as that profile writes it, so the
// links mailed out show the host people know (not ｅｖｉｌ.com, which
// browsers turn into evil.com).
func badHost(h string) string {
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return "the host must not name an IPv6 zone (%interface)"
		}
		return ""
	}
	if strings.HasSuffix(h, ".") {
		return fmt.Sprintf("the host %q must not end in a dot", h)
	}
	ascii, err := idna.Lookup.ToASCII(h)
	if err != nil || slices.Contains(strings.Split(ascii, "."), "") || len(ascii) > 253 {
		return fmt.Sprintf("the host %q is not a valid host name (letters, digits and inner hyphens in each dot-separated label) or IP address", h)
	}
	if uni, err := idna.Lookup.ToUnicode(ascii); err != nil || uni != strings.ToLower(h) && ascii != strings.ToLower(h) {
		return fmt.Sprintf("the host %q is written unusually; write it as %q", h, uni)
	}
	return ""
}

// demoHost is the listen address as a browser on this machine reaches it:
// a wildcard address (0.0.0.0, ::) becomes localhost.
func demoHost(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// validPort says whether p, a URL's port, is a TCP port number: 1 to 65535.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}
