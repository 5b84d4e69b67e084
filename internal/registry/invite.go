package registry

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/auth"
)

// inviteLifetime is how long an invitation link works: longer than a
// reset link's hour, as a holder of the old allowlist did not ask for it
// and may open it days later.
const inviteLifetime = 14 * 24 * time.Hour

// limitClaim bounds the claims a client address may try (each costs a
// password hash when the token is right).
var limitClaim = limit{"claim-client", 50, 15 * time.Minute}

// NoMailboxDomain ends the placeholder e-mail address of a user made
// without one (an imported holder whose row had no e-mail): users.email is
// unique and not null, and .invalid (RFC 2606) can never receive mail.
// NoMailboxEmail makes it; HasMailbox tells it apart.
const NoMailboxDomain = "@no-email.invalid"

// NoMailboxEmail is the placeholder address of user id without e-mail.
func NoMailboxEmail(userID string) string { return "no-email-" + userID + NoMailboxDomain }

// HasMailbox reports whether email can receive mail: not empty, and not
// in the .invalid domain of placeholders and erased accounts.
func HasMailbox(email string) bool {
	return email != "" && !strings.HasSuffix(strings.ToLower(email), ".invalid")
}

// InviteHolders invites the users userIDs (applicants made by an import,
// who have no password yet) to claim their accounts, and returns how many
// invitations it made or renewed. It is idempotent: a user has at most one
// invitation, and inviting again renews its token (the old link stops
// working) and its expiry of 14 days. A user with an e-mail address gets
// the link by e-mail through the outbox; for one without (HasMailbox), the
// invitation waits in PendingInvitations until an admin makes a link to
// hand out (InvitationLink). actor is the audit actor: an admin's user id,
// or "cli". All or nothing: EINVALID names a user that is not an applicant
// without a password (staff, or an account already claimed or used),
// ENOTFOUND one that does not exist. The source of the rule is issue 13
// ("Imported holders get accounts they can claim").
func (s *Service) InviteHolders(ctx context.Context, actor string, userIDs []string) (int, error) {
	if strings.TrimSpace(actor) == "" {
		return 0, Errorf(EINVALID, "an invitation needs an actor for the audit log: an admin's user id, or \"cli\"")
	}
	ids := slices.Clone(userIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	n := 0
	// One transaction, and a statement per table rather than five per
	// user (tester: 31,000 holders): the users read at once, the checks
	// of those with a password hash from one audit query, then the
	// invitations, their e-mails and audit entries written in bulk, as an
	// import writes its own (importInvitations). The results, audit
	// entries included, are what inviting one user at a time wrote.
	err := s.store.Write(ctx, func(tx Tx) error {
		n = 0
		users, err := tx.UsersByID(ctx, ids)
		if err != nil {
			return err
		}
		var about []AuditObject
		for _, u := range users {
			if u.PasswordHash != "" {
				about = append(about, AuditObject{Type: "user", ID: u.ID}, AuditObject{Type: "account", ID: u.AccountID})
			}
		}
		var entries []audit.Entry
		if len(about) > 0 {
			if entries, err = tx.AuditEntriesAbout(ctx, about); err != nil {
				return err
			}
		}
		byObject := map[AuditObject][]audit.Entry{}
		for _, e := range entries {
			o := AuditObject{Type: e.ObjectType, ID: e.ObjectID}
			byObject[o] = append(byObject[o], e)
		}
		// In the order of ids, as one at a time: the first refusal wins.
		list := make([]*User, 0, len(ids))
		for _, id := range ids {
			u := users[id]
			if u == nil {
				return Errorf(ENOTFOUND, "user %s not found", id)
			}
			list = append(list, u)
			es := append(slices.Clone(byObject[AuditObject{Type: "user", ID: u.ID}]), byObject[AuditObject{Type: "account", ID: u.AccountID}]...)
			if err := invitableGiven(u, es); err != nil {
				return err
			}
		}
		invs := make([]*Invitation, len(list))
		tokens := make([]string, len(list))
		for i, u := range list {
			if tokens[i], invs[i], err = s.newInvitation(actor, u, HasMailbox(u.Email)); err != nil {
				return err
			}
		}
		if err := tx.PutInvitations(ctx, invs); err != nil {
			return err
		}
		// After PutInvitations: a renewal keeps the row's first id,
		// which the message's key names.
		var mails []*Message
		for i, u := range list {
			if invs[i].Mailed {
				mails = append(mails, s.invitationMail(u, invs[i], tokens[i]))
			}
		}
		if err := tx.EnqueueMessages(ctx, mails); err != nil {
			return err
		}
		by := &User{ID: actor}
		for i, u := range list {
			e, err := s.auditEntry(by, "user.invited", "user", u.ID, map[string]bool{"mailed": invs[i].Mailed})
			if err != nil {
				return err
			}
			if err := tx.AppendAudit(ctx, e); err != nil {
				return err
			}
		}
		n = len(list)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("invite holders: %w", err)
	}
	return n, nil
}

// InviteUsers is InviteHolders for an admin (API and portal).
func (s *Service) InviteUsers(ctx context.Context, admin *User, userIDs []string) (int, error) {
	if err := requireRole(admin, RoleAdmin); err != nil {
		return 0, err
	}
	if len(userIDs) == 0 {
		return 0, FieldErrors{"user_ids": "is empty: give the ids of the users to invite (the import's new_holder_ids)"}.Err()
	}
	return s.InviteHolders(ctx, admin.ID, userIDs)
}

// invitable refuses users an invitation would let someone take over:
// only an applicant that never chose a password can be claimed. That is a
// user without a password hash, or one an import made (its account has
// the audit entry "account.imported"; the import gives it the hash of a
// discarded secret, so that logins fail as any wrong password does) and
// that nobody has used since: no audit entry of the user but invitations.
func invitable(ctx context.Context, tx Tx, u *User) error {
	if decided, err := invitableAtSight(u); decided {
		return err
	}
	entries, err := tx.AuditEntriesAbout(ctx, []AuditObject{{Type: "user", ID: u.ID}, {Type: "account", ID: u.AccountID}})
	if err != nil {
		return err
	}
	return invitableGiven(u, entries)
}

// invitableAtSight decides what the user alone tells (decided=false when
// the audit entries about it must): staff and disabled users are refused,
// a user without a password may be invited.
func invitableAtSight(u *User) (decided bool, err error) {
	switch {
	case u.Role != RoleApplicant:
		return true, Errorf(EINVALID, "user %s is regulator or operator staff, not an applicant: staff are added with a password, not invited", u.ID)
	case u.Disabled:
		return true, Errorf(EINVALID, "user %s is disabled: enable it before inviting it", u.ID)
	case u.PasswordHash == "":
		return true, nil
	}
	return false, nil
}

// invitableGiven is invitable given the audit entries about u and its
// account.
func invitableGiven(u *User, entries []audit.Entry) error {
	if decided, err := invitableAtSight(u); decided {
		return err
	}
	used := Errorf(EINVALID, "user %s has a password already (its invitation was claimed, or it signed up): it can use \"Forgot your password?\" instead", u.ID)
	imported := false
	for _, e := range entries {
		switch {
		case e.ObjectType == "account" && e.Action == "account.imported":
			imported = true
		case e.ObjectType == "user" && e.Action != "user.invited":
			return used
		}
	}
	if !imported {
		return used
	}
	return nil
}

// invite makes or renews u's invitation in tx, mails it when mail is set,
// records it, and returns the token.
func (s *Service) invite(ctx context.Context, tx Tx, actor string, u *User, mail bool) (string, error) {
	t, inv, err := s.newInvitation(actor, u, mail)
	if err != nil {
		return "", err
	}
	if err := tx.PutInvitation(ctx, inv); err != nil {
		return "", err
	}
	if mail {
		// After PutInvitation: a renewal keeps the row's first id, which
		// the message's key names.
		if _, err := tx.EnqueueMessage(ctx, s.invitationMail(u, inv, t)); err != nil {
			return "", err
		}
	}
	e, err := s.auditEntry(&User{ID: actor}, "user.invited", "user", u.ID, map[string]bool{"mailed": mail})
	if err != nil {
		return "", err
	}
	return t, tx.AppendAudit(ctx, e)
}

// newInvitation makes a new invitation of u by actor, mailed or not, and
// its token (only its hash is kept).
func (s *Service) newInvitation(actor string, u *User, mail bool) (string, *Invitation, error) {
	t, hash, err := auth.NewToken()
	if err != nil {
		return "", nil, err
	}
	now := s.Now()
	return t, &Invitation{ID: auth.RandomID("inv"), UserID: u.ID, Hash: hash, InvitedBy: actor, Mailed: mail, CreatedAt: now, ExpiresAt: now.Add(inviteLifetime)}, nil
}

// invitationMail is the e-mail carrying invitation inv's link (token t)
// to u, ready for the outbox. One message per renewal (a fresh key each
// time), so a renewed invitation mails its new link.
func (s *Service) invitationMail(u *User, inv *Invitation, t string) *Message {
	data := map[string]string{"Path": "/claim?token=", "Days": strconv.Itoa(int(inviteLifetime.Hours() / 24))}
	return s.stamp(emailMessage(u, "invite:"+inv.ID+":"+auth.RandomID("inv"), "invitation", data, t, ""))
}

// PendingInvitation is an unclaimed invitation as admins see it: never a
// token (only its hash is kept).
type PendingInvitation struct {
	UserID      string    `json:"user_id"`
	AccountID   string    `json:"account_id"`
	AccountName string    `json:"account_name"`
	Email       string    `json:"email"` // "" when the user has none
	Mailed      bool      `json:"mailed"`
	Expired     bool      `json:"expired"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// PendingInvitations lists the unclaimed invitations for an admin, oldest
// first: those not mailed need a link handed out (InvitationLink).
func (s *Service) PendingInvitations(ctx context.Context, admin *User) ([]PendingInvitation, error) {
	if err := requireRole(admin, RoleAdmin); err != nil {
		return nil, err
	}
	var list []*Invitation
	if err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		list, err = tx.PendingInvitations(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	return s.pendingViews(list), nil
}

// PendingInvitationsPage is PendingInvitations a page at a time: page
// (from 1) of size invitations, and how many are pending in all (the
// portal's /admin/invitations: 31,000 holders made one page of 23 MB).
// A page past the last is empty.
func (s *Service) PendingInvitationsPage(ctx context.Context, admin *User, page, size int) ([]PendingInvitation, int, error) {
	if err := requireRole(admin, RoleAdmin); err != nil {
		return nil, 0, err
	}
	if page < 1 || size < 1 {
		return nil, 0, Errorf(EINVALID, "page and size must be 1 or more")
	}
	var list []*Invitation
	var total int
	if err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		// A page far past the end (?page=9223372036854775807) must not
		// wrap its offset round to a negative one.
		offset := math.MaxInt
		if page-1 <= math.MaxInt/size {
			offset = (page - 1) * size
		}
		list, total, err = tx.PendingInvitationsPage(ctx, offset, size)
		return err
	}); err != nil {
		return nil, 0, err
	}
	return s.pendingViews(list), total, nil
}

// pendingViews are the invitations as admins see them.
func (s *Service) pendingViews(list []*Invitation) []PendingInvitation {
	now := s.Now()
	out := make([]PendingInvitation, 0, len(list))
	for _, inv := range list {
		p := PendingInvitation{UserID: inv.UserID, AccountID: inv.AccountID, AccountName: inv.AccountName, Mailed: inv.Mailed,
			Expired: !now.Before(inv.ExpiresAt), CreatedAt: inv.CreatedAt.UTC(), ExpiresAt: inv.ExpiresAt.UTC()}
		if HasMailbox(inv.Email) {
			p.Email = inv.Email
		}
		out = append(out, p)
	}
	return out
}

// InvitationLink is a claim link made for an admin to hand out.
type InvitationLink struct {
	UserID string `json:"user_id"`
	// Path is /claim?token=…; URL is the same under the server's public
	// URL ("" when the server has none).
	Path      string    `json:"path"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// InvitationLink renews the invitation of user userID and returns its new
// link, for an admin to hand to the holder (a user without e-mail, or one
// whose mail did not arrive). The link is shown once: only its hash is
// kept, and any earlier link of the user stops working. ENOTFOUND when the
// user has no unclaimed invitation.
func (s *Service) InvitationLink(ctx context.Context, admin *User, userID string) (*InvitationLink, error) {
	if err := requireRole(admin, RoleAdmin); err != nil {
		return nil, err
	}
	var link *InvitationLink
	err := s.store.Write(ctx, func(tx Tx) error {
		inv, err := tx.InvitationOfUser(ctx, userID)
		if ErrorCode(err) == ENOTFOUND || (err == nil && !inv.UsedAt.IsZero()) {
			return Errorf(ENOTFOUND, "user %s has no invitation waiting to be claimed: invite it first (or it was claimed already)", userID)
		}
		if err != nil {
			return err
		}
		u, err := tx.User(ctx, userID)
		if err != nil {
			return err
		}
		if err := invitable(ctx, tx, u); err != nil {
			return err
		}
		t, err := s.invite(ctx, tx, admin.ID, u, false)
		if err != nil {
			return err
		}
		link = &InvitationLink{UserID: u.ID, Path: "/claim?token=" + t, ExpiresAt: s.Now().Add(inviteLifetime).UTC()}
		if s.publicURL != "" {
			link.URL = s.publicURL + link.Path
		}
		return nil
	})
	return link, err
}

// ClaimInput is what a holder sends to claim an invitation.
type ClaimInput struct {
	Token    string
	Password string // the same rules as at sign-up (checkPassword)
	// Email is required when the account has none (the invitation was
	// handed out): it becomes the login, and a verification link goes to
	// it. Ignored otherwise.
	Email    string
	ClientIP string
}

// ClaimInfo is what the claim page may show before the form is sent.
type ClaimInfo struct {
	AccountName string
	// NeedsEmail: the account has no e-mail address; the form asks for one.
	NeedsEmail bool
}

var errInvitationInvalid = Errorf(ENOTFOUND, "this invitation link is not valid: it was used already, has expired (links work for 14 days), was replaced by a newer one, or was mistyped; ask the registry's administrators for a new one")

// validInvitation looks the token up and checks that it may be claimed.
func (s *Service) validInvitation(ctx context.Context, tx Tx, token string) (*Invitation, *User, error) {
	if !strings.HasPrefix(token, auth.TokenPrefix) {
		return nil, nil, errInvitationInvalid
	}
	inv, err := tx.InvitationByHash(ctx, auth.HashToken(token))
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, errInvitationInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	if !inv.UsedAt.IsZero() || !s.Now().Before(inv.ExpiresAt) {
		return nil, nil, errInvitationInvalid
	}
	u, err := tx.User(ctx, inv.UserID)
	if err != nil {
		return nil, nil, err
	}
	if err := invitable(ctx, tx, u); ErrorCode(err) == EINVALID {
		return nil, nil, errInvitationInvalid
	} else if err != nil {
		return nil, nil, err
	}
	return inv, u, nil
}

// InvitationInfo tells the claim page about the token's account; the
// token proves the holder, so naming the account tells nobody else anything.
func (s *Service) InvitationInfo(ctx context.Context, token string) (*ClaimInfo, error) {
	var info *ClaimInfo
	err := s.store.Read(ctx, func(tx Tx) error {
		inv, u, err := s.validInvitation(ctx, tx, token)
		if err != nil {
			return err
		}
		info = &ClaimInfo{AccountName: inv.AccountName, NeedsEmail: !HasMailbox(u.Email)}
		return nil
	})
	return info, err
}

// ClaimInvitation sets the password of the invitation's user and logs
// them in: it returns a session token as Login does. A link that was
// e-mailed proves the mailbox, so the address becomes verified; a link an
// admin handed out proves nothing, so a verification link is mailed (to
// in.Email when the account had no address, which then becomes its login).
// The invitation works once. EINVALID for a weak password or a bad or
// taken e-mail address (the form keeps the token), ENOTFOUND for a link
// that is not valid, ETOOMANY past 50 claims in 15 minutes from a client.
// Only claims with a valid link count: a refused request writes nothing
// (the access tests), and a link's 256 random bits make guessing hopeless
// (tester t3, minor 10: openapi.json now says so).
func (s *Service) ClaimInvitation(ctx context.Context, in ClaimInput) (string, *Token, error) {
	fe := FieldErrors{}
	checkPassword(fe, "password", in.Password)
	var email string
	var needsEmail bool
	err := s.store.Read(ctx, func(tx Tx) error {
		_, u, err := s.validInvitation(ctx, tx, in.Token)
		if err != nil {
			return err
		}
		needsEmail = !HasMailbox(u.Email)
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	if needsEmail {
		if strings.TrimSpace(in.Email) == "" {
			fe.Add("email", "is required: your account has no e-mail address yet, and you will log in with it")
		} else if e, err := NormalizeEmail(in.Email); err != nil {
			fe.AddErr("email", err)
		} else if !HasMailbox(e) {
			fe.Add("email", "cannot receive mail: give an address you read, such as name@example.com.pk")
		} else {
			email = e
		}
	}
	if err := fe.Err(); err != nil {
		return "", nil, err
	}
	if err := s.reserveOne(ctx, limitClaim, "too many invitation claims from your network", clientKey(in.ClientIP)); err != nil {
		return "", nil, err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return "", nil, err
	}
	token, tokHash, err := auth.NewToken()
	if err != nil {
		return "", nil, err
	}
	var tok *Token
	err = s.store.Write(ctx, func(tx Tx) error {
		inv, u, err := s.validInvitation(ctx, tx, in.Token)
		if err != nil {
			return err
		}
		if ok, err := tx.UseInvitation(ctx, inv.ID, s.Now()); err != nil || !ok {
			if err != nil {
				return err
			}
			return errInvitationInvalid
		}
		u.PasswordHash = hash
		verified := inv.Mailed && HasMailbox(u.Email)
		if email != "" && !HasMailbox(u.Email) {
			if _, err := tx.UserByEmail(ctx, email); err == nil {
				return FieldErrors{"email": "belongs to another account already: give another address, or log in to that account"}.Err()
			} else if ErrorCode(err) != ENOTFOUND {
				return err
			}
			u.Email = email
		}
		if verified {
			u.EmailVerifiedAt = s.Now()
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if !verified {
			if err := s.mailVerification(ctx, tx, u); err != nil {
				return err
			}
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		now := s.Now()
		tok = &Token{ID: auth.RandomID("tok"), UserID: u.ID, Kind: TokenSession, Name: "login", Hash: tokHash, CreatedAt: now,
			ExpiresAt: now.Add(time.Duration(set.SessionHours) * time.Hour)}
		if err := tx.CreateToken(ctx, tok); err != nil {
			return err
		}
		client := clientKey(in.ClientIP)
		if err := tx.RememberLoginClient(ctx, u.ID, clientDigest(u.ID, client), now); err != nil {
			return err
		}
		return s.record(ctx, tx, u, "user.invitation_claimed", "user", u.ID, map[string]any{"email_verified": verified, "client": clientDigest(u.ID, client)})
	})
	if err != nil {
		return "", nil, err
	}
	return token, tok, nil
}
