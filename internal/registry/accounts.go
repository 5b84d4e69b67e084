package registry

import (
	"context"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/netpolicy"
)

// SignupInput is what an applicant gives to open an account.
type SignupInput struct {
	Email, Password, Kind, Name, CNIC, Mobile, NTN, SECPNumber, PSEBNumber string
	// ClientIP is the address the sign-up comes from, for the throttle.
	ClientIP string
	// Lang is the language the applicant reads messages in ("en" or "ur";
	// empty for English): the portal passes the language it is shown in.
	Lang string
}

// Signup opens an applicant account and its user. Sign-ups count against
// the client address (50 in 15 minutes, shared by all replicas; ETOOMANY
// with RetryAfter beyond), and a taken e-mail is found before the password
// is hashed, so neither a flood nor duplicates cost a hash each. (The
// answer says the address is taken, as it must for the person to log in
// instead, so the lookup's timing tells nothing more.)
func (s *Service) Signup(ctx context.Context, in SignupInput) (*User, *Account, error) {
	fe := FieldErrors{}
	email := normalizeEmail(fe, "email", in.Email)
	checkPassword(fe, "password", in.Password)
	kind := AccountKind(in.Kind)
	if kind != KindCompany && kind != KindIndividual {
		fe.Add("kind", `must be "company" or "individual"`)
	}
	name := personName(fe, "name", in.Name, 200)
	cnic, err := NormalizeCNIC(in.CNIC)
	if err != nil {
		fe.AddErr("cnic", err)
	}
	mobile, err := netpolicy.NormalizeMobile(in.Mobile)
	if err != nil {
		fe.AddErr("mobile", err)
	}
	var ntn string
	if strings.TrimSpace(in.NTN) != "" {
		if ntn, err = NormalizeNTN(in.NTN); err != nil {
			fe.AddErr("ntn", err)
		}
	} else if kind == KindCompany {
		fe.Add("ntn", "is required for a company: give the company's National Tax Number, such as 1234567-8")
	}
	secp, pseb := strings.TrimSpace(in.SECPNumber), strings.TrimSpace(in.PSEBNumber)
	if secp != "" && !secpRe.MatchString(secp) {
		fe.Add("secp_number", "must be the SECP incorporation number: 3 to 30 letters, digits, / or -")
	}
	if pseb != "" && !psebRe.MatchString(pseb) {
		fe.Add("pseb_number", "must be the PSEB registration number: 3 to 30 letters, digits, / or -")
	}
	if in.Lang != "" {
		if l := Language(in.Lang); l != "" {
			in.Lang = l
		} else {
			fe.Add("lang", `must be "en" (English) or "ur" (Urdu)`)
		}
	}
	if kind == KindIndividual {
		if secp != "" {
			fe.Add("secp_number", "applies to companies only; leave it empty for an individual account")
		}
		if pseb != "" {
			fe.Add("pseb_number", "applies to companies only; leave it empty for an individual account")
		}
	}
	if err := fe.Err(); err != nil {
		return nil, nil, err
	}
	if err := s.reserveOne(ctx, limitSignup, "too many sign-ups from your network", clientKey(in.ClientIP)); err != nil {
		return nil, nil, err
	}
	// One account per CNIC or NTN, and per e-mail address; both looked up
	// before the costly hash (the identity first, so that its answer never
	// links a CNIC to an e-mail address). The unique keys answer a
	// concurrent twin in the write below.
	key := (&Account{Kind: kind, CNIC: cnic, NTN: ntn}).IdentityKey()
	taken := &Error{Code: ECONFLICT, Message: "an account with this e-mail already exists",
		Fields: map[string]string{"email": "is already registered; log in, or reset the password"}}
	err = s.store.Read(ctx, func(tx Tx) error {
		idTaken, err := tx.AccountIdentityTaken(ctx, key)
		if err != nil {
			return err
		}
		if idTaken {
			return identityTaken(kind)
		}
		_, err = tx.UserByEmail(ctx, email)
		switch ErrorCode(err) {
		case "":
			return taken
		case ENOTFOUND:
			return nil
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	acc := &Account{ID: auth.RandomID("acc"), Kind: kind, Name: name, CNIC: cnic, Mobile: mobile, NTN: ntn,
		SECPNumber: secp, PSEBNumber: pseb, CreatedAt: now}
	u := &User{ID: auth.RandomID("usr"), Email: email, Role: RoleApplicant, AccountID: acc.ID, PasswordHash: hash, CreatedAt: now, Lang: in.Lang,
		MadeInDemo: s.demoNoTOTP}
	err = s.store.Write(ctx, func(tx Tx) error {
		if err := tx.CreateAccount(ctx, acc); err != nil {
			if ErrorCode(err) == ECONFLICT {
				return identityTaken(kind)
			}
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			if ErrorCode(err) == ECONFLICT {
				return taken // a sign-up racing this one took it
			}
			return err
		}
		// The sign-up's link counts toward the 3 links an hour, as a
		// resent one does.
		if _, err := s.reserve(ctx, tx, limitVerifyResend, s.Now(), u.ID); err != nil {
			return err
		}
		if err := s.mailVerification(ctx, tx, u); err != nil {
			return err
		}
		return s.record(ctx, tx, u, "account.created", "account", acc.ID, map[string]string{"kind": string(kind)})
	})
	if err != nil {
		return nil, nil, err
	}
	return u, acc, nil
}

// Login checks a password and returns a new session token. Attempts are
// counted before the password is checked, per account and client address,
// per client address and per account (see throttle.go for the limits and
// why the owner cannot be locked out); the answer never says whether the
// e-mail exists. Over a limit it returns ETOOMANY with RetryAfter; when
// every hashing slot is busy, EUNAVAILABLE with RetryAfter (the attempt
// stays counted against the client, not against the account); when ctx
// ends while it waits for a slot, ctx's error (counted likewise). A client
// known for the account may use the hashing gate's reserved slot.
//
// A user with TOTP on must give a current code (totp); one already used is
// refused. Staff whose role needs TOTP and who have none yet get a token
// that may only set it up (Token.Scope), unless they are demo users under
// --demo (Config.DemoWithoutTOTP).
func (s *Service) Login(ctx context.Context, email, password, totp, clientIP string) (string, *Token, error) {
	email = normalizeLoginEmail(email)
	client := clientKey(clientIP)
	now := s.now()
	var u *User
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		u, err = tx.UserByEmail(ctx, email)
		return err
	})
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return "", nil, err
	}
	// Reserve before checking, in one transaction committed before the
	// hash. A client known for the account (see throttle.go) meets only
	// the account-and-client limit; any other client meets, in this order,
	// the client's (it bounds everything a client can cost, unknown e-mails
	// included), the account-and-client's and the account's. Every
	// transaction takes the buckets in this order, so concurrent ones cannot
	// deadlock; a refusal rolls back the places taken before it.
	var clientSlots, accountSlots []slot
	var known bool
	err = s.store.Write(ctx, func(tx Tx) error {
		clientSlots, accountSlots = clientSlots[:0], accountSlots[:0]
		at := s.Now()
		var err error
		if known, err = s.knownClient(ctx, tx, u, client, at); err != nil {
			return err
		}
		if !known {
			sl, err := s.reserve(ctx, tx, limitLoginClient, at, client)
			if err != nil {
				return err
			}
			clientSlots = append(clientSlots, sl)
		}
		sl, err := s.reserve(ctx, tx, limitLoginAccountClient, at, email, client)
		if err != nil {
			return err
		}
		accountSlots = append(accountSlots, sl)
		if !known {
			sl, err := s.reserve(ctx, tx, limitLoginAccount, at, email)
			if err != nil {
				return err
			}
			accountSlots = append(accountSlots, sl)
		}
		return nil
	})
	if ErrorCode(err) == ETOOMANY {
		return "", nil, s.tooManyLogins(err.(*Error).RetryAfter)
	}
	if err != nil {
		return "", nil, err
	}
	// giveBack returns places this attempt reserved: all of them on a
	// success, or a right password whose TOTP code is still to come; the
	// account's only when the password was never checked (no hashing slot
	// came free, or the caller left while queued) — that was no guess at
	// the account, but the client did cost a place in the queue, so a
	// flood refused with 503 still spends its client's allowance (as a
	// sign-up's or a reset's does). Failures counted before a success stay
	// until their window ends (or a password reset from this client): a
	// success that wiped them would give an attacker sharing the owner's
	// address five more guesses at each of the owner's logins, and would
	// let guesses racing it in parallel slip past the limit.
	// The caller may have gone while queued: give back with a context
	// that stays.
	wctx := context.WithoutCancel(ctx)
	giveBack := func(tx Tx, slots ...[]slot) error {
		for _, sls := range slots {
			for _, sl := range sls {
				if err := tx.RefundAttempt(wctx, sl.bucket, sl.windowEnd); err != nil {
					return err
				}
			}
		}
		return nil
	}
	hash := s.dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	// For an unknown e-mail, the dummy hash spends the same time as a real
	// check, so timing does not tell which e-mail addresses have accounts.
	// The client's bucket, reserved above, bounds how many such hashes a
	// client can cost. A client known for the account may use the gate's
	// reserved slot, so a flood of other logins cannot starve the owner.
	ok, err := s.checkPassword(ctx, known, hash, password)
	ok = ok && u != nil
	if notChecked(err) {
		if rerr := s.store.Write(wctx, func(tx Tx) error { return giveBack(tx, accountSlots) }); rerr != nil {
			s.log.WarnContext(wctx, "login: give back the account's throttle places", "err", rerr)
		}
		return "", nil, err
	}
	if err != nil {
		return "", nil, err
	}
	if !ok || u.Disabled {
		if u != nil && u.Disabled && ok {
			return "", nil, Errorf(EUNAUTHORIZED, "this account is disabled; contact the registry's administrators")
		}
		return "", nil, Errorf(EUNAUTHORIZED, "wrong e-mail or password")
	}
	if err := s.demoOutsideDemo(u); err != nil {
		return "", nil, err
	}
	var step int64
	scope := ""
	switch {
	case u.TOTPEnabled():
		if strings.TrimSpace(totp) == "" {
			if err := s.store.Write(ctx, func(tx Tx) error { return giveBack(tx, clientSlots, accountSlots) }); err != nil {
				return "", nil, err
			}
			return "", nil, &Error{Code: EUNAUTHORIZED, Message: "this account uses two-factor authentication: enter the code from your authenticator app",
				Fields: map[string]string{"totp": "is required: the 6-digit code your authenticator app shows for ipreg"}}
		}
		var match bool
		if step, match = auth.MatchTOTP(u.TOTPSecret, totp, now, u.TOTPLastStep); !match {
			return "", nil, &Error{Code: EUNAUTHORIZED, Message: "the authenticator code is wrong or has expired",
				Fields: map[string]string{"totp": "is wrong, expired or already used: enter the code your app shows now (check the phone's clock if this repeats)"}}
		}
	case u.Role.NeedsTOTP() && !s.totpExempt(u):
		scope = ScopeTOTPEnrolment
	}
	var settings Settings
	token, hash, err := auth.NewToken()
	if err != nil {
		return "", nil, err
	}
	tok := &Token{ID: auth.RandomID("tok"), UserID: u.ID, Kind: TokenSession, Name: "login", Hash: hash, CreatedAt: s.Now(), Scope: scope}
	err = s.store.Write(ctx, func(tx Tx) error {
		if step != 0 {
			fresh, err := tx.UseTOTPStep(ctx, u.ID, step)
			if err != nil {
				return err
			}
			if !fresh {
				return &Error{Code: EUNAUTHORIZED, Message: "this authenticator code was already used",
					Fields: map[string]string{"totp": "was already used: wait for the next code and enter that"}}
			}
		}
		if settings, err = tx.Settings(ctx); err != nil {
			return err
		}
		tok.ExpiresAt = tok.CreatedAt.Add(time.Duration(settings.SessionHours) * time.Hour)
		if scope == ScopeTOTPEnrolment {
			tok.ExpiresAt = tok.CreatedAt.Add(enrolmentLifetime)
		}
		if err := tx.CreateToken(ctx, tok); err != nil {
			return err
		}
		if err := giveBack(tx, clientSlots, accountSlots); err != nil {
			return err
		}
		if err := tx.RememberLoginClient(ctx, u.ID, clientDigest(u.ID, client), tok.CreatedAt); err != nil {
			return err
		}
		// The client as the opaque digest the throttle keeps, never the
		// address: the audit log cannot be rewritten when the account is
		// deleted, so it holds no personal data (see DeleteAccount).
		return s.record(ctx, tx, u, "user.login", "user", u.ID, map[string]string{"client": clientDigest(u.ID, client)})
	})
	if err != nil {
		return "", nil, err
	}
	return token, tok, nil
}

// Authenticate returns the user a bearer token belongs to.
func (s *Service) Authenticate(ctx context.Context, token string) (*User, error) {
	if !strings.HasPrefix(token, auth.TokenPrefix) {
		return nil, Errorf(EUNAUTHORIZED, "the bearer token is not an ipreg token; log in again")
	}
	var u *User
	var scope string
	var tok *Token
	var set Settings
	err := s.store.Read(ctx, func(tx Tx) error {
		// One statement, not three (token, settings, user): it runs
		// before every authenticated request.
		var err error
		tok, u, set, err = tx.TokenSession(ctx, auth.HashToken(token))
		if err != nil {
			return err
		}
		scope = tok.Scope
		if !s.Now().Before(tok.ExpiresAt) {
			return Errorf(EUNAUTHORIZED, "the token has expired; log in again or create a new API token")
		}
		return nil
	})
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(EUNAUTHORIZED, "the token is not valid (revoked or mistyped); log in again")
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, Errorf(EUNAUTHORIZED, "this account is disabled; contact the registry's administrators")
	}
	if err := s.demoOutsideDemo(u); err != nil {
		return nil, err
	}
	// Whatever the token says: staff without TOTP whose role needs it may
	// only set it up (their TOTP was reset, or the server no longer runs
	// with --demo).
	u.EnrolmentOnly = scope == ScopeTOTPEnrolment || (u.Role.NeedsTOTP() && !u.TOTPEnabled() && !s.totpExempt(u))
	u.FeedOnly = scope == ScopeFeed
	if until, ok := s.slideSession(tok, set); ok {
		if err := s.store.Write(ctx, func(tx Tx) error { return tx.UpdateToken(ctx, until) }); err != nil {
			return nil, err
		}
		u.SessionRenewedUntil = until.ExpiresAt
	}
	return u, nil
}

// SessionCap is the longest a login session lasts however active it is:
// a login ends session_hours (a setting) after the last request made with
// it, and at the latest SessionCap after the login (or session_hours after
// it, if an administrator set that longer). Then the user logs in again.
const SessionCap = 7 * 24 * time.Hour

// slideSession moves a full login session's expiry to session_hours from
// now, within SessionCap of the login, so that an active user is not
// logged out in the middle of their work. To spare the database a write
// per request it moves only once a twenty-fourth of the window has passed
// since the last move (every 30 minutes with the default 12 hours). API
// tokens, feed tokens and TOTP-enrolment logins keep their fixed expiry.
func (s *Service) slideSession(tok *Token, set Settings) (*Token, bool) {
	if tok == nil || tok.Kind != TokenSession || tok.Scope != "" {
		return nil, false
	}
	window := time.Duration(set.SessionHours) * time.Hour
	limit := tok.CreatedAt.Add(max(SessionCap, window))
	until := s.Now().Add(window)
	if until.After(limit) {
		until = limit
	}
	if until.Sub(tok.ExpiresAt) < window/24 {
		return nil, false
	}
	moved := *tok
	moved.ExpiresAt = until
	return &moved, true
}

// Logout revokes the token the actor used.
func (s *Service) Logout(ctx context.Context, actor *User, token string) error {
	if err := requireUser(actor); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		tok, err := tx.TokenByHash(ctx, auth.HashToken(token))
		if err != nil {
			return err
		}
		if err := tx.DeleteToken(ctx, actor.ID, tok.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "user.logout", "user", actor.ID, nil)
	})
}

// CreateAPIToken issues a named long-lived token for programs, with full
// access (scope "") or, for an operator user, ScopeFeed.
func (s *Service) CreateAPIToken(ctx context.Context, actor *User, name string, days int, scope string) (string, *Token, error) {
	if err := requireRole(actor, Roles...); err != nil {
		return "", nil, err
	}
	fe := FieldErrors{}
	name = text(fe, "name", name, 100, true)
	switch {
	case scope == ScopeFeed && actor.Role != RoleOperator:
		fe.Add("scope", "\"feed\" reads an operator's feed, so only operator users have it; leave scope out for a full-access token")
	case scope != "" && scope != ScopeFeed:
		fe.Add("scope", "must be \"feed\" (read your operator's feed and nothing else, for ipreg-agent) or left out (full access)")
	}
	if days == 0 {
		days = 90
	}
	if days < 1 || days > 366 {
		fe.Add("expires_in_days", "must be between 1 and 366")
	}
	if err := fe.Err(); err != nil {
		return "", nil, err
	}
	token, hash, err := auth.NewToken()
	if err != nil {
		return "", nil, err
	}
	now := s.Now()
	tok := &Token{ID: auth.RandomID("tok"), UserID: actor.ID, Kind: TokenAPI, Name: name, Hash: hash, CreatedAt: now,
		ExpiresAt: now.AddDate(0, 0, days), Scope: scope}
	err = s.store.Write(ctx, func(tx Tx) error {
		if err := tx.CreateToken(ctx, tok); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "token.created", "token", tok.ID, map[string]string{"name": name, "scope": scope})
	})
	if err != nil {
		return "", nil, err
	}
	return token, tok, nil
}

// ListTokens lists the actor's tokens (never their secrets).
func (s *Service) ListTokens(ctx context.Context, actor *User) ([]*Token, error) {
	if err := requireRole(actor, Roles...); err != nil {
		return nil, err
	}
	var out []*Token
	err := s.store.Read(ctx, func(tx Tx) error {
		all, err := tx.ListTokens(ctx, actor.ID)
		for _, t := range all {
			if s.Now().Before(t.ExpiresAt) { // expired sessions wait out SessionAfterlife unlisted
				out = append(out, t)
			}
		}
		return err
	})
	return out, err
}

// SessionAfterlife is how long a login session's record stays after it
// expired (CleanTokens deletes it then), while a logout, a password change
// or an administrator deletes it at once: within it, the portal tells a
// session that ended by time (a form posted then is kept for the next
// login) from one that was ended on purpose (a copy of its account cookie
// keeps nothing).
const SessionAfterlife = 24 * time.Hour

// SessionNotEnded reports whether one of the user's login sessions, live or
// expired less than SessionAfterlife ago, has a hash that match accepts:
// false once that session was logged out (or revoked).
func (s *Service) SessionNotEnded(ctx context.Context, userID string, match func(hash string) bool) (bool, error) {
	found := false
	err := s.store.Read(ctx, func(tx Tx) error {
		ts, err := tx.ListTokens(ctx, userID)
		for _, t := range ts {
			if t.Kind == TokenSession && match(t.Hash) {
				found = true
			}
		}
		return err
	})
	return found, err
}

// DeleteToken revokes one of the actor's tokens.
func (s *Service) DeleteToken(ctx context.Context, actor *User, id string) error {
	if err := requireRole(actor, Roles...); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		if err := tx.DeleteToken(ctx, actor.ID, id); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "token.deleted", "token", id, nil)
	})
}

// Profile is what /me shows.
type Profile struct {
	User         *User
	Account      *Account  // applicants
	Operator     *Operator // operator staff
	TOTPRequired bool      // the user's logins must use TOTP
}

// Me returns the actor's profile.
func (s *Service) Me(ctx context.Context, actor *User) (*Profile, error) {
	if err := requireAnyScope(actor); err != nil {
		return nil, err
	}
	p := &Profile{User: actor, TOTPRequired: actor.Role.NeedsTOTP() && !s.totpExempt(actor)}
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		if actor.AccountID != "" {
			if p.Account, err = tx.Account(ctx, actor.AccountID); err != nil {
				return err
			}
		}
		if actor.OperatorID != "" {
			if p.Operator, err = tx.Operator(ctx, actor.OperatorID); err != nil {
				return err
			}
		}
		return nil
	})
	return p, err
}
