package api

import (
	"net/http"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

type verifyResponse struct {
	Number     string             `json:"number"`
	Status     registry.RegStatus `json:"status"`
	Category   registry.Category  `json:"category"`
	ValidFrom  time.Time          `json:"valid_from"`
	ValidUntil time.Time          `json:"valid_until"`
	Holder     string             `json:"holder"`
	// HolderErased: the holder deleted their account (Holder is "").
	HolderErased bool              `json:"holder_erased,omitempty"`
	Certificate  *certificateCheck `json:"certificate,omitempty"`
}

type certificateCheck struct {
	Verdict  registry.CertificateVerdict `json:"verdict"`
	IssuedAt *time.Time                  `json:"issued_at,omitempty"`
	KeyID    string                      `json:"key_id,omitempty"`
}

// verify is the public check: a number and its code, and with c (the
// signed data of a certificate's QR code) what the certificate is.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var p *registry.PublicRegistration
	var c *registry.CertificateCheck
	var err error
	if q.Has("c") {
		p, c, err = s.svc.VerifyCertificate(r.Context(), r.PathValue("number"), q.Get("code"), q.Get("c"))
	} else {
		p, err = s.svc.Verify(r.Context(), r.PathValue("number"), q.Get("code"))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := verifyResponse{Number: p.Number, Status: p.Status, Category: p.Category,
		ValidFrom: p.ValidFrom.UTC(), ValidUntil: p.ValidUntil.UTC(), Holder: p.Holder, HolderErased: p.HolderErased}
	if c != nil {
		out.Certificate = &certificateCheck{Verdict: c.Verdict, KeyID: c.KeyID}
		if !c.IssuedAt.IsZero() {
			t := c.IssuedAt.UTC()
			out.Certificate.IssuedAt = &t
		}
	}
	writeJSON(w, http.StatusOK, out)
}
