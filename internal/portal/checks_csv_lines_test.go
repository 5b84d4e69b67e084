package portal_test

import (
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// A CSV upload that answers one check on two lines applies neither and
// names both lines; a result other than confirmed/disputed is said in the
// file's words (the column and its values), in both languages; English
// pages carry no isolate marks, and Urdu lines keep their addresses.
func TestChecksCSVLines(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	e.apply(alice, "14.1.104.0/24", "Branch office link", true)
	e.apply(alice, "14.1.105.0/24", "Second office link", true)
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	cs, err := e.svc.ListChecks(e.ctx, ptcl, registry.CheckPending)
	if err != nil || len(cs) != 2 {
		t.Fatalf("checks: %v %d", err, len(cs))
	}
	one, two := cs[0], cs[1]
	csv := "check_id,result,note\n" + one.ID + ",disputed,\n" + two.ID + ",maybe,\n,,\n,,\n" + one.ID + ",confirmed,\n"
	for _, tt := range []struct{ lang, dup, result string }{
		{"en", "This check is on lines 2, 6, so none of them was applied.", `result must be "confirmed" or "disputed"; this line has "maybe"`},
		{"ur", "یہ تصدیقی درخواست سطور \u20682، 6\u2069 پر ہے", "\u2068result\u2069 کی قدر \u2068\"confirmed\"\u2069 یا \u2068\"disputed\"\u2069 ہونی چاہیے؛ اس سطر میں \u2068\"maybe\"\u2069 ہے"},
	} {
		b := e.browser()
		b.login("operator.ptcl@demo.test", "demo-password-1")
		b.get("/lang/" + tt.lang)
		p := b.multipart("/operator/checks/upload", nil, map[string][2]string{"file": {"checks.csv", csv}})
		body := strings.ReplaceAll(p.body, "&#34;", `"`)
		for _, w := range []string{tt.dup, tt.result} {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the results lack %q:\n%s", tt.lang, w, body[strings.Index(body, "<main"):])
			}
		}
		for _, line := range []string{"2", "6"} {
			if !strings.Contains(body, line+"</bdi> <bdi dir=\"ltr\">"+one.Addresses[0].String()+"</bdi>: ") {
				t.Errorf("%s: line %s does not name its check's address:\n%s", tt.lang, line, excerpt(body, "Results"))
			}
		}
		if strings.Contains(body, "Choose whether to confirm or dispute") {
			t.Errorf("%s: the file's result is refused in the web form's words", tt.lang)
		}
		if tt.lang == "en" && strings.ContainsAny(body, "\u2068\u2069") {
			t.Errorf("an English page carries isolate marks: %s", excerpt(body, "\u2068"))
		}
	}
	left, err := e.svc.ListChecks(e.ctx, ptcl, registry.CheckPending)
	if err != nil || len(left) != 2 {
		t.Errorf("a check named on two lines, or a bad result, was applied: %d checks left pending", len(left))
	}
}
