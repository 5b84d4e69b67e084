package registry

import (
	"context"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
)

// resetLifetime is how long a password reset link works.
const resetLifetime = time.Hour

// RequestPasswordReset makes a one-time reset token for the user with
// email, if there is one and they are not disabled, and puts the e-mail
// that carries the link (PublicURL + /password/reset?token=…) in the outbox. It returns "" with no
// error otherwise, so that callers answer the same either way and nobody
// learns which addresses have accounts. Every request counts against the
// client address (50 in 15 minutes, shared by all replicas): each one may
// send an e-mail. An account gets at most 3 links an hour (limitResetAccount);
// past that a request also returns "" with no error, and makes no link.
func (s *Service) RequestPasswordReset(ctx context.Context, email, clientIP string) (string, error) {
	l, err := s.RequestPasswordResetLink(ctx, email, clientIP)
	return l.Token, err
}

// ResetLink is a password reset token and the address to send it to.
type ResetLink struct {
	Token string
	// To is the account's stored e-mail address (NormalizeEmail's form),
	// never the text the request typed: "ZOË@BÜCHER.example" asks for the
	// link, zoë@xn--bcher-kva.example receives it.
	To string
}

// RequestPasswordResetLink is RequestPasswordReset with the recipient:
// a zero ResetLink when no link was made.
func (s *Service) RequestPasswordResetLink(ctx context.Context, email, clientIP string) (ResetLink, error) {
	if err := s.reserveOne(ctx, limitResetRequest, "too many reset requests from your network", clientKey(clientIP)); err != nil {
		return ResetLink{}, err
	}
	var link ResetLink
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
		// The account's own limit, in this transaction: past it, no link,
		// and the same answer as for an address without an account.
		n, _, err := tx.ReserveAttempt(ctx, limitResetAccount.bucket(u.Email), s.Now(), limitResetAccount.window)
		if err != nil {
			return err
		}
		if n > limitResetAccount.max {
			s.log.InfoContext(ctx, "password reset: no link made, the account has had its reset links this hour", "user", u.ID)
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
		link = ResetLink{Token: t, To: u.Email}
		// The link goes out by e-mail, through the outbox, in this
		// transaction: no reset without its message, and none twice.
		if _, err := s.mail(ctx, tx, u, "reset:"+r.ID, "password_reset", map[string]string{"Path": "/password/reset?token="}, t, ""); err != nil {
			return err
		}
		// The client's digest, not its address: see Login.
		return s.record(ctx, tx, u, "user.password_reset_requested", "user", u.ID, map[string]string{"client": clientDigest(u.ID, clientKey(clientIP))})
	})
	return link, err
}

// ResetPassword sets a new password with a reset token, from clientIP.
// The link is looked up before the new password is hashed, so an invalid
// link costs no hash (and, being a random 256-bit secret, its lookup time
// tells nothing); attempts count against the client address (50 in 15
// minutes). A reset ends, in one transaction:
//   - every reset link of the user, not only this one (OWASP Forgot
//     Password cheat sheet: a used token and its siblings stop working);
//   - every session and API token of the user (OWASP ASVS v4 3.3.3: after
//     a password change, other sessions must not keep their access — a
//     reset is how an owner takes the account back);
//
// and it makes clientIP a client the user logged in from (the mailbox
// proved the owner), clearing its failed logins, so a spray of failed
// logins from elsewhere cannot keep the owner out. TOTP, if on, stays
// required at the next login.
func (s *Service) ResetPassword(ctx context.Context, token, password, clientIP string) error {
	fe := FieldErrors{}
	checkPassword(fe, "password", password)
	if err := fe.Err(); err != nil {
		return err
	}
	if err := s.reserveOne(ctx, limitResetConfirm, "too many password resets from your network", clientKey(clientIP)); err != nil {
		return err
	}
	invalid := Errorf(ENOTFOUND, "this reset link is not valid: it was used already, has expired (links work for an hour), or was mistyped; ask for a new one")
	valid := func(r *PasswordReset, err error) (*PasswordReset, error) {
		if ErrorCode(err) == ENOTFOUND {
			return nil, invalid
		}
		if err != nil {
			return nil, err
		}
		if !r.UsedAt.IsZero() || !s.Now().Before(r.ExpiresAt) {
			return nil, invalid
		}
		return r, nil
	}
	err := s.store.Read(ctx, func(tx Tx) error {
		_, err := valid(tx.PasswordResetByHash(ctx, auth.HashToken(token)))
		return err
	})
	if err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		r, err := valid(tx.PasswordResetByHash(ctx, auth.HashToken(token)))
		if err != nil {
			return err
		}
		if ok, err := tx.UsePasswordReset(ctx, r.ID, s.Now()); err != nil || !ok {
			if err != nil {
				return err
			}
			return invalid
		}
		if _, err := tx.EndPasswordResets(ctx, r.UserID, s.Now()); err != nil {
			return err
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
		client := clientKey(clientIP)
		if err := tx.RememberLoginClient(ctx, u.ID, clientDigest(u.ID, client), s.Now()); err != nil {
			return err
		}
		if err := tx.ClearAttempts(ctx, limitLoginAccountClient.bucket(u.Email, client)); err != nil {
			return err
		}
		if err := tx.ClearAttempts(ctx, limitResetAccount.bucket(u.Email)); err != nil {
			return err
		}
		return s.record(ctx, tx, u, "user.password_reset", "user", u.ID, nil)
	})
}
