package registry

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The time-driven work, one method per job. Each does its units of work
// in their own transactions, re-reading each unit under lock and skipping
// it if another replica (or an earlier, interrupted run) did it already,
// so running a job twice at once is safe, only wasteful; the scheduler
// (scheduler.go) sees that each scheduled run happens once. A failing unit
// does not hold up the rest: the job carries on and returns the failures
// joined, so the run counts as failed and is retried.

// outboxEvery is the outbox's delivery interval: messages wait at most
// this long after their change, plus the scheduler's look for due jobs.
const outboxEvery = 5 * time.Second

// builtinJobs are the jobs every Service schedules, in the order a tick
// runs them. Other periodic work is added here as a Job naming its method.
func (s *Service) builtinJobs() []Job {
	return []Job{
		{Name: "expire-checks", Schedule: Every(s.jobsEvery), Run: s.ExpireChecks,
			About: "Operator checks past their deadline go to review, flagged operator_unanswered."},
		{Name: "expire-registrations", Schedule: Every(s.jobsEvery), Run: s.ExpireRegistrations,
			About: "Registrations past their validity end as expired and leave the allowlist."},
		{Name: "clean-tokens", Schedule: Every(s.jobsEvery), Run: s.CleanTokens,
			About: "Expired login and API tokens, ended login-throttle windows and long-unseen login clients are deleted."},
		{Name: "purge-documents", Schedule: Every(s.jobsEvery), Run: s.PurgeDocuments,
			About: "Documents past the retention period have their contents deleted."},
		{Name: "sweep-documents", Schedule: Every(time.Hour), Run: s.SweepDocuments,
			About: "Document files no record names, and temporary files of interrupted uploads, are deleted once an hour old."},
		{Name: "escalate-overdue", Schedule: Every(s.jobsEvery), Run: s.Escalate,
			About: "Applications and appeals past their SLA due time are escalated to supervisors, once each."},
		// Messages wait at most this long after the change that wrote
		// them (and the scheduler's look for due jobs, see ipreg serve).
		{Name: "deliver-outbox", Schedule: Every(min(s.jobsEvery, outboxEvery)), Run: s.DeliverOutbox,
			About: "Messages in the outbox are sent by e-mail and SMS; failures are retried with backoff, then given up and shown to admins."},
		{Name: "send-reminders", Schedule: Every(time.Hour), Run: s.SendReminders,
			About: "Holders are reminded 30 and 7 days before their registration expires, once each."},
		{Name: "send-digests", Schedule: DailyAt(7, 0, PKT.Loc), Run: s.SendDigests,
			About: "Reviewers and supervisors get the daily digest of overdue applications."},
		{Name: "purge-outbox", Schedule: DailyAt(3, 0, PKT.Loc), Run: s.PurgeOutbox,
			About: "Records of sent messages older than the keep period are deleted."},
		{Name: "stats-rollup", Schedule: Every(max(s.jobsEvery, 5*time.Minute)), Run: s.RebuildStats,
			About: "The public statistics of this month and the month before are rebuilt, and any month never built."},
	}
}

// maxJobErrors bounds how many unit failures a job reports.
const maxJobErrors = 5

// unitErrors collects a job's unit failures.
type unitErrors struct {
	errs []error
	n    int
}

func (u *unitErrors) add(err error) {
	u.n++
	if len(u.errs) < maxJobErrors {
		u.errs = append(u.errs, err)
	}
}

func (u *unitErrors) err() error {
	if u.n == 0 {
		return nil
	}
	if u.n > len(u.errs) {
		u.errs = append(u.errs, fmt.Errorf("and %d more", u.n-len(u.errs)))
	}
	return errors.Join(u.errs...)
}

// ExpireChecks sends operator checks past their deadline to review,
// flagged operator_unanswered; it returns how many applications it moved.
func (s *Service) ExpireChecks(ctx context.Context) (int, error) {
	var due []*Check
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		due, err = tx.DueChecks(ctx, s.Now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("expire checks: %w", err)
	}
	n, failed := 0, unitErrors{}
	for _, c := range due {
		moved := false
		err := s.store.Write(ctx, func(tx Tx) error {
			moved = false
			c, err := tx.Check(ctx, c.ID, true)
			if err != nil || c.State != CheckPending {
				return err
			}
			a, err := tx.Application(ctx, c.ApplicationID, true)
			if err != nil {
				return err
			}
			c.State = CheckExpired
			if err := tx.UpdateCheck(ctx, c); err != nil {
				return err
			}
			if a.State != StateOperatorCheck {
				return nil
			}
			a.State, a.UpdatedAt = StateReview, s.Now()
			a.Flags = append(a.Flags, Flag{Code: FlagOperatorUnanswered,
				Detail: fmt.Sprintf("operator %s did not answer by %s", c.OperatorID, c.DueAt.Format("2006-01-02 15:04 MST"))})
			if err := tx.UpdateApplication(ctx, a); err != nil {
				return err
			}
			moved = true
			return s.event(ctx, tx, nil, a, "operator_unanswered", "")
		})
		if err != nil {
			failed.add(fmt.Errorf("expire check %s: %w", c.ID, err))
			continue
		}
		if moved {
			n++
		}
	}
	return n, failed.err()
}

// ExpireRegistrations ends registrations past their validity as expired;
// it returns how many it ended.
func (s *Service) ExpireRegistrations(ctx context.Context) (int, error) {
	var expiring []*Registration
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		expiring, err = tx.DueExpiries(ctx, s.Now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("expire registrations: %w", err)
	}
	n, failed := 0, unitErrors{}
	for _, r := range expiring {
		ended := false
		err := s.store.Write(ctx, func(tx Tx) error {
			ended = false
			r, err := tx.Registration(ctx, r.Number, true)
			if err != nil || r.Status != RegActive || s.Now().Before(r.ValidUntil) {
				return err
			}
			ended = true
			return s.end(ctx, tx, nil, r, RegExpired, "validity ended")
		})
		if err != nil {
			failed.add(fmt.Errorf("expire registration %s: %w", r.Number, err))
			continue
		}
		if ended {
			n++
		}
	}
	if n > 0 {
		s.notifyFeed()
	}
	return n, failed.err()
}

// CleanTokens deletes tokens expired SessionAfterlife ago, ended login-throttle windows and
// login clients unseen for long; it returns how many tokens it deleted
// (the throttle rows are bookkeeping, not items anyone follows).
func (s *Service) CleanTokens(ctx context.Context) (int, error) {
	now := s.Now()
	n := 0
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		// Expired at least SessionAfterlife ago: until then a session's
		// record tells an expiry from a logout (the portal's kept forms).
		if n, err = tx.DeleteExpiredTokens(ctx, now.Add(-SessionAfterlife)); err != nil {
			return err
		}
		_, err = tx.DeleteStaleAttempts(ctx, now, now.Add(-knownClientFor))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("clean tokens: %w", err)
	}
	return n, nil
}

// PurgeDocuments deletes the contents of documents past their retention;
// it returns how many. Without a document store there is nothing to purge.
func (s *Service) PurgeDocuments(ctx context.Context) (int, error) {
	if s.blobs == nil {
		return 0, nil
	}
	n, err := s.purgeDocuments(ctx)
	if err != nil {
		return n, fmt.Errorf("purge documents: %w", err)
	}
	return n, nil
}

// JobResult counts what one RunJobs did.
type JobResult struct {
	ChecksExpired        int
	RegistrationsExpired int
	TokensDeleted        int
	DocumentsPurged      int
	Escalated            int
}

// RunJobs runs the built-in jobs once, now, whatever their schedule and
// without leases (each unit is still done once): for tests and one-off
// maintenance. ipreg serve runs them through the Scheduler instead.
func (s *Service) RunJobs(ctx context.Context) (JobResult, error) {
	var res JobResult
	var errs []error
	for _, step := range []struct {
		n   *int
		run func(context.Context) (int, error)
	}{
		{&res.ChecksExpired, s.ExpireChecks},
		{&res.RegistrationsExpired, s.ExpireRegistrations},
		{&res.TokensDeleted, s.CleanTokens},
		{&res.DocumentsPurged, s.PurgeDocuments},
		{&res.Escalated, s.Escalate},
	} {
		n, err := step.run(ctx)
		*step.n = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("jobs: %w", err)
	}
	return res, nil
}
