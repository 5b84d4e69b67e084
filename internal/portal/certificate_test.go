package portal_test

import (
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/registry"
)

// TestCertificatePages downloads a certificate from the registration page
// and opens its QR code's link: authentic, edited, and revoked with an
// authentic signature, in English and Urdu.
func TestCertificatePages(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	app := e.apply(alice, "14.1.106.0/24", "Staff reach the office from home.", true)
	e.confirmChecks(ptcl)
	_, reg, err := e.svc.Decide(e.ctx, reviewer, app.ID, registry.DecisionInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	if p := b.get("/registrations/" + reg.Number); !strings.Contains(p.body, `href="/registrations/`+reg.Number+`/certificate.pdf"`) || !strings.Contains(p.body, "Download the certificate (PDF)") {
		t.Fatalf("registration page has no download button:\n%s", p.body)
	}
	p := b.get("/registrations/" + reg.Number + "/certificate.pdf")
	if p.status != 200 || p.header.Get("Content-Type") != "application/pdf" || !strings.Contains(p.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("certificate download = %d %v", p.status, p.header)
	}
	u, err := certificate.ExtractURL([]byte(p.body))
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(u, "https://ipreg.example.pk")
	visitor := e.browser()
	if p := visitor.get(path); p.status != 200 || !strings.Contains(p.body, `data-verdict="authentic"`) || !strings.Contains(p.body, "Authentic certificate") {
		t.Fatalf("verify page for the QR link = %d:\n%s", p.status, p.body)
	}
	edited := strings.Replace(path, "&c=", "&c=A", 1)
	if p := visitor.get(edited); !strings.Contains(p.body, `data-verdict="edited"`) || !strings.Contains(p.body, "This certificate has been edited") {
		t.Errorf("edited certificate:\n%s", p.body)
	}
	ur := e.browser()
	ur.get("/lang/ur")
	if p := ur.get(path); !strings.Contains(p.body, "اصل سرٹیفکیٹ") {
		t.Errorf("Urdu verify page lacks the verdict:\n%s", p.body)
	}

	// Revoked: the signature is still authentic, the status says revoked,
	// and the registration page offers no certificate.
	rev, err := e.svc.ProposeRevocation(e.ctx, reviewer, reg.Number, "Test revocation")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.ConfirmRevocation(e.ctx, e.user("supervisor@demo.test", "demo-password-1"), rev.ID); err != nil {
		t.Fatal(err)
	}
	if p := visitor.get(path); !strings.Contains(p.body, `data-verdict="authentic"`) || !strings.Contains(p.body, "Revoked") {
		t.Errorf("revoked registration's certificate:\n%s", p.body)
	}
	if p := b.get("/registrations/" + reg.Number); strings.Contains(p.body, "certificate.pdf") {
		t.Error("a revoked registration still offers its certificate")
	}
	if p := b.get("/registrations/" + reg.Number + "/certificate.pdf"); p.status != 409 || !strings.Contains(p.body, "only an active registration has a certificate") {
		t.Errorf("revoked certificate download = %d:\n%s", p.status, p.body)
	}
}
