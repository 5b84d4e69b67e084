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
}

// Signup opens an applicant account and its user.
func (s *Service) Signup(ctx context.Context, in SignupInput) (*User, *Account, error) {
	fe := FieldErrors{}
	email := normalizeEmail(fe, "email", in.Email)
	checkPassword(fe, "password", in.Password)
	kind := AccountKind(in.Kind)
	if kind != KindCompany && kind != KindIndividual {
		fe.Add("kind", `must be "company" or "individual"`)
	}
	name := text(fe, "name", in.Name, 200, true)
	cnic, err := NormalizeCNIC(in.CNIC)
	if err != nil {
		fe.Add("cnic", "%s", err.Error())
	}
	mobile, err := netpolicy.NormalizeMobile(in.Mobile)
	if err != nil {
		fe.Add("mobile", "%s", err.Error())
	}
	var ntn string
	if strings.TrimSpace(in.NTN) != "" {
		if ntn, err = NormalizeNTN(in.NTN); err != nil {
			fe.Add("ntn", "%s", err.Error())
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
	// One account per CNIC or NTN; looked up before the costly hash. The
	// unique key answers a concurrent twin in the write below.
	key := (&Account{Kind: kind, CNIC: cnic, NTN: ntn}).IdentityKey()
	if err := s.store.Read(ctx, func(tx Tx) error {
		taken, err := tx.AccountIdentityTaken(ctx, key)
		if err == nil && taken {
			err = identityTaken(kind)
		}
		return err
	}); err != nil {
		return nil, nil, err
	}
	hash, err := auth.HashPassword(in.Password, s.hashing)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	acc := &Account{ID: auth.RandomID("acc"), Kind: kind, Name: name, CNIC: cnic, Mobile: mobile, NTN: ntn,
		SECPNumber: secp, PSEBNumber: pseb, CreatedAt: now}
	u := &User{ID: auth.RandomID("usr"), Email: email, Role: RoleApplicant, AccountID: acc.ID, PasswordHash: hash, CreatedAt: now}
	err = s.store.Write(ctx, func(tx Tx) error {
		if err := tx.CreateAccount(ctx, acc); err != nil {
			if ErrorCode(err) == ECONFLICT {
				return identityTaken(kind)
			}
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			if ErrorCode(err) == ECONFLICT {
				return &Error{Code: ECONFLICT, Message: "an account with this e-mail already exists",
					Fields: map[string]string{"email": "is already registered; log in, or reset the password"}}
			}
			return err
		}
		return s.record(ctx, tx, u, "account.created", "account", acc.ID, map[string]string{"kind": string(kind)})
	})
	if err != nil {
		return nil, nil, err
	}
	return u, acc, nil
}

// Login checks a password and returns a new session token. Failures are
// throttled per account and per client address; the answer never says
// whether the e-mail exists.
//
// A user with TOTP on must give a current code (totp); one already used is
// refused. Staff whose role needs TOTP and who have none yet get a token
// that may only set it up (Token.Scope), unless they are demo users under
// --demo (Config.DemoWithoutTOTP).
func (s *Service) Login(ctx context.Context, email, password, totp, clientIP string) (string, *Token, error) {
	email = normalizeLoginEmail(email)
	now := s.now()
	acctKey, clientKey := "acct:"+email, "client:"+clientIP
	if w := max(s.perAccount.Wait(acctKey, now), s.perClient.Wait(clientKey, now)); w > 0 {
		return "", nil, &Error{Code: ETOOMANY, RetryAfter: w,
			Message: "too many failed logins; wait " + w.Round(time.Second).String() + " and try again, or reset the password"}
	}
	var u *User
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		u, err = tx.UserByEmail(ctx, email)
		return err
	})
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return "", nil, err
	}
	ok := false
	if u != nil {
		if ok, err = auth.CheckPassword(u.PasswordHash, password); err != nil {
			return "", nil, err
		}
	} else {
		// Spend the same time as a real check, so timing does not tell
		// which e-mail addresses have accounts.
		auth.CheckPassword(s.dummyHash, password)
	}
	if !ok || u.Disabled {
		s.perAccount.Fail(acctKey, now)
		s.perClient.Fail(clientKey, now)
		if u != nil && u.Disabled && ok {
			return "", nil, Errorf(EUNAUTHORIZED, "this account is disabled; contact the registry's administrators")
		}
		return "", nil, Errorf(EUNAUTHORIZED, "wrong e-mail or password")
	}
	var step int64
	scope := ""
	switch {
	case u.TOTPEnabled():
		if strings.TrimSpace(totp) == "" {
			return "", nil, &Error{Code: EUNAUTHORIZED, Message: "this account uses two-factor authentication: enter the code from your authenticator app",
				Fields: map[string]string{"totp": "is required: the 6-digit code your authenticator app shows for ipreg"}}
		}
		var match bool
		if step, match = auth.MatchTOTP(u.TOTPSecret, totp, now, u.TOTPLastStep); !match {
			s.perAccount.Fail(acctKey, now)
			s.perClient.Fail(clientKey, now)
			return "", nil, &Error{Code: EUNAUTHORIZED, Message: "the authenticator code is wrong or has expired",
				Fields: map[string]string{"totp": "is wrong, expired or already used: enter the code your app shows now (check the phone's clock if this repeats)"}}
		}
	case u.Role.NeedsTOTP() && !s.totpExempt(u):
		scope = ScopeTOTPEnrolment
	}
	s.perAccount.Reset(acctKey)
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
		return s.record(ctx, tx, u, "user.login", "user", u.ID, map[string]string{"client": clientIP})
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
	err := s.store.Read(ctx, func(tx Tx) error {
		tok, err := tx.TokenByHash(ctx, auth.HashToken(token))
		if err != nil {
			return err
		}
		scope = tok.Scope
		if !s.Now().Before(tok.ExpiresAt) {
			return Errorf(EUNAUTHORIZED, "the token has expired; log in again or create a new API token")
		}
		u, err = tx.User(ctx, tok.UserID)
		return err
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
	// Whatever the token says: staff without TOTP whose role needs it may
	// only set it up (their TOTP was reset, or the server no longer runs
	// with --demo).
	u.EnrolmentOnly = scope == ScopeTOTPEnrolment || (u.Role.NeedsTOTP() && !u.TOTPEnabled() && !s.totpExempt(u))
	return u, nil
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

// CreateAPIToken issues a named long-lived token for programs.
func (s *Service) CreateAPIToken(ctx context.Context, actor *User, name string, days int) (string, *Token, error) {
	if err := requireRole(actor, Roles...); err != nil {
		return "", nil, err
	}
	fe := FieldErrors{}
	name = text(fe, "name", name, 100, true)
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
		ExpiresAt: now.AddDate(0, 0, days)}
	err = s.store.Write(ctx, func(tx Tx) error {
		if err := tx.CreateToken(ctx, tok); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "token.created", "token", tok.ID, map[string]string{"name": name})
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
		var err error
		out, err = tx.ListTokens(ctx, actor.ID)
		return err
	})
	return out, err
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
	if err := requireUser(actor); err != nil {
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
