package portal_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// The timeline and the appeal form speak in words, in the page's language:
// a rejection shows its reason's label (no code, no dangling colon), the
// appeal decision's errors name the form's choices, and "already decided"
// says how, in English and Urdu.
func TestAppealPagesInWords(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	a := e.apply(alice, "14.1.104.0/24", "Office VPN for our accounts team.", true)
	e.confirmChecks(e.user("operator.ptcl@demo.test", "demo-password-1"))
	sup := e.user("supervisor@demo.test", "demo-password-1")
	if _, _, err := e.svc.Decide(e.ctx, sup, a.ID, registry.DecisionInput{Decision: "reject", ReasonCode: "duplicate"}); err != nil {
		t.Fatal(err)
	}
	ap, err := e.svc.SubmitAppeal(e.ctx, alice, a.ID, "We hold this address ourselves.")
	if err != nil {
		t.Fatal(err)
	}
	_, sup2Code := e.staffWithTOTP("supervisor2@demo.test", registry.RoleSupervisor)

	en := e.browser()
	en.login("alice@example.pk", "a long password")
	p := en.get("/applications/" + a.ID)
	if !strings.Contains(p.body, "Already registered or applied for") || strings.Contains(p.body, "duplicate:") {
		t.Errorf("English timeline shows the code, not the reason: %s", excerpt(p.body, "timeline"))
	}
	ur := e.browser()
	ur.get("/lang/ur")
	ur.login("alice@example.pk", "a long password")
	p = ur.get("/applications/" + a.ID)
	if strings.Contains(p.body, "duplicate") {
		t.Errorf("Urdu timeline shows the code: %s", excerpt(p.body, "duplicate"))
	}

	s2 := e.browser()
	s2.get("/lang/ur")
	s2.loginTOTP("supervisor2@demo.test", "demo-password-1", sup2Code)
	p = s2.post("/appeals/"+ap.ID+"/decision", url.Values{"decision": {"overturn"}})
	if p.status != 422 || !strings.Contains(p.body, "«منظور کریں» یا «درستی کے لیے واپس کریں»") || strings.Contains(p.body, "\u2066\"approve\"") {
		t.Errorf("Urdu outcome error = %d %s", p.status, excerpt(p.body, "field-error"))
	}
	p = s2.post("/appeals/"+ap.ID+"/decision", url.Values{"decision": {"uphold"}, "note": {"Still a duplicate."}, "valid_days": {"90"}})
	if p.status != 422 || !strings.Contains(p.body, "e-valid_days") {
		t.Errorf("uphold with valid_days = %d; want it refused as by the API", p.status)
	}
	if p = s2.post("/appeals/"+ap.ID+"/decision", url.Values{"decision": {"overturn"}, "outcome": {"return"}, "note": {"Show the contract."}}); p.status != 303 {
		t.Fatalf("overturn = %d %s", p.status, excerpt(p.body, "field-error"))
	}
	p = s2.post("/appeals/"+ap.ID+"/decision", url.Values{"decision": {"uphold"}, "note": {"x"}})
	if p.status != 409 || !strings.Contains(p.body, "کالعدم کر دیا گیا") || strings.Contains(p.body, "(overturned)") {
		t.Errorf("already decided, in Urdu = %d %s", p.status, excerpt(p.body, "اپیل"))
	}
}

// excerpt is a bit of body around the first occurrence of s, for messages.
func excerpt(body, s string) string {
	i := strings.Index(body, s)
	if i < 0 {
		return "(" + s + " not found)"
	}
	return body[max(0, i-200):min(len(body), i+600)]
}

// The holiday page's errors read as sentences after "Line N:", in English
// and Urdu, not as fragments of "holidays[0] …".
func TestHolidayErrorsAreSentences(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		lang string
		want []string
	}{
		{"en", []string{`Line 1: the date &#34;2026-13-01&#34; is not a date`, "Line 2: the holiday needs a name", "Line 3: the date 2026-03-23 is listed twice"}},
		{"ur", []string{"سطر 1: تاریخ", "درست تاریخ نہیں", "سطر 2: چھٹی کا نام", "دو بار درج ہے"}}, // the line's message is Urdu words, not an isolated value
	} {
		b := e.browser()
		b.get("/lang/" + c.lang)
		b.login("admin@demo.test", "demo-password-1")
		p := b.post("/admin/holidays", url.Values{"holidays": {"2026-13-01 Nowhere Day\n2026-03-23\n2026-03-23 Pakistan Day\n2026-03-23 Again"}})
		if p.status != 422 {
			t.Fatalf("%s: holidays with errors = %d", c.lang, p.status)
		}
		for _, w := range c.want {
			if !strings.Contains(p.body, w) {
				t.Errorf("%s: page lacks %q: %s", c.lang, w, excerpt(p.body, "field-error"))
			}
		}
		if strings.Contains(p.body, "میں تاریخ") || strings.Contains(p.body, "\u2068کا نام") {
			t.Errorf("%s: an Urdu fragment is still shown: %s", c.lang, excerpt(p.body, "field-error"))
		}
	}
}
