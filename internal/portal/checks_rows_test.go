package portal_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// A dispute without a note after a colleague answered one of the ticked
// rows: the error page keeps the rows numbered as the operator saw them
// (no renumbering), says which ticked row was answered meanwhile, and
// keeps the numbers on the next error too. A CSV line filled in without
// its check_id is reported, and no line result has a space before its
// colon.
func TestChecksKeepRowsOnError(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	for _, a := range []string{"14.1.107.0/24", "14.1.109.0/24", "14.1.111.0/24"} {
		e.apply(alice, a, "Staff reach the office from home.", true)
	}
	cs, err := e.svc.ListChecks(e.ctx, ptcl, registry.CheckPending)
	if err != nil || len(cs) != 3 {
		t.Fatalf("pending checks = %d, %v", len(cs), err)
	}
	b := e.browser()
	b.login("operator.ptcl@demo.test", "demo-password-1")
	shown := b.get("/operator/checks").body
	shownIDs, _, _ := formValues(t, shown, "/operator/checks")
	if _, err := e.svc.AnswerCheck(e.ctx, ptcl, cs[0].ID, "confirmed", ""); err != nil { // a colleague answers row 1
		t.Fatal(err)
	}
	rowOf := func(body string, c *registry.Check) string {
		m := regexp.MustCompile(`(?s)id="c-` + c.ID + `".*?<bdi class="row-number">([^<]*)</bdi>`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	form := url.Values{"shown": shownIDs["shown"], "check": {cs[0].ID, cs[2].ID}, "result": {"disputed"}, "note": {""}}
	for round := 1; round <= 2; round++ {
		p := b.post("/operator/checks", form)
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("round %d: status %d", round, p.status)
		}
		if got := rowOf(p.body, cs[2]); got != "Row 3" {
			t.Errorf("round %d: the third row is shown as %q after an error, not as the operator saw it (Row 3)", round, got)
		}
		if !strings.Contains(p.body, "<bdi>Row 1</bdi> <bdi dir=\"ltr\">"+cs[0].Addresses[0].String()+"</bdi>: <span class=\"field-error\" dir=\"auto\">It was answered already") {
			t.Errorf("round %d: the ticked row answered meanwhile vanished without a word", round)
		}
		// The page sent back is what the operator sends next.
		form["shown"], _, _ = func() ([]string, any, any) {
			v, _, _ := formValues(t, p.body, "/operator/checks")
			return v["shown"], nil, nil
		}()
	}

	p := b.multipart("/operator/checks/upload", nil, map[string][2]string{"file": {"checks.csv",
		"check_id,result,note\n,disputed,not ours\n" + cs[1].ID + ",bogus,\n"}})
	if !strings.Contains(p.body, "<bdi>Line 2</bdi>: ") || !strings.Contains(p.body, "check_id column is empty") {
		t.Errorf("a CSV line filled in without its check_id is not reported:\n%s", errorsOf(p.body))
	}
	if strings.Contains(p.body, " :") {
		t.Errorf("a result has a space before its colon")
	}
	if strings.Contains(errorsOf(p.body), "Answer for the selected checks") || !strings.Contains(p.body, "result must be") {
		t.Errorf("the CSV's result column is not named as the file names it:\n%s", errorsOf(p.body))
	}
}
