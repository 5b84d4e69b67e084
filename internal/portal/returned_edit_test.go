package portal_test

import (
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// A returned application's edit page speaks of the returned application,
// not of a draft: it saves changes to submit again, and points to the
// application's page for the documents (a new CNIC back, say); a draft's
// edit page still saves a draft.
func TestReturnedEditPageIsNotADraft(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	draft := e.apply(alice, "14.1.104.0/24", "Staff reach the office from home.", false)
	returned := e.apply(alice, "14.1.105.0/24", "Staff reach the office from home.", true)
	e.confirmChecks(e.user("operator.ptcl@demo.test", "demo-password-1"))
	if _, _, err := e.svc.Decide(e.ctx, e.user("reviewer@demo.test", "demo-password-1"), returned.ID,
		registry.DecisionInput{Decision: "return", Note: "Upload a clearer scan of the back of the CNIC."}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	for _, tc := range []struct {
		lang, app  string
		want, none []string
	}{
		{"en", returned.ID,
			[]string{"Save changes", "Then submit the application again from its page.", `href="/applications/` + returned.ID + `#documents"`,
				"The documents uploaded before stay with the application", "Upload a clearer scan of the back of the CNIC."},
			[]string{"Save draft", "until you submit", "All the documents needed are uploaded."}},
		{"ur", returned.ID,
			[]string{"تبدیلیاں محفوظ کریں", "دوبارہ جمع کرائیں", `href="/applications/` + returned.ID + `#documents"`},
			[]string{"مسودہ محفوظ کریں", "جمع کرانے تک آپ واپس آ کر اسے بدل سکتے ہیں", "تمام درکار دستاویزات اپ لوڈ ہو چکی ہیں"}},
		{"en", draft.ID, []string{"Save draft", "All the documents needed are uploaded.", `href="/applications/` + draft.ID + `#documents"`},
			[]string{"Save changes", "submit the application again"}},
	} {
		b.get("/lang/" + tc.lang)
		p := b.get("/applications/" + tc.app + "/edit")
		for _, w := range tc.want {
			if !strings.Contains(p.body, w) {
				t.Errorf("%s edit page of %s lacks %q", tc.lang, tc.app, w)
			}
		}
		for _, n := range tc.none {
			if strings.Contains(p.body, n) {
				t.Errorf("%s edit page of %s says %q", tc.lang, tc.app, n)
			}
		}
	}
}
