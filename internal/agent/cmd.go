package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/flagenv"
	"github.com/ipreg/ipreg/internal/promexpose"
	"github.com/ipreg/ipreg/internal/textfile"
)

// IO bundles the standard streams.
type IO struct {
	Stdout, Stderr io.Writer
}

const synopsis = `ipreg-agent keeps a verified copy of an ipreg registry's signed allowlist feed and
answers "is this address registered?":

  GET  /v1/check?ip=203.99.48.7     one address
  POST /v1/check                    a JSON array of addresses, or one address per line
  GET  /v1/status                   session, version, entries, last success, data age
  GET  /healthz                     fails before the first sync, once the newest verified notification
                                    has expired without a newer one verified (every sync failing or
                                    refused), and when data is older than --max-age
  GET  /metrics                     Prometheus metrics: on --metrics-listen, or here with the
                                    --metrics-token-file token (else 404)

It enforces nothing before its first verified sync, keeps serving its last verified
table while the registry is unreachable, and persists that table in --state-dir.
The feed followed is pinned there (feed.json) at the first sync or by --operator:
the registry's unsigned /api/v1/me naming another operator is refused (reported
as feed_conflict in /v1/status); restart with --operator ID to re-point the agent
deliberately. Watermarks (the newest signing time verified) are kept per feed.
With the feed pinned, the agent starts from its saved state while the registry is
unreachable and asks /api/v1/me once it answers.
Keys: the agent learns the registry's next key from next_signing_key; once that key
has signed a notification it verifies, the keys no longer announced are retired
(keys.json) and never trusted again, even if --trust-key still names one.
Addresses with an IPv6 zone (fe80::1%eth0) are refused with 400, as the registry
refuses them.

Following an operator feed with --radius-listen, it also allows the addresses that
RADIUS accounting (RFC 2866) gives the sessions of that operator's registered mobile
numbers (Calling-Station-Id): Framed-IP-Address, Framed-IPv6-Address,
Framed-IPv6-Prefix and Delegated-IPv6-Prefix, prefixes as prefixes. An address
belongs to its newest session: a Start or Interim-Update of any other number for it
ends the binding, and the newest claim is remembered (bound or not) so that no
packet of an older session takes the address back; an Interim-Update's addresses
are all the session holds. Stop ends its session's bindings (matched by NAS and
Acct-Session-Id; an empty Acct-Session-Id matches nothing) and later packets of
the session are ignored; Accounting-On/Off end every binding of that NAS, and
later packets of its sessions begun before it are ignored. A NAS is its
NAS-IP-Address (or NAS-IPv6-Address, else the packet's source address) with its
NAS-Identifier. A number that leaves the feed loses its bindings at once.
Bound addresses must lie in Pakistan's address space (not special-purpose) or in
--radius-allow-prefixes. Bindings persist in --state-dir (bindings.json) and those
still live are restored at start. With --nft-apply they fill the interval sets
mobile4/mobile6 of table inet ipreg.`

// Main runs ipreg-agent and returns the exit status.
func Main(ctx context.Context, args []string, env flagenv.Env, stdio IO) int {
	err := run(ctx, args, env, stdio)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, flagenv.ErrUsage):
		return 2
	}
	fmt.Fprintf(stdio.Stderr, "ipreg-agent: %v\n", err)
	return 1
}

func run(ctx context.Context, args []string, env flagenv.Env, stdio IO) error {
	var (
		registry, trust, stateDir, listen, tokenFile, onStale, logFormat, logLevel string
		operator                                                                   string
		nftFile, ipsetFile, radiusListen, radiusSecretFile, radiusAllow            string
		nftApply, stream                                                           bool
		maxAge, poll, radiusTimeout                                                time.Duration
	)
	fs := flagenv.New("IPREG_AGENT_", "ipreg-agent", synopsis, stdio.Stdout, stdio.Stderr)
	fs.StringVar(&registry, "registry", "", "the registry's base URL, e.g. https://vpn.example.gov.pk (required)")
	fs.StringVar(&trust, "trust-key", "", "the feed's public key as printed by \"ipreg key show\" (ed25519:…), or a file holding it (required); a key retired by a completed rotation is not trusted even when named here")
	fs.StringVar(&stateDir, "state-dir", "./ipreg-agent-state", "where the verified table persists between runs")
	fs.StringVar(&listen, "listen", "127.0.0.1:8081", "address of the lookup API (port 0 picks a free port)")
	fs.StringVar(&tokenFile, "operator-token-file", "", "file holding an operator API token: follow that operator's feed (adds its registered mobile numbers); give it the feed scope (POST /api/v1/tokens with \"scope\":\"feed\"), which reads only that feed, and an https --registry (a warning is logged when it would travel over plain http to another host)")
	fs.StringVar(&operator, "operator", "", "the operator id whose feed to follow (with --operator-token-file): pins the state directory to that feed, or deliberately re-points it from the feed pinned in feed.json; without it, the feed pinned at the first sync, or the operator the registry's /api/v1/me names for the token")
	fs.DurationVar(&maxAge, "max-age", 24*time.Hour, "data older than this is stale")
	fs.StringVar(&onStale, "on-stale", "fail-static", "when data is stale: fail-static (keep answering from it) or fail-closed (answer not registered)")
	fs.DurationVar(&poll, "poll", time.Minute, "regular poll of the notification, besides the long-poll (not while following the stream)")
	fs.BoolVar(&stream, "stream", true, "follow the registry's feed stream (GET /feed/v1/…/stream: each new version pushed with the files it needs, one connection kept open); false, or a registry without a stream, long-polls instead")
	fs.StringVar(&nftFile, "nft-file", "", "after each new version, write an nft script that replaces sets allow4/allow6 of table inet ipreg in one transaction")
	fs.BoolVar(&nftApply, "nft-apply", false, "after each new version, bring the kernel sets allow4/allow6 of table inet ipreg to it over netlink in one transaction: whole the first time, then only the changed intervals (needs CAP_NET_ADMIN)")
	fs.StringVar(&ipsetFile, "ipset-file", "", "after each new version, write an \"ipset restore\" script that swaps in new hash:net sets ipreg4/ipreg6")
	fs.StringVar(&radiusListen, "radius-listen", "", "UDP address for RADIUS accounting (e.g. :1813): binds the operator's registered mobile numbers to their current address (needs --operator-token-file and --radius-secret-file)")
	fs.StringVar(&radiusSecretFile, "radius-secret-file", "", "file holding the RADIUS shared secret (required with --radius-listen)")
	fs.DurationVar(&radiusTimeout, "radius-session-timeout", 15*time.Minute, "a binding lapses when no Interim-Update renews it within this")
	fs.StringVar(&radiusAllow, "radius-allow-prefixes", "", "the operator's own pools that bound addresses may lie in besides Pakistan's address space (e.g. its carrier-grade NAT range): a comma-separated list (100.64.0.0/10,2400:fc00::/32) or a file with one prefix per line; addresses elsewhere are refused (metric ipreg_agent_radius_accounting_total{outcome=\"refused_address\"})")
	var metricsFlags promexpose.Flags
	metricsFlags.Register(fs)
	fs.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	if err := flagenv.Parse("IPREG_AGENT_", fs, args, env); err != nil {
		return err
	}
	log, err := flagenv.Logger(stdio.Stderr, logFormat, logLevel)
	if err != nil {
		return err
	}
	var problems []string
	base, err := url.Parse(registry)
	if registry == "" || err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		problems = append(problems, "--registry must be the registry's http(s) URL, e.g. https://vpn.example.gov.pk")
	}
	key, err := trustKey(trust)
	if err != nil {
		problems = append(problems, "--trust-key: "+err.Error())
	}
	if onStale != "fail-static" && onStale != "fail-closed" {
		problems = append(problems, "--on-stale must be fail-static or fail-closed")
	}
	var secret []byte
	var space *BindSpace
	if radiusListen != "" {
		// Only an operator feed holds mobile numbers: without one every
		// Calling-Station-Id would count as unregistered, and accounting
		// would only ever unbind. Refused rather than warned about, since
		// such an agent cannot do what --radius-listen asks.
		if tokenFile == "" {
			problems = append(problems, "--radius-listen needs --operator-token-file: RADIUS binds the registered mobile numbers of the operator whose feed the agent follows (the global feed holds none)")
		}
		b, err := os.ReadFile(radiusSecretFile)
		if secret = []byte(textfile.Value(b)); err != nil || len(secret) == 0 {
			problems = append(problems, "--radius-listen needs --radius-secret-file naming a file with the shared secret")
		}
		pools, err := ParseAllowPrefixes(radiusAllow)
		if err == nil {
			space, err = NewBindSpace(pools)
		}
		if err != nil {
			problems = append(problems, "--radius-allow-prefixes: "+err.Error())
		}
	} else if radiusAllow != "" {
		problems = append(problems, "--radius-allow-prefixes needs --radius-listen")
	}
	if operator != "" && tokenFile == "" {
		problems = append(problems, "--operator needs --operator-token-file: an operator feed is read with that operator's API token")
	}
	metricsToken, err := metricsFlags.Token()
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n  "))
	}
	cfg := Config{Registry: base, TrustKeys: []ed25519.PublicKey{key}, StateDir: stateDir, MaxAge: maxAge,
		FailClosed: onStale == "fail-closed", Poll: poll, Stream: stream, Log: log, NFTFile: nftFile, NFTApply: nftApply, IPSetFile: ipsetFile,
		MetricsToken: metricsToken}
	pin, err := ReadPin(stateDir)
	if err != nil {
		return fmt.Errorf("state in %s: %w", stateDir, err)
	}
	var me string // the operator /api/v1/me names, when asked
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return fmt.Errorf("--operator-token-file: %w", err)
		}
		cfg.Token = textfile.Value(b)
		if clearTextToken(base) {
			log.Warn("agent: the operator token is sent in clear over plain http to a host beyond this one: anyone on the path can read it. Use an https --registry URL, and a token with the feed scope (POST /api/v1/tokens {\"name\":\"agent\",\"scope\":\"feed\"}), which reads only the operator's feed",
				"registry", base.Redacted())
		}
		// With the feed known (pinned or --operator), the agent starts from
		// its saved state at once and asks /api/v1/me later, while the
		// registry may be unreachable; without, /api/v1/me decides the feed.
		if pin == "" && operator == "" {
			if me, err = operatorOf(ctx, base, cfg.Token); err != nil {
				return fmt.Errorf("--operator-token-file: %w (the agent's first start asks the registry which operator the token belongs to; to start without the registry, pass --operator ID)", err)
			}
		}
	}
	// The feed: --operator, else the pin, else what /api/v1/me says (pin.go).
	switch want := feed.FeedName(operator); {
	case operator != "":
		cfg.Operator = operator
		if pin != "" && pin != want {
			log.Warn("agent: re-pointed deliberately (--operator): the state directory was pinned to another feed", "pinned", pin, "now", want)
		}
		if err := WritePin(stateDir, want); err != nil {
			return fmt.Errorf("state in %s: %w", stateDir, err)
		}
	case pin != "" && (tokenFile != "" || pin == feed.GlobalFeed):
		cfg.Operator = OperatorOfFeed(pin)
	case pin != "":
		// No token: the global feed, deliberately chosen by the flags.
		log.Warn("agent: re-pointed deliberately (no --operator-token-file): following the global feed", "pinned", pin)
		if err := WritePin(stateDir, feed.GlobalFeed); err != nil {
			return fmt.Errorf("state in %s: %w", stateDir, err)
		}
	default:
		cfg.Operator = me
	}
	if cfg.Operator != "" {
		log.Info("following an operator feed", "operator", cfg.Operator)
	}
	a := New(cfg)
	if err := a.Load(); err != nil {
		return fmt.Errorf("state in %s: %w", stateDir, err)
	}
	confirmed := make(chan struct{})
	switch {
	case tokenFile == "":
		close(confirmed)
	case me != "":
		if err := a.ConfirmOperator(me); err != nil {
			log.Error("agent: refused the registry's /api/v1/me", "err", err)
		}
		close(confirmed)
	default:
		go func() { defer close(confirmed); a.confirmLater(ctx, base) }()
	}
	if radiusListen != "" {
		if _, err := a.RestoreBindings(RADIUSOptions{SessionTimeout: radiusTimeout, Space: space}); err != nil {
			return fmt.Errorf("state in %s: %w", stateDir, err)
		}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	go srv.Serve(ln)
	var metricsSrv *promexpose.Server
	if metricsFlags.Listen != "" {
		if metricsSrv, err = promexpose.Listen(metricsFlags.Listen, a.MetricsHandler(), log); err != nil {
			srv.Close()
			return err
		}
		fmt.Fprintf(stdio.Stderr, "ipreg-agent: metrics on http://%s/metrics\n", metricsSrv.Addr)
	}
	fmt.Fprintf(stdio.Stderr, "ipreg-agent: serving lookups on http://%s\n", ln.Addr())
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { a.Run(runCtx); close(done) }()
	go a.runExports(runCtx)
	if nftApply {
		go a.runMobileExports(runCtx)
	}
	persisted := make(chan struct{})
	go func() { a.runPersist(runCtx); close(persisted) }()
	bindingsPersisted := make(chan struct{})
	if radiusListen != "" {
		go func() { a.runBindingsPersist(runCtx, min(radiusTimeout/4, time.Minute)); close(bindingsPersisted) }()
	} else {
		close(bindingsPersisted)
	}
	if radiusListen != "" {
		pc, err := net.ListenPacket("udp", radiusListen)
		if err != nil {
			stop()
			return fmt.Errorf("--radius-listen: %w", err)
		}
		fmt.Fprintf(stdio.Stderr, "ipreg-agent: RADIUS accounting on %s\n", pc.LocalAddr())
		go func() {
			if err := a.ListenRADIUS(runCtx, pc, RADIUSOptions{Secret: secret, SessionTimeout: radiusTimeout, Space: space}); err != nil {
				log.Error("radius", "err", err)
			}
		}()
	}
	if a.Table() != nil {
		a.exported <- struct{}{} // the restored table is verified: export it at once
	}
	<-ctx.Done()
	log.Info("shutting down")
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = errors.Join(srv.Shutdown(sctx), metricsSrv.Close(sctx))
	<-done
	<-confirmed
	<-persisted
	<-bindingsPersisted
	return err
}

// clearTextToken reports whether a bearer token sent to base travels in
// clear beyond this host: plain http to a host that is not loopback.
func clearTextToken(base *url.URL) bool {
	if base.Scheme != "http" {
		return false
	}
	h := base.Hostname()
	if strings.EqualFold(h, "localhost") {
		return false
	}
	ip, err := netip.ParseAddr(h)
	return err != nil || !ip.IsLoopback()
}

// trustKey reads "ed25519:…" or a file holding it: the first line that is
// not blank or a # comment, read through textfile (a BOM and CRLF from a
// Windows editor are fine), as "ipreg key show" prints it first.
func trustKey(s string) (ed25519.PublicKey, error) {
	if s == "" {
		return nil, errors.New(`required: the output of "ipreg key show" on the registry`)
	}
	if !strings.HasPrefix(s, feed.KeyPrefix) {
		f, err := os.Open(s)
		if err != nil {
			return nil, fmt.Errorf("neither an ed25519:… key nor a readable file: %w", err)
		}
		defer f.Close()
		lines, err := textfile.Lines(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
		if len(lines) == 0 {
			return nil, fmt.Errorf("%s holds no key: put the output of \"ipreg key show\" in it", s)
		}
		k, err := feed.ParsePublicKey(lines[0].Text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s, lines[0].Errorf("%v", err))
		}
		return k, nil
	}
	return feed.ParsePublicKey(s)
}

// confirmLater asks /api/v1/me until the registry answers (jittered
// backoff from a second to five minutes), then confirms the pinned feed.
func (a *Agent) confirmLater(ctx context.Context, base *url.URL) {
	backoff := time.Second
	for {
		me, err := operatorOf(ctx, base, a.cfg.Token)
		if err == nil {
			if err := a.ConfirmOperator(me); err != nil {
				a.cfg.Log.Error("agent: refused the registry's /api/v1/me", "err", err)
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		a.cfg.Log.Warn("agent: cannot ask the registry which operator the token belongs to; following the pinned feed meanwhile", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff/2 + rand.N(backoff/2+1)):
		}
		backoff = min(2*backoff, 5*time.Minute)
	}
}

// operatorOf asks the registry which operator a token belongs to.
func operatorOf(ctx context.Context, base *url.URL, token string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base.JoinPath("/api/v1/me").String(), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var me struct {
		User struct {
			Role       string `json:"role"`
			OperatorID string `json:"operator_id"`
		} `json:"user"`
	}
	if res.StatusCode != 200 {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
		return "", meStatusError(res.StatusCode, body)
	}
	if err := json.NewDecoder(res.Body).Decode(&me); err != nil {
		return "", err
	}
	if me.User.Role != "operator" || me.User.OperatorID == "" {
		return "", errors.New("the token is not an operator user's")
	}
	return me.User.OperatorID, nil
}

// meStatusError says what a status other than 200 from GET /api/v1/me
// means: only 401 and 403 are about the token; 429 and 5xx (a registry
// starting, shutting down or overloaded, a proxy without it) are not, and
// the agent retries. The registry's own message (its error shape
// {"error":{"message"}}) is added when there is one; it never holds the
// token.
func meStatusError(code int, body []byte) error {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		msg = ": " + e.Error.Message
	}
	switch {
	case code == http.StatusUnauthorized:
		return fmt.Errorf("the registry refused the token (status 401: expired, revoked or mistyped; create a new one and update --operator-token-file)%s", msg)
	case code == http.StatusForbidden:
		return fmt.Errorf("the registry refused the token for GET /api/v1/me (status 403)%s", msg)
	case code == http.StatusTooManyRequests:
		return fmt.Errorf("the registry is busy (status 429), not refusing the token; retrying%s", msg)
	case code >= 500:
		return fmt.Errorf("the registry is unavailable (status %d: starting, shutting down, overloaded, or a proxy cannot reach it), not refusing the token; retrying%s", code, msg)
	default:
		return fmt.Errorf("unexpected answer from GET /api/v1/me (status %d)%s", code, msg)
	}
}
