package portal_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// applyVia files a complete company_vpn application through operator and
// submits it.
func (e *env) applyVia(u *registry.User, operator string, addrs ...string) *registry.Application {
	e.t.Helper()
	cat, sub, proto, purpose := "company_vpn", "SUB-42", "wireguard", "Staff reach the office from home."
	a, err := e.svc.CreateApplication(e.ctx, u, registry.ApplicationInput{Category: &cat, OperatorID: &operator, SubscriberID: &sub,
		Addresses: &addrs, VPNProtocol: &proto, Purpose: &purpose})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range registry.RequiredDocuments(a.Category) {
		if _, err := e.svc.UploadDocument(e.ctx, u, a.ID, registry.UploadInput{Kind: string(r.Kinds[0]), Filename: string(r.Kinds[0]) + ".pdf",
			Content: testbin.PDF("scan")}); err != nil {
			e.t.Fatal(err)
		}
	}
	if a, err = e.svc.Submit(e.ctx, u, a.ID, nil); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// TestOverlapPrivacyPages renders every portal page that shows an
// application or a check, as each kind of viewer, in English and Urdu, and
// fails if one names what another account holds (issue 11 §6).
func TestOverlapPrivacyPages(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	bob := e.signup("bob@example.pk", "Bob Exports", "company")
	carol := e.signup("carol@example.pk", "Carol Calls", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")

	// Bob holds 14.1.104.0/24 through PTCL; Carol applied for
	// 14.1.105.0/24 through Nayatel.
	b := e.applyVia(bob, "ptcl", "14.1.104.0/24")
	e.confirmChecks(ptcl)
	_, reg, err := e.svc.Decide(e.ctx, reviewer, b.ID, registry.DecisionInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	c := e.applyVia(carol, "nayatel", "14.1.105.0/24")
	// Alice overlaps both through PTCL, and Bob's and her own through
	// Nayatel. PTCL confirms, and the reviewer returns the first to her.
	a := e.applyVia(alice, "ptcl", "14.1.104.5", "14.1.105.5")
	a2 := e.applyVia(alice, "nayatel", "14.1.104.0/25")
	e.confirmChecks(ptcl)
	if _, _, err := e.svc.Decide(e.ctx, reviewer, a.ID, registry.DecisionInput{Decision: "return", Note: "Name the office."}); err != nil {
		t.Fatal(err)
	}

	// a2's flags name a as it is now (returned), not as it was when a2
	// was submitted (operator_check): pending applications' flags are live.

	logins := map[string][2]string{
		"alice":      {"alice@example.pk", "a long password"},
		"ptcl":       {"operator.ptcl@demo.test", "demo-password-1"},
		"nayatel":    {"operator.nayatel@demo.test", "demo-password-1"},
		"reviewer":   {"reviewer@demo.test", "demo-password-1"},
		"supervisor": {"supervisor@demo.test", "demo-password-1"},
		"admin":      {"admin@demo.test", "demo-password-1"},
	}
	for _, tt := range []struct {
		who   string
		pages []string
		never []string // another account's application ids and registration numbers
		must  []string // so that a page without flags cannot pass (a flag's label where its detail would tell too much)
	}{
		{"alice", []string{"/dashboard", "/applications/" + a.ID, "/applications/" + a.ID + "/edit", "/applications/" + a2.ID},
			[]string{b.ID, c.ID, reg.Number}, []string{"Overlaps another holder", "another application of this account (Returned for correction)"}},
		{"ptcl", []string{"/operator/checks", "/operator/checks.csv", "/applications/" + a.ID},
			[]string{c.ID, a2.ID}, []string{reg.Number}},
		{"nayatel", []string{"/operator/checks", "/operator/checks.csv", "/applications/" + a2.ID},
			[]string{b.ID, reg.Number, a.ID}, []string{"Also in another application of this account"}},
		{"reviewer", []string{"/review", "/applications/" + a.ID, "/applications/" + a2.ID}, nil, []string{reg.Number, c.ID, "another application of this account (Returned for correction)", `<a href="/applications/` + a.ID + `">See the other application</a>`}},
		{"supervisor", []string{"/applications/" + a.ID}, nil, []string{reg.Number, c.ID}},
		{"admin", []string{"/applications/" + a2.ID}, nil, []string{reg.Number, "another application of this account (Returned for correction)", `<a href="/applications/` + a.ID + `">See the other application</a>`}},
	} {
		for _, lang := range []string{"en", "ur"} {
			br := e.browser()
			br.login(logins[tt.who][0], logins[tt.who][1])
			br.get("/lang/" + lang)
			all := ""
			for _, path := range tt.pages {
				p := br.get(path)
				if p.status != 200 {
					t.Fatalf("%s %s (%s) = %d", tt.who, path, lang, p.status)
				}
				// Urdu pages isolate values in messages (U+2068 … U+2069).
				p.body = strings.NewReplacer("\u2068", "", "\u2069", "").Replace(p.body)
				for _, s := range tt.never {
					if strings.Contains(p.body, s) {
						t.Errorf("%s as %s (%s) names %s", path, tt.who, lang, s)
					}
				}
				all += p.body
			}
			for _, s := range tt.must {
				if lang == "ur" && !strings.HasPrefix(s, "app_") && !strings.HasPrefix(s, "VPN-") {
					continue // an English text, translated on the Urdu pages
				}
				if lang == "ur" { // the state's label (labels.go) in Urdu
					s = strings.ReplaceAll(s, "With the operator", "آپریٹر کے پاس")
				}
				if !strings.Contains(all, s) {
					t.Errorf("no page for %s (%s) shows %q", tt.who, lang, s)
				}
			}
		}
	}
}

// A second account for one CNIC is refused on the sign-up page in the
// visitor's language, with the way to log in or reset the password, and
// without the e-mail address that holds the account.
func TestSignupOneAccountPerCNIC(t *testing.T) {
	e := newEnv(t)
	if _, _, err := e.svc.Signup(e.ctx, registry.SignupInput{Email: "first@example.pk", Password: "a long password", Kind: "individual",
		Name: "First", CNIC: "35202-1234567-1", Mobile: "03001234567"}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ lang, message string }{
		// The form shows the message beside the field.
		{"en", "already has an account: log in, or reset your password if you forgot it"},
		{"ur", "اس نمبر سے اکاؤنٹ پہلے سے موجود ہے؛ لاگ اِن کریں، یا پاس ورڈ بھول گئے ہوں تو اسے ری سیٹ کریں"},
	} {
		b := e.browser()
		b.get("/lang/" + tt.lang)
		p := b.post("/signup", url.Values{"kind": {"individual"}, "name": {"Second"}, "email": {"second@example.pk"},
			"password": {"a long password"}, "cnic": {"3520212345671"}, "mobile": {"03001234567"}})
		if p.status != 409 {
			t.Fatalf("%s: second account for one CNIC = %d", tt.lang, p.status)
		}
		for _, s := range []string{tt.message, `href="/login"`, `href="/password/forgot"`} {
			if !strings.Contains(p.body, s) {
				t.Errorf("%s: the page does not show %q", tt.lang, s)
			}
		}
		if strings.Contains(p.body, "first@example.pk") {
			t.Errorf("%s: the page names the e-mail that holds the account", tt.lang)
		}
	}
}

// The operator check page and its CSV show what each operator is asked:
// an application confirmed by PTCL, returned, moved to Nayatel and edited
// shows the new subscriber ID and addresses to Nayatel only, and nothing
// of it on PTCL's pages (tester's report on issue 11 §6).
func TestCheckPagesShowWhatWasAsked(t *testing.T) {
	e := newEnv(t)
	b := e.signup("b@example.pk", "Bee Traders", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	x := e.applyVia(b, "ptcl", "14.1.104.0/24")
	e.confirmChecks(ptcl)
	if _, _, err := e.svc.Decide(e.ctx, reviewer, x.ID, registry.DecisionInput{Decision: "return", Note: "Is the circuit with Nayatel?"}); err != nil {
		t.Fatal(err)
	}
	op, sub, addrs := "nayatel", "NTL-9001", []string{"14.1.200.0/24"}
	if _, err := e.svc.UpdateApplication(e.ctx, b, x.ID, registry.ApplicationInput{OperatorID: &op, SubscriberID: &sub, Addresses: &addrs}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Submit(e.ctx, b, x.ID, nil); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		who         string
		must, never []string
	}{
		{"operator.nayatel@demo.test", []string{"NTL-9001", "14.1.200.0/24", "Bee Traders"}, []string{"SUB-42", "14.1.104.0/24"}},
		{"operator.ptcl@demo.test", nil, []string{"NTL-9001", "14.1.200.0/24", "Bee Traders"}},
	} {
		br := e.browser()
		br.login(tt.who, "demo-password-1")
		for _, path := range []string{"/operator/checks", "/operator/checks.csv"} {
			p := br.get(path)
			if p.status != 200 {
				t.Fatalf("%s %s = %d", tt.who, path, p.status)
			}
			for _, s := range tt.must {
				if !strings.Contains(p.body, s) {
					t.Errorf("%s %s does not show %s", tt.who, path, s)
				}
			}
			for _, s := range tt.never {
				if strings.Contains(p.body, s) {
					t.Errorf("%s %s shows %s", tt.who, path, s)
				}
			}
		}
	}
}
