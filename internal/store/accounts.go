package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

func (t *tx) CreateAccount(ctx context.Context, a *registry.Account) error {
	_, err := t.exec(ctx, `INSERT INTO accounts (id, kind, name, cnic, mobile, ntn, secp_number, pseb_number, created_at, identity_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Kind, a.Name, a.CNIC, a.Mobile, a.NTN, a.SECPNumber, a.PSEBNumber, tm(a.CreatedAt), nullable(a.IdentityKey()))
	if isUnique(err) {
		return registry.Errorf(registry.ECONFLICT, "an account with this CNIC or NTN already exists")
	}
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	return nil
}

func (t *tx) AccountIdentityTaken(ctx context.Context, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE identity_key = ?`, key).Scan(&n); err != nil {
		return false, fmt.Errorf("account identity: %w", err)
	}
	return n > 0, nil
}

func (t *tx) Account(ctx context.Context, id string) (*registry.Account, error) {
	var a registry.Account
	var created string
	err := t.queryRow(ctx, `SELECT id, kind, name, cnic, mobile, ntn, secp_number, pseb_number, created_at
		FROM accounts WHERE id = ?`, id).
		Scan(&a.ID, &a.Kind, &a.Name, &a.CNIC, &a.Mobile, &a.NTN, &a.SECPNumber, &a.PSEBNumber, &created)
	if err != nil {
		return nil, notFound(err, "account %s not found", id)
	}
	a.CreatedAt = parseTime(created)
	return &a, nil
}

const userCols = `id, email, role, COALESCE(account_id, ''), COALESCE(operator_id, ''), password_hash, disabled, created_at,
	totp_secret, totp_enabled_at, totp_last_step, lang, email_verified_at, made_in_demo`

func scanUser(sc interface{ Scan(...any) error }) (*registry.User, error) {
	var r userRow
	if err := sc.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.user(), nil
}

// userRow holds userCols as scanned, for scanUser and for statements that
// read a user beside other columns (TokenSession).
type userRow struct {
	u                           registry.User
	disabled, demo              int
	created, totpEnabled, verif string
}

func (r *userRow) dest() []any {
	u := &r.u
	return []any{&u.ID, &u.Email, &u.Role, &u.AccountID, &u.OperatorID, &u.PasswordHash, &r.disabled, &r.created,
		&u.TOTPSecret, &r.totpEnabled, &u.TOTPLastStep, &u.Lang, &r.verif, &r.demo}
}

func (r *userRow) user() *registry.User {
	u := r.u
	u.MadeInDemo = r.demo != 0
	u.EmailVerifiedAt = parseTime(r.verif)
	u.Disabled = r.disabled != 0
	u.CreatedAt, u.TOTPEnabledAt = parseTime(r.created), parseTime(r.totpEnabled)
	return &u
}

func (t *tx) CreateUser(ctx context.Context, u *registry.User) error {
	u.Lang = userLang(u.Lang)
	_, err := t.exec(ctx, `INSERT INTO users (id, email, role, account_id, operator_id, password_hash, disabled, created_at, lang, email_verified_at, made_in_demo)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Role, nullable(u.AccountID), nullable(u.OperatorID), u.PasswordHash, boolInt(u.Disabled), tm(u.CreatedAt),
		userLang(u.Lang), tm(u.EmailVerifiedAt), boolInt(u.MadeInDemo))
	if isUnique(err) {
		return registry.Errorf(registry.ECONFLICT, "a user with e-mail %s already exists", u.Email)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

func (t *tx) User(ctx context.Context, id string) (*registry.User, error) {
	u, err := scanUser(t.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "user %s not found", id)
	}
	return u, nil
}

func (t *tx) UserByEmail(ctx context.Context, email string) (*registry.User, error) {
	u, err := scanUser(t.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
	if err != nil {
		return nil, notFound(err, "no user with e-mail %s", email)
	}
	return u, nil
}

func (t *tx) UpdateUser(ctx context.Context, u *registry.User) error {
	res, err := t.exec(ctx, `UPDATE users SET email = ?, role = ?, account_id = ?, operator_id = ?, password_hash = ?, disabled = ?,
		totp_secret = ?, totp_enabled_at = ?, lang = ?, email_verified_at = ? WHERE id = ?`,
		u.Email, u.Role, nullable(u.AccountID), nullable(u.OperatorID), u.PasswordHash, boolInt(u.Disabled), u.TOTPSecret, tm(u.TOTPEnabledAt),
		userLang(u.Lang), tm(u.EmailVerifiedAt), u.ID)
	if isUnique(err) {
		return registry.Errorf(registry.ECONFLICT, "a user with e-mail %s already exists", u.Email)
	}
	return mustAffect(res, err, "user %s not found", u.ID)
}

func (t *tx) ListUsers(ctx context.Context) ([]*registry.User, error) {
	return t.listUsers(ctx, `SELECT `+userCols+` FROM users ORDER BY email`)
}

func (t *tx) AccountUsers(ctx context.Context, accountID string) ([]*registry.User, error) {
	return t.listUsers(ctx, `SELECT `+userCols+` FROM users WHERE account_id = ? ORDER BY created_at, id`, accountID)
}

func (t *tx) listUsers(ctx context.Context, q string, args ...any) ([]*registry.User, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []*registry.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// userLang stores English for a user made without a language.
func userLang(l string) string {
	if l == "" {
		return "en"
	}
	return l
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const tokenCols = `id, user_id, kind, name, hash, created_at, expires_at, scope`

func scanToken(sc interface{ Scan(...any) error }) (*registry.Token, error) {
	var r tokenRow
	if err := sc.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.token(), nil
}

// tokenRow holds tokenCols as scanned (see userRow).
type tokenRow struct {
	k                registry.Token
	created, expires string
}

func (r *tokenRow) dest() []any {
	k := &r.k
	return []any{&k.ID, &k.UserID, &k.Kind, &k.Name, &k.Hash, &r.created, &r.expires, &k.Scope}
}

func (r *tokenRow) token() *registry.Token {
	k := r.k
	k.CreatedAt, k.ExpiresAt = parseTime(r.created), parseTime(r.expires)
	return &k
}

func (t *tx) CreateToken(ctx context.Context, k *registry.Token) error {
	_, err := t.exec(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.UserID, k.Kind, k.Name, k.Hash, tm(k.CreatedAt), tm(k.ExpiresAt), k.Scope)
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

func (t *tx) TokenByHash(ctx context.Context, hash string) (*registry.Token, error) {
	k, err := scanToken(t.queryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE hash = ?`, hash))
	if err != nil {
		return nil, notFound(err, "token not found")
	}
	return k, nil
}

// TokenSession reads in one statement what authenticating a request
// needs: the token with this hash, its user and the settings (the
// defaults when none are stored). Errors: ENOTFOUND when no token has
// this hash.
func (t *tx) TokenSession(ctx context.Context, hash string) (*registry.Token, *registry.User, registry.Settings, error) {
	var k tokenRow
	var u userRow
	var set sql.NullString
	dest := append(append(k.dest(), u.dest()...), &set)
	// The columns of tokenCols and userCols, qualified: the tables share
	// names (id, created_at).
	err := t.queryRow(ctx, `SELECT k.id, k.user_id, k.kind, k.name, k.hash, k.created_at, k.expires_at, k.scope,
		u.id, u.email, u.role, COALESCE(u.account_id, ''), COALESCE(u.operator_id, ''), u.password_hash, u.disabled, u.created_at,
		u.totp_secret, u.totp_enabled_at, u.totp_last_step, u.lang, u.email_verified_at, u.made_in_demo,
		(SELECT value FROM settings WHERE id = 1)
		FROM tokens k JOIN users u ON u.id = k.user_id WHERE k.hash = ?`, hash).Scan(dest...)
	if err != nil {
		return nil, nil, registry.Settings{}, notFound(err, "token not found")
	}
	s, err := decodeSettings(set)
	if err != nil {
		return nil, nil, registry.Settings{}, err
	}
	return k.token(), u.user(), s, nil
}

func (t *tx) ListTokens(ctx context.Context, userID string) ([]*registry.Token, error) {
	rows, err := t.query(ctx, `SELECT `+tokenCols+` FROM tokens WHERE user_id = ? ORDER BY created_at`, userID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []*registry.Token
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (t *tx) DeleteToken(ctx context.Context, userID, id string) error {
	res, err := t.exec(ctx, `DELETE FROM tokens WHERE user_id = ? AND id = ?`, userID, id)
	return mustAffect(res, err, "token %s not found", id)
}

func (t *tx) DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM tokens WHERE expires_at <= ?`, tm(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired tokens: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (t *tx) CreateOperator(ctx context.Context, o *registry.Operator) error {
	_, err := t.exec(ctx, `INSERT INTO operators (id, name, kind, created_at) VALUES (?, ?, ?, ?)`,
		o.ID, o.Name, o.Kind, tm(o.CreatedAt))
	if isUnique(err) {
		return registry.Errorf(registry.ECONFLICT, "operator %s already exists", o.ID)
	}
	if err != nil {
		return fmt.Errorf("create operator: %w", err)
	}
	return nil
}

const operatorSelect = `SELECT o.id, o.name, o.kind, o.created_at,
	(SELECT COUNT(*) FROM operator_prefixes p WHERE p.operator_id = o.id) FROM operators o`

func scanOperator(sc interface{ Scan(...any) error }) (*registry.Operator, error) {
	var o registry.Operator
	var created string
	if err := sc.Scan(&o.ID, &o.Name, &o.Kind, &created, &o.PrefixCount); err != nil {
		return nil, err
	}
	o.CreatedAt = parseTime(created)
	return &o, nil
}

func (t *tx) Operator(ctx context.Context, id string) (*registry.Operator, error) {
	o, err := scanOperator(t.queryRow(ctx, operatorSelect+` WHERE o.id = ?`, id))
	if err != nil {
		return nil, notFound(err, "operator %s not found", id)
	}
	return o, nil
}

func (t *tx) ListOperators(ctx context.Context) ([]*registry.Operator, error) {
	rows, err := t.query(ctx, operatorSelect+` ORDER BY o.kind, o.name`)
	if err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	defer rows.Close()
	var out []*registry.Operator
	for rows.Next() {
		o, err := scanOperator(rows)
		if err != nil {
			return nil, fmt.Errorf("list operators: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (t *tx) SetOperatorPrefixes(ctx context.Context, id string, ps []netip.Prefix) error {
	if _, err := t.exec(ctx, `DELETE FROM operator_prefixes WHERE operator_id = ?`, id); err != nil {
		return fmt.Errorf("set operator prefixes: %w", err)
	}
	res, err := t.exec(ctx, `UPDATE operators SET prefixes_version = prefixes_version + 1 WHERE id = ?`, id)
	if err := mustAffect(res, err, "operator %s not found", id); err != nil {
		return err
	}
	// Insert in batches: one statement per prefix is slow for full tables.
	const batch = 500
	for i := 0; i < len(ps); i += batch {
		end := min(i+batch, len(ps))
		args := make([]any, 0, 2*(end-i))
		vals := ""
		for j, p := range ps[i:end] {
			if j > 0 {
				vals += ", "
			}
			vals += "(?, ?)"
			args = append(args, id, p.String())
		}
		if _, err := t.exec(ctx, `INSERT INTO operator_prefixes (operator_id, prefix) VALUES `+vals+` ON CONFLICT DO NOTHING`, args...); err != nil {
			return fmt.Errorf("set operator prefixes: %w", err)
		}
	}
	return nil
}

// OperatorPrefixesVersion implements registry.Tx.
func (t *tx) OperatorPrefixesVersion(ctx context.Context, id string) (int64, error) {
	var v int64
	if err := t.queryRow(ctx, `SELECT prefixes_version FROM operators WHERE id = ?`, id).Scan(&v); err != nil {
		return 0, notFound(err, "operator %s not found", id)
	}
	return v, nil
}

func (t *tx) OperatorPrefixes(ctx context.Context, id string) ([]netip.Prefix, error) {
	rows, err := t.query(ctx, `SELECT prefix FROM operator_prefixes WHERE operator_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("operator prefixes: %w", err)
	}
	defer rows.Close()
	var out []netip.Prefix
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("operator %s: stored prefix %q: %w", id, s, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (t *tx) UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	// The condition makes the check and the write one statement, so two
	// logins racing with one code cannot both pass.
	res, err := t.exec(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, userID, step)
	if err != nil {
		return false, fmt.Errorf("use totp step: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use totp step: %w", err)
	}
	return n == 1, nil
}

func (t *tx) UpdateToken(ctx context.Context, k *registry.Token) error {
	res, err := t.exec(ctx, `UPDATE tokens SET scope = ?, expires_at = ? WHERE id = ?`, k.Scope, tm(k.ExpiresAt), k.ID)
	return mustAffect(res, err, "token %s not found", k.ID)
}

func (t *tx) DeleteUserTokens(ctx context.Context, userID string) error {
	if _, err := t.exec(ctx, `DELETE FROM tokens WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("delete user tokens: %w", err)
	}
	return nil
}

func (t *tx) CreatePasswordReset(ctx context.Context, r *registry.PasswordReset) error {
	_, err := t.exec(ctx, `INSERT INTO password_resets (id, user_id, hash, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.ID, r.UserID, r.Hash, tm(r.CreatedAt), tm(r.ExpiresAt), tm(r.UsedAt))
	if err != nil {
		return fmt.Errorf("create password reset: %w", err)
	}
	return nil
}

func (t *tx) PasswordResetByHash(ctx context.Context, hash string) (*registry.PasswordReset, error) {
	var r registry.PasswordReset
	var created, expires, used string
	err := t.queryRow(ctx, `SELECT id, user_id, hash, created_at, expires_at, used_at FROM password_resets WHERE hash = ?`, hash).
		Scan(&r.ID, &r.UserID, &r.Hash, &created, &expires, &used)
	if err != nil {
		return nil, notFound(err, "password reset not found")
	}
	r.CreatedAt, r.ExpiresAt, r.UsedAt = parseTime(created), parseTime(expires), parseTime(used)
	return &r, nil
}

func (t *tx) UsePasswordReset(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at = ''`, tm(at), id)
	if err != nil {
		return false, fmt.Errorf("use password reset: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use password reset: %w", err)
	}
	return n == 1, nil
}

func (t *tx) CreateEmailVerification(ctx context.Context, v *registry.EmailVerification) error {
	_, err := t.exec(ctx, `INSERT INTO email_verifications (id, user_id, email, hash, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.UserID, v.Email, v.Hash, tm(v.CreatedAt), tm(v.ExpiresAt), tm(v.UsedAt))
	if err != nil {
		return fmt.Errorf("create e-mail verification: %w", err)
	}
	return nil
}

func (t *tx) EmailVerificationByHash(ctx context.Context, hash string) (*registry.EmailVerification, error) {
	var v registry.EmailVerification
	var created, expires, used string
	err := t.queryRow(ctx, `SELECT id, user_id, email, hash, created_at, expires_at, used_at FROM email_verifications WHERE hash = ?`, hash).
		Scan(&v.ID, &v.UserID, &v.Email, &v.Hash, &created, &expires, &used)
	if err != nil {
		return nil, notFound(err, "e-mail verification not found")
	}
	v.CreatedAt, v.ExpiresAt, v.UsedAt = parseTime(created), parseTime(expires), parseTime(used)
	return &v, nil
}

func (t *tx) UseEmailVerification(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE email_verifications SET used_at = ? WHERE id = ? AND used_at = ''`, tm(at), id)
	return affected(res, err, "use e-mail verification")
}
