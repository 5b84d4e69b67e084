package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
)

// Throttling of the unauthenticated paths (OWASP ASVS v4 2.2.1, the OWASP
// Authentication and Forgot Password cheat sheets). Every limit lives in
// the database (Tx.ReserveAttempt), so replicas share it, and every attempt
// is counted before the password is checked, in one atomic step, so that
// parallel attempts cannot all pass a "fewer than five so far" test.
//
// Logins count in three buckets:
//
//   - per account and client address: 5 failures in 15 minutes. This is
//     the limit a guesser meets; it cannot lock the owner out from any
//     other address.
//   - per client address: 50 failures in 15 minutes over all accounts
//     (offices share an address), which also bounds the hashes one client
//     can cost for unknown e-mail addresses.
//   - per account over all addresses: 100 failures in 15 minutes, against
//     guessing spread over many addresses. A client address that logged in
//     to the account within the last 90 days (the OWASP "device cookie"
//     idea, keyed on the address so that the API and the portal share it)
//     is exempt, so even a botnet spraying the account does not lock its
//     owner out of the places they use; neither does a password reset,
//     whose address becomes such a client.
//
// A successful login gives back its own places, so that successes never
// count; the failures before it stay until their window ends (see Login
// for why), or until a password reset from that client clears them. We
// chose fixed limits over progressive delays because a delay still ties up
// a request (and a hash slot) per attempt, while a refusal costs no hash.
var (
	limitLoginAccountClient = limit{"login-account-client", 5, 15 * time.Minute}
	limitLoginClient        = limit{"login-client", 50, 15 * time.Minute}
	limitLoginAccount       = limit{"login-account", 100, 15 * time.Minute}
	// Sign-ups, reset requests and reset confirmations per client address:
	// every one counts (a sign-up hashes, a reset request may send mail, a
	// confirmation hashes when its link is valid).
	limitSignup       = limit{"signup-client", 50, 15 * time.Minute}
	limitResetRequest = limit{"reset-request-client", 50, 15 * time.Minute}
	limitResetConfirm = limit{"reset-confirm-client", 50, 15 * time.Minute}
)

// knownClientFor is how long a client address that logged in stays exempt
// from the account-wide login limit.
const knownClientFor = 90 * 24 * time.Hour

// limit is a number of attempts per window in buckets of one kind.
type limit struct {
	kind   string
	max    int
	window time.Duration
}

// bucket names the limit's bucket for parts (an e-mail, a client address):
// the kind and a SHA-256 of the parts, so the table holds neither in clear.
func (l limit) bucket(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return l.kind + ":" + hex.EncodeToString(sum[:16])
}

// slot is a reserved attempt, to give back (refund) or clear later.
type slot struct {
	bucket    string
	windowEnd time.Time
}

// reserve counts an attempt in l's bucket for parts. Over the limit it
// returns an ETOOMANY error whose RetryAfter is when the window ends.
func (s *Service) reserve(ctx context.Context, tx Tx, l limit, now time.Time, parts ...string) (slot, error) {
	b := l.bucket(parts...)
	n, end, err := tx.ReserveAttempt(ctx, b, now, l.window)
	if err != nil {
		return slot{}, err
	}
	if n > l.max {
		return slot{}, tooMany(end.Sub(now))
	}
	return slot{bucket: b, windowEnd: end}, nil
}

// reserveOne reserves an attempt in its own transaction, committed before
// the caller goes on to hash.
func (s *Service) reserveOne(ctx context.Context, l limit, message string, parts ...string) error {
	return s.store.Write(ctx, func(tx Tx) error {
		_, err := s.reserve(ctx, tx, l, s.Now(), parts...)
		var e *Error
		if errors.As(err, &e) && e.Code == ETOOMANY {
			e.Message = message + "; wait " + e.RetryAfter.Round(time.Second).String() + " and try again"
		}
		return err
	})
}

func tooMany(wait time.Duration) *Error {
	wait = max(wait, time.Second)
	return &Error{Code: ETOOMANY, RetryAfter: wait,
		Message: "too many failed logins; wait " + wait.Round(time.Second).String() + " and try again, or reset the password"}
}

// clientDigest is how login_clients names a client address of a user.
func clientDigest(userID, clientIP string) string {
	sum := sha256.Sum256([]byte(userID + "\x00" + clientIP))
	return hex.EncodeToString(sum[:16])
}

// hashPassword hashes through the process's hashing gate.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	var hash string
	var err error
	if gerr := s.gate.Do(ctx, func() { hash, err = auth.HashPassword(password, s.hashing) }); gerr != nil {
		return "", busy(gerr)
	}
	return hash, err
}

// checkPassword checks through the process's hashing gate.
func (s *Service) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	var ok bool
	var err error
	if gerr := s.gate.Do(ctx, func() { ok, err = auth.CheckPassword(hash, password) }); gerr != nil {
		return false, busy(gerr)
	}
	return ok, err
}

// busy turns the gate's refusal into the domain's EUNAVAILABLE.
func busy(err error) error {
	if errors.Is(err, auth.ErrBusy) {
		return &Error{Code: EUNAVAILABLE, RetryAfter: time.Second,
			Message: "the server is busy checking other passwords; try again in a second"}
	}
	return err
}
