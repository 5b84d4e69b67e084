package registry

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/secure/precis"
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
		if !disabled && ErasedEmail(u.Email) {
			return Errorf(ECONFLICT, "this user's account was deleted and its personal data erased, so it cannot be enabled again; the person may sign up anew")
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

// NormalizeEmail returns the one form of an e-mail address that ipreg
// stores, compares and throttles on, so that one mailbox is one account
// however it is typed: surrounding space trimmed; the local part in Unicode
// NFC (UAX #15: "zoë" as one code point and as "e" + U+0308 are one) and
// lower case; the domain in its IDNA ASCII form (UTS #46 lookup profile,
// RFC 5891: "bücher.example", "BÜCHER.example" and "xn--bcher-kva.example"
// are one), which is also what mail is sent to.
//
// The local part goes through the PRECIS UsernameCaseMapped profile (RFC
// 8265 §3.3), the IETF's rule for identifiers people type: fullwidth and
// halfwidth forms folded to their ordinary letters ("ｚｏｅ" is "zoe", as
// IDNA already folds them in the domain: a CJK input method types them
// by accident, and no mail system tells them apart), lower case, NFC,
// and only letters, digits and printable ASCII allowed.
//
// It refuses, with the message below, what is not a single addr-spec
// (RFC 5322 §3.4.1, RFC 6532 for UTF-8 local parts) at a domain name with
// at least two labels, or is longer than 254 octets (RFC 5321 §4.5.3.1.3).
// Quoted local parts ("john smith"@example.pk) are refused too: no
// applicant's provider issues one, and their spaces and escapes would give
// one mailbox many spellings. An address holding an invisible or
// direction-changing character (Unicode category Cf: U+200B ZERO WIDTH
// SPACE, U+202E RIGHT-TO-LEFT OVERRIDE, a soft hyphen) is refused with a
// message of its own: it looks like another address on the screen.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return "", Errorf(EINVALID, "contains an invisible or direction-changing character (%s), often copied along with the address; type it again, such as name@example.com.pk", fmt.Sprintf("U+%04X", r))
	}
	at := strings.LastIndexByte(s, '@')
	if !utf8.ValidString(s) || at <= 0 || len(s) > 4*254 {
		return "", errNotEmail()
	}
	local, err := precis.UsernameCaseMapped.String(s[:at])
	if err != nil {
		return "", errNotEmail()
	}
	domain, err := idna.Lookup.ToASCII(s[at+1:])
	if err != nil {
		return "", errNotEmail()
	}
	domain = strings.ToLower(domain)
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || slices.Contains(labels, "") {
		return "", errNotEmail() // "x", "x..pk", "x.pk." (a root dot is not part of an address)
	}
	addr := local + "@" + domain
	if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr || len(addr) > 254 {
		return "", errNotEmail()
	}
	return addr, nil
}

// errNotEmail is coded (EINVALID) and its text a field message.
func errNotEmail() error {
	return Errorf(EINVALID, "must be an e-mail address such as name@example.com.pk")
}

// normalizeLoginEmail is how logins, resets and their throttles look users
// up: NormalizeEmail's form, or, for what it refuses, the text as it was
// compared before it existed (trimmed, lower case), so that an account
// stored under such a form can still log in, and throttling still keys on
// one string per mailbox.
func normalizeLoginEmail(email string) string {
	if e, err := NormalizeEmail(email); err == nil {
		return e
	}
	return strings.ToLower(strings.TrimSpace(email))
}

// NormalizeStoredEmails rewrites every stored e-mail address into
// NormalizeEmail's form and returns how many it changed. Before that form
// existed addresses were stored trimmed and lower-cased only, so an
// address with a Unicode domain or a decomposed letter would no longer be
// found by the login that normalises what is typed. It runs at start-up,
// is idempotent (a store already in normal form costs one read), and
// leaves alone, with a warning naming the user ids, an address that
// NormalizeEmail refuses or whose normal form another user already holds:
// two accounts for one mailbox need an administrator, not a guess.
func (s *Service) NormalizeStoredEmails(ctx context.Context) (int, error) {
	// Read first, and write only when an address needs it: a write
	// transaction on SQLite takes the database's write lock, and every
	// command (ipreg import, a dry run too) waited for a running server's
	// write although there was nothing to change (tester, issue 13).
	pending := false
	err := s.store.Read(ctx, func(tx Tx) error {
		users, err := tx.ListUsers(ctx)
		for _, u := range users {
			if e, nerr := NormalizeEmail(u.Email); nerr == nil && e != u.Email {
				pending = true
			}
		}
		return err
	})
	if err != nil || !pending {
		return 0, err
	}
	changed := 0
	err = s.store.Write(ctx, func(tx Tx) error {
		changed = 0
		users, err := tx.ListUsers(ctx)
		if err != nil {
			return err
		}
		held := make(map[string]string, len(users)) // e-mail → user id
		for _, u := range users {
			held[u.Email] = u.ID
		}
		for _, u := range users {
			e, err := NormalizeEmail(u.Email)
			switch {
			case err != nil:
				s.log.Warn("stored e-mail address is not valid; the user can still log in with it", "user", u.ID)
				continue
			case e == u.Email:
				continue
			case held[e] != "":
				s.log.Warn("two users hold one mailbox in different spellings; left unchanged for an administrator", "user", u.ID, "other_user", held[e])
				continue
			}
			from := u.Email
			delete(held, from)
			u.Email, held[e] = e, u.ID
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
			// No addresses in the detail: audit entries outlive an
			// account's deletion, so they hold no personal data.
			if err := s.record(ctx, tx, System, "user.email_normalized", "user", u.ID, nil); err != nil {
				return err
			}
			changed++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("normalise stored e-mail addresses: %w", err)
	}
	return changed, nil
}
