package registry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
)

// verifyLifetime is how long an e-mail verification link works.
const verifyLifetime = 48 * time.Hour

// limitVerifyResend bounds the verification links a user asks for again.
var limitVerifyResend = limit{"verify-resend-user", 3, time.Hour}

// Languages are the languages people may read the registry's messages in.
var Languages = []string{"en", "ur"}

// mailVerification makes a verification link for u's present address and
// puts the message that carries it in the outbox, in tx.
func (s *Service) mailVerification(ctx context.Context, tx Tx, u *User) error {
	t, hash, err := auth.NewToken()
	if err != nil {
		return err
	}
	now := s.Now()
	v := &EmailVerification{ID: auth.RandomID("evf"), UserID: u.ID, Email: u.Email, Hash: hash, CreatedAt: now, ExpiresAt: now.Add(verifyLifetime)}
	if err := tx.CreateEmailVerification(ctx, v); err != nil {
		return err
	}
	data := map[string]string{"Path": "/verify-email?token=", "Hours": strconv.Itoa(int(verifyLifetime.Hours()))}
	_, err = s.mail(ctx, tx, u, "verify:"+v.ID, "verify_email", data, t, "")
	return err
}

// VerifyEmail takes the token of a verification link and marks its user's
// e-mail address verified. A link works once, within 48 hours, and only
// for the address it was sent to. It returns the user. (Tokens are 256-bit
// random secrets, so guessing needs no throttle here.)
func (s *Service) VerifyEmail(ctx context.Context, token string) (*User, error) {
	invalid := Errorf(ENOTFOUND, "this verification link is not valid: it was used already, has expired (links work for 48 hours), was mistyped, or your e-mail address has changed since; log in and ask for a new link on your account page")
	var u *User
	err := s.store.Write(ctx, func(tx Tx) error {
		v, err := tx.EmailVerificationByHash(ctx, auth.HashToken(token))
		if ErrorCode(err) == ENOTFOUND {
			return invalid
		}
		if err != nil {
			return err
		}
		if !v.UsedAt.IsZero() || !s.Now().Before(v.ExpiresAt) {
			return invalid
		}
		if u, err = tx.User(ctx, v.UserID); err != nil {
			return err
		}
		if u.Email != v.Email {
			return invalid
		}
		if ok, err := tx.UseEmailVerification(ctx, v.ID, s.Now()); err != nil || !ok {
			if err != nil {
				return err
			}
			return invalid
		}
		if u.EmailVerifiedAt.IsZero() {
			u.EmailVerifiedAt = s.Now()
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, u, "user.email_verified", "user", u.ID, nil)
	})
	return u, err
}

// ResendEmailVerification mails the actor a new verification link: at most
// 3 an hour. ECONFLICT when the address is verified already.
func (s *Service) ResendEmailVerification(ctx context.Context, actor *User) error {
	if err := requireUser(actor); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		u, err := tx.User(ctx, actor.ID)
		if err != nil {
			return err
		}
		if !u.EmailVerifiedAt.IsZero() {
			return Errorf(ECONFLICT, "your e-mail address %s is verified already", u.Email)
		}
		if _, err := s.reserve(ctx, tx, limitVerifyResend, s.Now(), u.ID); err != nil {
			var e *Error
			if errors.As(err, &e) && e.Code == ETOOMANY {
				return &Error{Code: ETOOMANY, RetryAfter: e.RetryAfter, Message: fmt.Sprintf(
					"you have asked for 3 verification links this hour; use the newest one in your mailbox, or wait %s", HumanDuration(e.RetryAfter))}
			}
			return err
		}
		if err := s.mailVerification(ctx, tx, u); err != nil {
			return err
		}
		return s.record(ctx, tx, u, "user.email_verification_sent", "user", u.ID, nil)
	})
}

// SetLanguage sets the language the actor reads messages in: "en" or "ur".
func (s *Service) SetLanguage(ctx context.Context, actor *User, lang string) (*User, error) {
	if err := requireUser(actor); err != nil {
		return nil, err
	}
	if lang = Language(lang); lang == "" {
		return nil, FieldErrors{"lang": `must be "en" (English) or "ur" (Urdu)`}.Err()
	}
	var u *User
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if u, err = tx.User(ctx, actor.ID); err != nil {
			return err
		}
		if u.Lang == lang {
			return nil
		}
		u.Lang = lang
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return s.record(ctx, tx, u, "user.language_set", "user", u.ID, map[string]string{"lang": lang})
	})
	if err != nil {
		return nil, err
	}
	actor.Lang = u.Lang
	return u, nil
}
