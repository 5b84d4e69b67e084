package registry

import (
	"context"
	"fmt"
	"io"

	"github.com/ipreg/ipreg/internal/audit"
)

// ImportAndInvite is ImportRegistrations inviting, for a real import
// without problems, its new holders (as opt.Actor) in the import's own
// transaction: issue 13's "imported holders get accounts they can claim".
// It returns the report and how many invitations were made. All or
// nothing: when the invitations cannot be written, nothing of the import
// is, and running it again is safe (tester t3, major 1).
func (s *Service) ImportAndInvite(ctx context.Context, r io.Reader, opt ImportOptions) (*ImportReport, int, error) {
	opt.Invite = true
	rep, err := s.ImportRegistrations(ctx, r, opt)
	if err != nil {
		return rep, 0, err
	}
	return rep, rep.Invited, nil
}

// AdminImport is ImportAndInvite for an admin of the API or the portal.
func (s *Service) AdminImport(ctx context.Context, admin *User, r io.Reader, dryRun bool) (*ImportReport, int, error) {
	if err := requireRole(admin, RoleAdmin); err != nil {
		return nil, 0, err
	}
	return s.ImportAndInvite(ctx, r, ImportOptions{DryRun: dryRun, Actor: admin.ID})
}

// MayImport returns AdminImport's refusal for actor (EUNAUTHORIZED,
// EFORBIDDEN), or nil: for handlers to refuse before reading an upload.
func MayImport(actor *User) error { return requireRole(actor, RoleAdmin) }

// importInvites are the rows that invite an import's new holders.
type importInvites struct {
	invitations []*Invitation
	messages    []*Message
	audits      []*audit.Entry
}

// importInvitations invites users, made by the import in this transaction,
// as actor ("cli" when empty): what invite writes for each (an invitation,
// its e-mail when the user has a mailbox, the audit entry user.invited),
// collected for the import's bulk insert. The users are new, so there is
// no invitation to renew and none of invitable's checks to make.
func (s *Service) importInvitations(users []*User, actor string) (*importInvites, error) {
	if actor == "" {
		actor = "cli"
	}
	by := &User{ID: actor}
	out := &importInvites{invitations: make([]*Invitation, 0, len(users)), audits: make([]*audit.Entry, 0, len(users))}
	for _, u := range users {
		mail := HasMailbox(u.Email)
		t, inv, err := s.newInvitation(actor, u, mail)
		if err != nil {
			return nil, fmt.Errorf("invite the new holder %s: %w", u.ID, err)
		}
		out.invitations = append(out.invitations, inv)
		if mail {
			out.messages = append(out.messages, s.invitationMail(u, inv, t))
		}
		e, err := s.auditEntry(by, "user.invited", "user", u.ID, map[string]bool{"mailed": mail})
		if err != nil {
			return nil, err
		}
		out.audits = append(out.audits, e)
	}
	return out, nil
}
