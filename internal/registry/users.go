package registry

import (
	"context"
	"strings"
)

// ListUsers lists every user (admins only), for the users page.
func (s *Service) ListUsers(ctx context.Context, actor *User) ([]*User, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	var out []*User
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListUsers(ctx)
		return err
	})
	return out, err
}

// SetUserDisabled disables or re-enables a user (admins only). Disabling
// ends the user's sessions and API tokens at once; an admin cannot disable
// themselves, so that the registry always keeps one.
func (s *Service) SetUserDisabled(ctx context.Context, actor *User, id string, disabled bool) (*User, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	if disabled && id == actor.ID {
		return nil, Errorf(ECONFLICT, "you cannot disable your own account; ask another administrator")
	}
	var u *User
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if u, err = tx.User(ctx, id); err != nil {
			return err
		}
		u.Disabled = disabled
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		action := "user.enabled"
		if disabled {
			action = "user.disabled"
			if err := tx.DeleteUserTokens(ctx, u.ID); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, actor, action, "user", u.ID, nil)
	})
	return u, err
}

// normalizeLoginEmail is how logins and resets look users up.
func normalizeLoginEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
