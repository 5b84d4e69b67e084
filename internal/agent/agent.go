package agent

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipreg/ipreg/internal/feed"
)

// Config configures an Agent.
type Config struct {
	Registry   *url.URL            // the registry's base URL
	Operator   string              // operator feed to follow ("" for the global feed)
	Token      string              // operator API token, for an operator feed
	TrustKeys  []ed25519.PublicKey // keys the feed may be signed with
	StateDir   string              // where the verified state persists
	MaxAge     time.Duration       // data older than this is stale
	FailClosed bool                // stale data answers "not registered" (else keep serving)
	Poll       time.Duration       // regular poll besides the long-poll
	// Stream follows the registry's feed stream (GET …/stream) instead of
	// long-polling, falling back to the long-poll against a registry
	// without one.
	Stream    bool
	MaxDeltas int           // further behind than this many deltas: take the snapshot
	Timeout   time.Duration // for a notification request (default 15 s; files get 20×)
	NFTFile   string        // write an nft script replacing the sets after each new version
	NFTApply  bool          // also bring the kernel sets to each version over netlink
	IPSetFile string        // write an "ipset restore" script after each new version
	HTTP      *http.Client
	Log       *slog.Logger
	Now       func() time.Time
	// MetricsToken, when set, is the bearer token GET /metrics on
	// Handler requires; unset, it answers 404 there (serve MetricsHandler
	// on a listener of its own instead).
	MetricsToken string
}

// Agent keeps the verified allowlist and answers lookups.
type Agent struct {
	cfg Config

	table atomic.Pointer[Table] // nil until the first verified sync
	state atomic.Pointer[state] // what the table was built from

	// inline: delta files the feed stream sent ahead of their
	// notification (stream.go); noStream: the registry has none.
	inline   inlineFiles
	noStream atomic.Bool

	mu   sync.Mutex // serialises syncs
	keys keyState   // trusted, announced and retired keys (keyring.go)

	// The newest signing time verified, whatever the session (watermark.go),
	// and every feed's as loaded from watermark.json.
	watermark  time.Time
	watermarks map[string]time.Time

	// pinned: feed.json names the followed feed (pin.go); feedConflict:
	// what /api/v1/me said that disagrees with it, for /v1/status.
	pinned       bool
	feedConflict atomic.Pointer[string]
	// lastRefusal is the last notification refused since the last
	// successful sync (Sync), for Status.
	lastRefusal atomic.Pointer[string]

	bindings     *Bindings     // mobile numbers' current addresses (RADIUS)
	bindingsDisk bindingsDisk  // what of them is in the state directory (bindings_persist.go)
	exported     chan struct{} // a new table to export (coalesced)

	persistNext chan struct{} // a new state to persist (coalesced)
	persistMu   sync.Mutex
	persisted   *state
	// The delta files applied since the last persist, for the journal;
	// journalReset when a snapshot replaced the table instead.
	journalMu    sync.Mutex
	journalQueue []journalRecord
	journalReset bool
	metrics      *metrics
	Registry     *prometheus.Registry

	// pause waits d between syncs after a refusal or a not-newer long-poll
	// answer, false when ctx ended first (sync.go's Run; tests record it).
	pause func(ctx context.Context, d time.Duration) bool
}

// state is the verified position in the feed and what it holds: the
// prefixes (table) and the mobile numbers, each in feed order.
type state struct {
	SessionID   string           `json:"session_id"`
	Version     int64            `json:"version"`
	Timestamp   time.Time        `json:"timestamp"`
	LastSuccess time.Time        `json:"last_success"`
	Expires     time.Time        `json:"expires,omitzero"` // the notification's expires
	Hashes      map[int64]string `json:"hashes"`           // delta version → hash seen
	Keys        []string         `json:"keys"`             // keys trusted (keys.json holds them, with the announced and retired)
	EntriesHash string           `json:"entries_hash"`
	// Where the entries are persisted (see persist.go): a snapshot of
	// BaseVersion and a journal of the delta files since.
	Snapshot       string `json:"snapshot,omitempty"`
	SnapshotSize   int64  `json:"snapshot_size,omitempty"`
	BaseVersion    int64  `json:"base_version,omitempty"`
	Journal        string `json:"journal,omitempty"`
	JournalSize    int64  `json:"journal_size,omitempty"`
	JournalRecords int    `json:"journal_records,omitempty"`

	// The feed followed (feed.FeedName; "" in states from before feeds
	// were named), the snapshots' hashes seen (with Hashes, what sync.go's
	// continuity compares notifications with), and the agent's watermark
	// with this state (persisted in watermark.json, not here).
	Feed           string           `json:"feed,omitempty"`
	SnapshotHashes map[int64]string `json:"snapshot_hashes,omitempty"`
	watermark      time.Time
	keys           keyState // the agent's keys with this state (persisted in keys.json)
	table          *Table
	numbers        []feed.Entry          // registered mobile numbers (operator feeds), in feed order
	mobile         map[string]feed.Entry // the same, by number
}

// New returns an Agent; Load restores persisted state, Run syncs.
func New(cfg Config) *Agent {
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Minute
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.MaxDeltas <= 0 {
		cfg.MaxDeltas = 500
	}
	a := &Agent{cfg: cfg, keys: keyState{trusted: append([]ed25519.PublicKey(nil), cfg.TrustKeys...)}, Registry: prometheus.NewRegistry()}
	a.bindings = newBindings(func() time.Time { return a.cfg.Now() })
	a.exported = make(chan struct{}, 1)
	a.persistNext = make(chan struct{}, 1)
	a.metrics = newMetrics(a, a.Registry)
	return a
}

// Table returns the current table (nil before the first verified sync).
func (a *Agent) Table() *Table { return a.table.Load() }

// Status describes the agent's data.
type Status struct {
	Ready bool   `json:"ready"` // a verified sync has happened
	Feed  string `json:"feed"`  // the feed followed: "global" or "operator:<id>" (pinned in feed.json)
	// FeedConflict says that the registry's /api/v1/me named another
	// operator than the pinned feed's, and how to re-point the agent.
	FeedConflict string    `json:"feed_conflict,omitempty"`
	SessionID    string    `json:"session_id,omitempty"`
	Version      int64     `json:"version"`
	Entries      int       `json:"entries"`
	Mobile       int       `json:"mobile_numbers"`
	Bindings     int       `json:"bound_addresses"`
	LastSuccess  time.Time `json:"last_success,omitzero"`
	DataAge      float64   `json:"data_age_seconds"`
	MaxAge       float64   `json:"max_age_seconds"`
	Stale        bool      `json:"stale"`
	OnStale      string    `json:"on_stale"`
	Healthy      bool      `json:"healthy"`
	// Expires is when the newest verified notification expires; past it,
	// with no newer one verified, every sync is being refused or failing.
	Expires time.Time `json:"expires,omitzero"`
	// Reason says why the agent is not healthy ("" when it is).
	Reason string `json:"reason,omitempty"`
	// LastRefusal is the last notification refused since the last
	// successful sync, with its reason ("signature: …"): the table is
	// still served, healthy, until it goes stale or its notification
	// expires, but a refusal no retry mends (a changed feed key) shows
	// here at once.
	LastRefusal string `json:"last_refusal,omitempty"`
}

// Status reports the current state.
func (a *Agent) Status() Status {
	st := Status{Feed: feed.FeedName(a.cfg.Operator), MaxAge: a.cfg.MaxAge.Seconds(), OnStale: "fail-static", Bindings: a.bindings.Len()}
	if c := a.feedConflict.Load(); c != nil {
		st.FeedConflict = *c
	}
	if r := a.lastRefusal.Load(); r != nil {
		st.LastRefusal = *r
	}
	if a.cfg.FailClosed {
		st.OnStale = "fail-closed"
	}
	s := a.state.Load()
	if s == nil {
		return st
	}
	st.Ready, st.SessionID, st.Version, st.LastSuccess = true, s.SessionID, s.Version, s.LastSuccess
	st.Entries, st.Mobile = a.Table().Len(), len(s.mobile)
	st.DataAge = a.dataAge().Seconds()
	st.Stale = a.stale()
	st.Expires = s.Expires
	switch now := a.cfg.Now(); {
	case !s.Expires.IsZero() && now.After(s.Expires):
		// The registry re-signs every 15 minutes with an hour's lifetime:
		// an expired newest notification means no sync has succeeded for
		// most of an hour (registry unreachable, or every notification
		// refused: look at ipreg_agent_rejected_total and the log).
		st.Reason = fmt.Sprintf("the newest verified notification (signed %s) expired at %s and no newer one has been verified: the registry is unreachable or its notifications are refused (see the log and ipreg_agent_rejected_total)",
			s.Timestamp.Format(time.RFC3339), s.Expires.Format(time.RFC3339))
	case st.Stale:
		st.Reason = fmt.Sprintf("data is %.0f s old, more than --max-age (%.0f s); the registry may be unreachable", st.DataAge, st.MaxAge)
	}
	st.Healthy = st.Reason == ""
	return st
}

// dataAge is how old the verified data is: since the notification it came
// from was signed (a registry re-signs every 15 minutes).
func (a *Agent) dataAge() time.Duration {
	s := a.state.Load()
	if s == nil {
		return 0
	}
	return a.cfg.Now().Sub(s.Timestamp)
}

func (a *Agent) stale() bool {
	return a.cfg.MaxAge > 0 && a.dataAge() > a.cfg.MaxAge
}
