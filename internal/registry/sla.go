package registry

import (
	"context"
	"fmt"
	"time"
)

// Overdue is what is past its SLA due time: applications in review and
// pending appeals, by due time, each with when it was escalated (zero if
// Escalate has not run since it fell due).
type Overdue struct {
	Applications []*Application
	Appeals      []*Appeal
	Escalated    map[string]time.Time // by application or appeal id
}

// Overdue lists what is past its SLA due time, for supervisors.
func (s *Service) Overdue(ctx context.Context, actor *User) (*Overdue, error) {
	if err := requireRole(actor, RoleSupervisor); err != nil {
		return nil, err
	}
	now := s.Now()
	out := &Overdue{Escalated: map[string]time.Time{}}
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if out.Applications, err = tx.ListApplications(ctx, AppFilter{States: []State{StateReview}, OverdueBefore: now, OrderBySLA: true}); err != nil {
			return err
		}
		if out.Appeals, err = tx.ListAppeals(ctx, AppealFilter{OverdueBefore: now}); err != nil {
			return err
		}
		for _, a := range out.Applications {
			if at, err := tx.Escalated(ctx, a.ID, a.SLADueAt); err != nil {
				return err
			} else if !at.IsZero() {
				out.Escalated[a.ID] = at
			}
		}
		for _, ap := range out.Appeals {
			if at, err := tx.Escalated(ctx, ap.ID, ap.SLADueAt); err != nil {
				return err
			} else if !at.IsZero() {
				out.Escalated[ap.ID] = at
			}
		}
		return s.record(ctx, tx, actor, "overdue.viewed", "application", "", map[string]any{"applications": len(out.Applications), "appeals": len(out.Appeals)})
	})
	if err != nil {
		return nil, err
	}
	out.Applications = forViewer(out.Applications, actor)
	return out, nil
}

// Escalate records, once per application in review (or pending appeal)
// and SLA due time, that it is past its due time: the timeline event
// "escalated" and an audit entry, which the notifications turn into the
// staff's digest. Each one is its own transaction, re-read under lock and
// skipped if no longer overdue or escalated already, so several replicas
// may run it at once. It returns how many it escalated.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	now := s.Now()
	var apps []*Application
	var appeals []*Appeal
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		if apps, err = tx.ListApplications(ctx, AppFilter{States: []State{StateReview}, OverdueBefore: now, OrderBySLA: true}); err != nil {
			return err
		}
		appeals, err = tx.ListAppeals(ctx, AppealFilter{OverdueBefore: now})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("escalate: %w", err)
	}
	n := 0
	var firstErr error
	for _, a := range apps {
		done := false
		err := s.store.Write(ctx, func(tx Tx) error {
			a, err := tx.Application(ctx, a.ID, true)
			if err != nil {
				return err
			}
			if a.State != StateReview || a.SLADueAt.IsZero() || !a.SLADueAt.Before(now) {
				return nil
			}
			if done, err = tx.MarkEscalated(ctx, a.ID, a.SLADueAt, now); err != nil || !done {
				return err
			}
			return s.event(ctx, tx, nil, a, "escalated", fmt.Sprintf("past its review due time of %s", a.SLADueAt.In(s.calendar.Loc).Format("2006-01-02 15:04 MST")))
		})
		if err != nil {
			s.log.Error("escalate application", "application", a.ID, "err", err)
			firstErr = cmpErr(firstErr, err)
			continue
		}
		if done {
			n++
		}
	}
	for _, ap := range appeals {
		done := false
		err := s.store.Write(ctx, func(tx Tx) error {
			ap, err := tx.Appeal(ctx, ap.ID, true)
			if err != nil {
				return err
			}
			if ap.State != AppealPending || !ap.SLADueAt.Before(now) {
				return nil
			}
			a, err := tx.Application(ctx, ap.ApplicationID, true)
			if err != nil {
				return err
			}
			if done, err = tx.MarkEscalated(ctx, ap.ID, ap.SLADueAt, now); err != nil || !done {
				return err
			}
			return s.event(ctx, tx, nil, a, "escalated", fmt.Sprintf("appeal %s past its decision due time of %s", ap.ID, ap.SLADueAt.In(s.calendar.Loc).Format("2006-01-02 15:04 MST")))
		})
		if err != nil {
			s.log.Error("escalate appeal", "appeal", ap.ID, "err", err)
			firstErr = cmpErr(firstErr, err)
			continue
		}
		if done {
			n++
		}
	}
	if firstErr != nil {
		return n, fmt.Errorf("escalate: %w", firstErr)
	}
	return n, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
