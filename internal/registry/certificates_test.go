package registry_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/certificate"
	. "github.com/ipreg/ipreg/internal/registry"
)

// approved files, checks and approves an application for a new applicant
// named name, and returns the applicant and registration.
func (h *harness) approved(name string, addrs ...string) (*User, *Registration) {
	h.t.Helper()
	h.n++
	u, _, err := h.svc.Signup(h.ctx, SignupInput{Email: fmt.Sprintf("holder%d@example.com.pk", h.n), Password: "a long password",
		Kind: "individual", Name: name, CNIC: fmt.Sprintf("35202-%07d-3", h.n), Mobile: "0300-1234567"})
	if err != nil {
		h.t.Fatalf("signup: %v", err)
	}
	in := companyApp(addrs...)
	in.Category = ptr("freelancer_vpn")
	a, err := h.create(u, in)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.svc.Submit(h.ctx, u, a.ID, nil); err != nil {
		h.t.Fatal(err)
	}
	ptcl := h.staff("operator.ptcl")
	cs, _ := h.svc.ListChecks(h.ctx, ptcl, "")
	for _, c := range cs {
		if c.ApplicationID == a.ID {
			if _, err := h.svc.AnswerCheck(h.ctx, ptcl, c.ID, "confirmed", ""); err != nil {
				h.t.Fatal(err)
			}
		}
	}
	_, reg, err := h.svc.Decide(h.ctx, h.staff("reviewer"), a.ID, DecisionInput{Decision: "approve"})
	if err != nil {
		h.t.Fatal(err)
	}
	return u, reg
}

// certURL is the verification URL a certificate carries.
func certURL(t *testing.T, pdf []byte) certificate.Link {
	t.Helper()
	u, err := certificate.ExtractURL(pdf)
	if err != nil {
		t.Fatal(err)
	}
	l, err := certificate.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCertificates(t *testing.T) {
	opt := func(c *Config) {
		c.CertificateKeys, c.PublicURL = certificate.Keys{Dir: t.TempDir()}, "https://ipreg.example.pk"
	}
	eachStoreWith(t, opt, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		keys := h.cfg.CertificateKeys.(certificate.Keys)
		alice, reg := h.approved("Ayesha Khan", "14.1.104.0/24", "2400:adc0::/48")
		pdf, err := svc.CertificatePDF(ctx, alice, reg.Number)
		if err != nil {
			t.Fatal(err)
		}
		l := certURL(t, pdf)
		if l.Base != "https://ipreg.example.pk" || l.Number != reg.Number || l.Code != reg.VerificationCode {
			t.Fatalf("certificate URL %+v", l)
		}
		if again, _ := CertificatePDFFor(svc, ctx, reg.Number); string(again) != string(pdf) {
			t.Error("the outbox's certificate differs from the holder's")
		}
		verify := func(token string) (*PublicRegistration, *CertificateCheck) {
			t.Helper()
			p, c, err := svc.VerifyCertificate(ctx, reg.Number, reg.VerificationCode, token)
			if err != nil {
				t.Fatal(err)
			}
			return p, c
		}
		if p, c := verify(l.Token); c.Verdict != CertAuthentic || p.Status != RegActive || p.Holder != "Ay**** Kh**" {
			t.Fatalf("fresh certificate: %+v %+v", p, c)
		}
		// Who may download it.
		_, err = svc.CertificatePDF(ctx, h.applicant("individual"), reg.Number)
		wantCode(t, err, ENOTFOUND)
		_, err = svc.CertificatePDF(ctx, h.staff("operator.ptcl"), reg.Number)
		wantCode(t, err, ENOTFOUND)
		if _, err := svc.CertificatePDF(ctx, h.staff("supervisor"), reg.Number); err != nil {
			t.Fatalf("staff download: %v", err)
		}
		// A wrong code answers like an unknown number, whatever the token.
		_, _, err = svc.VerifyCertificate(ctx, reg.Number, "WRONGCODE1", l.Token)
		wantCode(t, err, ENOTFOUND)

		// Edited: another holder or validity signed by nobody, a flipped signature byte.
		p64, s64, _ := strings.Cut(l.Token, ".")
		f, _ := certificate.Parse(l.Token)
		f.ValidUntil = f.ValidUntil.AddDate(3, 0, 0)
		_, ks := mustKeySet(t, keys)
		forged, _ := certificate.Sign(f, ks.Current)
		fp, _, _ := strings.Cut(forged, ".")
		sig := []byte(s64)
		sig[0] = map[bool]byte{true: 'B', false: 'A'}[sig[0] == 'A']
		for name, tok := range map[string]string{"validity": fp + "." + s64, "signature": p64 + "." + string(sig), "cut": p64} {
			if _, c := verify(tok); c.Verdict != CertEdited || !c.IssuedAt.IsZero() || c.KeyID != "" {
				t.Errorf("%s edited: %+v (nothing of an unverified certificate is reported)", name, c)
			}
		}
		// Another registry's key.
		other := certificate.Keys{Dir: t.TempDir()}
		_, oks := mustKeySet(t, other)
		alien, _ := certificate.Sign(f, oks.Current)
		if _, c := verify(alien); c.Verdict != CertUnknownKey {
			t.Errorf("unknown key: verdict %s", c.Verdict)
		}
		// A genuine certificate of another registration, presented as this one.
		bob, reg2 := h.approved("Bilal Ahmed", "14.1.105.0/24")
		pdf2, _ := svc.CertificatePDF(ctx, bob, reg2.Number)
		if _, c := verify(certURL(t, pdf2).Token); c.Verdict != CertMismatch || !c.IssuedAt.IsZero() || c.KeyID != "" {
			t.Errorf("another registration's certificate: verdict %s, issued %s, key %q (its issue time and key are not this registration's)", c.Verdict, c.IssuedAt, c.KeyID)
		}

		// Rotation: the old certificate still verifies, new ones use the new key.
		newID, err := keys.Rotate(h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, c := verify(l.Token); c.Verdict != CertAuthentic {
			t.Errorf("after rotation the old certificate is %s", c.Verdict)
		}
		// The old key, retired now, signs nothing new: a certificate it
		// signed with a later issue time is not the registry's.
		late, _ := certificate.Parse(l.Token)
		late.IssuedAt = h.clock.Now().Add(time.Hour)
		lateTok, _ := certificate.Sign(late, ks.Current)
		if _, c := verify(lateTok); c.Verdict != CertRetiredKey || !c.IssuedAt.IsZero() {
			t.Errorf("signed by the retired key after its retirement: %+v", c)
		}
		pdfRotated, _ := svc.CertificatePDF(ctx, alice, reg.Number)
		// The whole PDF, as the registry made it, verifies offline.
		ksNow, err := keys.Load()
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range [][]byte{pdf, pdfRotated} {
			if _, _, d, err := certificate.VerifyPDF(b, ksNow.Public); err != nil || d.Holder != "Ayesha Khan" || len(d.Items) != 2 {
				t.Errorf("VerifyPDF of the registry's certificate: %v", err)
			}
		}
		if _, c := verify(certURL(t, pdfRotated).Token); c.Verdict != CertAuthentic || c.KeyID != newID {
			t.Errorf("certificate after rotation: %+v, want key %s", c, newID)
		}

		// Reissue (as renewal and amendment do): the old one is superseded.
		h.clock.Add(24 * time.Hour)
		err = h.db.Write(ctx, func(tx Tx) error {
			r, err := tx.Registration(ctx, reg.Number, true)
			if err != nil {
				return err
			}
			r.IssuedAt = h.svc.Now()
			return tx.UpdateRegistration(ctx, r)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, c := verify(l.Token); c.Verdict != CertSuperseded {
			t.Errorf("after reissue the old certificate is %s", c.Verdict)
		}
		reissued, _ := svc.CertificatePDF(ctx, alice, reg.Number)
		if _, c := verify(certURL(t, reissued).Token); c.Verdict != CertAuthentic || !c.IssuedAt.Equal(h.svc.Now()) {
			t.Errorf("reissued certificate: %+v", c)
		}

		// Revoked: authentic signature, live status revoked, no new certificate.
		rev, err := svc.ProposeRevocation(ctx, h.staff("reviewer"), reg.Number, "Used for a purpose not registered.")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.ConfirmRevocation(ctx, h.staff("supervisor"), rev.ID); err != nil {
			t.Fatal(err)
		}
		if p, c := verify(certURL(t, reissued).Token); p.Status != RegRevoked || c.Verdict != CertAuthentic {
			t.Errorf("revoked: status %s, verdict %s", p.Status, c.Verdict)
		}
		_, err = svc.CertificatePDF(ctx, alice, reg.Number)
		wantCode(t, err, ECONFLICT, "revoked", "only an active registration has a certificate")

		// An Urdu name cannot be printed (see certificate.Printable): refused, with why.
		urdu, reg3 := h.approved("عائشہ خان", "14.1.106.0/24")
		_, err = svc.CertificatePDF(ctx, urdu, reg3.Number)
		wantCode(t, err, ECONFLICT, "printed in English", "Urdu script")
		if p, err := svc.Verify(ctx, reg3.Number, reg3.VerificationCode); err != nil || p.Status != RegActive {
			t.Errorf("the Urdu-named registration still verifies: %v", err)
		}
	})
}

func TestCertificatesNeedPublicURL(t *testing.T) {
	eachStoreWith(t, func(c *Config) { c.CertificateKeys = certificate.Keys{Dir: t.TempDir()} }, func(t *testing.T, h *harness) {
		alice, reg := h.approved("Ayesha Khan", "14.1.104.0/24")
		_, err := h.svc.CertificatePDF(h.ctx, alice, reg.Number)
		wantCode(t, err, EUNAVAILABLE, "--public-url")
	})
}

func mustKeySet(t *testing.T, k certificate.Keys) (certificate.Keys, *certificate.KeySet) {
	t.Helper()
	ks, err := k.Load()
	if err != nil {
		t.Fatal(err)
	}
	return k, ks
}
