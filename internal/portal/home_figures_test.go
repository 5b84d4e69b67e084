package portal

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// The home page's figures are computed once per homeFiguresTTL, then
// again; a failure is answered, not kept.
func TestHomeFigureCache(t *testing.T) {
	clock := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	c := &homeFigureCache{now: func() time.Time { return clock }}
	calls, active := 0, 1
	var fail error
	stats := func(context.Context) (*registry.Stats, error) {
		calls++
		if fail != nil {
			return nil, fail
		}
		return &registry.Stats{RegistrationsByStatus: map[registry.RegStatus]int{registry.RegActive: active},
			DecisionsLast30Days: 4, DecidedWithinSLALast30Days: 0.746}, nil
	}
	for _, step := range []struct {
		name       string
		advance    time.Duration
		active     int   // what the registry holds at this step
		fail       error // what Stats answers at this step
		wantActive int
		wantCalls  int
		wantErr    bool
	}{
		{"first request computes", 0, 1, nil, 1, 1, false},
		{"within the TTL: reused, a new registration not yet shown", homeFiguresTTL - time.Second, 2, nil, 1, 1, false},
		{"past the TTL: computed again", time.Second, 2, nil, 2, 2, false},
		{"a failure is answered", homeFiguresTTL, 3, errors.New("database down"), 0, 3, true},
		{"and not kept: the next request computes", 0, 3, nil, 3, 4, false},
	} {
		clock = clock.Add(step.advance)
		active, fail = step.active, step.fail
		fig, err := c.get(context.Background(), stats)
		if (err != nil) != step.wantErr || fig.Active != step.wantActive || calls != step.wantCalls {
			t.Fatalf("%s: got %+v, %v after %d computations; want active %d, error %v, %d computations",
				step.name, fig, err, calls, step.wantActive, step.wantErr, step.wantCalls)
		}
		if err == nil && (fig.Decisions != 4 || fig.WithinSLA != 75) {
			t.Fatalf("%s: got %+v; want 4 decisions, 75 %% within SLA", step.name, fig)
		}
	}
}

// The home page shows no figure that counts 1 to 4 people (t1 finding 1).
func TestHomeFiguresPublic(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   homeFigures
		want homeFigures
	}{
		{"all large", homeFigures{Active: 120, Decisions: 40, WithinSLA: 75}, homeFigures{Active: 120, Decisions: 40, WithinSLA: 75}},
		{"one active", homeFigures{Active: 1, Decisions: 40, WithinSLA: 75}, homeFigures{Decisions: 40, WithinSLA: 75}},
		{"four active", homeFigures{Active: 4}, homeFigures{}},
		{"five active", homeFigures{Active: 5}, homeFigures{Active: 5}},
		{"four decisions", homeFigures{Active: 9, Decisions: 4, WithinSLA: 100}, homeFigures{Active: 9}},
		{"one late of 20", homeFigures{Active: 9, Decisions: 20, WithinSLA: 95}, homeFigures{Active: 9}},
		{"two on time of 20", homeFigures{Active: 9, Decisions: 20, WithinSLA: 10}, homeFigures{Active: 9}},
		{"none late of 6", homeFigures{Active: 9, Decisions: 6, WithinSLA: 100}, homeFigures{Active: 9, Decisions: 6, WithinSLA: 100}},
		{"none on time of 6", homeFigures{Active: 9, Decisions: 6, WithinSLA: 0}, homeFigures{Active: 9, Decisions: 6}},
		{"five late of 10", homeFigures{Active: 9, Decisions: 10, WithinSLA: 50}, homeFigures{Active: 9, Decisions: 10, WithinSLA: 50}},
	} {
		if got := tc.in.public(); got != tc.want {
			t.Errorf("%s: %+v.public() = %+v, want %+v", tc.name, tc.in, got, tc.want)
		}
	}
}
