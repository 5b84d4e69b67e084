package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
)

// Background jobs are scheduled through the database rather than by a
// queue library: each named job has one row in job_leases (name,
// next_run_at, running_by, lease_until, and its last run), and a replica
// runs a job only after claiming that row with a conditional UPDATE. So
// with several replicas over one PostgreSQL each scheduled run happens
// once; if the replica running it dies, its lease ends and another takes
// the job over. Leases are short (DefaultJobLease) and renewed while the
// job runs (a heartbeat every lease/3), so a runner that died (SIGKILL,
// power loss) blocks its job for at most one short lease, while a long
// run keeps its job as long as its runner is alive; a run whose lease
// could not be renewed in time, or was taken over, has its context ended.
// A restarted process does not take its old lease back at once: the
// runner name has a random part, so it waits for the lease to run out
// like any other replica. The work inside a job stays safe to repeat (each unit is
// re-read under lock), which is what makes a lease taken over from a
// runner that was only slow harmless. README "Background jobs" says why
// this is not riverqueue/river.

// JobState is a background job's row: its schedule, lease and last run.
type JobState struct {
	Name           string
	NextRunAt      time.Time
	RunningBy      string    // the runner holding the lease; "" when none
	LeaseUntil     time.Time // when that lease ends
	RunRequestedBy string    // who asked for a run now that has not started
	StartedAt      time.Time // of the last finished run
	FinishedAt     time.Time
	LastResult     string // "ok", "failed", or "" before the first run
	LastError      string
	LastItems      int
	LastDuration   time.Duration
	FailedAttempts int // failed runs in a row, for the retry backoff
	Runs           int
	Failures       int
	Items          int // items handled over all runs
}

// Running reports whether a runner holds an unexpired lease at now.
func (j *JobState) Running(now time.Time) bool {
	return j.RunningBy != "" && now.Before(j.LeaseUntil)
}

// JobRun is one finished run, as FinishJob records it.
type JobRun struct {
	// DueAt is the due time the run served (the job's next_run_at when
	// it was claimed): two runs never serve the same one.
	DueAt                 time.Time
	StartedAt, FinishedAt time.Time
	Duration              time.Duration // measured, not from the clock
	Items                 int
	Err                   string // "" for success
	NextRunAt             time.Time
}

// JobRunsKept is how long job_runs keeps a job's recorded runs.
const JobRunsKept = 7 * 24 * time.Hour

// JobRunRecord is one recorded run of a job (table job_runs), as
// Tx.JobRuns lists them.
type JobRunRecord struct {
	Runner                       string // host/pid/random of the process that ran it
	DueAt, StartedAt, FinishedAt time.Time
	Result                       string // "ok" or "failed"
	Items                        int
}

// Schedule says when a job runs: every Every, or, when Every is zero,
// daily at Minute minutes after midnight in Loc.
type Schedule struct {
	Every  time.Duration
	Minute int
	Loc    *time.Location
}

// Every is a schedule of one run per d.
func Every(d time.Duration) Schedule { return Schedule{Every: d} }

// DailyAt is a schedule of one run a day at hour:minute in loc (PKT.Loc,
// Asia/Karachi, for staff digests).
func DailyAt(hour, minute int, loc *time.Location) Schedule {
	return Schedule{Minute: hour*60 + minute, Loc: loc}
}

// Next is the first scheduled time after t (for Every, t plus the
// interval).
func (sc Schedule) Next(t time.Time) time.Time {
	if sc.Every > 0 {
		return t.Add(sc.Every)
	}
	loc := sc.Loc
	if loc == nil {
		loc = PKT.Loc
	}
	l := t.In(loc)
	at := time.Date(l.Year(), l.Month(), l.Day(), sc.Minute/60, sc.Minute%60, 0, 0, loc)
	if !at.After(t) {
		at = time.Date(l.Year(), l.Month(), l.Day()+1, sc.Minute/60, sc.Minute%60, 0, 0, loc)
	}
	return at.UTC()
}

// First is when a job with this schedule first runs, for one added at now:
// at once for an interval, at the next daily time otherwise.
func (sc Schedule) First(now time.Time) time.Time {
	if sc.Every > 0 {
		return now
	}
	return sc.Next(now)
}

// String describes the schedule in English ("every 1m0s", "daily at 07:00
// Asia/Karachi"); the portal words it itself.
func (sc Schedule) String() string {
	if sc.Every > 0 {
		return "every " + sc.Every.String()
	}
	loc := sc.Loc
	if loc == nil {
		loc = PKT.Loc
	}
	return fmt.Sprintf("daily at %02d:%02d %s", sc.Minute/60, sc.Minute%60, loc)
}

// Job is a named piece of periodic work. Run returns how many items it
// handled; an error makes the run count as failed and be retried.
type Job struct {
	Name     string
	About    string // one English sentence for the admin page and API
	Schedule Schedule
	// Lease is how long a runner holds the job without renewing it
	// (default DefaultJobLease). The scheduler renews it every Lease/3
	// while the job runs; if a renewal fails until the lease runs out, or
	// the lease was taken over, the run's context ends, so that no replica
	// that takes over a job runs it beside a runner still inside it.
	Lease time.Duration
	Run   func(ctx context.Context) (int, error)
}

// DefaultJobLease is how long a job stays blocked after its runner died
// (the lease is renewed every third of it while the runner is alive).
const DefaultJobLease = 45 * time.Second

// Retry backoff after a failed run: 30 s, 1 min, 2 min, … up to an hour,
// but never later than the job's next regular run.
const (
	retryFirst = 30 * time.Second
	retryMax   = time.Hour
)

func jobRetryDelay(failedInARow int) time.Duration {
	d := retryFirst
	for i := 1; i < failedInARow && d < retryMax; i++ {
		d *= 2
	}
	return min(d, retryMax)
}

// maxJobError bounds the error text kept for a run.
const maxJobError = 2000

// JobOutcome is one run as the scheduler reports it to Observe (for
// metrics): Result is "ok", "failed" or "lost" (the lease expired during
// the run and another runner took the job over).
type JobOutcome struct {
	Job      string
	Result   string
	Items    int
	Duration time.Duration
	Err      error
}

// Scheduler runs a Service's jobs when they are due, claiming each run in
// the database. It is made by NewService; ipreg serve calls Run, tests
// call RunDue after moving the clock.
type Scheduler struct {
	s      *Service
	runner string
	jobs   []Job
	// Observe, if set, is called after every run (from the goroutine
	// that ran it).
	Observe func(JobOutcome)

	// HeartbeatEvery, if set, is how often a running job's lease is
	// renewed instead of a third of the lease (tests shorten it).
	HeartbeatEvery time.Duration

	mu      sync.Mutex
	ensured bool
	kick    chan struct{}
}

func newScheduler(s *Service, runner string) *Scheduler {
	if runner == "" {
		host, _ := os.Hostname()
		runner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), auth.RandomID("run"))
	}
	return &Scheduler{s: s, runner: runner, kick: make(chan struct{}, 1)}
}

// Runner is the name this scheduler claims leases under.
func (sc *Scheduler) Runner() string { return sc.runner }

// Register adds a job. Names are unique; register before Run.
func (sc *Scheduler) Register(j Job) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, o := range sc.jobs {
		if o.Name == j.Name {
			panic("registry: background job " + j.Name + " registered twice")
		}
	}
	if j.Lease <= 0 {
		j.Lease = DefaultJobLease
	}
	sc.jobs = append(sc.jobs, j)
	sc.ensured = false
}

// Jobs lists the registered jobs in order.
func (sc *Scheduler) Jobs() []Job {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return append([]Job(nil), sc.jobs...)
}

func (sc *Scheduler) job(name string) (Job, bool) {
	for _, j := range sc.Jobs() {
		if j.Name == name {
			return j, true
		}
	}
	return Job{}, false
}

// ensure gives every registered job its row.
func (sc *Scheduler) ensure(ctx context.Context) error {
	sc.mu.Lock()
	done := sc.ensured
	sc.mu.Unlock()
	if done {
		return nil
	}
	jobs, now := sc.Jobs(), sc.s.Now()
	err := sc.s.store.Write(ctx, func(tx Tx) error {
		for _, j := range jobs {
			if err := tx.EnsureJob(ctx, j.Name, j.Schedule.First(now), j.Schedule.Next(now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	sc.mu.Lock()
	sc.ensured = true
	sc.mu.Unlock()
	return nil
}

// RunDue runs, one after another, every job that is due and that this
// scheduler claims; it returns how many ran (failed runs included). Its
// error is about the database (claims, records), not the jobs' own
// failures, which are recorded on the job and retried.
func (sc *Scheduler) RunDue(ctx context.Context) (int, error) {
	if err := sc.ensure(ctx); err != nil {
		return 0, err
	}
	// A read first, so that an idle tick writes nothing (SQLite has one
	// writer); the claim re-checks under lock.
	var states []*JobState
	if err := sc.s.store.Read(ctx, func(tx Tx) error {
		var err error
		states, err = tx.JobStates(ctx)
		return err
	}); err != nil {
		return 0, fmt.Errorf("jobs: %w", err)
	}
	now := sc.s.Now()
	due := map[string]bool{}
	for _, st := range states {
		due[st.Name] = !st.NextRunAt.After(now) && !st.Running(now)
	}
	ran := 0
	for _, j := range sc.Jobs() {
		if ctx.Err() != nil {
			return ran, ctx.Err()
		}
		if !due[j.Name] {
			continue
		}
		ok, err := sc.runOne(ctx, j)
		if err != nil {
			return ran, err
		}
		if ok {
			ran++
		}
	}
	return ran, nil
}

// runOne claims j and, if it got it, runs and records it.
func (sc *Scheduler) runOne(ctx context.Context, j Job) (bool, error) {
	s := sc.s
	start := s.Now()
	var claimed *JobState
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		claimed, err = tx.ClaimJob(ctx, j.Name, sc.runner, start, start.Add(j.Lease))
		return err
	})
	if err != nil || claimed == nil {
		return false, err
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		sc.heartbeat(runCtx, cancel, j, start.Add(j.Lease))
	}()
	began := time.Now()
	items, runErr := runJob(runCtx, j)
	took := time.Since(began)
	cancel(nil)
	<-beat
	finish := s.Now()
	run := JobRun{DueAt: claimed.NextRunAt, StartedAt: start, FinishedAt: finish, Duration: took, Items: items, NextRunAt: j.Schedule.Next(start)}
	if !run.NextRunAt.After(finish) && j.Schedule.Every == 0 {
		run.NextRunAt = j.Schedule.Next(finish)
	}
	if runErr != nil {
		run.Err = runErr.Error()
		if len(run.Err) > maxJobError {
			run.Err = strings.ToValidUTF8(run.Err[:maxJobError], "") + "…"
		}
		if retry := finish.Add(jobRetryDelay(claimed.FailedAttempts + 1)); retry.Before(run.NextRunAt) {
			run.NextRunAt = retry
		}
	}
	var kept bool
	// Record the run even when ctx ended meanwhile (shutdown), so the
	// lease is freed now rather than when it expires.
	rctx := context.WithoutCancel(ctx)
	err = s.store.Write(rctx, func(tx Tx) error {
		var err error
		kept, err = tx.FinishJob(rctx, j.Name, sc.runner, run)
		return err
	})
	out := JobOutcome{Job: j.Name, Result: "ok", Items: items, Duration: took, Err: runErr}
	switch {
	case err != nil:
		return true, fmt.Errorf("jobs: record %s: %w", j.Name, err)
	case !kept:
		out.Result = "lost"
		s.log.Warn("background job outlived its lease; another runner took it over", "job", j.Name, "lease", j.Lease)
	case runErr != nil:
		out.Result = "failed"
		s.log.Error("background job failed", "job", j.Name, "err", runErr, "retry_at", run.NextRunAt)
	case items > 0:
		s.log.Info("background job", "job", j.Name, "items", items, "took", took)
	}
	if sc.Observe != nil {
		sc.Observe(out)
	}
	return true, nil
}

// errLeaseLost ends a run whose lease could not be renewed.
var errLeaseLost = errors.New("the job's lease was lost (not renewed in time, or taken over by another runner)")

// heartbeat renews the lease on j, which ends at until, every
// HeartbeatEvery (default a third of the lease) until ctx ends; when the
// lease is lost, or cannot be renewed before it ends, it cancels the run.
func (sc *Scheduler) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, j Job, until time.Time) {
	every := sc.HeartbeatEvery
	if every <= 0 {
		every = j.Lease / 3
	}
	t := time.NewTicker(every)
	defer t.Stop()
	s := sc.s
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.Now()
		var kept bool
		err := s.store.Write(ctx, func(tx Tx) error {
			var err error
			kept, err = tx.RenewJobLease(ctx, j.Name, sc.runner, now, now.Add(j.Lease))
			return err
		})
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && kept:
			until = now.Add(j.Lease)
		case err == nil:
			s.log.Warn("background job lost its lease; ending the run", "job", j.Name)
			cancel(errLeaseLost)
			return
		default:
			s.log.Warn("background job lease not renewed", "job", j.Name, "err", err, "lease_until", until)
			if !s.Now().Before(until) {
				cancel(errLeaseLost)
				return
			}
		}
	}
}

// runJob runs j, turning a panic into a failed run so one job's bug does
// not stop the scheduler.
func runJob(ctx context.Context, j Job) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return j.Run(ctx)
}

// Run runs due jobs every poll, and at once when a run is requested
// through this Service, until ctx ends.
func (sc *Scheduler) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := sc.RunDue(ctx); err != nil && ctx.Err() == nil {
			sc.s.log.Error("background jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-sc.kick:
		}
	}
}

// States lists the registered jobs' rows (creating missing ones), in
// registration order.
func (sc *Scheduler) States(ctx context.Context) ([]*JobState, error) {
	if err := sc.ensure(ctx); err != nil {
		return nil, err
	}
	var all []*JobState
	if err := sc.s.store.Read(ctx, func(tx Tx) error {
		var err error
		all, err = tx.JobStates(ctx)
		return err
	}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	byName := map[string]*JobState{}
	for _, j := range all {
		byName[j.Name] = j
	}
	var out []*JobState
	for _, j := range sc.Jobs() {
		if st := byName[j.Name]; st != nil {
			out = append(out, st)
		}
	}
	return out, nil
}

// JobInfo is what an admin sees of a job.
type JobInfo struct {
	Job   Job
	State *JobState
	// Running: a runner holds an unexpired lease; Queued: due and not
	// running (waiting for a runner's next tick).
	Running, Queued bool
}

// ListJobs lists the background jobs with their schedule and last run.
// Admins only.
func (s *Service) ListJobs(ctx context.Context, actor *User) ([]JobInfo, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	return s.jobInfos(ctx)
}

func (s *Service) jobInfos(ctx context.Context) ([]JobInfo, error) {
	states, err := s.jobs.States(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := make([]JobInfo, 0, len(states))
	for _, st := range states {
		j, _ := s.jobs.job(st.Name)
		running := st.Running(now)
		out = append(out, JobInfo{Job: j, State: st, Running: running, Queued: !running && !st.NextRunAt.After(now)})
	}
	return out, nil
}

// JobCounts counts the jobs queued (due, not running) and running now,
// for metrics.
func (s *Service) JobCounts(ctx context.Context) (queued, running int, err error) {
	infos, err := s.jobInfos(ctx)
	for _, in := range infos {
		if in.Running {
			running++
		} else if in.Queued {
			queued++
		}
	}
	return queued, running, err
}

// RunJobNow makes the job due at once (or right after the run in
// progress) and returns it as it is then; this replica's scheduler starts
// it at once, unless another replica's tick claims it first. Admins only;
// audited.
func (s *Service) RunJobNow(ctx context.Context, actor *User, name string) (JobInfo, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return JobInfo{}, err
	}
	if _, ok := s.jobs.job(name); !ok {
		names := []string{}
		for _, j := range s.jobs.Jobs() {
			names = append(names, j.Name)
		}
		sort.Strings(names)
		return JobInfo{}, Errorf(ENOTFOUND, "no background job is named %q; the jobs are %s", name, strings.Join(names, ", "))
	}
	if err := s.jobs.ensure(ctx); err != nil {
		return JobInfo{}, err
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		if err := tx.RequestJobRun(ctx, name, actor.ID, s.Now()); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "job.run_requested", "job", name, nil)
	})
	if err != nil {
		return JobInfo{}, err
	}
	infos, err := s.jobInfos(ctx)
	select {
	case s.jobs.kick <- struct{}{}:
	default:
	}
	for _, in := range infos {
		if in.Job.Name == name {
			return in, err
		}
	}
	return JobInfo{}, err
}

// Scheduler is the Service's job scheduler.
func (s *Service) Scheduler() *Scheduler { return s.jobs }
