package registry

import "strings"

// IdentityKey is what makes an applicant one account: the digits of an
// individual's CNIC, or of a company's NTN (its seven digits without the
// check digit, which follows from them; or the thirteen of a CNIC used as
// NTN), prefixed with the kind. Two individual accounts with one CNIC, or
// two company accounts with one NTN, are one person or company signing up
// twice, which the sign-up page's "one account per company or person"
// forbids; the database holds the key unique (accounts.identity_key,
// migration 0006) so that concurrent sign-ups cannot both win. A company
// account's CNIC is its authorised person's and may recur (one person
// acts for several companies). "" for a company without an NTN (only
// accounts older than the NTN rule).
func (a *Account) IdentityKey() string {
	switch a.Kind {
	case KindIndividual:
		if d := digits(a.CNIC); d != "" {
			return string(KindIndividual) + ":" + d
		}
	case KindCompany:
		d := digits(a.NTN)
		if len(d) == 8 { // 1234567-8: the NTN and its check digit
			d = d[:7]
		}
		if d != "" {
			return string(KindCompany) + ":" + d
		}
	}
	return ""
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// identityTaken is the answer to a sign-up whose CNIC (individuals) or NTN
// (companies) already has an account. It points to login and password
// reset and, like the login, never says which e-mail address holds it.
func identityTaken(kind AccountKind) error {
	if kind == KindCompany {
		return &Error{Code: ECONFLICT, Message: "A company account with this NTN already exists. Log in, or reset your password if you forgot it.",
			Fields: map[string]string{"ntn": "already has a company account: log in, or reset your password if you forgot it"}}
	}
	return &Error{Code: ECONFLICT, Message: "An account with this CNIC already exists. Log in, or reset your password if you forgot it.",
		Fields: map[string]string{"cnic": "already has an account: log in, or reset your password if you forgot it"}}
}
