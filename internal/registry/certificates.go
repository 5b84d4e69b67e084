package registry

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/notify"
)

// CertificateKeys gives the registry its certificate signing keys; read at
// each use, so that a rotation by "ipreg key rotate-certificate" applies
// without a restart (certificate.Keys reads them from the data directory).
type CertificateKeys interface {
	Load() (*certificate.KeySet, error)
}

// DefaultRegulator is the issuer a certificate names when Config.Regulator
// is empty: the regulator the registry is modelled on.
const DefaultRegulator = "Pakistan Telecommunication Authority"

// categoryWords names each category on a certificate.
var categoryWords = map[Category]string{
	CategoryCompany:    "Company VPN",
	CategoryFreelancer: "Freelancer VPN",
	CategoryCallCenter: "Call centre",
	CategoryVideoConf:  "Video conferencing",
	CategoryMobile:     "Mobile VPN",
}

// CertificatePDF returns the certificate of an active registration to its
// holder or to staff (staff downloads are audited). Another account's
// registration is not found. An ended registration has no certificate
// (ECONFLICT); ENOTFOUND, EUNAVAILABLE (no public URL or keys configured)
// as below.
func (s *Service) CertificatePDF(ctx context.Context, actor *User, number string) ([]byte, error) {
	if err := requireRole(actor, Roles...); err != nil {
		return nil, err
	}
	var r *Registration
	err := s.view(ctx, actor, func(tx Tx) error {
		var err error
		if r, err = tx.Registration(ctx, number, false); err != nil {
			return err
		}
		if !regVisible(actor, r) {
			return Errorf(ENOTFOUND, "registration %s not found", number)
		}
		if actor.Role.Staff() {
			return s.record(ctx, tx, actor, "registration.certificate_downloaded", "registration", r.Number, nil)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.renderCertificate(r)
}

// certificatePDF returns a registration's certificate without an actor:
// for the outbox, which attaches it to the approval, renewal and
// amendment messages it sends to the holder.
func (s *Service) certificatePDF(ctx context.Context, number string) ([]byte, error) {
	var r *Registration
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		r, err = tx.Registration(ctx, number, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.renderCertificate(r)
}

// certificateItems are a registration's addresses or numbers in canonical
// text, as the certificate lists and signs them.
func certificateItems(r *Registration) (label string, items []string) {
	if r.Category.UsesMobileNumbers() {
		return "Mobile numbers", append([]string(nil), r.MobileNumbers...)
	}
	for _, p := range r.Addresses {
		items = append(items, p.String())
	}
	return "IP addresses and prefixes", items
}

// certificateFacts are what a certificate of r signs.
func certificateFacts(r *Registration) certificate.Facts {
	_, items := certificateItems(r)
	return certificate.Facts{Number: r.Number, Holder: MaskName(r.HolderName), Category: string(r.Category),
		ValidFrom: r.ValidFrom.Truncate(time.Second), ValidUntil: r.ValidUntil.Truncate(time.Second),
		IssuedAt: r.IssuedAt.Truncate(time.Microsecond), ItemsDigest: certificate.ItemsDigest(items)}
}

// CertificateUnavailable says why r has no certificate now (the error a
// download would give: ended, a holder name the certificate cannot print,
// no public URL or keys), or nil when one can be made. For pages that
// show the reason instead of a download that would fail; r is one the
// caller may see already.
func (s *Service) CertificateUnavailable(r *Registration) error {
	return s.certificateObstacle(r)
}

func (s *Service) certificateObstacle(r *Registration) error {
	status := r.Status
	if status == RegActive && !s.Now().Before(r.ValidUntil) {
		status = RegExpired // the expiry job may not have run yet
	}
	if status != RegActive {
		return Errorf(ECONFLICT, "registration %s is %s: only an active registration has a certificate (its status stays visible on the public verification page)", r.Number, status)
	}
	if !certificate.Printable(r.HolderName) {
		return Errorf(ECONFLICT, "the certificate of %s cannot be made: certificates are printed in English, and the holder's name as registered uses letters their font cannot show (such as Urdu script, which the PDF library cannot join and order correctly); the registration itself is valid and can be verified on the public verification page", r.Number)
	}
	if s.publicURL == "" {
		return Errorf(EUNAVAILABLE, "certificates are not available: the registry has no public address for their QR code to point to (the administrators start ipreg serve with --public-url)")
	}
	if s.certKeys == nil {
		return Errorf(EUNAVAILABLE, "certificates are not available: the registry has no certificate signing key configured")
	}
	return nil
}

// certificateMissing is why a message about r can carry no certificate,
// as its templates' NoCertificate: "name" (the holder's name is in a
// script the certificate cannot print), "ended" (r is not active), or ""
// when there is no such lasting reason.
func (s *Service) certificateMissing(r *Registration) string {
	if ErrorCode(s.certificateObstacle(r)) != ECONFLICT {
		return ""
	}
	if !certificate.Printable(r.HolderName) {
		return "name"
	}
	return "ended"
}

func (s *Service) renderCertificate(r *Registration) ([]byte, error) {
	if err := s.certificateObstacle(r); err != nil {
		return nil, err
	}
	ks, err := s.certKeys.Load()
	if err != nil {
		return nil, fmt.Errorf("certificate signing key: %w", err)
	}
	token, err := certificate.Sign(certificateFacts(r), ks.Current)
	if err != nil {
		return nil, fmt.Errorf("sign certificate: %w", err)
	}
	label, items := certificateItems(r)
	d := certificate.Document{Regulator: s.regulator, Number: r.Number, Holder: r.HolderName,
		Category: categoryWords[r.Category], ItemsLabel: label, Items: items, ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil,
		IssuedAt: r.IssuedAt, Location: s.calendar.Loc, Code: r.VerificationCode,
		PageURL: certificate.VerifyURL(s.publicURL, r.Number, r.VerificationCode, ""),
		QRURL:   certificate.VerifyURL(s.publicURL, r.Number, r.VerificationCode, token)}
	// The PDF carries a signed copy of all it prints, so that a verifier
	// can re-render it and tell an edited page (certificate.VerifyPDF).
	if d.Signed, err = certificate.SignDocument(d, ks.Current); err != nil {
		return nil, fmt.Errorf("sign certificate: %w", err)
	}
	b, err := certificate.PDF(d)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", r.Number, err)
	}
	return b, nil
}

// CertificateVerdict is what the signed data of a certificate says.
type CertificateVerdict string

const (
	// CertAuthentic: signed by the registry, and the facts are the
	// registration's present ones.
	CertAuthentic CertificateVerdict = "authentic"
	// CertSuperseded: authentic, but a newer certificate was issued since
	// (renewal or amendment): its facts may be out of date.
	CertSuperseded CertificateVerdict = "superseded"
	// CertEdited: the signature does not match the signed data, or the
	// data cannot be read: the certificate has been edited or damaged.
	CertEdited CertificateVerdict = "edited"
	// CertUnknownKey: signed with a key the registry never published.
	CertUnknownKey CertificateVerdict = "unknown_key"
	// CertRetiredKey: a valid signature by a retired key over an issue
	// time after its retirement: a retired key signs nothing new, so the
	// registry did not make it (a leaked retired key).
	CertRetiredKey CertificateVerdict = "retired_key"
	// CertMismatch: a valid signature over facts that are not this
	// registration's (another registration's data pasted in, say).
	CertMismatch CertificateVerdict = "mismatch"
)

// CertificateCheck is the answer about a certificate's signed data.
type CertificateCheck struct {
	Verdict  CertificateVerdict
	IssuedAt time.Time // as signed; zero unless the signature verified and the certificate is this registration's
	KeyID    string    // likewise
}

// VerifyCertificate is the public check of a certificate: the
// registration's live facts (as Verify) and what its signed data (the QR
// code's c parameter) says. A revoked registration answers revoked
// whatever the signature.
func (s *Service) VerifyCertificate(ctx context.Context, number, code, token string) (*PublicRegistration, *CertificateCheck, error) {
	r, err := s.verifyLookup(ctx, number, code)
	if err != nil {
		return nil, nil, err
	}
	check, err := s.checkCertificate(r, token)
	if err != nil {
		return nil, nil, err
	}
	return s.public(r), check, nil
}

func (s *Service) checkCertificate(r *Registration, token string) (*CertificateCheck, error) {
	if s.certKeys == nil {
		return nil, Errorf(EUNAVAILABLE, "certificates cannot be checked here: the registry has no certificate signing key configured")
	}
	ks, err := s.certKeys.Load()
	if err != nil {
		return nil, fmt.Errorf("certificate signing key: %w", err)
	}
	f, err := certificate.VerifyKeys(token, ks.Public)
	c := &CertificateCheck{}
	switch {
	case errors.Is(err, certificate.ErrUnknownKey):
		c.Verdict = CertUnknownKey
		return c, nil
	case errors.Is(err, certificate.ErrRetiredKey):
		c.Verdict = CertRetiredKey
		return c, nil
	case err != nil: // edited or damaged
		c.Verdict = CertEdited
		return c, nil
	}
	// Only signed facts are reported: nothing of a token that failed.
	c.IssuedAt, c.KeyID = f.IssuedAt, f.KeyID
	live := certificateFacts(r)
	live.KeyID = f.KeyID
	if r.HolderName == "" {
		// The holder deleted their account: the name is erased, so the
		// signed one cannot be compared; the other facts still are.
		live.Holder = f.Holder
	}
	switch {
	case subtle.ConstantTimeCompare([]byte(strings.ToUpper(f.Number)), []byte(r.Number)) != 1:
		c.Verdict = CertMismatch
	case f.IssuedAt.Before(live.IssuedAt):
		c.Verdict = CertSuperseded
	case !sameFacts(f, live):
		c.Verdict = CertMismatch
	default:
		c.Verdict = CertAuthentic
	}
	if c.Verdict == CertMismatch {
		// Signed, but another registration's (or other facts'): its
		// issue time and key are not facts about this registration.
		c.IssuedAt, c.KeyID = time.Time{}, ""
	}
	return c, nil
}

func sameFacts(a, b certificate.Facts) bool {
	return a.Number == b.Number && a.Holder == b.Holder && a.Category == b.Category && a.ValidFrom.Equal(b.ValidFrom) &&
		a.ValidUntil.Equal(b.ValidUntil) && a.IssuedAt.Equal(b.IssuedAt) && a.ItemsDigest == b.ItemsDigest
}

// CertificatePublicKeys are the certificate keys to publish (GET
// /api/v1/keys): the current one first, then retired ones. None when no
// keys are configured.
func (s *Service) CertificatePublicKeys() ([]certificate.PublicKey, error) {
	if s.certKeys == nil {
		return nil, nil
	}
	ks, err := s.certKeys.Load()
	if err != nil {
		return nil, fmt.Errorf("certificate signing key: %w", err)
	}
	return ks.Public, nil
}

// attachCertificate resolves the outbox's attachment reference
// "certificate:<number>" to the registration's certificate PDF: the
// Attach of a Service configured without one.
func (s *Service) attachCertificate(ctx context.Context, ref string) (notify.Attachment, error) {
	number, ok := strings.CutPrefix(ref, "certificate:")
	if !ok {
		return notify.Attachment{}, fmt.Errorf("unknown attachment %q", ref)
	}
	b, err := s.certificatePDF(ctx, number)
	if err != nil {
		return notify.Attachment{}, err
	}
	return notify.Attachment{Name: number + ".pdf", ContentType: "application/pdf", Data: b}, nil
}
