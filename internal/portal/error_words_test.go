package portal_test

import (
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// Errors on pages say what to choose or tick, in the page's language,
// never the API's JSON values, paths or CLI commands; a form that fails
// on several fields names every one at once.
func TestErrorsInWords(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Example Traders (Pvt) Ltd", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	inReview := e.apply(alice, "14.1.104.0/24", "Staff reach the office from home.", true)
	e.confirmChecks(ptcl)
	cat, sub, proto, purpose := "company_vpn", "PTCL-42", "wireguard", "Staff reach the office from home."
	addrs := []string{"14.1.105.0/24"}
	noOperator, err := e.svc.CreateApplication(e.ctx, alice, registry.ApplicationInput{Category: &cat, SubscriberID: &sub,
		Addresses: &addrs, VPNProtocol: &proto, Purpose: &purpose})
	if err != nil {
		t.Fatal(err)
	}
	logins := map[string][2]string{
		"alice":    {"alice@example.pk", "a long password"},
		"reviewer": {"reviewer@demo.test", "demo-password-1"},
		"admin":    {"admin@demo.test", "demo-password-1"},
	}
	for _, tt := range []struct {
		who, path string
		form      url.Values
		en, ur    []string // what the errors say
	}{
		{"reviewer", "/applications/" + inReview.ID + "/decision", url.Values{"note": {"x"}},
			[]string{"Choose a decision"}, []string{"فیصلہ منتخب کریں"}},
		{"reviewer", "/applications/" + inReview.ID + "/decision", url.Values{"decision": {"reject"}},
			[]string{"Choose a reason for the rejection"}, []string{"مسترد کرنے کی وجہ منتخب کریں"}},
		// Both fields' errors at once: the reason and the days.
		{"reviewer", "/applications/" + inReview.ID + "/decision", url.Values{"decision": {"approve"}, "reason_code": {"duplicate"}, "valid_days": {"30.5"}},
			[]string{"belongs to a rejection only", "must be a whole number of days"}, nil},
		{"alice", "/account/delete", url.Values{"password": {"a long password"}},
			[]string{"Tick the box to confirm that you want the account"}, []string{"تصدیق کے لیے خانے پر نشان لگائیں"}},
		{"admin", "/admin/users", url.Values{"email": {"op@example.pk"}, "role": {"operator"}, "password": {"a long password 1"}},
			[]string{"Choose the operator this user works for"}, []string{"وہ آپریٹر منتخب کریں جس کے لیے یہ صارف کام کرتا ہے"}},
		{"alice", "/account/language", url.Values{"lang": {"xx"}},
			[]string{"Choose English or Urdu"}, []string{"انگریزی یا اردو منتخب کریں"}},
		{"alice", "/applications/" + noOperator.ID + "/submit", url.Values{},
			[]string{"<li>Operator: <span", "Choose the operator that provides the connection"}, []string{"وہ آپریٹر منتخب کریں جو کنکشن فراہم کرتا ہے"}},
	} {
		for _, lang := range []string{"en", "ur"} {
			b := e.browser()
			b.get("/lang/" + lang)
			b.login(logins[tt.who][0], logins[tt.who][1])
			p := b.post(tt.path, tt.form)
			got := html.UnescapeString(errorsOf(p.body))
			if p.status < 400 {
				t.Errorf("%s %s %v = %d, want an error", lang, tt.path, tt.form, p.status)
				continue
			}
			want := tt.en
			if lang == "ur" {
				want = tt.ur
			}
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("%s %s %v: the errors do not say %q:\n%s", lang, tt.path, tt.form, w, got)
				}
			}
			for _, leak := range []string{`"approve"`, "must be true", "ipreg operator list", "/api/v1", `"en"`, "must be one of", " : "} {
				if strings.Contains(got, leak) {
					t.Errorf("%s %s %v: the errors show %q:\n%s", lang, tt.path, tt.form, leak, got)
				}
			}
		}
	}
}
