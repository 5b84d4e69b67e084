package portal_test

import (
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// TestChecksMarkAChange: the operator's list of checks marks a renewal's
// or an amendment's row with what it changes of which registration, in
// English and Urdu; a new application's row has no such mark.
func TestChecksMarkAChange(t *testing.T) {
	e := newEnv(t)
	u, a := e.stateApp(registry.StateApproved, "amender@example.pk")
	_, am, err := e.svc.Amend(e.ctx, u, a.Registration, registry.AmendmentInput{Add: []string{"14.1.105.0/24"}})
	if err != nil || am == nil {
		t.Fatalf("amend: %v", err)
	}
	e.stateApp(registry.StateOperatorCheck, "newcomer@example.pk") // a new application's check beside it
	b := e.browser()
	b.login("operator.ptcl@demo.test", "demo-password-1")
	for _, tt := range []struct{ lang, kind, of, added string }{
		{"en", "Amendment", "of registration", "Added"},
		{"ur", "ترمیم", "برائے رجسٹریشن", "شامل کیے گئے"},
	} {
		b.get("/lang/" + tt.lang)
		p := b.get("/operator/checks")
		want := `<strong>` + tt.kind + `</strong> ` + tt.of + ` <bdi class="ltr tok" dir="ltr">` + a.Registration + `</bdi> (` + tt.added + `: <bdi dir="ltr">14.1.105.0/24</bdi>)`
		if !strings.Contains(p.body, want) {
			t.Errorf("%s: the amendment's row does not say %q", tt.lang, want)
		}
		if n := strings.Count(p.body, `class="change-of"`); n != 1 {
			t.Errorf("%s: %d rows marked as a change, want the amendment's only", tt.lang, n)
		}
	}
}
