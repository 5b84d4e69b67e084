package api

import (
	"crypto/ed25519"
	"net/http"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/feed"
)

// publicKey is one published signing key.
type publicKey struct {
	ID        string `json:"id"`
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"public_key"`
	Use       string `json:"use"`
	Status    string `json:"status"`
	RetiredAt string `json:"retired_at,omitempty"`
}

// listKeys publishes the registry's public keys: the certificate keys
// (current, and retired ones that still verify the certificates they
// signed) and the feed's (current, and the next one during a rotation).
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	out := []publicKey{}
	certs, err := s.svc.CertificatePublicKeys()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for _, k := range certs {
		pk := publicKey{ID: k.ID, Algorithm: "Ed25519", PublicKey: feed.FormatPublicKey(k.Key), Use: "certificate", Status: "current"}
		if k.Retired {
			pk.Status, pk.RetiredAt = "retired", k.RetiredAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		out = append(out, pk)
	}
	if s.cfg.FeedKeys != nil {
		cur, next, err := s.cfg.FeedKeys()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, k := range []struct {
			key    ed25519.PublicKey
			status string
		}{{cur, "current"}, {next, "next"}} {
			if k.key != nil {
				out = append(out, publicKey{ID: certificate.KeyID(k.key), Algorithm: "Ed25519", PublicKey: feed.FormatPublicKey(k.key), Use: "feed", Status: k.status})
			}
		}
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
}
