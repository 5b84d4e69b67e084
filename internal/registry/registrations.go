package registry

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
)

// regVisible reports whether actor may see r: its holder, or reviewers,
// supervisors and admins.
func regVisible(actor *User, r *Registration) bool {
	switch actor.Role {
	case RoleApplicant:
		return r.AccountID == actor.AccountID
	case RoleReviewer, RoleSupervisor, RoleAdmin:
		return true
	}
	return false
}

// ListRegistrations lists the holder's registrations, or any for staff.
func (s *Service) ListRegistrations(ctx context.Context, actor *User, f RegFilter) ([]*Registration, error) {
	if err := requireRole(actor, RoleApplicant, RoleReviewer, RoleSupervisor, RoleAdmin); err != nil {
		return nil, err
	}
	if f.Status != "" && f.Status != RegActive && f.Status != RegExpired && f.Status != RegRevoked && f.Status != RegSurrendered {
		return nil, FieldErrors{"status": "must be one of active, expired, revoked, surrendered"}.Err()
	}
	if actor.Role == RoleApplicant {
		f.AccountID = actor.AccountID
	}
	var out []*Registration
	list := func(tx Tx) error {
		var err error
		if out, err = tx.ListRegistrations(ctx, f); err != nil {
			return err
		}
		if actor.Role.Staff() {
			return s.record(ctx, tx, actor, "registrations.listed", "registration", "", map[string]any{"count": len(out)})
		}
		return nil
	}
	err := s.view(ctx, actor, list)
	return out, err
}

// GetRegistration returns one registration to its holder or to staff.
func (s *Service) GetRegistration(ctx context.Context, actor *User, number string) (*Registration, error) {
	if err := requireRole(actor, Roles...); err != nil {
		return nil, err
	}
	var r *Registration
	get := func(tx Tx) error {
		var err error
		if r, err = tx.Registration(ctx, number, false); err != nil {
			return err
		}
		if !regVisible(actor, r) {
			return Errorf(ENOTFOUND, "registration %s not found", number)
		}
		if actor.Role.Staff() {
			return s.record(ctx, tx, actor, "registration.viewed", "registration", number, nil)
		}
		return nil
	}
	err := s.view(ctx, actor, get)
	return r, err
}

// Surrender lets the holder give up an active registration.
func (s *Service) Surrender(ctx context.Context, actor *User, number, reason string) (*Registration, error) {
	if err := requireRole(actor, RoleApplicant); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	reason = text(fe, "reason", reason, 2000, false)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var r *Registration
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if r, err = tx.Registration(ctx, number, true); err != nil {
			return err
		}
		if r.AccountID != actor.AccountID {
			return Errorf(ENOTFOUND, "registration %s not found", number)
		}
		return s.end(ctx, tx, actor, r, RegSurrendered, reason)
	})
	if err != nil {
		return nil, err
	}
	s.notifyFeed()
	return r, nil
}

// end moves an active registration to a final status.
func (s *Service) end(ctx context.Context, tx Tx, actor *User, r *Registration, to RegStatus, reason string) error {
	if r.Status != RegActive {
		return Errorf(ECONFLICT, "registration %s is %s, not active", r.Number, r.Status)
	}
	r.Status, r.EndedAt, r.EndReason = to, s.Now(), reason
	if err := tx.UpdateRegistration(ctx, r); err != nil {
		return err
	}
	if err := s.allowlist(ctx, tx, r, "remove"); err != nil {
		return err
	}
	if err := s.notifyEnd(ctx, tx, r); err != nil {
		return err
	}
	if err := s.closeChanges(ctx, tx, actor, r); err != nil {
		return err
	}
	detail := map[string]string{"reason": reason}
	if to == RegSurrendered {
		// The holder's own words stay out of the audit log, whose entries
		// are never rewritten: the registration keeps them, and deleting
		// the account erases them there.
		detail = map[string]string{"reason_given": strconv.FormatBool(reason != "")}
	}
	return s.record(ctx, tx, actor, "registration."+string(to), "registration", r.Number, detail)
}

// closeChanges withdraws the open renewal or amendment of a registration
// that has just ended, which could no longer be approved, with a timeline
// note saying why; the reviewer's queue no longer shows it. A renewal
// survives expiry (a late renewal revives the registration), not a
// revocation or a surrender.
func (s *Service) closeChanges(ctx context.Context, tx Tx, actor *User, r *Registration) error {
	as, err := tx.ListApplications(ctx, AppFilter{ForRegistration: r.Number})
	if err != nil {
		return err
	}
	for _, a := range as {
		if !openChange(a.State) || (a.Kind == KindRenewal && r.Status == RegExpired) {
			continue
		}
		if err := s.cancelChecks(ctx, tx, a); err != nil {
			return err
		}
		a.State, a.UpdatedAt = StateWithdrawn, s.Now()
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		var note string
		switch r.Status {
		case RegExpired:
			note = fmt.Sprintf("closed: registration %s expired, and only an active registration can be amended; renew it, then amend it if you still need to", r.Number)
		case RegRevoked:
			note = fmt.Sprintf("closed: registration %s was revoked, so it can no longer be changed", r.Number)
		default:
			note = fmt.Sprintf("closed: registration %s was surrendered, so it can no longer be changed", r.Number)
		}
		if err := s.event(ctx, tx, actor, a, "withdrawn", note); err != nil {
			return err
		}
	}
	return nil
}

// ProposeRevocation starts a revocation; it takes effect only when a
// different supervisor confirms it.
func (s *Service) ProposeRevocation(ctx context.Context, actor *User, number, reason string) (*Revocation, error) {
	if err := requireRole(actor, RoleReviewer, RoleSupervisor); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	reason = text(fe, "reason", reason, 2000, true)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	rev := &Revocation{ID: auth.RandomID("rev"), RegistrationNumber: number, Reason: reason, State: RevocationPending,
		ProposedBy: actor.ID, ProposedAt: s.Now()}
	err := s.store.Write(ctx, func(tx Tx) error {
		r, err := tx.Registration(ctx, number, true)
		if err != nil {
			return err
		}
		if r.Status != RegActive {
			return Errorf(ECONFLICT, "registration %s is %s; only active registrations can be revoked", number, r.Status)
		}
		if err := tx.CreateRevocation(ctx, rev); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "revocation.proposed", "registration", number, map[string]string{"revocation": rev.ID, "reason": reason})
	})
	if err != nil {
		return nil, err
	}
	return rev, nil
}

// ListRevocations lists revocations (pending by default) for staff.
func (s *Service) ListRevocations(ctx context.Context, actor *User, state RevocationState) ([]*Revocation, error) {
	if err := requireRole(actor, RoleReviewer, RoleSupervisor); err != nil {
		return nil, err
	}
	if state == "" {
		state = RevocationPending
	}
	if state != RevocationPending && state != RevocationConfirmed && state != RevocationCancelled {
		return nil, FieldErrors{"state": "must be one of pending, confirmed, cancelled"}.Err()
	}
	var out []*Revocation
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListRevocations(ctx, state)
		return err
	})
	return out, err
}

// ConfirmRevocation is the supervisor's second signature: the registration
// is revoked. The proposer cannot confirm their own proposal.
func (s *Service) ConfirmRevocation(ctx context.Context, actor *User, id string) (*Revocation, *Registration, error) {
	return s.decideRevocation(ctx, actor, id, true)
}

// CancelRevocation withdraws a pending revocation (its proposer or a supervisor).
func (s *Service) CancelRevocation(ctx context.Context, actor *User, id string) (*Revocation, error) {
	rev, _, err := s.decideRevocation(ctx, actor, id, false)
	return rev, err
}

func (s *Service) decideRevocation(ctx context.Context, actor *User, id string, confirm bool) (*Revocation, *Registration, error) {
	roles := []Role{RoleSupervisor}
	if !confirm {
		roles = append(roles, RoleReviewer)
	}
	if err := requireRole(actor, roles...); err != nil {
		return nil, nil, err
	}
	var rev *Revocation
	var r *Registration
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if rev, err = tx.Revocation(ctx, id, true); err != nil {
			return err
		}
		if rev.State != RevocationPending {
			return Errorf(ECONFLICT, "revocation %s is already %s", id, rev.State)
		}
		if confirm && rev.ProposedBy == actor.ID {
			return Errorf(EFORBIDDEN, "you proposed this revocation; another supervisor must confirm it (maker-checker)")
		}
		if !confirm && actor.Role != RoleSupervisor && rev.ProposedBy != actor.ID {
			return Errorf(EFORBIDDEN, "only the proposer or a supervisor can cancel a revocation")
		}
		if r, err = tx.Registration(ctx, rev.RegistrationNumber, true); err != nil {
			return err
		}
		now := s.Now()
		rev.DecidedBy, rev.DecidedAt = actor.ID, now
		if confirm {
			rev.State = RevocationConfirmed
			if err := s.end(ctx, tx, actor, r, RegRevoked, rev.Reason); err != nil {
				return err
			}
		} else {
			rev.State = RevocationCancelled
		}
		if err := tx.UpdateRevocation(ctx, rev); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "revocation."+string(rev.State), "registration", r.Number, map[string]string{"revocation": id})
	})
	if err != nil {
		return nil, nil, err
	}
	if confirm {
		s.notifyFeed()
	}
	return rev, r, nil
}

// PublicRegistration is what anyone with a number and its code may learn.
type PublicRegistration struct {
	Number     string
	Status     RegStatus
	Category   Category
	ValidFrom  time.Time
	ValidUntil time.Time
	Holder     string // masked
	// HolderErased: the holder deleted their account, so the name is
	// erased and Holder is "" (pages say so in words).
	HolderErased bool
}

// Verify answers the public check of a registration number and its
// verification code. A wrong code answers exactly like an unknown number.
func (s *Service) Verify(ctx context.Context, number, code string) (*PublicRegistration, error) {
	r, err := s.verifyLookup(ctx, number, code)
	if err != nil {
		return nil, err
	}
	return s.public(r), nil
}

// verifyLookup finds the registration a number and code name, answering an
// unknown number and a wrong code alike.
func (s *Service) verifyLookup(ctx context.Context, number, code string) (*Registration, error) {
	notFound := Errorf(ENOTFOUND, "no registration matches that number and code; check both as printed on the certificate")
	number = strings.ToUpper(strings.TrimSpace(number))
	code = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))
	if code == "" {
		return nil, FieldErrors{"code": "is required: the verification code printed on the certificate"}.Err()
	}
	var r *Registration
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		r, err = tx.Registration(ctx, number, false)
		return err
	})
	if ErrorCode(err) == ENOTFOUND {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(r.VerificationCode), []byte(code)) != 1 {
		return nil, notFound
	}
	return r, nil
}

// public is what the verification page shows of r: its live status.
func (s *Service) public(r *Registration) *PublicRegistration {
	status := r.Status
	if status == RegActive && !s.Now().Before(r.ValidUntil) {
		status = RegExpired // the expiry job may not have run yet
	}
	return &PublicRegistration{Number: r.Number, Status: status, Category: r.Category, ValidFrom: r.ValidFrom,
		ValidUntil: r.ValidUntil, Holder: MaskName(r.HolderName), HolderErased: r.HolderName == ""}
}

// Stats returns the public figures.
func (s *Service) Stats(ctx context.Context) (*Stats, error) {
	var st *Stats
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		st, err = tx.Stats(ctx, s.Now())
		return err
	})
	return st, err
}
