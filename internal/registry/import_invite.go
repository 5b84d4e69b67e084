package registry

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// ImportAndInvite is ImportRegistrations followed, for a real import
// without problems, by InviteHolders for its new holders (as opt.Actor):
// issue 13's "imported holders get accounts they can claim". It returns
// the report and how many invitations were made. The invitations are a
// second transaction: should they fail after the import committed, the
// error names the users, to invite with POST /api/v1/admin/invitations
// (running the import again would find them no longer new).
func (s *Service) ImportAndInvite(ctx context.Context, r io.Reader, opt ImportOptions) (*ImportReport, int, error) {
	rep, err := s.ImportRegistrations(ctx, r, opt)
	if err != nil || opt.DryRun || len(rep.Problems) > 0 || len(rep.NewHolderIDs) == 0 {
		return rep, 0, err
	}
	n, err := s.InviteHolders(ctx, opt.Actor, rep.NewHolderIDs)
	if err != nil {
		return rep, 0, fmt.Errorf("the import is done, but its new holders were not invited (invite users %s from the invitations page or POST /api/v1/admin/invitations): %w",
			strings.Join(rep.NewHolderIDs, ", "), err)
	}
	return rep, n, nil
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
