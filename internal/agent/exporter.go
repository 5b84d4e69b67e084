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

// runMobileExports mirrors RADIUS bindings into the kernel sets
// mobile4/mobile6 (with --nft-apply): changes queue up here so that the
// RADIUS handler never waits for netlink.
func (a *Agent) runMobileExports(ctx context.Context) {
	type change struct {
		addr  netip.Addr
		bound bool
	}
	ch := make(chan change, 4096)
	a.bindings.SetOnChange(func(addr netip.Addr, bound bool) {
		select {
		case ch <- change{addr, bound}:
		default:
			a.metrics.exportFailures.Inc()
			a.cfg.Log.Error("agent: mobile binding not exported: queue full", "addr", addr, "bound", bound)
		}
	})
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-ch:
			if err := SetMobile("ipreg", c.addr, c.bound, -1); err != nil {
				a.metrics.exportFailures.Inc()
				a.cfg.Log.Error("agent: mobile binding to kernel", "addr", c.addr, "bound", c.bound, "err", err)
			}
		}
	}
}
