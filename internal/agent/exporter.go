package agent

import (
	"context"
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
			if err := ApplyNFT(t, "ipreg", -1); err != nil {
				a.metrics.exportFailures.Inc()
				a.cfg.Log.Error("agent: replace kernel sets", "err", err)
				continue
			}
		}
		a.metrics.exportDuration.Observe(time.Since(start).Seconds())
		a.cfg.Log.Info("agent: exported", "entries", t.Len(), "took", time.Since(start).Round(time.Millisecond))
	}
}
