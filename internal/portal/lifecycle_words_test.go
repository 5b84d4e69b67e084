package portal_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/registry"
)

// summaryLabel finds the field names of a page's error summary.
var summaryLabel = regexp.MustCompile(`<li><a href="#[^"]*">([^<]*)</a>: <span dir="[a-z]+">`)

// rawKey is a field's key as the API names it ("statement",
// "holidays[1]", "vpn.protocol"): no page label looks like that.
var rawKey = regexp.MustCompile(`^[a-z_.]+(\[\d+\])?($|[,،\s])|[a-z_]+\[\d+\]`)

// summaryLabels returns the labels of p's error summary, failing the test
// when one is a raw field key.
func summaryLabels(t *testing.T, what string, p page) []string {
	t.Helper()
	var out []string
	for _, m := range summaryLabel.FindAllStringSubmatch(p.body, -1) {
		l := strings.NewReplacer("\u2068", "", "\u2069", "").Replace(m[1])
		if rawKey.MatchString(l) {
			t.Errorf("%s: the error summary names a field by its key %q", what, l)
		}
		out = append(out, l)
	}
	return out
}

func hasLabel(labels []string, want string) bool {
	for _, l := range labels {
		if l == want {
			return true
		}
	}
	return false
}

// Every form the lifecycle added names its fields in the error summary as
// the page labels them, in English and Urdu, never by the API's key:
// renewal, amendment, appeal, appeal decision, holidays, account language,
// account deletion, e-mail confirmation, admin outbox and jobs.
func TestLifecycleFormsNameFieldsByLabel(t *testing.T) {
	now := time.Now()
	e := newEnv(t, func(c *registry.Config) { c.Now = func() time.Time { return now } })
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	bob := e.signup("bob@example.pk", "Bob Exports", "company")
	e.signup("carol@example.pk", "Carol Designs", "company")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	a := e.apply(alice, "14.1.104.0/24", "Office VPN for our accounts team.", true)
	rej := e.apply(bob, "14.1.110.0/24", "Office VPN for our sales team.", true)
	e.confirmChecks(ptcl)
	_, reg, err := e.svc.Decide(e.ctx, reviewer, a.ID, registry.DecisionInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Decide(e.ctx, reviewer, rej.ID, registry.DecisionInput{Decision: "reject", ReasonCode: "duplicate"}); err != nil {
		t.Fatal(err)
	}
	sup2, sup2Code := e.staffWithTOTP("supervisor2@demo.test", registry.RoleSupervisor)

	type want struct{ en, ur string }
	for _, lang := range []string{"en", "ur"} {
		pick := func(w want) string {
			if lang == "ur" {
				return w.ur
			}
			return w.en
		}
		as := func(email, password string) *browser {
			b := e.browser()
			b.get("/lang/" + lang)
			b.login(email, password)
			return b
		}
		check := func(what string, p page, status int, labels ...want) {
			t.Helper()
			what = lang + ": " + what
			if p.status != status {
				t.Errorf("%s = %d, want %d", what, p.status, status)
			}
			got := summaryLabels(t, what, p)
			for _, l := range labels {
				if !hasLabel(got, pick(l)) {
					t.Errorf("%s: summary lacks %q; it has %q", what, pick(l), got)
				}
			}
		}

		al := as("alice@example.pk", "a long password")
		// The amendment: an address on line 3 (blank lines counted); then
		// a short purpose, which may also be left empty.
		check("amendment", al.post("/registrations/"+reg.Number+"/change", url.Values{"add": {"14.1.105.0/24\n\nnot-an-address"}}), 422,
			want{"IP addresses or prefixes to add, line 3", "شامل کرنے کے لیے IP ایڈریس یا پریفکس، سطر 3"})
		p := al.post("/registrations/"+reg.Number+"/change", url.Values{"add": {"14.1.105.0/24"}, "purpose": {"8 chars!"}})
		check("amendment purpose", p, 422, want{"Why you need the new ones (optional)", "نئے کیوں درکار ہیں (اختیاری)"})
		tooShort := pick(want{"is too short: write at least 10 characters, or leave it empty", "بہت مختصر ہے: کم از کم 10 حروف لکھیں، یا"})
		if !strings.Contains(p.body, tooShort) || strings.Contains(p.body, pick(want{"is required", "لازمی ہے"})) {
			t.Errorf("%s: a short amendment purpose does not say it is too short: %s", lang, excerpt(p.body, "errors"))
		}
		if !strings.Contains(p.body, "8 chars!") {
			t.Errorf("%s: the amendment form does not show back the purpose typed", lang)
		}
		check("amendment payment", al.post("/registrations/"+reg.Number+"/change", url.Values{"add": {"14.1.105.0/24"}, "payment_reference": {"?"}}), 422,
			want{"Payment reference (if a fee is due)", "ادائیگی کا حوالہ (اگر فیس واجب ہو)"})

		// The renewal, inside its window.
		now = reg.ValidUntil.Add(-20 * 24 * time.Hour)
		al = as("alice@example.pk", "a long password") // the first session has expired
		p = al.post("/registrations/"+reg.Number+"/renew", url.Values{"items": {"14.1.104.0/24\n\n\nnot-an-address"}, "subscriber_id": {"PTCL-42"},
			"vpn_protocol": {"wireguard"}, "purpose": {"Office VPN for our accounts team."}})
		check("renewal", p, 422, want{"IP addresses or prefixes, line 4", "IP ایڈریس یا پریفکس، سطر 4"})
		now = time.Now()

		// The appeal: blank, and too long.
		bb := as("bob@example.pk", "a long password")
		statement := want{"Why the decision should change", "فیصلہ کیوں بدلنا چاہیے"}
		check("blank appeal", bb.post("/applications/"+rej.ID+"/appeal", url.Values{"statement": {"  "}}), 422, statement)
		long := strings.Repeat("x", registry.MaxAppealStatement+1)
		p = bb.post("/applications/"+rej.ID+"/appeal", url.Values{"statement": {long}})
		check("long appeal", p, 422, statement)
		if !strings.Contains(p.body, long) {
			t.Errorf("%s: the appeal form does not show back the statement typed", lang)
		}

		// Bob's account language, and deleting Carol's account with a
		// wrong password and the box not ticked.
		check("language", bb.post("/account/language", url.Values{"lang": {"fr"}}), 422,
			want{"Language of e-mail and text messages", "ای میل اور ایس ایم ایس کی زبان"})
		cb := as("carol@example.pk", "a long password")
		check("deletion", cb.post("/account/delete", url.Values{"password": {"a long password"}}), 422,
			want{"Confirm the deletion", "حذف کرنے کی تصدیق"})
		check("deletion password", cb.post("/account/delete", url.Values{"password": {"not my password 1"}, "confirm": {"yes"}}), 422,
			want{"Your password", "آپ کا پاس ورڈ"})
		check("e-mail confirmation", cb.post("/verify-email", url.Values{"token": {"no-such-token"}}), 404)

		// Holidays: "not-a-date" on line 4 of the box (two blank lines
		// above it); a name missing on line 6.
		ad := as("admin@demo.test", "demo-password-1")
		p = ad.post("/admin/holidays", url.Values{"holidays": {"2026-01-01 A\r\n\r\n\r\nnot-a-date B\r\n\r\n2026-02-05"}})
		check("holidays", p, 422, want{"Public holidays, line 4", "سرکاری تعطیلات، سطر 4"}, want{"Public holidays, line 6", "سرکاری تعطیلات، سطر 6"})
		if line := pick(want{"Line 4: ", "سطر 4: "}); !strings.Contains(p.body, line) {
			t.Errorf("%s: the holidays box does not name line 4: %s", lang, excerpt(p.body, "field-error"))
		}
		if strings.Contains(p.body, pick(want{"Line 2: ", "سطر 2: "})) {
			t.Errorf("%s: the holidays box names line 2 (blank lines not counted)", lang)
		}
		check("outbox resend", ad.post("/admin/outbox/no-such-message/resend", url.Values{}), 404)
		check("job run", ad.post("/admin/jobs/no-such-job/run", url.Values{}), 404)

	}

	// The supervisor's decision on Bob's appeal: no decision, then
	// overturn with no outcome.
	if _, err := e.svc.SubmitAppeal(e.ctx, bob, rej.ID, "We hold this address ourselves."); err != nil {
		t.Fatal(err)
	}
	aps, err := e.svc.ListAppeals(e.ctx, sup2, "pending")
	if err != nil || len(aps) != 1 {
		t.Fatalf("appeals = %v, %v", aps, err)
	}
	// One login for both languages: each TOTP code logs in once.
	sb := e.browser()
	sb.loginTOTP("supervisor2@demo.test", "demo-password-1", sup2Code)
	for _, c := range []struct{ lang, decision, outcome string }{
		{"en", "Decision on the appeal", "When overturning"}, {"ur", "اپیل پر فیصلہ", "فیصلہ کالعدم کرنے کی صورت میں"},
	} {
		sb.get("/lang/" + c.lang)
		for _, tc := range []struct {
			form  url.Values
			label string
		}{{url.Values{"note": {"x"}}, c.decision}, {url.Values{"decision": {"overturn"}}, c.outcome}} {
			p := sb.post("/appeals/"+aps[0].ID+"/decision", tc.form)
			if got := summaryLabels(t, c.lang+": appeal decision", p); p.status != 422 || !hasLabel(got, tc.label) {
				t.Errorf("%s: appeal decision %v = %d; summary %q lacks %q", c.lang, tc.form, p.status, got, tc.label)
			}
		}
	}
}

// A registration whose holder deleted the account: the verify page says
// the name is erased (English and Urdu) and a certificate issued before
// still checks as genuine for its other facts.
func TestVerifyErasedHolder(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	a := e.apply(alice, "14.1.104.0/24", "Office VPN for our accounts team.", true)
	e.confirmChecks(e.user("operator.ptcl@demo.test", "demo-password-1"))
	_, reg, err := e.svc.Decide(e.ctx, e.user("reviewer@demo.test", "demo-password-1"), a.ID, registry.DecisionInput{Decision: "approve"})
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
	if _, err := e.svc.Surrender(e.ctx, alice, reg.Number, "Office closed."); err != nil {
		t.Fatal(err)
	}
	en, ur := e.browser(), e.browser()
	ur.get("/lang/ur")
	if p := en.get(path); !strings.Contains(p.body, "Al*** Tr*****") || strings.Contains(p.body, "holder deleted") {
		t.Fatalf("before the deletion the holder is not shown masked: %s", excerpt(p.body, "Holder"))
	}
	if _, err := e.svc.DeleteAccount(e.ctx, alice, "a long password", true); err != nil {
		t.Fatal(err)
	}
	p := en.get(path)
	if !strings.Contains(p.body, `<dd id="holder">Erased: the holder deleted their account</dd>`) {
		t.Errorf("English verify page does not say the holder is erased: %s", excerpt(p.body, "Holder"))
	}
	if !strings.Contains(p.body, `data-verdict="authentic"`) || !strings.Contains(p.body, "Genuine certificate of a registration that is no longer valid") {
		t.Errorf("the certificate of an erased holder does not check as genuine: %s", excerpt(p.body, "certificate-verdict"))
	}
	p = ur.get(path)
	if !strings.Contains(p.body, `<dd id="holder">مٹا دیا گیا: حامل نے اپنا اکاؤنٹ حذف کر دیا</dd>`) {
		t.Errorf("Urdu verify page does not say the holder is erased: %s", excerpt(p.body, "holder"))
	}
	// The API says so too.
	q := url.Values{"code": {reg.VerificationCode}}
	if p := en.get("/api/v1/verify/" + reg.Number + "?" + q.Encode()); !strings.Contains(p.body, `"holder_erased":true`) {
		t.Errorf("API verify of an erased holder = %d %s", p.status, p.body)
	}
}

// Error pages' bodies are in the page's language: the Urdu "page not
// found" is all Urdu.
func TestErrorPagesInUrdu(t *testing.T) {
	e := newEnv(t)
	ur := e.browser()
	ur.get("/lang/ur")
	p := ur.get("/no-such-page")
	if p.status != 404 || !strings.Contains(p.body, "اس لنک پر کوئی صفحہ موجود نہیں") || strings.Contains(p.body, "There is no page") {
		t.Errorf("Urdu 404 = %d %s", p.status, excerpt(p.body, "<main"))
	}
	e.signup("alice@example.pk", "Alice Traders", "company")
	ur.login("alice@example.pk", "a long password")
	if p := ur.get("/admin/users"); p.status != 403 || strings.Contains(p.body, "This page is for other users") {
		t.Errorf("Urdu 'not for your role' = %d %s", p.status, excerpt(p.body, "<main"))
	}
	p = ur.get("/lang/fr")
	if strings.Contains(p.body, "The portal speaks") {
		t.Errorf("Urdu unknown-language page has an English body: %s", excerpt(p.body, "<main"))
	}
}

// After confirming the e-mail address, a logged-in user is offered their
// account and start page, not "Log in"; a visitor who is not logged in
// is offered "Log in".
func TestVerifyEmailNextStep(t *testing.T) {
	e := newEnv(t)
	for _, loggedIn := range []bool{true, false} {
		email := map[bool]string{true: "in@example.pk", false: "out@example.pk"}[loggedIn]
		b := e.browser()
		if p := b.post("/signup", url.Values{"email": {email}, "password": {"a long password"}, "kind": {"individual"},
			"name": {"Sana Khan"}, "cnic": {map[bool]string{true: "35202-7654321-1", false: "35202-7654322-1"}[loggedIn]}, "mobile": {"03001234567"}}); p.status != 303 {
			t.Fatalf("sign-up = %d: %s", p.status, excerpt(p.body, "errors"))
		}
		mails := e.deliver()
		if len(mails) != 1 {
			t.Fatalf("mails = %d", len(mails))
		}
		m := regexp.MustCompile(`verify-email\?token=([A-Za-z0-9_%-]+)`).FindStringSubmatch(mails[0].Text)
		if m == nil {
			t.Fatalf("no link in %q", mails[0].Text)
		}
		token, _ := url.QueryUnescape(m[1])
		if !loggedIn {
			b = e.browser()
		}
		p := b.post("/verify-email", url.Values{"token": {token}})
		if p.status != 200 || !strings.Contains(p.body, `id="email-confirmed"`) {
			t.Fatalf("verify = %d", p.status)
		}
		next := excerpt(p.body, `id="next-step"`)
		if loggedIn && (strings.Contains(next, `href="/login"`) || !strings.Contains(next, `href="/account"`)) {
			t.Errorf("logged in: next step = %s", next)
		}
		if !loggedIn && !strings.Contains(next, `href="/login"`) {
			t.Errorf("logged out: next step = %s", next)
		}
	}
}
