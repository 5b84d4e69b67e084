// Package certificate makes and checks ipreg's registration certificates:
// the signed payload that the QR code carries (so that a copy can be
// checked offline), the certificate signing keys kept in the data
// directory, and the PDF itself. It knows nothing of the registry's
// storage; the registry gives it the facts to print and sign.
package certificate

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Facts are the public facts a certificate signs: nothing that the public
// verification page does not show already (the holder is masked), plus a
// digest of the addresses or numbers, which stay off the QR.
type Facts struct {
	Number      string    // VPN-2026-000123
	Holder      string    // masked, as on the public verification page
	Category    string    // company_vpn, ...
	ValidFrom   time.Time // whole seconds
	ValidUntil  time.Time // whole seconds
	IssuedAt    time.Time // microseconds: a reissue in the same second still supersedes
	ItemsDigest string    // ItemsDigest of the addresses or mobile numbers
	KeyID       string    // the signing key's KeyID
}

// version starts every payload; a new layout gets a new version.
const version = "1"

// fields is how many lines a version-1 payload has.
const fields = 9

// Errors of Verify. A certificate that fails with ErrMalformed or
// ErrBadSignature has been edited (or damaged); ErrUnknownKey means the
// key that signed it is not one this registry published.
var (
	ErrMalformed    = errors.New("the certificate's signed data is damaged or edited: it cannot be read")
	ErrBadSignature = errors.New("the certificate's signature does not match its contents: it has been edited")
	ErrUnknownKey   = errors.New("the certificate was signed with a key this registry never published")
	// ErrRetiredKey: signed with a key after its retirement, when it
	// signed nothing any more: not a certificate the registry made.
	ErrRetiredKey = errors.New("the certificate says it was issued after the key that signed it was retired, and a retired key signs nothing new: the registry did not make it")
)

// ItemsDigest is the SHA-256 digest (unpadded base64url) of the sorted
// canonical items, one per line: what a certificate signs instead of a
// list that may not fit a QR code.
func ItemsDigest(items []string) string {
	sorted := slices.Clone(items)
	slices.Sort(sorted)
	sum := sha256.Sum256([]byte(strings.Join(sorted, "\n")))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// payload is the signed text: one field a line (no field holds a line
// break: the masked holder is words joined by spaces).
func (f Facts) payload() ([]byte, error) {
	vals := []string{version, f.Number, f.Holder, f.Category, strconv.FormatInt(f.ValidFrom.Unix(), 10),
		strconv.FormatInt(f.ValidUntil.Unix(), 10), strconv.FormatInt(f.IssuedAt.UnixMicro(), 10), f.ItemsDigest, f.KeyID}
	for _, v := range vals {
		if v == "" || strings.ContainsAny(v, "\n\r") {
			return nil, fmt.Errorf("certificate field %q is empty or holds a line break", v)
		}
	}
	return []byte(strings.Join(vals, "\n")), nil
}

// Sign returns the compact token a QR code carries: the payload and its
// Ed25519 signature, each unpadded base64url, joined by a dot. f.KeyID is
// set from key.
func Sign(f Facts, key ed25519.PrivateKey) (string, error) {
	f.KeyID = KeyID(key.Public().(ed25519.PublicKey))
	p, err := f.payload()
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(p) + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, p)), nil
}

// Parse reads a token without checking its signature (Verify does).
func Parse(token string) (Facts, error) {
	f, _, _, err := parse(token)
	return f, err
}

func parse(token string) (f Facts, payload, sig []byte, err error) {
	p64, s64, ok := strings.Cut(strings.TrimSpace(token), ".")
	if !ok {
		return f, nil, nil, ErrMalformed
	}
	if payload, err = base64.RawURLEncoding.DecodeString(p64); err != nil {
		return f, nil, nil, ErrMalformed
	}
	if sig, err = base64.RawURLEncoding.DecodeString(s64); err != nil || len(sig) != ed25519.SignatureSize {
		return f, nil, nil, ErrMalformed
	}
	v := strings.Split(string(payload), "\n")
	if len(v) != fields || v[0] != version {
		return f, nil, nil, ErrMalformed
	}
	from, err1 := strconv.ParseInt(v[4], 10, 64)
	until, err2 := strconv.ParseInt(v[5], 10, 64)
	issued, err3 := strconv.ParseInt(v[6], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return f, nil, nil, ErrMalformed
	}
	f = Facts{Number: v[1], Holder: v[2], Category: v[3], ValidFrom: time.Unix(from, 0).UTC(), ValidUntil: time.Unix(until, 0).UTC(),
		IssuedAt: time.UnixMicro(issued).UTC(), ItemsDigest: v[7], KeyID: v[8]}
	// A payload that does not re-encode to itself (leading zeros, "+1")
	// is not one the registry wrote.
	if again, err := f.payload(); err != nil || !bytes.Equal(again, payload) {
		return Facts{}, nil, nil, ErrMalformed
	}
	return f, payload, sig, nil
}

// Verify checks a token's signature with the key its KeyID names, found
// by lookup, and returns the signed facts.
func Verify(token string, lookup func(keyID string) (ed25519.PublicKey, bool)) (Facts, error) {
	f, payload, sig, err := parse(token)
	if err != nil {
		return Facts{}, err
	}
	pub, ok := lookup(f.KeyID)
	if !ok {
		return f, ErrUnknownKey
	}
	if !ed25519.Verify(pub, payload, sig) {
		return f, ErrBadSignature
	}
	return f, nil
}

// VerifyKeys checks a token's signature with the key among keys that its
// KeyID names, and refuses a certificate issued after that key's
// retirement (ErrRetiredKey; the retirement time is kept in whole seconds,
// so the second it was retired in still counts as before).
func VerifyKeys(token string, keys []PublicKey) (Facts, error) {
	f, err := Verify(token, lookupIn(keys))
	if err != nil {
		return f, err
	}
	for _, k := range keys {
		if k.ID == f.KeyID && k.Retired && f.IssuedAt.Truncate(time.Second).After(k.RetiredAt) {
			return f, ErrRetiredKey
		}
	}
	return f, nil
}

func lookupIn(keys []PublicKey) func(string) (ed25519.PublicKey, bool) {
	return func(id string) (ed25519.PublicKey, bool) {
		for _, k := range keys {
			if k.ID == id {
				return k.Key, true
			}
		}
		return nil, false
	}
}

// KeyID names a public key: the first 9 bytes of its SHA-256 digest in
// unpadded base64url (12 characters).
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// VerifyURL is the public verification page's address for a registration
// and its code, with the signed token when given: what the QR code holds.
func VerifyURL(publicURL, number, code, token string) string {
	q := "code=" + url.QueryEscape(code)
	if token != "" {
		q += "&c=" + token // base64url and a dot: nothing to escape
	}
	return strings.TrimRight(publicURL, "/") + "/verify/" + url.PathEscape(number) + "?" + q
}

// Link is what a verification URL holds.
type Link struct {
	Base   string // the registry's public URL (scheme, host, path prefix)
	Number string
	Code   string
	Token  string
}

// ParseURL reads a verification URL (as VerifyURL writes it).
func ParseURL(s string) (Link, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Link{}, fmt.Errorf("%q is not an http(s) verification URL", s)
	}
	i := strings.LastIndex(u.Path, "/verify/")
	if i < 0 {
		return Link{}, fmt.Errorf("%q is not a verification URL: its path must end in /verify/<registration number>", s)
	}
	q := u.Query()
	l := Link{Base: u.Scheme + "://" + u.Host + u.Path[:i], Number: u.Path[i+len("/verify/"):], Code: q.Get("code"), Token: q.Get("c")}
	if l.Number == "" || strings.Contains(l.Number, "/") {
		return Link{}, fmt.Errorf("%q names no registration number after /verify/", s)
	}
	if l.Token == "" {
		return Link{}, fmt.Errorf("%q carries no signed certificate data (the c parameter): only a certificate's QR code does", s)
	}
	return l, nil
}
