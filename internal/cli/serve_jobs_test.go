package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// TestServeJobs: ipreg serve runs every built-in job at start through the
// scheduler, /metrics shows the runs, the queue and durations, and a run
// asked for by an admin starts at once (not at the next minute).
func TestServeJobs(t *testing.T) {
	s := &Server{Config: ServeConfig{Listen: "127.0.0.1:0", Demo: true, FeedPoll: time.Second, JobsInterval: time.Hour},
		log: slog.New(slog.DiscardHandler)}
	s.Config.db.dataDir = t.TempDir()
	if err := s.Start(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	runs := func(name string) int {
		infos, err := s.svc.ListJobs(ctx, registry.System)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			if in.Job.Name == name {
				return in.State.Runs
			}
		}
		t.Fatalf("no job %s", name)
		return 0
	}
	// The scheduler's goroutine runs them; wait for it (bounded).
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("the first runs", func() bool { return runs("purge-documents") == 1 })
	metrics := func() string {
		res, err := http.Get("http://" + s.MetricsAddr.String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	m := metrics()
	for _, want := range []string{
		`ipreg_job_runs_total{job="expire-checks",result="ok"} 1`,
		`ipreg_job_runs_total{job="purge-documents",result="ok"} 1`,
		`ipreg_job_duration_seconds_count{job="clean-tokens"} 1`,
		`ipreg_jobs_items_total{kind="expire-registrations"} 0`,
		"ipreg_jobs_failures_total 0",
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The gauges are there; their values depend on the moment (the outbox's
	// delivery job falls due every few seconds and may be running).
	for _, g := range []string{"ipreg_jobs_queued", "ipreg_jobs_running"} {
		if !regexp.MustCompile(`(?m)^` + g + ` [0-9]+$`).MatchString(m) {
			t.Errorf("/metrics lacks the gauge %s", g)
		}
	}
	if _, err := s.svc.RunJobNow(ctx, registry.System, "clean-tokens"); err != nil {
		t.Fatal(err)
	}
	waitFor("the run asked for", func() bool { return runs("clean-tokens") == 2 })
	if n := runs("expire-checks"); n != 1 {
		t.Errorf("expire-checks ran %d times within the hour, want once", n)
	}
}
