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
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/net/idna"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/backup"
	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/flagenv"
	"github.com/ipreg/ipreg/internal/hostname"
	"github.com/ipreg/ipreg/internal/notify"
	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/promexpose"
	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

// DemoPassword is the password of every demo user.
const DemoPassword = "demo-password-1"

// checkSigningKeys refuses to start where a signing key this registry has
// used is missing from dataDir, before serve would make a new one
// (tester, issue 14: with only the document key put back after a
// restore, serve made new feed and certificate keys and started; every
// agent then refused the feed). A registry has used its keys once it has
// served: the feed-state marker (in dataDir, or its copy) is written at
// its first publish, and by a restore, which records the sessions agents
// hold. Then
//   - the feed's key: agents hold its public key;
//   - the certificates' key, when the database records registrations:
//     their certificates carry its signature.
//
// A registry that has not served yet (registrations imported before the
// first start) gets its keys at this start. newKeys (--new-keys) is the
// way on when a key is lost for good.
func checkSigningKeys(ctx context.Context, log *slog.Logger, db *store.DB, dataDir, markerCopy string, newKeys bool) (err error) {
	replaced := false
	if newKeys {
		// An operator who gave --new-keys to replace a key that is
		// there must not believe it replaced.
		defer func() {
			if err == nil && !replaced {
				log.Warn("--new-keys changed nothing: no key this registry has used is missing, and the keys in the data directory, if any, are kept. To replace a key that is there, use ipreg key rotate or ipreg key rotate-certificate", "data_dir", dataDir)
			}
		}()
	}
	var markers []string
	for _, m := range []string{filepath.Join(dataDir, publish.MarkerFile), markerCopy} {
		if _, err := os.Stat(m); m != "" && err == nil {
			markers = append(markers, m)
		}
	}
	if len(markers) == 0 {
		return nil // never served: the keys are made now
	}
	if ok, err := (publish.Keys{Dir: dataDir}).Exists(); err != nil {
		return fmt.Errorf("feed signing key: %w", err)
	} else if !ok && !newKeys {
		return fmt.Errorf("feed signing key: %s holds none, and this registry has published its feed before (%s says so): agents trust only its key. Put feed-signing-key.pem (and feed-signing-key.next.pem, if a rotation was under way) back from your key backup before starting; if it is lost for good, start with --new-keys (it keeps the marker aside) and give every agent the new key (ipreg-agent --trust-key)",
			dataDir, markers[0])
	} else if !ok {
		// The marker records the lost key, and the publisher refuses to
		// sign with another while it does: kept aside, not deleted.
		for _, m := range markers {
			aside := m + ".replaced-" + time.Now().UTC().Format("20060102T150405Z")
			if err := os.Rename(m, aside); err != nil {
				return fmt.Errorf("feed signing key: --new-keys: %w", err)
			}
			log.Warn("feed signing key lost: --new-keys makes a new one; every agent must be given it (--trust-key)", "marker_kept_as", aside)
		}
		replaced = true
	}
	if ok, err := (certificate.Keys{Dir: dataDir}).Exists(); err != nil {
		return fmt.Errorf("certificate signing key: %w", err)
	} else if !ok && newKeys {
		replaced = true
		log.Warn("certificate signing key lost: --new-keys makes a new one; the certificates the lost key signed no longer verify, and their holders need new ones (download them again)")
	} else if !ok {
		c, err := db.Counts(ctx)
		if err != nil {
			return fmt.Errorf("certificate signing key: %w", err)
		}
		if n := c.Rows["registrations"]; n > 0 {
			return fmt.Errorf("certificate signing key: %s holds none, and this registry has served %d registrations, whose certificates it signs: put %s and %s back from your key backup before starting; if it is lost for good, start with --new-keys (certificates it signed no longer verify)",
				dataDir, n, certificate.KeyFile, certificate.RetiredFile)
		}
	}
	return nil
}

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
	// TrustedProxies (--trusted-proxies) are the load balancers whose
	// X-Forwarded-For names the client (api.TrustProxies); "" for none.
	TrustedProxies string
	// FeedStateCopy is a second copy of the feed-state marker outside the
	// data directory, so that restoring the whole data directory is
	// noticed too (publish.Publisher.SetMarkerCopy); "" for none.
	FeedStateCopy string
	// NewKeys (--new-keys) lets serve make new feed and certificate
	// signing keys where the data directory lacks keys the registry has
	// used before (checkSigningKeys): only when those are lost for good.
	NewKeys   bool
	LogFormat string
	LogLevel  string
	// Regulator is the issuer named on certificates.
	Regulator string
	// Metrics: --metrics-listen and --metrics-token-file (package promexpose).
	Metrics promexpose.Flags
	// Notify: --mail, --smtp-*, --sms and --sms-gateway-* (package notify).
	// Without --demo, Start refuses to run with no way to send e-mail.
	Notify notify.Flags
	db     dbFlags
	// program and args are the command line as invoked (os.Args[0] and
	// serve's arguments), for the demo's refusal to repeat.
	program string
	args    []string
	// mailer, set by tests, receives the outbox's e-mail instead of the
	// transport --mail chose.
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
	dirLock *backup.DirLock // shared lock on the data directory (backup.LockName)

	// Mailer and Texter are the message transports Start built from
	// Config.Notify, for the registry's outbox. Texter is nil when text
	// messages are off (--sms none, or no gateway outside --demo).
	Mailer notify.Mailer
	Texter notify.Texter
}

func runServe(ctx context.Context, args []string, env Env, stdio IO) error {
	cfg, err := parseServe(args, env, stdio)
	if err != nil {
		return err
	}
	log, err := flagenv.Logger(stdio.Stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	if strings.TrimSpace(cfg.Regulator) == "" || !certificate.Printable(cfg.Regulator) {
		return fmt.Errorf("--regulator %q: give the regulator's name in Latin script (certificates are printed in English with a font that has no Urdu glyphs)", cfg.Regulator)
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

// parseServe turns serve's command line and environment into its
// configuration.
func parseServe(args []string, env Env, stdio IO) (ServeConfig, error) {
	var cfg ServeConfig
	fs := flagSet("serve", "Run the registry: the web portal (English and Urdu), the JSON API under /api/v1, the signed allowlist feed under /feed/v1,\nhealth endpoints, and the background jobs (operator-check deadlines, expiry, token clean-up, document retention, a sweep of document files no record names (at start and hourly), SLA escalation,\ne-mail and SMS delivery from the outbox, expiry reminders, staff digests), each scheduled run claimed through the database\nso that one replica runs it (admins see them at /admin/jobs). Messages go by --mail/--smtp-* and --sms/--sms-gateway-*.\nPrometheus metrics are not public: --metrics-listen serves them on an address of their own, --metrics-token-file\nbehind a bearer token on --listen; with neither, /metrics answers 404 (--demo picks a free loopback port for them).\nThe feed's signing key is <data-dir>/feed-signing-key.pem, beside it <data-dir>/feed-state, the newest feed state\npublished (a database restored behind it starts a new feed session; every start re-signs the feed at once, and\n--feed-state-copy keeps a second copy elsewhere, so a whole data directory restored is noticed too); uploaded documents are sealed (AES-256-GCM)\nunder <data-dir>/document-key in <data-dir>/documents. Replicas over one PostgreSQL must share the signing key,\nthe document key and the documents (see ipreg key).\nCertificates (GET /api/v1/registrations/{number}/certificate.pdf) are signed with <data-dir>/certificate-signing-key.pem,\na key of their own (ipreg key rotate-certificate; retired keys in <data-dir>/certificate-keys-retired keep verifying);\ntheir QR codes point to --public-url, without which certificates are unavailable.\nThe Go runtime: serve runs with GODEBUG=madvdontneed=0 (Linux), and with GOMAXPROCS one above the cores for goroutines\nwaiting on the disk; a GODEBUG madvdontneed or a GOMAXPROCS number in the environment is kept (README, \"Configuration\").", stdio)
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	fs.BoolVar(&cfg.Demo, "demo", false, "create the demo operators, users (password "+DemoPassword+") and fictional licensed VPN providers; users made meanwhile are marked, and --demo is refused on a database holding any user neither the demo's nor made under --demo")
	fs.DurationVar(&cfg.JobsInterval, "jobs-interval", time.Minute, "how often the interval jobs (check deadlines, expiry, token clean-up, document purge, escalation) fall due; replicas look for due jobs this often or every 5s, whichever is shorter")
	fs.DurationVar(&cfg.FeedPoll, "feed-poll", time.Second, "how often the feed publisher looks for changes made through other replicas (changes made here publish at once)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", 1<<20, "largest JSON request body accepted")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "the registry's address as people reach it, e.g. https://ipreg.example.pk (http or https, a host name valid under IDNA or an IP address, a port from 1 to 65535, no query, fragment or control characters): the start of the password-reset links it writes, never taken from a request's Host header (only the notices feed's own links are, without it); without it reset links are refused and the forgot-password page says to ask the administrators, except under --demo, where it defaults to http://<listen address>")
	fs.BoolVar(&cfg.SecureCookies, "secure-cookies", false, "mark the portal's cookies Secure although ipreg serves plain HTTP (behind a TLS-terminating proxy); under TLS they always are")
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", "", "addresses or prefixes of load balancers in front of ipreg, separated by commas (e.g. 127.0.0.1 or 10.0.0.0/8): from these peers the rightmost X-Forwarded-For address that is not one of them is the client, whose sign-ups and logins are throttled; without it the TCP peer is the client, and every client behind a load balancer shares its allowances. Their X-Forwarded-Proto and X-Forwarded-Host make the notices feed's links when --public-url is not set")
	fs.BoolVar(&cfg.NewKeys, "new-keys", false, "make new feed and certificate signing keys where the data directory lacks the ones this registry has used (serve refuses otherwise): only when they are lost for good; agents must then be given the new feed key, and certificates signed by a lost key no longer verify")
	fs.StringVar(&cfg.FeedStateCopy, "feed-state-copy", "", "a file outside the data directory for a second copy of the feed-state marker (e.g. /var/lib/ipreg-feed-state on another volume): a restore of the whole data directory, database and marker together, then starts a new feed session too; its directory must exist (serve refuses to start otherwise: an unmounted volume)")
	fs.StringVar(&cfg.Regulator, "regulator", registry.DefaultRegulator, "the regulator's name that certificates are issued in (Latin script: the certificate's PDF font has no Urdu glyphs)")
	fs.StringVar(&cfg.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&cfg.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	cfg.db.register(fs)
	cfg.Metrics.Register(fs)
	cfg.Notify.Register(fs)
	if err := parse(fs, args, env); err != nil {
		return cfg, err
	}
	cfg.Notify.Env = env
	cfg.program, cfg.args = stdio.Program, args
	return cfg, nil
}

// Start opens and migrates the database, prepares the demo if asked, and
// starts the HTTP server and background jobs. banner receives the demo's
// loud start-up notice.
func (s *Server) Start(ctx context.Context, banner io.Writer) error {
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	// The transports first: a production server without a way to send
	// e-mail is refused before anything else is done.
	transports, err := s.Config.Notify.Build(s.Config.Demo, s.log)
	if err != nil {
		return err
	}
	s.Mailer, s.Texter = transports.Mailer, transports.Texter
	// The data directory's shared lock, held until Close (or the
	// process's end): ipreg restore refuses while it is held.
	if s.dirLock, err = backup.LockServe(s.Config.db.dataDir); err != nil {
		return err
	}
	db, applied, err := s.Config.db.open(ctx)
	if err != nil {
		s.dirLock.Release()
		return err
	}
	s.db = db
	if len(applied) > 0 {
		s.log.Info("database migrated", "dialect", db.Dialect(), "applied", strings.Join(applied, ", "))
	}
	// A database that records documents needs the key they were sealed
	// under, checked before any key is made (the feed's below): made
	// anew, it would open none of them, and every download would fail
	// (a restore whose keys were not put back first; tester, issue 14).
	if _, have, err := docstore.KeyFingerprint(s.Config.db.dataDir); err != nil {
		return fmt.Errorf("document key: %w", err)
	} else if !have {
		ids, err := db.LiveDocumentIDs(ctx)
		if err != nil {
			return fmt.Errorf("document key: %w", err)
		}
		if len(ids) > 0 {
			return fmt.Errorf("document key: the database records %d documents, and %s holds no %s to open them: put the key back from your key backup (or a backup taken with --include-keys) before starting; a new key would open none of them",
				len(ids), s.Config.db.dataDir, docstore.KeyFile)
		}
	}
	// Documents: sealed with AES-256-GCM under <data-dir>/document-key,
	// kept in <data-dir>/documents (replicas must share both).
	docs, err := docstore.Open(s.Config.db.dataDir)
	if err != nil {
		return fmt.Errorf("document store: %w", err)
	}
	// And the key there must be the one they were sealed under: another
	// registry's key, copied by mistake, opens none of them (second
	// tester, issue 14). A sample of the recorded files is enough: if
	// none of them is sealed under it, none is.
	if sample, err := db.SomeLiveDocumentIDs(ctx, 20); err != nil {
		return fmt.Errorf("document key: %w", err)
	} else {
		found, matched := 0, 0
		for _, id := range sample {
			match, ok, err := docs.SealedUnder(id)
			if err != nil {
				return fmt.Errorf("document key: %w", err)
			}
			if ok {
				found++
			}
			if match {
				matched++
			}
		}
		if len(sample) > 0 && found == 0 {
			return fmt.Errorf("document key: the database records documents, and none of the %d checked has its file in %s: give the --data-dir of this registry (with replicas, mount the shared documents volume), or restore its documents (ipreg restore --documents-only) before starting",
				len(sample), filepath.Join(s.Config.db.dataDir, "documents"))
		}
		if found > 0 && matched == 0 {
			return fmt.Errorf("document key: the %d document files checked are sealed under another key than %s holds: put this registry's %s back from your key backup before starting; that one opens none of them",
				found, filepath.Join(s.Config.db.dataDir, docstore.KeyFile), docstore.KeyFile)
		}
	}
	if err := checkSigningKeys(ctx, s.log, db, s.Config.db.dataDir, s.Config.FeedStateCopy, s.Config.NewKeys); err != nil {
		return err
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
	proxies, err := api.ParseTrustedProxies(s.Config.TrustedProxies)
	if err != nil {
		return err
	}
	s.log.Info("feed signing key", "public_key", feed.FormatPublicKey(cur.Public().(ed25519.PublicKey)), "rotating", next != nil)
	pub := publish.NewPublisher(db, keys, nil, s.log)
	if err := pub.SetMarkerCopy(s.Config.FeedStateCopy); err != nil {
		return err
	}
	reader := publish.NewReader(db, s.log)
	// Certificates: a signing key of their own in the data directory
	// (replicas must share it, and the retired keys beside it).
	certKeys := certificate.Keys{Dir: s.Config.db.dataDir}
	ks, err := certKeys.Load()
	if err != nil {
		return fmt.Errorf("certificate signing key: %w", err)
	}
	s.log.Info("certificate signing key", "key_id", ks.Public[0].ID, "retired", len(ks.Public)-1)
	// Listen before building the service: the demo's public URL (for reset
	// links and certificates) is the address it listens on.
	s.ln, err = net.Listen("tcp", s.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Config.Listen, err)
	}
	s.Addr = s.ln.Addr()
	switch {
	case publicURL != "":
	case s.Config.Demo:
		publicURL = "http://" + demoHost(s.Addr)
	default:
		s.log.Warn("password reset links are off: start ipreg serve with --public-url (IPREG_PUBLIC_URL), the address people reach the registry at")
		s.log.Warn("certificates are off: their QR codes need --public-url (IPREG_PUBLIC_URL)")
	}
	mailer := s.Mailer
	if s.Config.mailer != nil {
		mailer = s.Config.mailer
	}
	s.svc = registry.NewService(db, registry.Config{Log: s.log, FeedChanged: pub.Kick, FeedPublished: pub.WaitPublished, Documents: docs,
		DemoWithoutTOTP: s.Config.Demo, JobsEvery: s.Config.JobsInterval, ResetLinks: publicURL != "",
		PublicURL: publicURL, Regulator: s.Config.Regulator, CertificateKeys: certKeys,
		Mailer: mailer, Texter: s.Texter})
	// Addresses stored before e-mail normalisation (NFC, IDNA) existed.
	if n, err := s.svc.NormalizeStoredEmails(ctx); err != nil {
		return err
	} else if n > 0 {
		s.log.Info("stored e-mail addresses normalised", "users", n)
	}
	// Files a kill left behind (sealed but never recorded, or half
	// written) go at start too, not only on the hourly job; a failure is
	// logged and the job tries again.
	if _, err := s.svc.SweepDocuments(ctx); err != nil {
		s.log.Error("sweep documents at start", "err", err)
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
	a := api.New(s.svc, s.log, api.Config{MaxBodyBytes: s.Config.MaxBodyBytes, Feed: reader, MetricsToken: metricsToken,
		FeedKeys: func() (cur, next ed25519.PublicKey, err error) {
			c, n, err := keys.Load()
			if err != nil {
				return nil, nil, err
			}
			if n != nil {
				next = n.Public().(ed25519.PublicKey)
			}
			return c.Public().(ed25519.PublicKey), next, nil
		}})
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

	// The API, the feed and the operational endpoints, and the portal for
	// every other path.
	// The portal's account cookie is signed with a key derived from the
	// document key, so that it survives a restart (and works on replicas).
	cookieKey, err := docs.Derive("ipreg portal account cookie v1")
	if err != nil {
		return err
	}
	p, err := portal.New(s.svc, s.log, portal.Config{Demo: s.Config.Demo, SecureCookies: s.Config.SecureCookies, Wrap: a.Observe,
		PublicURL: publicURL, CookieKey: cookieKey})
	if err != nil {
		return err
	}
	root := portal.Root(a.Handler(), p)
	s.http = &http.Server{
		Handler:           api.TrustProxies(root, proxies),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// Shutdown waits for handlers: feed streams end at once instead of
	// after their minutes (their clients reconnect, to another replica).
	s.http.RegisterOnShutdown(a.CloseStreams)
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
		return fmt.Errorf("refusing --demo: this database holds users not made in demo mode (%d, e.g. %s), and the demo's published passwords must never sit beside real accounts. %s",
			len(others), others[0], s.Config.demoElsewhere(ctx, s.db))
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

// jobsPollMax bounds how long a replica waits between looks for due jobs,
// so daily jobs and runs asked for on another replica start within it.
const jobsPollMax = 5 * time.Second

// startJobs runs the background jobs' scheduler until ctx ends, and
// exports its metrics.
func (s *Server) startJobs(ctx context.Context, reg prometheus.Registerer) {
	runs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ipreg_job_runs_total", Help: "Background job runs by job and result (ok, failed, lost: outlived its lease and another replica took over).",
	}, []string{"job", "result"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ipreg_job_duration_seconds", Help: "How long background job runs took, by job.",
		Buckets: []float64{.005, .025, .1, .5, 1, 5, 30, 120, 600},
	}, []string{"job"})
	items := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ipreg_jobs_items_total", Help: "Items handled by the background jobs, by job (label kind: the job's name).",
	}, []string{"kind"})
	failures := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ipreg_jobs_failures_total", Help: "Background job runs that failed (all jobs; by job in ipreg_job_runs_total).",
	})
	reg.MustRegister(runs, duration, items, failures, &jobsCollector{svc: s.svc, log: s.log})
	// The connection pool's figures (go_sql_*: connections open, in use and
	// idle, and how often and how long requests waited for one), from
	// client_golang's own collector: a pool too small for the load shows
	// as wait time before it shows as slow statements.
	reg.MustRegister(collectors.NewDBStatsCollector(s.db.SQL(), s.db.Dialect()))
	// The document sweep's removals (at start and by its job), by kind.
	for kind, n := range map[string]func() int64{
		"unrecorded": func() int64 { n, _ := s.svc.Swept(); return n },
		"temporary":  func() int64 { _, n := s.svc.Swept(); return n },
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ipreg_documents_swept_total",
			Help:        "Document files the sweep removed since the start, by kind (unrecorded: sealed files no record names; temporary: left by interrupted writes).",
			ConstLabels: prometheus.Labels{"kind": kind}}, func() float64 { return float64(n()) }))
	}
	sc := s.svc.Scheduler()
	sc.Observe = func(o registry.JobOutcome) {
		runs.WithLabelValues(o.Job, o.Result).Inc()
		duration.WithLabelValues(o.Job).Observe(o.Duration.Seconds())
		items.WithLabelValues(o.Job).Add(float64(o.Items))
		if o.Result == "failed" {
			failures.Inc()
		}
	}
	poll := min(s.Config.JobsInterval, jobsPollMax)
	if poll <= 0 {
		poll = jobsPollMax
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		sc.Run(ctx, poll)
	}()
}

// jobsCollector reads the jobs queued and running from the database at
// each scrape (all replicas' runs, not only this one's).
type jobsCollector struct {
	svc *registry.Service
	log *slog.Logger
}

var (
	jobsQueuedDesc  = prometheus.NewDesc("ipreg_jobs_queued", "Background jobs due and waiting for a runner.", nil, nil)
	jobsRunningDesc = prometheus.NewDesc("ipreg_jobs_running", "Background jobs running now, on any replica.", nil, nil)
)

func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsQueuedDesc
	ch <- jobsRunningDesc
}

func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	queued, running, err := c.svc.JobCounts(ctx)
	if err != nil {
		// Leave the gauges out rather than fail the whole scrape: the
		// other metrics matter most when the database does not answer.
		c.log.Warn("metrics: background jobs", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(jobsQueuedDesc, prometheus.GaugeValue, float64(queued))
	ch <- prometheus.MustNewConstMetric(jobsRunningDesc, prometheus.GaugeValue, float64(running))
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
	// Last: a restore may go ahead once the database is closed.
	s.dirLock.Release()
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

// badHost says what is wrong with a URL's host, or "": the rules are
// package hostname's (an IP literal without zone, or a DNS name valid under
// the IDNA Lookup profile and written as that profile writes it), shared
// with the register's provider websites. Unlike a provider's website, any
// name is taken (hostname.Scope is not asked): a registry on a private
// network, or a test deployment at https://ipreg.test or
// http://localhost:8080, links to itself.
func badHost(h string) string {
	host, p := hostname.Parse(h)
	switch p {
	case hostname.IPZone:
		return "the host must not name an IPv6 zone (%interface)"
	case hostname.TrailingDot:
		return fmt.Sprintf("the host %q must not end in a dot", h)
	case hostname.Invalid:
		return fmt.Sprintf("the host %q is not a valid host name (letters, digits and inner hyphens in each dot-separated label) or IP address", h)
	case hostname.Unusual:
		return fmt.Sprintf("the host %q is written unusually; write it as %q", h, host.Want)
	case hostname.MixedScripts:
		if host.Digits[0] || host.Digits[1] { // ٣ is an Arabic-Indic digit, not a letter
			return fmt.Sprintf("the host %q mixes characters of the %s and %s scripts in one label (%s), digits among them, as look-alike names do; write digits as 0 to 9 and each label in one alphabet", h, host.Scripts[0], host.Scripts[1], host.Label)
		}
		return fmt.Sprintf("the host %q mixes %s and %s letters in one label (%s), as look-alike names do; type each label in one alphabet", h, host.Scripts[0], host.Scripts[1], host.Label)
	case hostname.LatinLookAlike:
		return fmt.Sprintf("the host %q has a label written only in Cyrillic letters that look like Latin ones (%s), as look-alike names are; type the name in Latin letters", h, host.Label)
	case hostname.LabelTooLong:
		return fmt.Sprintf("the host %q has a label longer than 63 characters (%s); DNS allows at most 63", h, host.Label)
	case hostname.TooLong:
		return fmt.Sprintf("the host %q is longer than 253 characters, the most DNS allows", h)
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
func validPort(p string) bool { return hostname.ValidPort(p) }
