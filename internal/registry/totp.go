package registry

import (
	"context"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
)

// enrolmentLifetime bounds a login that may only set up TOTP.
const enrolmentLifetime = 15 * time.Minute

// totpExempt reports whether u may skip TOTP although the role needs it:
// only the demo's own seeded users (EnsureDemo's, whose password the README
// publishes), only under --demo. Not every @demo.test address: staff an
// admin adds while the demo runs, whatever their domain, set up TOTP like
// any other staff. (users.made_in_demo cannot tell them apart: it marks
// every user made under --demo, the seeded ones too.)
func (s *Service) totpExempt(u *User) bool {
	return s.demoNoTOTP && isSeededDemoUser(u)
}

// isSeededDemoUser reports whether u is one of the users EnsureDemo makes:
// admin, reviewer and supervisor, and operator.<id> of each DemoOperators,
// all @demo.test, with the operator's user bound to that operator.
func isSeededDemoUser(u *User) bool {
	for _, d := range demoUsers() {
		if u.Email == d.Email && u.Role == d.Role && u.OperatorID == d.OperatorID {
			return true
		}
	}
	return false
}

// isDemoUser reports whether u is one of the demo's users (@demo.test),
// whose password is published in the README.
func isDemoUser(u *User) bool { return strings.HasSuffix(u.Email, DemoDomain) }

// demoOutsideDemo refuses the demo's users on a server not started with
// --demo: their password is public, so on such a server anyone could log
// in as the demo's admin and set up TOTP of their own. Login and every
// token's authentication go through it.
func (s *Service) demoOutsideDemo(u *User) error {
	if isDemoUser(u) && !s.demoNoTOTP {
		return Errorf(EUNAUTHORIZED, "the demo's users (%s) log in only to ipreg serve --demo; create real users with ipreg user add", DemoDomain)
	}
	return nil
}

// TOTPEnrolment is a started enrolment: the secret to put in an
// authenticator app, typed or as the otpauth URL in a QR code.
type TOTPEnrolment struct {
	Secret string
	URL    string
}

// BeginTOTP starts (or restarts) TOTP enrolment for the actor. The secret
// takes effect only once ConfirmTOTP has seen a code made from it.
func (s *Service) BeginTOTP(ctx context.Context, actor *User) (*TOTPEnrolment, error) {
	if err := requireUser(actor); err != nil {
		return nil, err
	}
	var out *TOTPEnrolment
	err := s.store.Write(ctx, func(tx Tx) error {
		u, err := tx.User(ctx, actor.ID)
		if err != nil {
			return err
		}
		if u.TOTPEnabled() {
			return Errorf(ECONFLICT, "two-factor authentication is already on; to move it to another phone, turn it off first (or ask an administrator to reset it)")
		}
		secret, url, err := auth.NewTOTP(s.totpIssuer, u.Email)
		if err != nil {
			return err
		}
		u.TOTPSecret = secret
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		out = &TOTPEnrolment{Secret: secret, URL: url}
		return s.record(ctx, tx, actor, "user.totp_started", "user", u.ID, nil)
	})
	return out, err
}

// ConfirmTOTP turns TOTP on once the actor shows a code from the secret
// BeginTOTP gave. A login that could only set up TOTP (token) becomes a
// full session.
func (s *Service) ConfirmTOTP(ctx context.Context, actor *User, token, code string) error {
	if err := requireUser(actor); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		u, err := tx.User(ctx, actor.ID)
		if err != nil {
			return err
		}
		if u.TOTPEnabled() {
			return Errorf(ECONFLICT, "two-factor authentication is already on")
		}
		if u.TOTPSecret == "" {
			return Errorf(ECONFLICT, "start enrolment first (POST /api/v1/me/totp), then confirm with a code")
		}
		step, ok := auth.MatchTOTP(u.TOTPSecret, code, s.now(), u.TOTPLastStep)
		if !ok {
			return FieldErrors{"code": "is wrong or expired: enter the 6-digit code your app shows now for ipreg (check the phone's clock if this repeats)"}.Err()
		}
		if _, err := tx.UseTOTPStep(ctx, u.ID, step); err != nil {
			return err
		}
		u.TOTPEnabledAt = s.Now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if tok, err := tx.TokenByHash(ctx, auth.HashToken(token)); err == nil && tok.Scope == ScopeTOTPEnrolment {
			set, err := tx.Settings(ctx)
			if err != nil {
				return err
			}
			tok.Scope = ""
			tok.ExpiresAt = s.Now().Add(time.Duration(set.SessionHours) * time.Hour)
			if err := tx.UpdateToken(ctx, tok); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, actor, "user.totp_enabled", "user", u.ID, nil)
	})
}

// DisableTOTP turns TOTP off for a user whose role does not need it, on a
// current code.
func (s *Service) DisableTOTP(ctx context.Context, actor *User, code string) error {
	if err := requireRole(actor, Roles...); err != nil {
		return err
	}
	if actor.Role.NeedsTOTP() {
		return Errorf(EFORBIDDEN, "your role requires two-factor authentication; if you lost your authenticator, ask an administrator to reset it")
	}
	// Only a code that will be checked counts: without TOTP on there is
	// nothing to guess (and nothing to count).
	if err := s.store.Read(ctx, func(tx Tx) error {
		u, err := tx.User(ctx, actor.ID)
		if err == nil && !u.TOTPEnabled() {
			return Errorf(ECONFLICT, "two-factor authentication is not on")
		}
		return err
	}); err != nil {
		return err
	}
	// The attempt is counted in a transaction of its own, committed before
	// the code is checked: the check's transaction rolls back on a wrong
	// code, and would take the count with it.
	sl, err := s.reserveSlot(ctx, limitTOTPDisable, "too many wrong authenticator codes", actor.ID)
	if err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		u, err := tx.User(ctx, actor.ID)
		if err != nil {
			return err
		}
		if !u.TOTPEnabled() {
			return Errorf(ECONFLICT, "two-factor authentication is not on")
		}
		step, ok := auth.MatchTOTP(u.TOTPSecret, code, s.now(), u.TOTPLastStep)
		if !ok {
			return FieldErrors{"code": "is wrong, expired or already used: enter the code your app shows now"}.Err()
		}
		if fresh, err := tx.UseTOTPStep(ctx, u.ID, step); err != nil || !fresh {
			return FieldErrors{"code": "was already used: wait for the next code"}.Err()
		}
		u.TOTPSecret, u.TOTPEnabledAt = "", time.Time{}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		// Only wrong codes count: the right one gives its attempt back.
		if err := tx.RefundAttempt(ctx, sl.bucket, sl.windowEnd); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "user.totp_disabled", "user", u.ID, nil)
	})
}

// ResetTOTP clears a user's TOTP after they lost their authenticator, and
// ends all their sessions and API tokens: their next login sets TOTP up
// again. Admins only (or ipreg user reset-totp on the server).
func (s *Service) ResetTOTP(ctx context.Context, actor *User, email string) (*User, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	var u *User
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if u, err = tx.UserByEmail(ctx, normalizeLoginEmail(email)); err != nil {
			return err
		}
		u.TOTPSecret, u.TOTPEnabledAt = "", time.Time{}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteUserTokens(ctx, u.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "user.totp_reset", "user", u.ID, nil)
	})
	return u, err
}
