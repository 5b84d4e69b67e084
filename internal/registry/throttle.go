package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
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
// Logins count in up to three buckets, chosen by whether the client is
// known for the account: a client (see clientKey) that logged in to the
// account successfully in the last 90 days, or reset its password (the
// OWASP "device cookie" idea, keyed on the address so that the API and the
// portal share it).
//
//   - per account and client: 5 failures in 15 minutes, for every client.
//     This is the limit a guesser meets; it cannot lock the owner out from
//     any other address.
//   - per client over all accounts: 50 failures in 15 minutes, which also
//     bounds the hashes one client can cost for unknown e-mail addresses.
//   - per account over all clients: 100 failures an hour (OWASP ASVS v4
//     2.2.1: at most 100 failed attempts per hour on one account), against
//     guessing spread over many addresses.
//
// A known client meets only the first, for that account: neither a flood
// from others sharing its address (an office, carrier-grade NAT) nor a
// botnet spraying the account can lock the owner out of the places they
// use. A successful password reset makes its client known for the account
// and clears that client's failures there, so the 429's advice to reset
// holds whichever limit was met.
//
// A successful login gives back its own places, so that successes never
// count; the failures before it stay until their window ends (see Login
// for why), or until a password reset from that client clears them. We
// chose fixed limits over progressive delays because a delay still ties up
// a request (and a hash slot) per attempt, while a refusal costs no hash.
var (
	limitLoginAccountClient = limit{"login-account-client", 5, 15 * time.Minute}
	limitLoginClient        = limit{"login-client", 50, 15 * time.Minute}
	limitLoginAccount       = limit{"login-account", 100, time.Hour}
	// Sign-ups, reset requests and reset confirmations per client address:
	// every one counts (a sign-up hashes, a reset request may send mail, a
	// confirmation hashes when its link is valid).
	limitSignup       = limit{"signup-client", 50, 15 * time.Minute}
	limitResetRequest = limit{"reset-request-client", 50, 15 * time.Minute}
	limitResetConfirm = limit{"reset-confirm-client", 50, 15 * time.Minute}
	// Reset links per account: at most 3 an hour (the OWASP Forgot
	// Password cheat sheet's "limit the number of requests"), so requests
	// from everywhere cannot flood a mailbox or pile up live links. Past
	// it a request answers as before but makes no link; a successful reset
	// ends the account's links and starts the count again.
	limitResetAccount = limit{"reset-request-account", 3, time.Hour}
	// Password checks before an account deletion, per user: a stolen
	// session must not become a password oracle.
	limitDeleteAccount = limit{"delete-account", 5, 15 * time.Minute}
	// Authenticator codes checked to turn TOTP off, per user: six digits
	// are a million guesses, which a stolen session could otherwise send
	// as fast as the database commits, in parallel, until one matched and
	// the second factor was gone.
	limitTOTPDisable = limit{"totp-disable", 5, 15 * time.Minute}
)

// knownClientFor is how long a client that logged in to an account stays
// known for it (exempt from the client-wide and account-wide login limits).
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
	_, err := s.reserveSlot(ctx, l, message, parts...)
	return err
}

// reserveSlot is reserveOne returning the reserved slot, to refund it.
func (s *Service) reserveSlot(ctx context.Context, l limit, message string, parts ...string) (slot, error) {
	var sl slot
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		sl, err = s.reserve(ctx, tx, l, s.Now(), parts...)
		var e *Error
		if errors.As(err, &e) && e.Code == ETOOMANY {
			e.Message = message + "; wait " + HumanDuration(e.RetryAfter) + " and try again"
		}
		return err
	})
	return sl, err
}

// tooManyLogins is the login's ETOOMANY, its RetryAfter at least a
// second. It advises a reset only where a reset link can be had
// (Config.ResetLinks), and then the advice holds for every login limit: a
// reset confirmed from the client makes it known for the account (the
// client-wide and account-wide limits stop applying) and clears its
// failures there. For an e-mail without an account a reset changes
// nothing, but saying so would tell which addresses have accounts.
func (s *Service) tooManyLogins(wait time.Duration) *Error {
	wait = max(wait, time.Second)
	msg := fmt.Sprintf("too many failed logins; wait %s and try again", HumanDuration(wait))
	if s.resetLinks {
		msg = fmt.Sprintf("too many failed logins; wait %s and try again, or reset the password and open the reset link on this network, which lifts the limit here for your account", HumanDuration(wait))
	}
	return &Error{Code: ETOOMANY, RetryAfter: wait, Message: msg}
}

// tooMany is an ETOOMANY whose caller words the message.
func tooMany(wait time.Duration) *Error {
	wait = max(wait, time.Second)
	return &Error{Code: ETOOMANY, RetryAfter: wait}
}

// knownClient says whether client (a clientKey) logged in to u, or reset
// its password, within knownClientFor before at. Nobody is known for an
// e-mail without an account (u nil).
func (s *Service) knownClient(ctx context.Context, tx Tx, u *User, client string, at time.Time) (bool, error) {
	if u == nil {
		return false, nil
	}
	seen, err := tx.LoginClientSeen(ctx, u.ID, clientDigest(u.ID, client))
	if err != nil {
		return false, err
	}
	return !seen.IsZero() && at.Sub(seen) <= knownClientFor, nil
}

// ClientAddress is the client address of an HTTP request whose
// RemoteAddr (host:port, as net/http sets it) is remoteAddr: the address
// without port or zone, an IPv4-mapped IPv6 address as IPv4. The API and
// the portal both pass it to the Service, which throttles by its
// clientKey. Anything that does not parse is returned as given.
func ClientAddress(remoteAddr string) string {
	host := remoteAddr
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		host = ap.Addr().String()
	} else if h, _, err := net.SplitHostPort(remoteAddr); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	return a.WithZone("").Unmap().String()
}

// clientKey is the name the throttles give a client address: an IPv4
// address as itself (an IPv4-mapped IPv6 address as its IPv4 one), an
// IPv6 address as its /64, the smallest network a subscriber is given
// (RFC 6177), so one subscriber's many addresses count as one client.
// Anything that is not an address is kept as given.
func clientKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.WithZone("").Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// clientDigest is how login_clients names a client (a clientKey) of a user.
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
// A known caller (a login from a client known for the account) may take
// the gate's reserved slot (auth.Gate.DoKnown).
func (s *Service) checkPassword(ctx context.Context, known bool, hash, password string) (bool, error) {
	var ok bool
	var err error
	do := s.gate.Do
	if known {
		do = s.gate.DoKnown
	}
	if gerr := do(ctx, func() { ok, err = auth.CheckPassword(hash, password) }); gerr != nil {
		return false, busy(gerr)
	}
	return ok, err
}

// notChecked says that err, from hashPassword or checkPassword, means the
// hash never ran: no slot came free (EUNAVAILABLE), or the caller's
// context ended while it waited for one.
func notChecked(err error) bool {
	return ErrorCode(err) == EUNAVAILABLE || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// busy turns the gate's refusal into the domain's EUNAVAILABLE.
func busy(err error) error {
	if errors.Is(err, auth.ErrBusy) {
		return &Error{Code: EUNAVAILABLE, RetryAfter: time.Second,
			Message: "the server is busy checking other passwords; try again in a second"}
	}
	return err
}
