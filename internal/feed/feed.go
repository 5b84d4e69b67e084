// Package feed is the allowlist feed's format, shared by the publisher in
// ipreg serve and by ipreg-agent: entries, snapshot and delta files (gzipped
// JSON lines), and the notification signed as a compact JWS with Ed25519.
// It imports no storage and no templates, so the agent can link it.
package feed

import (
	"bytes"
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
	o, _ := e.checkedOrder()
	return o.key()
}

// checkedOrder returns the entry's key in parts and whether the entry is
// valid (see Validate), parsing the prefix once for both.
func (e Entry) checkedOrder() (order, error) {
	o, err := e.order()
	if err != nil {
		return o, err
	}
	switch {
	case e.Reg == "" || e.Cat == "":
		return o, fmt.Errorf("entry %s%s: reg and cat are required", e.Prefix, e.MSISDN)
	case e.Until.IsZero():
		return o, fmt.Errorf("entry %s%s: until is required", e.Prefix, e.MSISDN)
	}
	return o, nil
}

// order is a key in parts: comparing orders (compareOrder) compares keys
// without building them, which decoding a million-line file would.
type order struct {
	kind byte // kind4, kind6, kindNumber or kindBad: the key's first letters
	addr [16]byte
	bits uint8
	id   string // the mobile number; for kindBad, prefix and number as given
	reg  string
}

const (
	kind4      = iota // "a4…"
	kind6             // "a6…"
	kindNumber        // "b…"
	kindBad           // "z…"
)

// order is the key in parts, from the prefix or number and the registration.
func (e Entry) order() (order, error) {
	bad := order{kind: kindBad, id: e.Prefix + e.MSISDN, reg: e.Reg}
	if (e.Prefix == "") == (e.MSISDN == "") {
		return bad, fmt.Errorf("entry %q/%q: exactly one of prefix and msisdn must be set", e.Prefix, e.MSISDN)
	}
	if e.MSISDN != "" {
		if len(e.MSISDN) != 12 || strings.Trim(e.MSISDN, "0123456789") != "" || !strings.HasPrefix(e.MSISDN, "92") {
			return bad, fmt.Errorf("entry msisdn %q is not 92XXXXXXXXXX", e.MSISDN)
		}
		return order{kind: kindNumber, id: e.MSISDN, reg: e.Reg}, nil
	}
	p, err := netip.ParsePrefix(e.Prefix)
	if err != nil || p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
		return bad, fmt.Errorf("entry prefix %q is not a canonical prefix", e.Prefix)
	}
	o := order{kind: kind4, addr: p.Addr().As16(), bits: uint8(p.Bits()), reg: e.Reg}
	if !p.Addr().Is4() {
		o.kind = kind6
	}
	return o, nil
}

// key is the order as the key string.
func (o order) key() string {
	switch o.kind {
	case kindNumber:
		return "b" + o.id + "|" + o.reg
	case kindBad:
		return "z" + o.id + "|" + o.reg
	}
	b := make([]byte, 0, 2+32+4+1+len(o.reg))
	b = append(b, "a4"...)
	if o.kind == kind6 {
		b[1] = '6'
	}
	b = hex.AppendEncode(b, o.addr[:])
	b = append(b, '/', byte('0'+o.bits/100), byte('0'+o.bits/10%10), byte('0'+o.bits%10), '|')
	b = append(b, o.reg...)
	return string(b)
}

// compareOrder compares as the keys compare (TestCompareOrder holds it to
// that): kind, then address, length and registration for prefixes, number
// and registration for numbers.
func compareOrder(a, b order) int {
	if a.kind != b.kind {
		return int(a.kind) - int(b.kind)
	}
	if a.kind == kindBad {
		return strings.Compare(a.key(), b.key())
	}
	if c := bytes.Compare(a.addr[:], b.addr[:]); c != 0 {
		return c
	}
	if a.bits != b.bits {
		return int(a.bits) - int(b.bits)
	}
	if c := strings.Compare(a.id, b.id); c != 0 {
		return c
	}
	return strings.Compare(a.reg, b.reg)
}

// Validate checks an entry read from a file.
func (e Entry) Validate() error {
	_, err := e.checkedOrder()
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

// Notification is the signed entry point of a feed. Feed names which
// feed it belongs to (FeedName), inside the signature, so a notification
// of one feed cannot be served in place of another's.
type Notification struct {
	Type           string    `json:"type"` // "notification"
	Feed           string    `json:"feed"` // "global" or "operator:<id>"
	SessionID      string    `json:"session_id"`
	Version        int64     `json:"version"`
	Timestamp      time.Time `json:"timestamp"`
	Expires        time.Time `json:"expires"`
	Snapshot       FileRef   `json:"snapshot"`
	Deltas         []FileRef `json:"deltas"`
	NextSigningKey string    `json:"next_signing_key,omitempty"`
}

// GlobalFeed is the global feed's name in notifications.
const GlobalFeed = "global"

// FeedName returns the name a notification carries for a feed: "global"
// for the global feed (operator ""), "operator:<id>" for an operator's
// (README, "The allowlist feed").
func FeedName(operator string) string {
	if operator == "" {
		return GlobalFeed
	}
	return "operator:" + operator
}

// Hash returns the hex SHA-256 of b, as notifications carry it.
func Hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
