package portal_test

import (
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// A rejection under appeal is decided on today's flags, and every viewer
// allowed them sees them live: the operator too, not the state the other
// application was in at the submission.
func TestOverlapFlagLiveUnderAppealForOperator(t *testing.T) {
	e := newEnv(t)
	bob := e.signup("bob@example.pk", "Bob Exports", "company")
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	e.applyVia(bob, "ptcl", "14.1.104.0/24")     // with the operator
	a := e.applyVia(alice, "ptcl", "14.1.104.5") // flagged: overlaps bob's, with the operator then
	e.confirmChecks(ptcl)                        // both in review now
	sup := e.user("supervisor@demo.test", "demo-password-1")
	if _, _, err := e.svc.Decide(e.ctx, sup, a.ID, registry.DecisionInput{Decision: "reject", ReasonCode: "duplicate"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SubmitAppeal(e.ctx, alice, a.ID, "We hold this address ourselves."); err != nil {
		t.Fatal(err)
	}
	for _, who := range []struct{ email, password string }{
		{"operator.ptcl@demo.test", "demo-password-1"},
		{"reviewer@demo.test", "demo-password-1"},
	} {
		b := e.browser()
		b.login(who.email, who.password)
		p := b.get("/applications/" + a.ID)
		p.body = strings.ReplaceAll(p.body, "&#39;", "'")
		if !strings.Contains(p.body, "(In review)") || strings.Contains(p.body, "(With the operator)") {
			t.Errorf("%s sees the overlap flag frozen at submission, not live: %s", who.email, excerpt(p.body, "Overlaps"))
		}
	}
}
