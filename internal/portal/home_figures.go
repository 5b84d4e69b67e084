package portal

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// homeFiguresTTL is how long the home page's figures are reused. They are
// public aggregates (active registrations, decisions of the last 30 days
// and the share taken within the review time), the same for every
// visitor, so reusing them shows nobody anything of another account; a
// decision reaches the home page at most this much later.
const homeFiguresTTL = 15 * time.Second

// homeFigures is what the home page shows of the registry's statistics.
type homeFigures struct {
	Active, Decisions, WithinSLA int
}

// homeFigureCache holds the home page's figures for homeFiguresTTL.
// registry.Service.Stats counts every application, registration and
// appeal with GROUP BY scans whose cost grows with the registry (eight
// queries), and the home page is the portal's most visited page: under
// the loadtest's 64 clients the statistics were 60 % of the page's CPU and
// its queries waited for database connections beside the filings (issue
// 14). Concurrent requests that find the figures stale wait for one
// computation rather than each running the scans.
type homeFigureCache struct {
	mu  sync.Mutex
	at  time.Time // when fig was computed; zero: never
	fig homeFigures
	now func() time.Time // time.Now when nil; tests move it
}

// get returns figures at most homeFiguresTTL old, computing them with
// stats (registry.Service.Stats) when they are older; an error is
// returned, not kept.
func (c *homeFigureCache) get(ctx context.Context, stats func(context.Context) (*registry.Stats, error)) (homeFigures, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	if !c.at.IsZero() && now().Sub(c.at) < homeFiguresTTL {
		return c.fig, nil
	}
	st, err := stats(ctx)
	if err != nil {
		return homeFigures{}, err
	}
	c.fig = homeFigures{Active: st.RegistrationsByStatus[registry.RegActive], Decisions: st.DecisionsLast30Days,
		WithinSLA: int(math.Round(100 * st.DecidedWithinSLALast30Days))}
	c.at = now()
	return c.fig, nil
}

// public returns the figures the home page may show, by the statistics'
// small-count rule (registry.SuppressBelow; t1 finding 1): the active
// registrations when at least 5 (a count of 1 to 4, watched, shows one
// holder's registration come and go), and the share within the review
// time only over at least 5 decisions of which none or at least 5 were
// late and none or at least 5 on time, as the monthly table's share. A
// figure not shown is 0, and the template leaves its line out.
func (f homeFigures) public() homeFigures {
	out := homeFigures{}
	if f.Active >= registry.SuppressBelow {
		out.Active = f.Active
	}
	onTime := int(math.Round(float64(f.Decisions) * float64(f.WithinSLA) / 100))
	late := f.Decisions - onTime
	few := func(n int) bool { return n > 0 && n < registry.SuppressBelow }
	if f.Decisions >= registry.SuppressBelow && !few(onTime) && !few(late) {
		out.Decisions, out.WithinSLA = f.Decisions, f.WithinSLA
	}
	return out
}
