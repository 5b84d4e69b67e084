package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
)

// ListChecks returns the actor's operator's checks (pending by default).
func (s *Service) ListChecks(ctx context.Context, actor *User, state CheckState) ([]*Check, error) {
	if err := requireRole(actor, RoleOperator); err != nil {
		return nil, err
	}
	if state == "" {
		state = CheckPending
	}
	var out []*Check
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		if out, err = tx.ListChecks(ctx, actor.OperatorID, state); err != nil {
			return err
		}
		// A pending check of a renewal or an amendment says so: the
		// operator confirms a change of a registration it knows.
		for _, c := range out {
			if c.State != CheckPending {
				continue
			}
			a, err := tx.Application(ctx, c.ApplicationID, false)
			if err != nil {
				return err
			}
			if !a.changes() || a.OperatorID != actor.OperatorID {
				continue
			}
			d, err := s.diff(ctx, tx, a)
			if err != nil {
				return err
			}
			c.Change = &CheckChange{Kind: a.Kind, ForRegistration: a.ForRegistration, Diff: d}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The list shows subscribers' names and items: an audited read.
	if err := s.auditRead(ctx, actor, "checks.listed", "operator", actor.OperatorID, map[string]any{"count": len(out)}); err != nil {
		return nil, err
	}
	return out, nil
}

// AnswerCheck records an operator's confirmation or dispute and moves the
// application to review. A dispute needs a note saying what is wrong.
func (s *Service) AnswerCheck(ctx context.Context, actor *User, id, result, note string) (*Check, error) {
	if err := requireRole(actor, RoleOperator); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	res := CheckState(strings.TrimSpace(result))
	if res != CheckConfirmed && res != CheckDisputed {
		fe.Add("result", `must be "confirmed" or "disputed"`)
	}
	note = text(fe, "note", note, 2000, res == CheckDisputed)
	if _, ok := fe["note"]; ok && res == CheckDisputed && note == "" {
		fe["note"] = "is required with a dispute: say what does not match (subscriber, addresses, numbers)"
	}
	var c *Check
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if c, err = tx.Check(ctx, id, true); err != nil {
			return err
		}
		if c.OperatorID != actor.OperatorID {
			return Errorf(ENOTFOUND, "check %s not found", id)
		}
		// Whose the check is first: another operator's is not found,
		// whatever the answer (the input's errors say nothing about it).
		if err := fe.Err(); err != nil {
			return err
		}
		if c.State != CheckPending {
			return Errorf(ECONFLICT, "check %s was already answered or closed (state %s)", id, c.State)
		}
		a, err := tx.Application(ctx, c.ApplicationID, true)
		if err != nil {
			return err
		}
		if err := checkTransition(a, StateReview, "send to review"); err != nil {
			return err
		}
		now := s.Now()
		c.State, c.AnsweredAt, c.AnsweredBy, c.Note = res, now, actor.ID, note
		if err := tx.UpdateCheck(ctx, c); err != nil {
			return err
		}
		if res == CheckConfirmed {
			a.CheckedItems = a.itemsKey()
		} else {
			a.CheckedItems = ""
			a.Flags = append(a.Flags, Flag{Code: FlagOperatorDisputed, Detail: "the operator disputed: " + note})
		}
		a.State, a.UpdatedAt = StateReview, now
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		return s.event(ctx, tx, actor, a, "operator_"+string(res), note)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// QueueFilter narrows the review queue.
type QueueFilter struct {
	Category   Category
	OperatorID string
	Flag       string
	// Overdue, when set, keeps only applications past their SLA due time
	// (true) or only those not past it (false).
	Overdue *bool
	Limit   int
	// After is the ID of the last application of the page before: the
	// list continues from its place in queue order (keyset pagination,
	// which stays as fast on the last page as on the first).
	After string
}

// ReviewQueue returns applications in review, by SLA due time.
func (s *Service) ReviewQueue(ctx context.Context, actor *User, q QueueFilter) ([]*Application, error) {
	return s.reviewQueue(ctx, actor, q, nil)
}

// ReviewQueuePage is ReviewQueue with the operators a queue page names
// (its filter and each row's operator), read in the same read: on
// PostgreSQL a second read waits for a connection a second time, which
// under load was a fifth of the page's time.
func (s *Service) ReviewQueuePage(ctx context.Context, actor *User, q QueueFilter) ([]*Application, []*Operator, error) {
	var ops []*Operator
	apps, err := s.reviewQueue(ctx, actor, q, func(tx Tx) error {
		var err error
		ops, err = tx.ListOperators(ctx)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return apps, ops, nil
}

// reviewQueue is ReviewQueue; more, if not nil, reads what else the
// caller needs in the same read, once the actor may see the queue.
func (s *Service) reviewQueue(ctx context.Context, actor *User, q QueueFilter, more func(Tx) error) ([]*Application, error) {
	if err := requireRole(actor, RoleReviewer, RoleSupervisor); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	if q.Category != "" && !q.Category.Valid() {
		fe.Add("category", "must be one of %s", joinCats())
	}
	if q.Flag != "" && !slices.Contains(FlagCodes, q.Flag) {
		fe.Add("flag", "must be one of %s", strings.Join(FlagCodes, ", "))
	}
	plainParam(fe, "operator", q.OperatorID)
	plainParam(fe, "after", q.After)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	f := AppFilter{States: []State{StateReview}, Category: q.Category, OperatorID: q.OperatorID, Flag: q.Flag, OrderBySLA: true, Limit: q.Limit, After: q.After}
	now := s.Now()
	if q.Overdue != nil && *q.Overdue {
		f.OverdueBefore = now
	}
	if q.Overdue != nil && !*q.Overdue {
		f.NotOverdueAt = now
	}
	var out []*Application
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		if out, err = tx.ListApplications(ctx, f); err != nil {
			return err
		}
		if err := s.withDiffs(ctx, tx, out...); err != nil {
			return err
		}
		for _, a := range out {
			a.Overdue = a.overdue(now)
		}
		if more != nil {
			return more(tx)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.auditRead(ctx, actor, "queue.viewed", "application", "", map[string]any{"count": len(out)}); err != nil {
		return nil, err
	}
	return forViewer(out, actor), nil
}

// DecisionInput is a reviewer's decision.
type DecisionInput struct {
	Decision   string // approve, reject, return
	ReasonCode string // with reject
	Note       string
	ValidDays  int // with approve; 0 means the default validity
}

// Check reports the errors of a decision that need no registry state (the
// decision, its reason, note and days as given), so that a form can show
// them with its own (a number of days it could not read) all at once.
func (in DecisionInput) Check() FieldErrors {
	_, _, fe := in.check()
	return fe
}

func (in DecisionInput) check() (State, string, FieldErrors) {
	fe := FieldErrors{}
	var to State
	switch in.Decision {
	case "approve":
		to = StateApproved
	case "reject":
		to = StateRejected
		if _, ok := ReasonCodes[in.ReasonCode]; !ok && strings.TrimSpace(in.ReasonCode) == "" {
			fe.Add("reason_code", "is required with a rejection: one of %s", strings.Join(ReasonCodeList(), ", "))
		} else if !ok {
			fe.Add("reason_code", "must be one of %s", strings.Join(ReasonCodeList(), ", "))
		}
	case "return":
		to = StateReturned
	default:
		fe.Add("decision", `must be "approve", "reject" or "return"`)
	}
	if in.Decision != "reject" && in.ReasonCode != "" {
		fe.Add("reason_code", "belongs to a rejection only; leave it empty")
	}
	noteRequired := in.Decision == "return" || in.ReasonCode == "other"
	note := text(fe, "note", in.Note, 4000, noteRequired)
	if noteRequired && note == "" {
		fe["note"] = "is required: say what the applicant must fix (return) or why (reason other)"
	}
	if in.Decision != "approve" && in.ValidDays != 0 {
		fe.Add("valid_days", "belongs to an approval only; leave it out")
	}
	return to, note, fe
}

// Decide approves, rejects or returns an application in review. An
// approval creates the registration in the same transaction.
func (s *Service) Decide(ctx context.Context, actor *User, id string, in DecisionInput) (*Application, *Registration, error) {
	if err := requireRole(actor, RoleReviewer, RoleSupervisor); err != nil {
		return nil, nil, err
	}
	to, note, fe := in.check()
	if to == "" { // no decision: nothing to check against the application
		return nil, nil, fe.Err()
	}
	var a *Application
	var reg *Registration
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		var changeNote string
		if a, err = tx.Application(ctx, id, true); err != nil {
			return err
		}
		if err := checkTransition(a, to, in.Decision); err != nil {
			return err
		}
		if a.Kind == KindAmendment && in.ValidDays != 0 {
			fe.Add("valid_days", "does not apply to an amendment: it keeps registration %s's validity; leave it out", a.ForRegistration)
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		days := in.ValidDays
		if days == 0 {
			days = set.ValidityDays
		}
		if days < 1 || days > set.MaxValidityDays {
			fe.Add("valid_days", "must be between 1 and %d", set.MaxValidityDays)
		}
		// Every field's error at once: those that need the application
		// and the settings with those that need neither.
		if err := fe.Err(); err != nil {
			return err
		}
		now := s.Now()
		a.State, a.UpdatedAt, a.DecisionNote = to, now, note
		switch to {
		case StateApproved:
			if reg, changeNote, err = s.approve(ctx, tx, actor, a, now, days); err != nil {
				return err
			}
			a.Registration, a.DecidedAt = reg.Number, now
		case StateRejected:
			// The appeal deadline is fixed now: a later change of the
			// setting does not move what the applicant was told.
			a.ReasonCode, a.DecidedAt, a.AppealDeadline = in.ReasonCode, now, now.AddDate(0, 0, set.AppealDays)
		case StateReturned:
			a.ReturnNote = note
		}
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		evNote := note
		if to == StateRejected {
			// The reason code, then the note when there is one: "duplicate"
			// or "other: the purpose is unclear" (the portal shows the
			// code's label in the page's language).
			evNote = in.ReasonCode
			if note != "" {
				evNote += ": " + note
			}
		}
		if to == StateApproved {
			evNote = withNote(changeNote, note)
		}
		return s.event(ctx, tx, actor, a, string(to), evNote)
	})
	if err != nil {
		return nil, nil, err
	}
	if reg != nil {
		s.notifyFeed()
	}
	// The view is read after the commit (viewAfterWrite), not in the
	// transaction: an approval held the row locks of the registration
	// and feed-change serials from the moment it numbered the
	// registration, and on PostgreSQL the view's dozen round trips under
	// them made every other decision wait (decide p50 681 ms at 64
	// clients, issue 14). Since, the registration's number is taken
	// outside the transaction's locks (NextSerialNow) and the feed
	// changes are numbered at its commit.
	v, err := s.viewAfterWrite(ctx, actor, a)
	if err != nil {
		return nil, reg, err
	}
	return v, reg, nil
}

// ReasonCodeList is ReasonCodes' keys in order, for messages and forms.
func ReasonCodeList() []string {
	out := make([]string, 0, len(ReasonCodes))
	for k := range ReasonCodes {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// approve carries out an approval of a in the caller's transaction: a new
// application creates its registration; a renewal or an amendment changes
// the registration it names. note describes the outcome for the timeline,
// as one message of the registry's catalog (so the portal translates it).
// Every path to an approval (a reviewer's decision, an overturned appeal)
// goes through here.
func (s *Service) approve(ctx context.Context, tx Tx, actor *User, a *Application, now time.Time, days int) (reg *Registration, note string, err error) {
	if err := refuseErased(ctx, tx, a); err != nil {
		return nil, "", err
	}
	if a.changes() {
		return s.applyChange(ctx, tx, actor, a, now, days)
	}
	if reg, err = s.register(ctx, tx, actor, a, now, days); err != nil {
		return nil, "", err
	}
	return reg, fmt.Sprintf("registration %s valid until %s", reg.Number, day(reg.ValidUntil)), nil
}

// withNote joins a decision's own message and the decider's note on a
// timeline entry: on separate lines, each a message of its own, so that
// the portal translates the first and shows the second as written.
func withNote(msg, note string) string {
	if note = strings.TrimSpace(note); note == "" {
		return msg
	}
	return msg + "\n" + note
}

// register creates the registration for an approved application, numbered
// VPN-<year>-<serial within the year>.
func (s *Service) register(ctx context.Context, tx Tx, actor *User, a *Application, now time.Time, days int) (*Registration, error) {
	year := now.In(s.calendar.Loc).Year()
	n, err := tx.NextSerialNow(ctx, fmt.Sprintf("registration-%d", year))
	if err != nil {
		return nil, err
	}
	r := &Registration{
		Number: fmt.Sprintf("VPN-%d-%06d", year, n), ApplicationID: a.ID, AccountID: a.AccountID,
		Category: a.Category, OperatorID: a.OperatorID, Addresses: a.Addresses, MobileNumbers: a.MobileNumbers,
		Status: RegActive, ValidFrom: now, ValidUntil: now.AddDate(0, 0, days),
		VerificationCode: auth.RandomCode(10), HolderName: a.HolderName, CreatedAt: now, IssuedAt: now,
	}
	if err := tx.CreateRegistration(ctx, r); err != nil {
		return nil, err
	}
	if err := s.allowlist(ctx, tx, r, "add"); err != nil {
		return nil, err
	}
	if err := s.record(ctx, tx, actor, "registration.created", "registration", r.Number, map[string]string{"application": a.ID}); err != nil {
		return nil, err
	}
	return r, nil
}

// refuseErased refuses (ECONFLICT) a decision that would give something to
// a deleted account: its personal data is erased and nobody can log in to
// hold, renew or surrender a registration.
func refuseErased(ctx context.Context, tx Tx, a *Application) error {
	users, err := tx.AccountUsers(ctx, a.AccountID)
	if err != nil {
		return err
	}
	for _, u := range users {
		if ErasedEmail(u.Email) {
			return Errorf(ECONFLICT, "the account of application %s was deleted and its personal data erased: nobody is left to hold a registration, so it cannot be approved, and an appeal of it can only be upheld", a.ID)
		}
	}
	return nil
}

// overdue reports whether a is past its SLA due time at now (as the
// queue's overdue filter counts it).
func (a *Application) overdue(now time.Time) bool {
	return !a.SLADueAt.IsZero() && a.SLADueAt.Before(now)
}
