package registry

import (
	"context"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
)

// resetLifetime is how long a password reset link works.
const resetLifetime = time.Hour

// RequestPasswordReset makes a one-time reset token for the user with
// email, if there is one and they are not disabled. It returns "" with no
// error otherwise, so that callers answer the same either way and nobody
// learns which addresses have accounts. Requests are throttled per client
// address like failed logins.
func (s *Service) RequestPasswordReset(ctx context.Context, email, clientIP string) (string, error) {
	now := s.now()
	key := "reset:" + clientIP
	if w := s.perClient.Wait(key, now); w > 0 {
		return "", &Error{Code: ETOOMANY, RetryAfter: w, Message: "too many reset requests from your network; wait " + w.Round(time.Second).String() + " and try again"}
	}
	// Every request counts: each one may send an e-mail.
	s.perClient.Fail(key, now)
	var token string
	err := s.store.Write(ctx, func(tx Tx) error {
		u, err := tx.UserByEmail(ctx, normalizeLoginEmail(email))
		if ErrorCode(err) == ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		if u.Disabled {
			return nil
		}
		t, hash, err := auth.NewToken()
		if err != nil {
			return err
		}
		r := &PasswordReset{ID: auth.RandomID("rst"), UserID: u.ID, Hash: hash, CreatedAt: s.Now(), ExpiresAt: s.Now().Add(resetLifetime)}
		if err := tx.CreatePasswordReset(ctx, r); err != nil {
			return err
		}
		token = t
		return s.record(ctx, tx, u, "user.password_reset_requested", "user", u.ID, map[string]string{"client": clientIP})
	})
	return token, err
}

// ResetPassword sets a new password with a reset token. The token works
// once; every session and API token of the user ends, and TOTP (if on)
// stays required at the next login.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	fe := FieldErrors{}
	checkPassword(fe, "password", password)
	if err := fe.Err(); err != nil {
		return err
	}
	hash, err := auth.HashPassword(password, s.hashing)
	if err != nil {
		return err
	}
	invalid := Errorf(ENOTFOUND, "this reset link is not valid: it was used already, has expired (links work for an hour), or was mistyped; ask for a new one")
	return s.store.Write(ctx, func(tx Tx) error {
		r, err := tx.PasswordResetByHash(ctx, auth.HashToken(token))
		if ErrorCode(err) == ENOTFOUND {
			return invalid
		}
		if err != nil {
			return err
		}
		if !r.UsedAt.IsZero() || !s.Now().Before(r.ExpiresAt) {
			return invalid
		}
		if ok, err := tx.UsePasswordReset(ctx, r.ID, s.Now()); err != nil || !ok {
			if err != nil {
				return err
			}
			return invalid
		}
		u, err := tx.User(ctx, r.UserID)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteUserTokens(ctx, u.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, u, "user.password_reset", "user", u.ID, nil)
	})
}
