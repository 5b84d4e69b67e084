package registry

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
)

// An erased user's e-mail address becomes ErasedEmailPrefix + user id +
// ErasedEmailDomain: unique, opaque, and in a domain that can never
// receive mail (.invalid, RFC 2606), so the address the person used can
// sign up again.
const (
	ErasedEmailPrefix = "erased-"
	ErasedEmailDomain = "@erased.invalid"
)

// ErasedEmail reports whether email is the tombstone of a deleted account's user.
func ErasedEmail(email string) bool {
	return strings.HasPrefix(email, ErasedEmailPrefix) && strings.HasSuffix(email, ErasedEmailDomain)
}

// AuditObject names an object of the audit log (Entry.ObjectType and ObjectID).
type AuditObject struct{ Type, ID string }

// DataExport is everything the registry holds about an applicant, for
// GET /api/v1/me/export: no password hash, TOTP secret, token hash or
// document content.
type DataExport struct {
	ExportedAt    time.Time
	User          *User
	Account       *Account
	Applications  []*Application      // each with its Events, Documents (records only) and Appeals
	Accesses      map[string][]Access // staff reads of the application, its documents and its appeals, by application ID ("who viewed my data")
	Registrations []*Registration
	Tokens        []*Token
	Audit         []audit.Entry // entries about the user, account, tokens, applications, appeals and registrations
}

// ExportData gathers the applicant's data. The export is recorded in the
// audit log (account.exported), so a stolen session's download shows.
func (s *Service) ExportData(ctx context.Context, actor *User) (*DataExport, error) {
	if err := requireRole(actor, RoleApplicant); err != nil {
		return nil, err
	}
	x := &DataExport{ExportedAt: s.Now(), Accesses: map[string][]Access{}}
	// Gathered first, then the export recorded (before it is answered),
	// then the audit entries read: they include the export's own entry,
	// sealed into the chain (on PostgreSQL a write transaction's entries
	// are sealed after its commit, so the record is not made inside one).
	var objects []AuditObject
	err := s.store.Read(ctx, func(tx Tx) error {
		x.Accesses = map[string][]Access{}
		var err error
		if x.User, err = tx.User(ctx, actor.ID); err != nil {
			return err
		}
		// Re-read, not trusted from the token's lookup: a deleted account's
		// user is disabled and has nothing left to export.
		if x.User.Disabled {
			return Errorf(EUNAUTHORIZED, "this account is disabled; contact the registry's administrators")
		}
		if x.Account, err = tx.Account(ctx, actor.AccountID); err != nil {
			return err
		}
		if x.Applications, err = tx.ListApplications(ctx, AppFilter{AccountID: actor.AccountID}); err != nil {
			return err
		}
		objects = []AuditObject{{"user", actor.ID}, {"account", actor.AccountID}}
		for i, a := range x.Applications {
			if a.Events, err = tx.Events(ctx, a.ID); err != nil {
				return err
			}
			docs, err := tx.ListDocuments(ctx, a.ID)
			if err != nil {
				return err
			}
			servedNames(docs...)
			a.Documents = append(make([]*Document, 0, len(docs)), docs...)
			if x.Accesses[a.ID], err = tx.Accesses(ctx, a.ID); err != nil {
				return err
			}
			if err := s.loadAppeals(ctx, tx, a); err != nil {
				return err
			}
			for _, ap := range a.Appeals {
				objects = append(objects, AuditObject{"appeal", ap.ID})
			}
			x.Applications[i] = a.ForViewer(actor)
			objects = append(objects, AuditObject{"application", a.ID})
		}
		if x.Registrations, err = tx.ListRegistrations(ctx, RegFilter{AccountID: actor.AccountID}); err != nil {
			return err
		}
		for _, r := range x.Registrations {
			objects = append(objects, AuditObject{"registration", r.Number})
		}
		if x.Tokens, err = tx.ListTokens(ctx, actor.ID); err != nil {
			return err
		}
		for _, t := range x.Tokens {
			objects = append(objects, AuditObject{"token", t.ID})
		}
		return nil
	})
	if err == nil {
		err = s.auditRead(ctx, actor, "account.exported", "account", actor.AccountID, nil)
	}
	if err == nil {
		err = s.store.Read(ctx, func(tx Tx) error {
			var err error
			x.Audit, err = tx.AuditEntriesAbout(ctx, objects)
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("export data: %w", err)
	}
	return x, nil
}

// settled reports whether an application in state st lets its account be
// deleted: a draft (withdrawn with it) or one that has ended. Any other
// state, those added later included (an appeal, say), is in progress.
func settled(st State) bool {
	return st == StateDraft || st == StateWithdrawn || st == StateApproved || st == StateRejected
}

// AccountDeletion says what deleting an account did with its documents.
type AccountDeletion struct {
	DocumentsPurged int
	// DocumentsKept are documents of decided applications, which the
	// retention rule keeps until KeptUntil (the last decision plus
	// Settings.DocumentRetentionDays) for an appeal or an audit of the
	// decision; the retention job purges them then.
	DocumentsKept int
	KeptUntil     time.Time
}

// DeleteAccount deletes the applicant's own account, on the account's
// password and an explicit confirmation. It refuses (ECONFLICT, naming
// them) while the account has an active registration (surrender it first)
// or an application in progress (any state but draft, withdrawn, approved
// and rejected: withdraw it first). Otherwise, in one
// transaction: drafts are withdrawn; the documents of drafts and withdrawn
// applications are purged at once, those of decided applications kept
// until their retention ends (the answer says until when); the personal
// data is erased (Tx.EraseAccount), ending every session and token; and
// account.deleted is recorded. Registrations, applications and the audit
// log keep their opaque ids; audit entries are never rewritten.
//
// Password attempts count per user (5 in 15 minutes; ETOOMANY beyond).
func (s *Service) DeleteAccount(ctx context.Context, actor *User, password string, confirm bool) (*AccountDeletion, error) {
	if err := requireRole(actor, RoleApplicant); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	if password == "" {
		fe.Add("password", "is required: enter your password to confirm that it is you")
	}
	if !confirm {
		fe.Add("confirm", "must be true: confirm that you want the account and its personal data deleted; this cannot be undone")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	sl, err := s.reserveSlot(ctx, limitDeleteAccount, "too many attempts to delete this account", actor.ID)
	if err != nil {
		return nil, err
	}
	var hash string
	if err := s.store.Read(ctx, func(tx Tx) error {
		u, err := tx.User(ctx, actor.ID)
		if err == nil {
			hash = u.PasswordHash
		}
		return err
	}); err != nil {
		return nil, err
	}
	ok, err := s.checkPassword(ctx, false, hash, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, FieldErrors{"password": "is not your password: enter the password you log in with"}.Err()
	}
	// Only wrong passwords count: the right one gives its attempt back,
	// whether or not the deletion can go ahead (an application in
	// progress, say), so a person told to wait is not locked out.
	if err := s.store.Write(context.WithoutCancel(ctx), func(tx Tx) error {
		return tx.RefundAttempt(context.WithoutCancel(ctx), sl.bucket, sl.windowEnd)
	}); err != nil {
		return nil, err
	}
	out := &AccountDeletion{}
	var purge []string
	err = s.store.Write(ctx, func(tx Tx) error {
		*out, purge = AccountDeletion{}, purge[:0]
		now := s.Now()
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		regs, err := tx.ListRegistrations(ctx, RegFilter{AccountID: actor.AccountID, Status: RegActive})
		if err != nil {
			return err
		}
		if len(regs) > 0 {
			nums := make([]string, len(regs))
			for i, r := range regs {
				nums[i] = r.Number
			}
			return Errorf(ECONFLICT, "the account holds an active registration (%s): surrender it first, then delete the account", strings.Join(nums, ", "))
		}
		apps, err := tx.ListApplications(ctx, AppFilter{AccountID: actor.AccountID})
		if err != nil {
			return err
		}
		var pending []string
		for _, a := range apps {
			if !settled(a.State) {
				pending = append(pending, a.ID)
			}
		}
		if len(pending) > 0 {
			return Errorf(ECONFLICT, "the account has an application still in progress (%s): withdraw it first, then delete the account", strings.Join(pending, ", "))
		}
		// A pending appeal can still approve its application, which would
		// make a registration for an account with nobody left to hold it.
		appeals, err := tx.ListAppeals(ctx, AppealFilter{AccountID: actor.AccountID, State: AppealPending})
		if err != nil {
			return err
		}
		if len(appeals) > 0 {
			ids := make([]string, len(appeals))
			for i, ap := range appeals {
				ids[i] = ap.ApplicationID
			}
			return Errorf(ECONFLICT, "the account has an appeal waiting for a decision (application %s): wait for the supervisor's decision, then delete the account", strings.Join(ids, ", "))
		}
		for _, a := range apps {
			if a.State == StateDraft {
				if a, err = tx.Application(ctx, a.ID, true); err != nil {
					return err
				}
				a.State, a.DecidedAt, a.UpdatedAt = StateWithdrawn, now, now
				if err := tx.UpdateApplication(ctx, a); err != nil {
					return err
				}
				if err := s.record(ctx, tx, actor, "application.withdrawn", "application", a.ID, map[string]string{"state": string(a.State), "reason": "account_deleted"}); err != nil {
					return err
				}
			}
			docs, err := tx.ListDocuments(ctx, a.ID)
			if err != nil {
				return err
			}
			keepUntil := time.Time{}
			if a.State == StateApproved || a.State == StateRejected {
				keepUntil = a.DecidedAt.AddDate(0, 0, set.DocumentRetentionDays)
			}
			for _, d := range docs {
				if !d.PurgedAt.IsZero() {
					continue
				}
				if now.Before(keepUntil) {
					out.DocumentsKept++
					if keepUntil.After(out.KeptUntil) {
						out.KeptUntil = keepUntil
					}
					continue
				}
				marked, err := tx.MarkDocumentPurged(ctx, d.ID, now)
				if err != nil {
					return err
				}
				if marked {
					purge = append(purge, d.ID)
				}
			}
		}
		out.DocumentsPurged = len(purge)
		if err := tx.EraseAccount(ctx, actor.AccountID, now); err != nil {
			return err
		}
		detail := map[string]any{"documents_purged": out.DocumentsPurged, "documents_kept": out.DocumentsKept}
		if !out.KeptUntil.IsZero() {
			detail["documents_kept_until"] = out.KeptUntil.UTC().Format(time.RFC3339)
		}
		return s.record(ctx, tx, actor, "account.deleted", "account", actor.AccountID, detail)
	})
	if err != nil {
		return nil, fmt.Errorf("delete account: %w", err)
	}
	for _, id := range purge {
		if s.blobs == nil {
			break
		}
		if err := s.blobs.Delete(ctx, id); err != nil {
			// The record says purged; the job's later purges do not retry
			// it, so say so loudly for the operators of the registry.
			s.log.Error("account deletion: delete document content", "document", id, "err", err)
		}
	}
	return out, nil
}
