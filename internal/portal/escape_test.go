package portal_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// hostile is put into every free-text field: markup, both quotes, an
// ampersand, and Urdu, which must come through intact.
const hostile = `<script>alert(1)</script>"'&<img src=x onerror=alert(2)> اردو متن`

// TestEscaping puts hostile text into every text field a user can fill
// and checks every page that shows it: the markup arrives escaped, never
// live, and the Urdu unchanged.
func TestEscaping(t *testing.T) {
	e := newEnv(t)
	in := registry.SignupInput{Email: "mallory@example.pk", Password: "a long password", Kind: "company", Name: hostile,
		CNIC: "35202-1234567-1", Mobile: "03001234567", NTN: "1234567-8"} // SECP and PSEB numbers are validated to letters, digits, / and -
	if _, _, err := e.svc.Signup(e.ctx, in); err != nil {
		t.Fatal(err)
	}
	mallory := e.user("mallory@example.pk", "a long password")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")

	// The subscriber ID is validated to letters, digits and . _ / : # -.
	cat, op, proto, sub, purpose := "company_vpn", "ptcl", "wireguard", "PTCL-42", hostile
	addrs := []string{"14.1.104.0/24"}
	a, err := e.svc.CreateApplication(e.ctx, mallory, registry.ApplicationInput{Category: &cat, OperatorID: &op, SubscriberID: &sub,
		Addresses: &addrs, VPNProtocol: &proto, Purpose: &purpose})
	if err != nil {
		t.Fatalf("the hostile text is refused: %v", err)
	}
	for _, r := range registry.RequiredDocuments(a.Category) {
		if _, err := e.svc.UploadDocument(e.ctx, mallory, a.ID, registry.UploadInput{Kind: string(r.Kinds[0]), Filename: hostile + ".pdf",
			Content: testbin.PDF("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Submit(e.ctx, mallory, a.ID, nil); err != nil {
		t.Fatal(err)
	}
	cs, _ := e.svc.ListChecks(e.ctx, ptcl, registry.CheckPending)
	if _, err := e.svc.AnswerCheck(e.ctx, ptcl, cs[0].ID, "disputed", hostile); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Decide(e.ctx, reviewer, a.ID, registry.DecisionInput{Decision: "return", Note: hostile}); err != nil {
		t.Fatal(err)
	}
	b := e.apply(mallory, "14.1.105.0/24", "Reach the office.", true)
	e.confirmChecks(ptcl)
	_, reg, err := e.svc.Decide(e.ctx, reviewer, b.ID, registry.DecisionInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ProposeRevocation(e.ctx, reviewer, reg.Number, hostile); err != nil {
		t.Fatal(err)
	}
	// A registration surrendered with a hostile reason.
	c := e.apply(mallory, "14.1.108.0/24", "Reach the office.", true)
	e.confirmChecks(ptcl)
	_, regC, err := e.svc.Decide(e.ctx, reviewer, c.ID, registry.DecisionInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Surrender(e.ctx, mallory, regC.Number, hostile); err != nil {
		t.Fatal(err)
	}
	// An operator whose name is hostile, as an admin might paste it.
	admin := e.user("admin@demo.test", "demo-password-1")
	if _, err := e.svc.AddOperator(e.ctx, admin, registry.Operator{ID: "evil", Name: hostile, Kind: registry.OperatorFixed}); err != nil {
		t.Fatal(err)
	}
	// One rejected with a hostile note.
	rj := e.apply(mallory, "14.1.109.0/24", "Reach the office.", true)
	e.confirmChecks(ptcl)
	if _, _, err := e.svc.Decide(e.ctx, reviewer, rj.ID, registry.DecisionInput{Decision: "reject", ReasonCode: "other", Note: hostile}); err != nil {
		t.Fatal(err)
	}
	// A third waits for review, a fourth for the operator.
	e.apply(mallory, "14.1.106.0/24", hostile, true)
	e.confirmChecks(ptcl)
	e.apply(mallory, "14.1.107.0/24", hostile, true)

	owner, operator, staff, supervisor, adminB := e.browser(), e.browser(), e.browser(), e.browser(), e.browser()
	adminB.login("admin@demo.test", "demo-password-1")
	owner.login("mallory@example.pk", "a long password")
	operator.login("operator.ptcl@demo.test", "demo-password-1")
	staff.login("reviewer@demo.test", "demo-password-1")
	supervisor.login("supervisor@demo.test", "demo-password-1")
	pages := []struct {
		who  *browser
		path string
	}{
		{owner, "/applications/" + a.ID},
		{owner, "/applications/" + a.ID + "/edit"},
		{owner, "/account"},
		{owner, "/registrations/" + reg.Number},
		{operator, "/operator/checks"},
		{operator, "/applications/" + a.ID},
		{staff, "/applications/" + a.ID},
		{staff, "/review"},
		{staff, "/revocations"},
		{supervisor, "/revocations"},
		{staff, "/registrations/" + reg.Number},
		{owner, "/registrations/" + regC.Number},
		{staff, "/review"},
		{adminB, "/admin/operators"},
		{adminB, "/admin/users"},
		{owner, "/applications/new?category=company_vpn"},
		{owner, "/applications/" + rj.ID},
	}
	for _, p := range pages {
		got := p.who.get(p.path)
		if got.status != 200 {
			t.Errorf("%s = %d", p.path, got.status)
			continue
		}
		for _, live := range []string{"<script>alert(1)", "<img src=x", `onerror=alert`} {
			if strings.Contains(got.body, live) && !strings.Contains(got.body, "&lt;img src=x onerror=alert(2)&gt;") {
				t.Errorf("%s shows %q unescaped", p.path, live)
			}
			if strings.Contains(strings.ReplaceAll(got.body, "&lt;img src=x onerror=alert(2)&gt;", ""), "<img src=x") {
				t.Errorf("%s has a live <img> from user text", p.path)
			}
		}
		if !strings.Contains(got.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the text at all (escaped)", p.path)
		}
		if !strings.Contains(got.body, "اردو متن") {
			t.Errorf("%s lost the Urdu text", p.path)
		}
	}
	// Text typed into forms and sent back: the public check's fields (no
	// such registration: 404, with the form refilled).
	if p := e.browser().get("/verify?number=" + url.QueryEscape(hostile) + "&code=" + url.QueryEscape(hostile)); p.status != 404 ||
		strings.Contains(p.body, "<script>alert(1)") || !strings.Contains(p.body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(p.body, "اردو متن") {
		t.Errorf("verify echo = %d", p.status)
	}
	// A failed login shows the e-mail typed, escaped.
	if p := e.browser().post("/login", url.Values{"email": {hostile}, "password": {"x"}}); p.status != 401 ||
		strings.Contains(p.body, "<script>alert(1)") || !strings.Contains(p.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("login echo = %d", p.status)
	}
	// The dashboard shows no free text, but must render.
	if p := owner.get("/dashboard"); p.status != 200 || strings.Contains(p.body, "<script>alert") {
		t.Errorf("dashboard = %d", p.status)
	}
	// The CSV download neutralises formulas and keeps the text.
	csv := operator.get("/operator/checks.csv")
	if !strings.Contains(csv.body, "اردو متن") {
		t.Errorf("CSV = %s", csv.body)
	}
	// A document keeps its (cleaned) name in Content-Disposition, quoted.
	docs, _ := e.svc.ListDocuments(e.ctx, mallory, a.ID)
	d := owner.get("/applications/" + a.ID + "/documents/" + docs[0].ID)
	if cd := d.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "inline; filename*=utf-8''") || strings.ContainsAny(cd, "<>\"") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if d.header.Get("X-Content-Type-Options") != "nosniff" || d.header.Get("Content-Type") != "application/pdf" {
		t.Errorf("document headers = %v", d.header)
	}
}
