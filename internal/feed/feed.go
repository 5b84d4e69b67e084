// Package feed is the allowlist feed's format, shared by the publisher in
// ipreg serve and by ipreg-agent: entries, snapshot and delta files (gzipped
// JSON lines), and the notification signed as a compact JWS with Ed25519.
// It imports no storage and no templates, so the agent can link it.
package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Entry is one allowlisted item: an address prefix, or (in operator-scoped
// feeds) a mobile number. Nothing personal: a registration number, a
// category and a validity.
type Entry struct {
	Prefix string    `json:"prefix,omitempty"`
	MSISDN string    `json:"msisdn,omitempty"`
	Reg    string    `json:"reg"`
	Cat    string    `json:"cat"`
	Until  time.Time `json:"until"`
}

// Key orders entries in files and identifies them in deltas: prefixes
// first, by address (IPv4 before IPv6) then length, then mobile numbers;
// the registration number last, because two registrations may hold one
// prefix.
func (e Entry) Key() string {
	k, _ := e.checkedKey()
	return k
}

// checkedKey returns the entry's key and whether the entry is valid (see
// Validate), parsing the prefix once for both.
func (e Entry) checkedKey() (string, error) {
	key, err := e.identity()
	if err != nil {
		return key, err
	}
	switch {
	case e.Reg == "" || e.Cat == "":
		return key, fmt.Errorf("entry %s%s: reg and cat are required", e.Prefix, e.MSISDN)
	case e.Until.IsZero():
		return key, fmt.Errorf("entry %s%s: until is required", e.Prefix, e.MSISDN)
	}
	return key, nil
}

// identity is the key, from the prefix or number and the registration.
func (e Entry) identity() (string, error) {
	bad := "z" + e.Prefix + e.MSISDN + "|" + e.Reg
	if (e.Prefix == "") == (e.MSISDN == "") {
		return bad, fmt.Errorf("entry %q/%q: exactly one of prefix and msisdn must be set", e.Prefix, e.MSISDN)
	}
	if e.MSISDN != "" {
		if len(e.MSISDN) != 12 || strings.Trim(e.MSISDN, "0123456789") != "" || !strings.HasPrefix(e.MSISDN, "92") {
			return bad, fmt.Errorf("entry msisdn %q is not 92XXXXXXXXXX", e.MSISDN)
		}
		return "b" + e.MSISDN + "|" + e.Reg, nil
	}
	p, err := netip.ParsePrefix(e.Prefix)
	if err != nil || p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
		return bad, fmt.Errorf("entry prefix %q is not a canonical prefix", e.Prefix)
	}
	// Built by hand: keys are computed for every entry of large sets.
	a := p.Addr().As16()
	b := make([]byte, 0, 2+32+4+1+len(e.Reg))
	if p.Addr().Is4() {
		b = append(b, "a4"...)
	} else {
		b = append(b, "a6"...)
	}
	b = hex.AppendEncode(b, a[:])
	b = append(b, '/', byte('0'+p.Bits()/100), byte('0'+p.Bits()/10%10), byte('0'+p.Bits()%10), '|')
	b = append(b, e.Reg...)
	return string(b), nil
}

// Validate checks an entry read from a file.
func (e Entry) Validate() error {
	_, err := e.checkedKey()
	return err
}

// Op is a delta line: an entry added or removed.
type Op struct {
	Op string `json:"op"` // "add" or "remove"
	Entry
}

// Header is the first line of a snapshot or delta file.
type Header struct {
	Type      string `json:"type"` // "snapshot" or "delta"
	SessionID string `json:"session_id"`
	Version   int64  `json:"version"`
}

// FileRef points from a notification to a file. URL is relative to the
// notification's own URL, so a CDN or mirror can serve the set unchanged.
type FileRef struct {
	Version int64  `json:"version"`
	URL     string `json:"url"`
	Hash    string `json:"hash"` // hex SHA-256 of the file's bytes as served
}

// Notification is the signed entry point of a feed.
type Notification struct {
	Type           string    `json:"type"` // "notification"
	SessionID      string    `json:"session_id"`
	Version        int64     `json:"version"`
	Timestamp      time.Time `json:"timestamp"`
	Expires        time.Time `json:"expires"`
	Snapshot       FileRef   `json:"snapshot"`
	Deltas         []FileRef `json:"deltas"`
	NextSigningKey string    `json:"next_signing_key,omitempty"`
}

// Hash returns the hex SHA-256 of b, as notifications carry it.
func Hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
