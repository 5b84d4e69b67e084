package registry_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/ipreg/ipreg/internal/registry"
)

func TestScheduleNext(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	daily := DailyAt(7, 0, PKT.Loc)
	for _, tt := range []struct {
		name     string
		sc       Schedule
		from     string
		want     string
		describe string
	}{
		{"interval", Every(90 * time.Second), "2026-11-23T05:00:00Z", "2026-11-23T05:01:30Z", "every 1m30s"},
		{"daily, later that day", daily, "2026-11-23T01:59:00Z", "2026-11-23T02:00:00Z", "daily at 07:00 PKT"},
		{"daily, at the time: the next day", daily, "2026-11-23T02:00:00Z", "2026-11-24T02:00:00Z", "daily at 07:00 PKT"},
		{"daily, after the time", daily, "2026-11-23T05:00:00Z", "2026-11-24T02:00:00Z", "daily at 07:00 PKT"},
		{"daily, month end", DailyAt(23, 30, PKT.Loc), "2026-11-30T18:30:00Z", "2026-12-01T18:30:00Z", "daily at 23:30 PKT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sc.Next(at(tt.from)); !got.Equal(at(tt.want)) {
				t.Errorf("Next(%s) = %s, want %s", tt.from, got, tt.want)
			}
			if got := tt.sc.String(); got != tt.describe {
				t.Errorf("String() = %q, want %q", got, tt.describe)
			}
		})
	}
	if got := daily.First(at("2026-11-23T05:00:00Z")); !got.Equal(at("2026-11-24T02:00:00Z")) {
		t.Errorf("daily First = %s", got)
	}
	if got := Every(time.Minute).First(at("2026-11-23T05:00:00Z")); !got.Equal(at("2026-11-23T05:00:00Z")) {
		t.Errorf("interval First = %s, want at once", got)
	}
}

// jobState reads one job's row.
func jobState(t *testing.T, h *harness, name string) *JobState {
	t.Helper()
	infos, err := h.svc.ListJobs(h.ctx, h.staff("admin"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if in.State.Name == name {
			return in.State
		}
	}
	t.Fatalf("no job %s in %v", name, infos)
	return nil
}

// lifecycleJobs are built-in jobs on schedules of their own (seconds,
// hours, daily) that the scheduler tests below leave out of their counts:
// the counts are about the four interval jobs and the tests' own.
var lifecycleJobs = map[string]bool{"escalate-overdue": true, "deliver-outbox": true, "send-reminders": true, "sweep-documents": true,
	"send-digests": true, "purge-outbox": true, "stats-rollup": true}

func mustRunDue(t *testing.T, sc *Scheduler, ctx context.Context, want int) {
	t.Helper()
	prev, n := sc.Observe, 0
	sc.Observe = func(o JobOutcome) {
		if !lifecycleJobs[o.Job] {
			n++
		}
		if prev != nil {
			prev(o)
		}
	}
	defer func() { sc.Observe = prev }()
	_, err := sc.RunDue(ctx)
	if err != nil || n != want {
		t.Fatalf("RunDue ran %d jobs (besides the lifecycle jobs), %v; want %d runs", n, err, want)
	}
}

// The built-in jobs fall due every interval of the service's clock and do
// their work: an operator check past its deadline sends the application to
// review through the scheduler.
func TestSchedulerBuiltinJobs(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc, sc := h.ctx, h.svc, h.svc.Scheduler()
		mustRunDue(t, sc, ctx, 4) // all due at once on the first tick
		mustRunDue(t, sc, ctx, 0)
		h.clock.Add(59 * time.Second)
		mustRunDue(t, sc, ctx, 0)
		h.clock.Add(time.Second)
		mustRunDue(t, sc, ctx, 4)

		ind := h.applicant("individual")
		a, err := h.create(ind, ApplicationInput{Category: ptr("mobile_vpn"), OperatorID: ptr("jazz"),
			SubscriberID: ptr("MSISDN owner"), MobileNumbers: ptr([]string{"+92 300 1234567"}),
			VPNProtocol: ptr("openvpn"), Purpose: ptr("Freelance work for a client abroad.")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Submit(ctx, ind, a.ID, nil); err != nil {
			t.Fatal(err)
		}
		h.clock.Add(49 * time.Hour)
		mustRunDue(t, sc, ctx, 4)
		if got, _ := svc.GetApplication(ctx, ind, a.ID); got.State != StateReview {
			t.Errorf("application after its check's deadline = %s, want review", got.State)
		}
		st := jobState(t, h, "expire-checks")
		if st.Runs != 3 || st.LastResult != "ok" || st.LastItems != 1 || st.Items != 1 || st.RunningBy != "" ||
			!st.NextRunAt.Equal(h.clock.Now().Add(time.Minute)) {
			t.Errorf("expire-checks state = %+v", st)
		}
		_, err = svc.ListJobs(ctx, h.staff("reviewer"))
		wantCode(t, err, EFORBIDDEN)
	})
}

// A failing job is retried after 30 s, then 1 min, …, and returns to its
// schedule once it succeeds; its last error is kept until then.
func TestSchedulerRetryBackoff(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, sc := h.ctx, h.svc.Scheduler()
		var calls atomic.Int32
		var outcomes []JobOutcome
		sc.Observe = func(o JobOutcome) { outcomes = append(outcomes, o) }
		sc.Register(Job{Name: "flaky", Schedule: Every(time.Hour), Run: func(context.Context) (int, error) {
			if calls.Add(1) <= 2 {
				return 0, errors.New("mail server refused the connection")
			}
			return 7, nil
		}})
		mustRunDue(t, sc, ctx, 5)
		start := h.clock.Now()
		st := jobState(t, h, "flaky")
		if st.LastResult != "failed" || st.LastError != "mail server refused the connection" || st.FailedAttempts != 1 ||
			!st.NextRunAt.Equal(start.Add(30*time.Second)) {
			t.Fatalf("after the first failure: %+v", st)
		}
		h.clock.Add(29 * time.Second)
		mustRunDue(t, sc, ctx, 0)
		h.clock.Add(time.Second)
		mustRunDue(t, sc, ctx, 1)
		if st := jobState(t, h, "flaky"); st.FailedAttempts != 2 || !st.NextRunAt.Equal(h.clock.Now().Add(time.Minute)) {
			t.Fatalf("after the second failure: %+v", st)
		}
		h.clock.Add(time.Minute)
		mustRunDue(t, sc, ctx, 5) // the built-in jobs are due again too
		st = jobState(t, h, "flaky")
		if st.LastResult != "ok" || st.LastError != "" || st.FailedAttempts != 0 || st.Runs != 3 || st.Failures != 2 ||
			st.Items != 7 || !st.NextRunAt.Equal(h.clock.Now().Add(time.Hour)) {
			t.Fatalf("after success: %+v", st)
		}
		var flaky []string
		for _, o := range outcomes {
			if o.Job == "flaky" {
				flaky = append(flaky, o.Result)
			}
		}
		if strings.Join(flaky, ",") != "failed,failed,ok" {
			t.Errorf("outcomes = %v", flaky)
		}
	})
}

// A daily job first runs at its next local time, once a day; a panic is a
// failed run, not a dead scheduler.
func TestSchedulerDailyAndPanic(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, sc := h.ctx, h.svc.Scheduler()
		var digests atomic.Int32
		sc.Register(Job{Name: "digest", Schedule: DailyAt(7, 0, PKT.Loc), Run: func(context.Context) (int, error) {
			digests.Add(1)
			return 1, nil
		}})
		sc.Register(Job{Name: "buggy", Schedule: Every(time.Hour), Run: func(context.Context) (int, error) {
			var m map[string]int
			m["x"] = 1 // panics
			return 0, nil
		}})
		mustRunDue(t, sc, ctx, 5) // 10:00 PKT: the built-ins and buggy, not the digest
		if st := jobState(t, h, "buggy"); st.LastResult != "failed" || !strings.HasPrefix(st.LastError, "panic: ") {
			t.Errorf("buggy = %+v", st)
		}
		h.clock.Add(20*time.Hour + 59*time.Minute) // 06:59 PKT the next day
		sc.RunDue(ctx)
		if digests.Load() != 0 {
			t.Fatal("the digest ran before 07:00")
		}
		h.clock.Add(time.Minute)
		sc.RunDue(ctx)
		sc.RunDue(ctx)
		if digests.Load() != 1 {
			t.Fatalf("digests at 07:00 = %d, want 1", digests.Load())
		}
		if st := jobState(t, h, "digest"); !st.NextRunAt.Equal(time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)) {
			t.Errorf("next digest at %s", st.NextRunAt)
		}
	})
}

// Two replicas over one database: a due run happens on one of them only,
// and when the one running it stops answering past its lease, the other
// takes the job over; the first can no longer record its run.
func TestSchedulerTwoReplicas(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		other := NewService(h.db, Config{Now: h.clock.Now, Documents: h.blobs, JobRunner: "replica-b"})
		var runs [2]atomic.Int32
		started := make(chan int, 16)
		release := make(chan struct{})
		var lost atomic.Int32
		for i, svc := range []*Service{h.svc, other} {
			svc.Scheduler().Observe = func(o JobOutcome) {
				if o.Result == "lost" {
					lost.Add(1)
				}
			}
			svc.Scheduler().Register(Job{Name: "sweep", Schedule: Every(time.Hour), Lease: 10 * time.Minute,
				Run: func(context.Context) (int, error) {
					runs[i].Add(1)
					started <- i
					<-release
					return 1, nil
				}})
		}
		// Both replicas tick at once; one claims the sweep and blocks in
		// it, the other finds it leased and returns.
		done := make(chan error, 2)
		for _, svc := range []*Service{h.svc, other} {
			go func() { _, err := svc.Scheduler().RunDue(ctx); done <- err }()
		}
		first := <-started
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if n := runs[0].Load() + runs[1].Load(); n != 1 {
			t.Fatalf("the due sweep ran %d times, want once", n)
		}
		// The sweeping replica hangs past its lease: the other takes over.
		h.clock.Add(11 * time.Minute)
		takeover := []*Service{h.svc, other}[1-first]
		go func() { _, err := takeover.Scheduler().RunDue(ctx); done <- err }()
		if second := <-started; second != 1-first {
			t.Fatalf("replica %d ran the sweep again, want the other", second)
		}
		release <- struct{}{} // the replica that took over finishes
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		release <- struct{}{} // the hung one finishes late
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if runs[0].Load() != 1 || runs[1].Load() != 1 || lost.Load() != 1 {
			t.Fatalf("runs = %d, %d; lost = %d; want one each and one lost", runs[0].Load(), runs[1].Load(), lost.Load())
		}
		if st := jobState(t, h, "sweep"); st.Runs != 1 || st.RunningBy != "" || !st.StartedAt.Equal(h.clock.Now()) {
			t.Fatalf("sweep state = %+v; want only the takeover's run recorded", st)
		}
		// Several rounds of both ticking: each due run happens once.
		close(release)
		for range 3 {
			h.clock.Add(time.Hour)
			var wg sync.WaitGroup
			for _, svc := range []*Service{h.svc, other} {
				wg.Go(func() {
					if _, err := svc.Scheduler().RunDue(ctx); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		if n := runs[0].Load() + runs[1].Load(); n != 5 {
			t.Fatalf("sweep ran %d times in all, want 5", n)
		}
		if st := jobState(t, h, "sweep"); st.Runs != 4 {
			t.Fatalf("recorded runs = %d, want 4", st.Runs)
		}
	})
}

// An admin's "run now" makes a job due at once and is audited.
func TestRunJobNow(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc, sc := h.ctx, h.svc, h.svc.Scheduler()
		var n atomic.Int32
		sc.Register(Job{Name: "report", Schedule: DailyAt(7, 0, PKT.Loc), Run: func(context.Context) (int, error) { n.Add(1); return 0, nil }})
		mustRunDue(t, sc, ctx, 4)
		admin := h.staff("admin")
		_, err := svc.RunJobNow(ctx, h.staff("supervisor"), "report")
		wantCode(t, err, EFORBIDDEN)
		_, err = svc.RunJobNow(ctx, admin, "nonesuch")
		wantCode(t, err, ENOTFOUND)
		if !strings.Contains(err.Error(), "report") {
			t.Errorf("error does not list the jobs: %v", err)
		}
		in, err := svc.RunJobNow(ctx, admin, "report")
		if err != nil || in.Job.Name != "report" || !in.Queued {
			t.Fatalf("RunJobNow = %+v, %v", in, err)
		}
		infos, _ := svc.ListJobs(ctx, admin)
		for _, in := range infos {
			if in.Job.Name == "report" && (!in.Queued || in.State.RunRequestedBy != admin.ID) {
				t.Errorf("report after run now: queued %v, %+v", in.Queued, in.State)
			}
		}
		mustRunDue(t, sc, ctx, 1)
		if n.Load() != 1 {
			t.Fatalf("report ran %d times", n.Load())
		}
		if st := jobState(t, h, "report"); !st.NextRunAt.Equal(time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)) {
			t.Errorf("next report at %s, want back on its schedule", st.NextRunAt)
		}
		found := false
		h.db.Read(ctx, func(tx Tx) error {
			es, err := tx.AuditEntries(ctx, 0, 10000)
			for _, e := range es {
				if e.Action == "job.run_requested" && e.ObjectID == "report" && e.ActorID == admin.ID {
					found = true
				}
			}
			return err
		})
		if !found {
			t.Error("no audit entry for the run request")
		}
	})
}

// A restart with a shorter --jobs-interval brings the next runs forward
// instead of leaving them at the old, longer interval.
func TestSchedulerShortenedInterval(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		hourly := NewService(h.db, Config{Now: h.clock.Now, Documents: h.blobs, JobsEvery: time.Hour})
		mustRunDue(t, hourly.Scheduler(), h.ctx, 4)
		h.clock.Add(2 * time.Minute)
		mustRunDue(t, hourly.Scheduler(), h.ctx, 0)
		minutely := NewService(h.db, Config{Now: h.clock.Now, Documents: h.blobs, JobsEvery: time.Minute})
		mustRunDue(t, minutely.Scheduler(), h.ctx, 0) // brought forward to a minute from now
		h.clock.Add(time.Minute)
		mustRunDue(t, minutely.Scheduler(), h.ctx, 4)
	})
}

// A runner killed mid-run (SIGKILL: no finish, no more renewals) leaves
// its lease behind; the job runs again on another runner within one short
// lease, not ten minutes later.
func TestSchedulerDeadRunnerBlocksOneLease(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, sc := h.ctx, h.svc.Scheduler()
		var runs atomic.Int32
		sc.Register(Job{Name: "sweep", Schedule: Every(time.Hour), Run: func(context.Context) (int, error) {
			runs.Add(1)
			return 0, nil
		}})
		runDue := func(want int32) {
			t.Helper()
			if _, err := sc.RunDue(ctx); err != nil || runs.Load() != want {
				t.Fatalf("sweep runs = %d, %v; want %d", runs.Load(), err, want)
			}
		}
		runDue(1)
		h.clock.Add(time.Hour)
		// The dead process's claim, as it left it.
		if err := h.db.Write(ctx, func(tx Tx) error {
			j, err := tx.ClaimJob(ctx, "sweep", "host/4242/run_dead", h.clock.Now(), h.clock.Now().Add(DefaultJobLease))
			if j == nil && err == nil {
				t.Fatal("the dead runner could not claim the due job")
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if DefaultJobLease > time.Minute {
			t.Fatalf("DefaultJobLease = %s: a dead runner blocks its job that long", DefaultJobLease)
		}
		h.clock.Add(DefaultJobLease / 2)
		runDue(1)
		if st := jobState(t, h, "sweep"); st.RunningBy != "host/4242/run_dead" {
			t.Fatalf("during the dead runner's lease: %+v", st)
		}
		h.clock.Add(DefaultJobLease / 2)
		runDue(2)
		if st := jobState(t, h, "sweep"); st.RunningBy != "" || st.Runs != 2 {
			t.Fatalf("after the takeover: %+v", st)
		}
	})
}

// A live runner renews its lease while the job runs, so a run longer than
// the lease keeps its job.
func TestSchedulerLeaseHeartbeat(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		other := NewService(h.db, Config{Now: h.clock.Now, Documents: h.blobs, JobRunner: "replica-b"})
		const lease = 30 * time.Second
		var otherRuns atomic.Int32
		other.Scheduler().Register(Job{Name: "sweep", Schedule: Every(time.Hour), Lease: lease,
			Run: func(context.Context) (int, error) { otherRuns.Add(1); return 0, nil }})
		sc := h.svc.Scheduler()
		sc.HeartbeatEvery = 5 * time.Millisecond
		// waitRenewed waits until the lease reaches a whole lease past the
		// clock again (a heartbeat after the clock moved).
		waitRenewed := func() {
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				var st []*JobState
				if err := h.db.Read(ctx, func(tx Tx) error { var err error; st, err = tx.JobStates(ctx); return err }); err != nil {
					t.Error(err)
					return
				}
				for _, j := range st {
					if j.Name == "sweep" && !j.LeaseUntil.Before(h.clock.Now().Add(lease)) {
						return
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
			t.Error("the lease was not renewed")
		}
		sc.Register(Job{Name: "sweep", Schedule: Every(time.Hour), Lease: lease, Run: func(rctx context.Context) (int, error) {
			// A long run: four leases' worth of clock, renewed between.
			for range 4 {
				h.clock.Add(lease - time.Second)
				waitRenewed()
				if _, err := other.Scheduler().RunDue(ctx); err != nil {
					t.Error(err)
				}
			}
			if otherRuns.Load() != 0 || rctx.Err() != nil {
				t.Errorf("the other replica ran the job during a renewed lease (%d), ctx %v", otherRuns.Load(), rctx.Err())
			}
			return 0, nil
		}})
		if _, err := sc.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if st := jobState(t, h, "sweep"); st.RunningBy != "" || st.Runs != 1 || st.LastResult != "ok" {
			t.Fatalf("after the long run: %+v", st)
		}
	})
}

// A run whose lease ran out and was taken over by another replica has its
// context ended at the next heartbeat, and its run counts as lost.
func TestSchedulerLeaseLostEndsRun(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		other := NewService(h.db, Config{Now: h.clock.Now, Documents: h.blobs, JobRunner: "replica-b"})
		const lease = 30 * time.Second
		var otherRuns atomic.Int32
		other.Scheduler().Register(Job{Name: "sweep", Schedule: Every(time.Hour), Lease: lease,
			Run: func(context.Context) (int, error) { otherRuns.Add(1); return 0, nil }})
		sc := h.svc.Scheduler()
		sc.HeartbeatEvery = 50 * time.Millisecond
		var lost atomic.Int32
		sc.Observe = func(o JobOutcome) {
			if o.Job == "sweep" && o.Result == "lost" {
				lost.Add(1)
			}
		}
		sc.Register(Job{Name: "sweep", Schedule: Every(time.Hour), Lease: lease, Run: func(rctx context.Context) (int, error) {
			// Stalled past the lease before any heartbeat: the other
			// replica takes the job over.
			h.clock.Add(lease + time.Second)
			if _, err := other.Scheduler().RunDue(ctx); err != nil {
				t.Error(err)
			}
			select {
			case <-rctx.Done():
				return 0, rctx.Err()
			case <-time.After(5 * time.Second):
				t.Error("the run's context did not end after its lease was taken over")
				return 0, nil
			}
		}})
		if _, err := sc.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if otherRuns.Load() != 1 || lost.Load() != 1 {
			t.Fatalf("other replica's runs = %d, lost = %d; want 1 and 1", otherRuns.Load(), lost.Load())
		}
	})
}
