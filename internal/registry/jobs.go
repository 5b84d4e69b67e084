package registry

import (
	"context"
	"fmt"
)

// JobResult counts what one run of the background jobs did.
type JobResult struct {
	ChecksExpired        int
	RegistrationsExpired int
	TokensDeleted        int
	DocumentsPurged      int
	Escalated            int
}

// RunJobs does the time-driven work: operator checks past their deadline go
// to review flagged operator_unanswered; registrations past their validity
// expire; expired tokens and ended login-throttle windows are deleted; documents past their retention are
// purged. Each item is its own transaction, so
// one failure does not hold up the rest, and running it on several replicas
// at once is safe (each item is re-read under lock and skipped if done).
func (s *Service) RunJobs(ctx context.Context) (JobResult, error) {
	var res JobResult
	now := s.Now()
	var due []*Check
	var expiring []*Registration
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		if due, err = tx.DueChecks(ctx, now); err != nil {
			return err
		}
		expiring, err = tx.DueExpiries(ctx, now)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("jobs: %w", err)
	}
	for _, c := range due {
		err := s.store.Write(ctx, func(tx Tx) error {
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
			res.ChecksExpired++
			return s.event(ctx, tx, nil, a, "operator_unanswered", "")
		})
		if err != nil {
			return res, fmt.Errorf("jobs: expire check %s: %w", c.ID, err)
		}
	}
	for _, r := range expiring {
		err := s.store.Write(ctx, func(tx Tx) error {
			r, err := tx.Registration(ctx, r.Number, true)
			if err != nil || r.Status != RegActive || s.Now().Before(r.ValidUntil) {
				return err
			}
			res.RegistrationsExpired++
			return s.end(ctx, tx, nil, r, RegExpired, "validity ended")
		})
		if err != nil {
			return res, fmt.Errorf("jobs: expire registration %s: %w", r.Number, err)
		}
	}
	if res.RegistrationsExpired > 0 {
		s.notifyFeed()
	}
	err = s.store.Write(ctx, func(tx Tx) error {
		var err error
		if res.TokensDeleted, err = tx.DeleteExpiredTokens(ctx, now); err != nil {
			return err
		}
		// Ended throttle windows and long-unseen login clients (not
		// counted: they are bookkeeping, not items anyone follows).
		_, err = tx.DeleteStaleAttempts(ctx, now, now.Add(-knownClientFor))
		return err
	})
	if err != nil {
		return res, fmt.Errorf("jobs: %w", err)
	}
	if s.blobs != nil {
		if res.DocumentsPurged, err = s.purgeDocuments(ctx); err != nil {
			return res, fmt.Errorf("jobs: purge documents: %w", err)
		}
	}
	if res.Escalated, err = s.Escalate(ctx); err != nil {
		return res, fmt.Errorf("jobs: %w", err)
	}
	return res, nil
}
