package registry

import (
	"context"
	"io"
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
