package portal_test

import (
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/registry"
)

// unisolatedValues returns the text nodes inside the element with the
// given id (or the whole page when id is "") that hold Latin letters or
// digits but no Arabic-script letter (values: a number, a masked name, a
// date) and are not inside <bdi> or an element with a dir attribute: on
// an Urdu page the bidi algorithm reorders their neutral characters
// ("Al*** Tr***** (P**) L**" shows as "**Al*** Tr***** (P**) L").
func unisolatedValues(t *testing.T, body, id string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *html.Node, in, isolated bool)
	walk = func(n *html.Node, in, isolated bool) {
		if n.Type == html.ElementNode {
			if n.Data == "bdi" || n.Data == "script" || n.Data == "style" {
				isolated = true
			}
			for _, a := range n.Attr {
				if a.Key == "dir" && a.Val != "rtl" { // the page's own dir="rtl" isolates nothing
					isolated = true
				}
				if a.Key == "id" && a.Val == id {
					in = true
				}
			}
		}
		if n.Type == html.TextNode && in && !isolated {
			latin, arabic := false, false
			for _, r := range n.Data {
				switch {
				case unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r):
					arabic = true
				case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
					latin = true
				}
			}
			if latin && !arabic {
				out = append(out, strings.TrimSpace(n.Data))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in, isolated)
		}
	}
	walk(doc, id == "", false)
	return out
}

// TestVerifyPageStatusFirst: a revoked registration's certificate reads
// as not valid (the status is the headline, in English and Urdu), and the
// Urdu page isolates every value.
func TestVerifyPageStatusFirst(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alpha@example.pk", "Alpha Traders (Pvt) Ltd", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	app := e.apply(alice, "39.32.5.0/24", "Staff reach the office from home.", true)
	e.confirmChecks(ptcl)
	_, reg, err := e.svc.Decide(e.ctx, reviewer, app.ID, registry.DecisionInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := e.svc.CertificatePDF(e.ctx, alice, reg.Number)
	if err != nil {
		t.Fatal(err)
	}
	u, err := certificate.ExtractURL(pdf)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(u, "https://ipreg.example.pk")
	en, ur := e.browser(), e.browser()
	ur.get("/lang/ur")

	// Active: authentic and green, no status alert; the Urdu page
	// isolates the number, the masked holder and the dates.
	if p := en.get(path); !strings.Contains(p.body, `class="flash" role="status" id="certificate-verdict"`) || strings.Contains(p.body, `id="registration-status"`) {
		t.Fatalf("active registration's certificate:\n%s", p.body)
	}
	p := ur.get(path)
	if !strings.Contains(p.body, "Al*** Tr***** (P**) L**") {
		t.Fatalf("the Urdu page lacks the masked holder:\n%s", p.body)
	}
	if bad := unisolatedValues(t, p.body, "main"); len(bad) > 0 {
		t.Errorf("Urdu verify page: values outside <bdi>/dir: %q", bad)
	}
	if strings.Contains(p.body, `<dd class="ltr" dir="ltr">`) {
		t.Error("the registration number's cell is left-aligned on the Urdu page")
	}

	rev, err := e.svc.ProposeRevocation(e.ctx, reviewer, reg.Number, "Test revocation")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.ConfirmRevocation(e.ctx, e.user("supervisor@demo.test", "demo-password-1"), rev.ID); err != nil {
		t.Fatal(err)
	}
	p = en.get(path)
	status := strings.Index(p.body, `id="registration-status" data-status="revoked"`)
	verdict := strings.Index(p.body, `id="certificate-verdict"`)
	if status < 0 || verdict < 0 || status > verdict || !strings.Contains(p.body, "Not valid: this registration has been revoked") {
		t.Fatalf("revoked: the status is not the headline:\n%s", p.body)
	}
	if strings.Contains(p.body, "Authentic certificate") || strings.Contains(p.body, "it is the present one") || strings.Contains(p.body, `class="flash" role="status" id="certificate-verdict"`) {
		t.Errorf("revoked registration's certificate still reads as valid:\n%s", p.body)
	}
	if !strings.Contains(p.body, "Genuine certificate of a registration that is no longer valid") {
		t.Errorf("revoked: the verdict does not say the certificate proves nothing now:\n%s", p.body)
	}
	p = ur.get(path)
	if !strings.Contains(p.body, "کارآمد نہیں: یہ رجسٹریشن منسوخ کر دی گئی ہے") || strings.Contains(p.body, "اصل سرٹیفکیٹ</strong>") {
		t.Errorf("Urdu revoked page:\n%s", p.body)
	}
	if bad := unisolatedValues(t, p.body, "main"); len(bad) > 0 {
		t.Errorf("Urdu revoked verify page: values outside <bdi>/dir: %q", bad)
	}
}

// TestRegistrationPageNoCertificate: a holder whose name the certificate
// cannot print sees why, not a download button that always fails.
func TestRegistrationPageNoCertificate(t *testing.T) {
	e := newEnv(t)
	u := e.signup("urdu@example.pk", "عائشہ ٹریڈرز", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	app := e.apply(u, "39.32.6.0/24", "Staff reach the office from home.", true)
	e.confirmChecks(ptcl)
	_, reg, err := e.svc.Decide(e.ctx, reviewer, app.ID, registry.DecisionInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("urdu@example.pk", "a long password")
	p := b.get("/registrations/" + reg.Number)
	if strings.Contains(p.body, "certificate.pdf") || !strings.Contains(p.body, `id="no-certificate"`) || !strings.Contains(p.body, "cannot be made") {
		t.Fatalf("registration page of a holder with an Urdu-script name:\n%s", p.body)
	}
	b.get("/lang/ur")
	if p := b.get("/registrations/" + reg.Number); !strings.Contains(p.body, `id="no-certificate"`) || strings.Contains(p.body, "cannot be made") {
		t.Errorf("Urdu registration page: the reason is missing or untranslated:\n%s", p.body)
	}
}
