package feed

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// KeyPrefix starts the text form of a public key: "ed25519:" and the raw
// 32-byte key in unpadded base64url.
const KeyPrefix = "ed25519:"

// FormatPublicKey returns the text form of a public key.
func FormatPublicKey(k ed25519.PublicKey) string {
	return KeyPrefix + base64.RawURLEncoding.EncodeToString(k)
}

// ParsePublicKey reads the text form of a public key.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, KeyPrefix) {
		return nil, fmt.Errorf("public key %q must start with %s", s, KeyPrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, KeyPrefix))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public key %q is not 32 bytes of base64url", s)
	}
	return ed25519.PublicKey(b), nil
}

// NewKey returns a fresh signing key.
func NewKey() (ed25519.PrivateKey, error) {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	return k, err
}

// MarshalKey encodes a signing key as PKCS #8 PEM.
func MarshalKey(k ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// UnmarshalKey decodes a PKCS #8 PEM Ed25519 signing key.
func UnmarshalKey(b []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("not an Ed25519 key")
	}
	return ek, nil
}

// Sign returns n as a compact JWS signed with EdDSA.
func Sign(n Notification, k ed25519.PrivateKey) (string, error) {
	n.Type = "notification"
	payload, err := json.Marshal(n)
	if err != nil {
		return "", err
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: k}, nil)
	if err != nil {
		return "", fmt.Errorf("sign notification: %w", err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign notification: %w", err)
	}
	return obj.CompactSerialize()
}

// ErrSignature means no trusted key verifies the notification.
var ErrSignature = errors.New("notification signature does not verify with a trusted key")

// Verify checks a compact JWS against the trusted keys (only EdDSA is
// accepted) and returns the notification and the key that verified it.
func Verify(jws string, keys ...ed25519.PublicKey) (*Notification, ed25519.PublicKey, error) {
	obj, err := jose.ParseSignedCompact(strings.TrimSpace(jws), []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return nil, nil, fmt.Errorf("notification is not a compact EdDSA JWS: %w", err)
	}
	for _, k := range keys {
		payload, err := obj.Verify(k)
		if err != nil {
			continue
		}
		var n Notification
		if err := json.Unmarshal(payload, &n); err != nil {
			return nil, nil, fmt.Errorf("notification payload: %w", err)
		}
		if n.Type != "notification" || n.SessionID == "" || n.Version < 1 || n.Snapshot.URL == "" || n.Snapshot.Hash == "" {
			return nil, nil, fmt.Errorf("notification payload is incomplete (type %q, session %q, version %d)", n.Type, n.SessionID, n.Version)
		}
		return &n, k, nil
	}
	return nil, nil, ErrSignature
}

// PayloadUnverified decodes a compact JWS's payload WITHOUT checking its
// signature. Only for the registry's own notifications, which it signed
// (the feed stream reads which delta files a notification lists); never
// for a trust decision, which is Verify's.
func PayloadUnverified(jws string) (*Notification, error) {
	parts := strings.Split(strings.TrimSpace(jws), ".")
	if len(parts) != 3 {
		return nil, errors.New("notification is not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("notification payload: %w", err)
	}
	var n Notification
	if err := json.Unmarshal(payload, &n); err != nil {
		return nil, fmt.Errorf("notification payload: %w", err)
	}
	return &n, nil
}
