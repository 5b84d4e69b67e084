package registry

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// AccessCarried says what CarryAccess changed in a restored database.
type AccessCarried struct {
	// AccountsErased are the accounts the replaced database had erased
	// (the holder deleted the account after the backup) and the restored
	// one held in full: erased again.
	AccountsErased []string
	// ApplicationsWithdrawn counts those accounts' applications the
	// restored database still had in progress, withdrawn with them.
	ApplicationsWithdrawn int
	// DocumentsPurged are the document ids the erasures marked purged;
	// the caller removes their files, as it removes every purged
	// document's. Documents of decided applications stay until their
	// retention ends, as DeleteAccount keeps them.
	DocumentsPurged []string
	// RegistrationsEnded are the registrations of those accounts the
	// restored database held active and the replaced one had ended (the
	// holder surrendered them, or they were revoked or expired, before
	// deleting the account, as DeleteAccount requires): ended again, with
	// the replaced database's status, so the new feed session leaves them
	// out.
	RegistrationsEnded []string // numbers
	// Registrations and Appeals are what the erased accounts still hold
	// in the restored database, active or pending, that the replaced one
	// does not say how they ended: staff end the registrations and decide
	// the appeals.
	Registrations []string // numbers
	Appeals       []string // application ids
	// UsersUpdated counts users whose password, two-factor setup or
	// disabled state the replaced database had changed since the backup.
	UsersUpdated int
	// TokensEnded counts the sessions and API tokens the restored
	// database held that the replaced one no longer did (logged out,
	// deleted, ended by a password reset or a disable).
	TokensEnded int
	// CredentialsSkipped is set when CarryAccess was told the replaced
	// database is not newer than the backup: only erasures were carried.
	CredentialsSkipped bool
}

// CarryAccess brings into this service's store, a database just
// restored from a backup, what from, the database the restore replaced
// (the same registry: the caller checks their audit trails begin alike),
// says about who may act and whose personal data is gone. A backup
// holds the past: without this, a restore gives an account its holder
// deleted after the backup its personal data back (a data protection
// failure, GDPR Art. 17 and Pakistan's draft Personal Data Protection
// Bill alike expect an erasure to outlive a restore), a disabled staff
// user their access, a changed password its old value, and a logged-out
// or deleted token its use. In one transaction:
//
//   - an account whose users from has erased (ErasedEmail) and this
//     store has not is erased as DeleteAccount erases it: its drafts and
//     in-progress applications withdrawn (their checks cancelled), the
//     documents of drafts and withdrawn applications purged, those of
//     decided ones kept until their retention ends, the personal data
//     blanked (Tx.EraseAccount), and account.deleted recorded with
//     "reapplied": true; its registrations that from had ended are ended
//     again with from's status (surrendered, revoked, expired), leaving
//     the allowlist;
//   - a user in both gets from's password hash, disabled state and
//     two-factor setup (the newer credential wins, never the older);
//   - a token (session or API token) this store holds and from does not
//     is ended.
//
// The last two only when newer: the caller found from's audit chain
// going on from this store's last entry. From an older copy they would
// put older credentials back; erasures, which are never undone, carry
// from any copy.
//
// Users, accounts and tokens that only this store has, or only from, are
// left: what was made after the backup is not in it, and what only the
// backup has was deleted as a whole (nothing the person can use). The
// audit log gets restore.access_carried with the counts.
func (s *Service) CarryAccess(ctx context.Context, from Store, newer bool) (*AccessCarried, error) {
	type oldUser struct {
		u      *User
		tokens map[string]bool
	}
	old := map[string]*oldUser{}
	ended := map[string]RegStatus{} // erased accounts' registrations from had ended, by number
	err := from.Read(ctx, func(tx Tx) error {
		us, err := tx.ListUsers(ctx)
		if err != nil {
			return err
		}
		for _, u := range us {
			if ErasedEmail(u.Email) && u.AccountID != "" {
				regs, err := tx.ListRegistrations(ctx, RegFilter{AccountID: u.AccountID})
				if err != nil {
					return err
				}
				for _, r := range regs {
					if r.Status != RegActive {
						ended[r.Number] = r.Status
					}
				}
			}
			ts, err := tx.ListTokens(ctx, u.ID)
			if err != nil {
				return err
			}
			o := &oldUser{u: u, tokens: map[string]bool{}}
			for _, t := range ts {
				o.tokens[t.ID] = true
			}
			old[u.ID] = o
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the database the restore replaced: %w", err)
	}
	out := &AccessCarried{}
	err = s.store.Write(ctx, func(tx Tx) error {
		*out = AccessCarried{CredentialsSkipped: !newer}
		now := s.Now()
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		us, err := tx.ListUsers(ctx)
		if err != nil {
			return err
		}
		erase := map[string]bool{}
		for _, u := range us {
			o, ok := old[u.ID]
			if !ok {
				continue
			}
			if ErasedEmail(o.u.Email) {
				if !ErasedEmail(u.Email) && u.AccountID != "" && u.AccountID == o.u.AccountID {
					erase[u.AccountID] = true
				}
				continue
			}
			if !newer || ErasedEmail(u.Email) {
				continue // an erased user gets no credential back
			}
			if u.PasswordHash != o.u.PasswordHash || u.Disabled != o.u.Disabled || u.TOTPSecret != o.u.TOTPSecret ||
				!u.TOTPEnabledAt.Equal(o.u.TOTPEnabledAt) || u.TOTPLastStep < o.u.TOTPLastStep {
				u.PasswordHash, u.Disabled, u.TOTPSecret, u.TOTPEnabledAt = o.u.PasswordHash, o.u.Disabled, o.u.TOTPSecret, o.u.TOTPEnabledAt
				if err := tx.UpdateUser(ctx, u); err != nil {
					return err
				}
				if _, err := tx.UseTOTPStep(ctx, u.ID, o.u.TOTPLastStep); err != nil {
					return err
				}
				out.UsersUpdated++
			}
			ts, err := tx.ListTokens(ctx, u.ID)
			if err != nil {
				return err
			}
			for _, t := range ts {
				if o.tokens[t.ID] {
					continue
				}
				if err := tx.DeleteToken(ctx, u.ID, t.ID); err != nil {
					return err
				}
				out.TokensEnded++
			}
		}
		for _, acc := range slices.Sorted(maps.Keys(erase)) {
			if err := s.reErase(ctx, tx, acc, now, set, ended, out); err != nil {
				return fmt.Errorf("erase account %s again: %w", acc, err)
			}
		}
		return s.record(ctx, tx, System, "restore.access_carried", "registry", "restore", map[string]any{
			"accounts_erased": len(out.AccountsErased), "applications_withdrawn": out.ApplicationsWithdrawn,
			"documents_purged": len(out.DocumentsPurged), "registrations_ended": len(out.RegistrationsEnded),
			"users_updated": out.UsersUpdated, "tokens_ended": out.TokensEnded, "credentials_carried": newer})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// reErase erases account acc as DeleteAccount would have, for
// CarryAccess: its conditions held when the holder deleted it, so what
// is still in progress here is withdrawn, and what is still active or
// pending is reported, not decided.
func (s *Service) reErase(ctx context.Context, tx Tx, acc string, now time.Time, set Settings, ended map[string]RegStatus, out *AccessCarried) error {
	regs, err := tx.ListRegistrations(ctx, RegFilter{AccountID: acc, Status: RegActive})
	if err != nil {
		return err
	}
	for _, r := range regs {
		to, ok := ended[r.Number]
		if !ok {
			out.Registrations = append(out.Registrations, r.Number)
			continue
		}
		if r, err = tx.Registration(ctx, r.Number, true); err != nil {
			return err
		}
		if err := s.end(ctx, tx, System, r, to, ""); err != nil {
			return err
		}
		out.RegistrationsEnded = append(out.RegistrationsEnded, r.Number)
	}
	appeals, err := tx.ListAppeals(ctx, AppealFilter{AccountID: acc, State: AppealPending})
	if err != nil {
		return err
	}
	for _, ap := range appeals {
		out.Appeals = append(out.Appeals, ap.ApplicationID)
	}
	apps, err := tx.ListApplications(ctx, AppFilter{AccountID: acc})
	if err != nil {
		return err
	}
	var purged, kept int
	for _, a := range apps {
		if CanTransition(a.State, StateWithdrawn) {
			if a, err = tx.Application(ctx, a.ID, true); err != nil {
				return err
			}
			if err := s.cancelChecks(ctx, tx, a); err != nil {
				return err
			}
			a.State, a.UpdatedAt = StateWithdrawn, now
			if a.DecidedAt.IsZero() {
				a.DecidedAt = now
			}
			if err := tx.UpdateApplication(ctx, a); err != nil {
				return err
			}
			if err := s.event(ctx, tx, System, a, "withdrawn", "account deleted before a restore from backup"); err != nil {
				return err
			}
			out.ApplicationsWithdrawn++
		}
		keepUntil := time.Time{}
		if a.State == StateApproved || a.State == StateRejected {
			keepUntil = a.DecidedAt.AddDate(0, 0, set.DocumentRetentionDays)
		}
		docs, err := tx.ListDocuments(ctx, a.ID)
		if err != nil {
			return err
		}
		for _, d := range docs {
			if !d.PurgedAt.IsZero() {
				continue
			}
			if now.Before(keepUntil) {
				kept++
				continue
			}
			marked, err := tx.MarkDocumentPurged(ctx, d.ID, now)
			if err != nil {
				return err
			}
			if marked {
				out.DocumentsPurged = append(out.DocumentsPurged, d.ID)
				purged++
			}
		}
	}
	if err := tx.EraseAccount(ctx, acc, now); err != nil {
		return err
	}
	out.AccountsErased = append(out.AccountsErased, acc)
	return s.record(ctx, tx, System, "account.deleted", "account", acc, map[string]any{
		"reapplied": true, "documents_purged": purged, "documents_kept": kept})
}
