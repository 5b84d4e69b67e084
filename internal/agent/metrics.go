package agent

import (
	"crypto/ed25519"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	snapshotFallbacks *prometheus.CounterVec
	keysRetired       prometheus.Counter
	rejected          *prometheus.CounterVec
	applyDuration     prometheus.Histogram
	lookups           *prometheus.CounterVec
	exportDuration    prometheus.Histogram
	exportFailures    prometheus.Counter
	radius            *prometheus.CounterVec
	inlineFiles       prometheus.Counter
	streaming         prometheus.Gauge
}

func newMetrics(a *Agent, reg *prometheus.Registry) *metrics {
	m := &metrics{
		snapshotFallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ipreg_agent_snapshot_fallbacks_total",
			Help: "Syncs that took the snapshot instead of the deltas, by reason: routine (gap, too_far_behind: deltas pruned or the agent long away; continuity) or a registry that went back (version_back, hash_changed), and a delta file that failed (hash_mismatch, inconsistent, decode, fetch). The sync itself succeeded; refusals are in ipreg_agent_rejected_total."}, []string{"reason"}),
		keysRetired: prometheus.NewCounter(prometheus.CounterOpts{Name: "ipreg_agent_keys_retired_total",
			Help: "Signing keys retired because the registry completed a rotation and no longer announces them (never trusted again)."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ipreg_agent_rejected_total",
			Help: "Sync attempts refused or failed, the table kept, by reason (signature, malformed, wrong_feed, expired, replay, hash_mismatch, inconsistent, decode, fetch, too_large, bad_url, persist, …); snapshot fallbacks are in ipreg_agent_snapshot_fallbacks_total."}, []string{"reason"}),
		applyDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ipreg_agent_apply_duration_seconds",
			Help: "Time to verify, fetch, apply and swap in a new version.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ipreg_agent_lookups_total",
			Help: "Addresses looked up, by answer."}, []string{"result"}),
		exportDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ipreg_agent_export_duration_seconds",
			Help: "Time to write the export files and bring the kernel sets to the new version.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		exportFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "ipreg_agent_export_failures_total",
			Help: "Kernel set replacements that failed (the previous sets stay in force)."}),
		radius: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ipreg_agent_radius_accounting_total",
			Help: "RADIUS accounting outcomes: per prefix bound, refused_address (outside Pakistan's space and --radius-allow-prefixes, or too broad), superseded (another session's binding ended by a newer claim), stale (a claim older than the address's newest claim), released (a session's binding its Interim-Update no longer lists), malformed; " +
				"per request unregistered, unknown_number, no_address, no_session, stopped, stop_unmatched, stale_stop (a Stop of an earlier session with the id of the one now holding addresses, ends nothing), nas_restart (Accounting-On/Off), stopped_session (a packet of a session after its Stop, ignored), before_restart (a packet, or a Stop, of a session begun before its NAS's Accounting-On/Off, ignored), ignored; " +
				"per binding feed_withdrawal (its number left the feed), restore_refused (a persisted binding not restored at start); bad_authenticator (a request with a wrong shared secret, dropped)."}, []string{"outcome"}),
		inlineFiles: prometheus.NewCounter(prometheus.CounterOpts{Name: "ipreg_agent_stream_files_total",
			Help: "Feed files (deltas or snapshots) taken from the feed stream instead of fetched (each checked against the verified notification's hash)."}),
		streaming: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ipreg_agent_streaming",
			Help: "1 while the agent follows the registry's feed stream, 0 while it long-polls (--stream=false, a registry without a stream, or between reconnections)."}),
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	reg.MustRegister(m.snapshotFallbacks, m.keysRetired, m.rejected, m.applyDuration, m.lookups, m.exportDuration, m.exportFailures, m.radius, m.inlineFiles, m.streaming,
		gauge("ipreg_agent_version", "Feed version of the table in use.", func() float64 { return float64(a.Status().Version) }),
		gauge("ipreg_agent_entries", "Prefix entries in the table in use.", func() float64 { return float64(a.Table().Len()) }),
		gauge("ipreg_agent_data_age_seconds", "Age of the verified data (since its notification was signed).", func() float64 { return a.dataAge().Seconds() }),
		gauge("ipreg_agent_last_success_timestamp_seconds", "When the last sync succeeded (Unix time).", func() float64 {
			if s := a.state.Load(); s != nil {
				return float64(s.LastSuccess.UnixNano()) / 1e9
			}
			return 0
		}),
		gauge("ipreg_agent_bound_addresses", "Addresses and prefixes bound to registered mobile numbers by RADIUS accounting.", func() float64 { return float64(a.bindings.Len()) }),
		// The collectors package would link database/sql into the agent (its
		// DB-stats collector); these older constructors are the same collectors.
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}), //nolint:staticcheck
	)
	return m
}

func containsKey(keys []ed25519.PublicKey, k ed25519.PublicKey) bool {
	for _, x := range keys {
		if x.Equal(k) {
			return true
		}
	}
	return false
}
