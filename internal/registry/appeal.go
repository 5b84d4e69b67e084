package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
)

// MaxAppealStatement bounds an appeal's statement, in characters.
const MaxAppealStatement = 4000

// clock is the SLA clock with the settings' public holidays.
func (s *Service) clock(set Settings) Calendar { return s.calendar.WithHolidays(set.Holidays) }

// appealBy returns the last moment a's present rejection can be appealed,
// or the zero time when it cannot: a is not rejected, or its rejection was
// appealed already. appeals are a's appeals.
func appealBy(set Settings, a *Application, appeals []*Appeal) time.Time {
	if a.State != StateRejected || a.DecidedAt.IsZero() {
		return time.Time{}
	}
	for _, ap := range appeals {
		if ap.RejectedAt.Equal(a.DecidedAt) {
			return time.Time{}
		}
	}
	return appealDeadline(set, a)
}

// appealDeadline is the deadline fixed at a's rejection or, for a
// rejection taken before deadlines were stored, the rejection plus the
// present setting (written down when the setting changes: UpdateSettings).
func appealDeadline(set Settings, a *Application) time.Time {
	if !a.AppealDeadline.IsZero() {
		return a.AppealDeadline
	}
	return a.DecidedAt.AddDate(0, 0, set.AppealDays)
}

// loadAppeals fills a.Appeals and a.AppealBy.
func (s *Service) loadAppeals(ctx context.Context, tx Tx, a *Application) error {
	return s.loadAppealsWith(ctx, tx, a, nil)
}

// loadAppealsWith is loadAppeals with the settings, when set is not nil,
// already read in tx.
func (s *Service) loadAppealsWith(ctx context.Context, tx Tx, a *Application, set *Settings) error {
	var err error
	if a.Appeals, err = tx.ListAppeals(ctx, AppealFilter{ApplicationID: a.ID}); err != nil {
		return err
	}
	slices.SortFunc(a.Appeals, func(x, y *Appeal) int { return x.SubmittedAt.Compare(y.SubmittedAt) })
	if set == nil {
		read, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		set = &read
	}
	a.AppealBy = appealBy(*set, a, a.Appeals)
	return nil
}

// pendingAppeal returns a's pending appeal, or nil.
func pendingAppeal(ctx context.Context, tx Tx, appID string) (*Appeal, error) {
	aps, err := tx.ListAppeals(ctx, AppealFilter{ApplicationID: appID, State: AppealPending})
	if err != nil || len(aps) == 0 {
		return nil, err
	}
	return aps[0], nil
}

// rejectedBy is who took a's present rejection, from its timeline.
func rejectedBy(ctx context.Context, tx Tx, a *Application) (string, error) {
	evs, err := tx.Events(ctx, a.ID)
	if err != nil {
		return "", err
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == string(StateRejected) {
			return evs[i].ActorID, nil
		}
	}
	return "", nil
}

// SubmitAppeal appeals the applicant's own rejected application, within
// Settings.AppealDays of the rejection, with a statement saying why the
// decision should change. Documents may be added to the application while
// the appeal is pending. One appeal per rejection.
func (s *Service) SubmitAppeal(ctx context.Context, actor *User, appID, statement string) (*Appeal, error) {
	var ap *Appeal
	// Whose the application is first: another account's is not found,
	// whatever the statement.
	_, err := s.ownTx(ctx, actor, appID, func(tx Tx, a *Application) error {
		fe := FieldErrors{}
		statement = text(fe, "statement", statement, MaxAppealStatement, true)
		if _, ok := fe["statement"]; ok && statement == "" {
			fe["statement"] = "is required: say why the decision should change, and what new information you give"
		}
		// Whether an appeal can be made at all comes before what the
		// statement says: a statement's error on a page that can no longer
		// take one (an appeal already waits) would point at nothing.
		if a.State != StateRejected {
			return Errorf(ECONFLICT, "only a rejected application can be appealed; application %s is %s", a.ID, describeState(a.State))
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		appeals, err := tx.ListAppeals(ctx, AppealFilter{ApplicationID: a.ID})
		if err != nil {
			return err
		}
		by := appealBy(set, a, appeals)
		if by.IsZero() {
			return Errorf(ECONFLICT, "the rejection of application %s was appealed already; a rejection can be appealed once", a.ID)
		}
		now := s.Now()
		if now.After(by) {
			at, days := by.In(s.calendar.Loc).Format("2006-01-02 15:04 MST"), int(by.Sub(a.DecidedAt).Round(time.Hour).Hours()/24)
			if days == 1 {
				return Errorf(ECONFLICT, "the time to appeal ended on %s (%d day after the rejection); an appeal can no longer be made, but you may file a new application", at, days)
			}
			return Errorf(ECONFLICT, "the time to appeal ended on %s (%d days after the rejection); an appeal can no longer be made, but you may file a new application", at, days)
		}
		if err := fe.Err(); err != nil {
			return err
		}
		who, err := rejectedBy(ctx, tx, a)
		if err != nil {
			return err
		}
		ap = &Appeal{ID: auth.RandomID("apl"), ApplicationID: a.ID, AccountID: a.AccountID, RejectedAt: a.DecidedAt, RejectedBy: who,
			Statement: statement, State: AppealPending, SubmittedBy: actor.ID, SubmittedAt: now, HolderName: a.HolderName,
			SLADueAt: s.clock(set).Add(now, time.Duration(set.AppealSLAWorkingHours)*time.Hour)}
		if err := tx.CreateAppeal(ctx, ap); err != nil {
			return err
		}
		a.UpdatedAt = now
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		return s.event(ctx, tx, actor, a, "appeal_submitted", fmt.Sprintf("appeal %s, to be decided by %s", ap.ID, ap.SLADueAt.In(s.calendar.Loc).Format("2006-01-02 15:04 MST")))
	})
	if err != nil {
		return nil, err
	}
	return ap, nil
}

// ListAppeals lists appeals for supervisors (pending by default; "all"
// for every state), by SLA due time.
func (s *Service) ListAppeals(ctx context.Context, actor *User, state string) ([]*Appeal, error) {
	if err := requireRole(actor, RoleSupervisor); err != nil {
		return nil, err
	}
	f := AppealFilter{}
	switch state {
	case "":
		f.State = AppealPending
	case "all":
	default:
		f.State = AppealState(state)
		if !slices.Contains(AppealStates, f.State) {
			return nil, FieldErrors{"state": `must be "pending", "upheld", "overturned" or "all"`}.Err()
		}
	}
	var out []*Appeal
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if out, err = tx.ListAppeals(ctx, f); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "appeals.listed", "appeal", "", map[string]any{"count": len(out)})
	})
	return out, err
}

// GetAppeal returns an appeal to a supervisor or reviewer, or to the
// appellant's account; ENOTFOUND for anyone else.
func (s *Service) GetAppeal(ctx context.Context, actor *User, id string) (*Appeal, error) {
	if err := requireRole(actor, RoleApplicant, RoleReviewer, RoleSupervisor); err != nil {
		return nil, err
	}
	var ap *Appeal
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if ap, err = tx.Appeal(ctx, id, false); err != nil {
			return err
		}
		if actor.Role == RoleApplicant {
			if ap.AccountID != actor.AccountID {
				return Errorf(ENOTFOUND, "appeal %s not found", id)
			}
			return nil
		}
		return s.record(ctx, tx, actor, "appeal.viewed", "appeal", id, nil)
	})
	if err != nil {
		return nil, err
	}
	return ap, nil
}

// AppealDecisionInput is a supervisor's decision on an appeal.
type AppealDecisionInput struct {
	Decision  string // uphold or overturn
	Outcome   string // with overturn: approve or return
	Note      string // required with uphold and return
	ValidDays int    // with approve; 0 means the default validity
}

// DecideAppeal is a supervisor's decision on a pending appeal. Upholding
// keeps the rejection (final); overturning approves the application (the
// registration is created as by Decide) or returns it to the applicant
// with what to fix. Maker-checker: the supervisor who took the rejection,
// and the appellant, cannot decide the appeal.
func (s *Service) DecideAppeal(ctx context.Context, actor *User, id string, in AppealDecisionInput) (*Appeal, *Application, *Registration, error) {
	if err := requireRole(actor, RoleSupervisor); err != nil {
		return nil, nil, nil, err
	}
	fe := FieldErrors{}
	switch in.Decision {
	case "uphold":
		if in.Outcome != "" {
			fe.Add("outcome", "belongs to an overturn only; leave it empty")
		}
	case "overturn":
		if in.Outcome != OutcomeApprove && in.Outcome != OutcomeReturn {
			fe.Add("outcome", `must be "approve" or "return" with an overturn`)
		}
	default:
		fe.Add("decision", `must be "uphold" or "overturn"`)
	}
	noteRequired := in.Decision == "uphold" || in.Outcome == OutcomeReturn
	note := text(fe, "note", in.Note, 4000, noteRequired)
	if noteRequired && note == "" {
		fe["note"] = "is required: say why the rejection stands (uphold) or what the applicant must fix (return)"
	}
	if in.Outcome != OutcomeApprove && in.ValidDays != 0 {
		fe.Add("valid_days", "belongs to an approval only; leave it out")
	}
	if err := fe.Err(); err != nil {
		return nil, nil, nil, err
	}
	var ap *Appeal
	var a *Application
	var reg *Registration
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if ap, err = tx.Appeal(ctx, id, true); err != nil {
			return err
		}
		switch ap.State {
		case AppealUpheld:
			return Errorf(ECONFLICT, "appeal %s was already decided: the rejection was upheld", id)
		case AppealOverturned:
			return Errorf(ECONFLICT, "appeal %s was already decided: the rejection was overturned", id)
		}
		if ap.RejectedBy == actor.ID {
			return Errorf(EFORBIDDEN, "you took the decision under appeal; another supervisor must decide the appeal (maker-checker)")
		}
		if ap.SubmittedBy == actor.ID {
			return Errorf(EFORBIDDEN, "you made this appeal; another supervisor must decide it (maker-checker)")
		}
		if a, err = tx.Application(ctx, ap.ApplicationID, true); err != nil {
			return err
		}
		if a.State != StateRejected || !a.DecidedAt.Equal(ap.RejectedAt) {
			return Errorf(ECONFLICT, "application %s is no longer the rejection appealed: it is %s", a.ID, describeState(a.State))
		}
		if in.Decision == "overturn" {
			if err := refuseErased(ctx, tx, a); err != nil {
				return err
			}
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		if a.Kind == KindAmendment && in.ValidDays != 0 {
			return FieldErrors{"valid_days": fmt.Sprintf("does not apply to an amendment: it keeps registration %s's validity; leave it out", a.ForRegistration)}.Err()
		}
		if in.Decision == "overturn" && a.changes() {
			// Overturned, a renewal or an amendment is approved or reopened:
			// its registration's one open change. Another one open (left
			// from before that rule) must be decided or withdrawn first.
			// The registration is locked, as by Renew and Amend, so that no
			// change starts beside this one meanwhile.
			if _, err := tx.Registration(ctx, a.ForRegistration, true); err != nil {
				return err
			}
			if other, _, err := s.openChangeOf(ctx, tx, a.ForRegistration, a.ID); err != nil {
				return err
			} else if other != nil {
				return Errorf(ECONFLICT, "registration %s has another open change (application %s, %s): it must be decided or withdrawn before this appeal can be overturned; or uphold the appeal", a.ForRegistration, other.ID, describeState(other.State))
			}
		}
		// Decided on today's flags, which are kept with the decision.
		if err := s.refreshFlags(ctx, tx, a, set); err != nil {
			return err
		}
		if in.Outcome == OutcomeApprove {
			if held := heldAlready(a); len(held) > 0 {
				return Errorf(ECONFLICT, "approving application %s would register again what its account already holds: %s; uphold the rejection, or return the application so that the applicant removes those items",
					a.ID, strings.Join(held, ", "))
			}
		}
		now := s.Now()
		ap.DecidedBy, ap.DecidedAt, ap.Note = actor.ID, now, note
		evType, evNote := "appeal_upheld", note
		switch {
		case in.Decision == "uphold":
			ap.State = AppealUpheld
		case in.Outcome == OutcomeApprove:
			days := in.ValidDays
			if days == 0 {
				days = set.ValidityDays
			}
			if days < 1 || days > set.MaxValidityDays {
				return FieldErrors{"valid_days": fmt.Sprintf("must be between 1 and %d", set.MaxValidityDays)}.Err()
			}
			ap.State, ap.Outcome = AppealOverturned, OutcomeApprove
			// Through approve, as every approval: an overturned renewal or
			// amendment changes its registration instead of making a new one.
			var changeNote string
			if reg, changeNote, err = s.approve(ctx, tx, actor, a, now, days); err != nil {
				return err
			}
			a.State, a.Registration, a.DecidedAt, a.ReasonCode, a.DecisionNote = StateApproved, reg.Number, now, "", note
			a.AppealDeadline = time.Time{}
			evType = "appeal_overturned"
			evNote = withNote(fmt.Sprintf("approved on appeal: %s", changeNote), note)
		default:
			ap.State, ap.Outcome = AppealOverturned, OutcomeReturn
			// Returned, the application is no longer decided: its
			// documents are kept and it is resubmitted as any other.
			a.State, a.ReturnNote, a.DecidedAt, a.ReasonCode, a.DecisionNote = StateReturned, note, time.Time{}, "", note
			a.AppealDeadline = time.Time{}
			evType = "appeal_overturned"
			evNote = fmt.Sprintf("returned for correction on appeal: %s", note)
		}
		if err := tx.UpdateAppeal(ctx, ap); err != nil {
			return err
		}
		a.UpdatedAt = now
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		if err := s.record(ctx, tx, actor, "appeal."+string(ap.State), "appeal", ap.ID, map[string]string{"application": a.ID, "outcome": ap.Outcome}); err != nil {
			return err
		}
		if err := s.event(ctx, tx, actor, a, evType, evNote); err != nil {
			return err
		}
		return s.fillView(ctx, tx, actor, a)
	})
	if err != nil {
		return nil, nil, nil, err
	}
	if reg != nil {
		s.notifyFeed()
	}
	return ap, a.ForViewer(actor), reg, nil
}

// refreshFlags recomputes a's item flags (overlap, duplicate_own, outside
// the country or the operator's space, many items) against what is held
// and applied for now, for showing a pending application and deciding an
// appeal: the flags of its submission may be stale (the other application
// may have moved on or left, the account may since hold one of its items).
// The operator's answers stay.
func (s *Service) refreshFlags(ctx context.Context, tx Tx, a *Application, set Settings) error {
	flags, err := s.addressFlags(ctx, tx, a, set)
	if err != nil {
		return err
	}
	for _, f := range a.Flags {
		if f.Code == FlagOperatorDisputed || f.Code == FlagOperatorUnanswered {
			flags = append(flags, f)
		}
	}
	a.Flags = flags
	return nil
}

// heldAlready lists a's items that its own account already holds in an
// active registration (other than the one a renews or amends), each with
// that registration: approving a would register them twice.
func heldAlready(a *Application) []string {
	var out []string
	for _, f := range a.Flags {
		if f.Code == FlagDuplicateOwn && f.With != nil && f.With.Registration != "" {
			out = append(out, f.Item+" ("+f.With.Registration+")")
		}
	}
	return out
}
