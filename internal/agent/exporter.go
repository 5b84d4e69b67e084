package agent

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

// runExports writes the configured exports for every new table, one at a
// time and always the newest: versions that arrive during an export are
// coalesced into the next. Nothing is exported before the first verified
// sync, so the kernel never enforces an unverified or empty list.
func (a *Agent) runExports(ctx context.Context) {
	if a.cfg.NFTFile == "" && a.cfg.IPSetFile == "" && !a.cfg.NFTApply {
		return
	}
	var applied *Table // what the kernel sets hold, after a successful apply
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.exported:
		}
		t := a.table.Load()
		start := time.Now()
		if a.cfg.NFTFile != "" {
			if err := writeFile(a.cfg.NFTFile, NFTables(t, "ipreg")); err != nil {
				a.cfg.Log.Error("agent: write nftables file", "err", err)
			}
		}
		if a.cfg.IPSetFile != "" {
			if err := writeFile(a.cfg.IPSetFile, IPSet(t, "ipreg")); err != nil {
				a.cfg.Log.Error("agent: write ipset file", "err", err)
			}
		}
		if a.cfg.NFTApply {
			// After the first full replacement, only the changed intervals.
			var err error = errNoBase
			if applied != nil {
				_, err = ApplyNFTChanges(applied, t, "ipreg", -1)
				if err != nil {
					a.cfg.Log.Warn("agent: kernel sets not as last applied; replacing them whole", "err", err)
				}
			}
			if err != nil {
				err = ApplyNFT(t, "ipreg", -1)
			}
			if err != nil {
				applied = nil
				a.metrics.exportFailures.Inc()
				a.cfg.Log.Error("agent: replace kernel sets", "err", err)
				continue
			}
			applied = t
		}
		a.metrics.exportDuration.Observe(time.Since(start).Seconds())
		a.cfg.Log.Info("agent: exported", "entries", t.Len(), "took", time.Since(start).Round(time.Millisecond))
	}
}

var errNoBase = errors.New("nothing applied yet")

// runMobileExports mirrors the RADIUS bindings into the kernel sets
// mobile4/mobile6 (with --nft-apply), off the RADIUS handler's path:
// changes are coalesced, and each round brings the sets from what they
// last held to the bindings as they are then, in one transaction. The
// first round, and any round after a failure, replaces the sets whole, so
// that addresses bound or unbound while the agent was down (or a set
// changed by hand) are set right.
func (a *Agent) runMobileExports(ctx context.Context) {
	next := make(chan struct{}, 1)
	a.bindings.Watch(func() {
		select {
		case next <- struct{}{}:
		default:
		}
	})
	var held []netip.Prefix // what the sets hold after the last successful round
	whole, backoff := true, time.Second
	for {
		to := a.bindings.Prefixes()
		if err := ApplyMobile("ipreg", held, to, whole, -1); err != nil {
			a.metrics.exportFailures.Inc()
			a.cfg.Log.Error("agent: bound addresses to kernel sets mobile4/mobile6", "err", err, "retry_in", backoff)
			whole = true
			// Retry after a pause growing to a minute, or sooner when the bindings change.
			select {
			case <-ctx.Done():
				return
			case <-next:
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
			continue
		}
		held, whole, backoff = to, false, time.Second
		select {
		case <-ctx.Done():
			return
		case <-next:
		}
	}
}
