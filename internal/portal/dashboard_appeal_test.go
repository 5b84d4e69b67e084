package portal_test

import (
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// TestDashboardSaysAppealNow: the holder's list of applications says what
// applies now to a rejected application that was appealed, in both
// languages: the appeal pending and when its decision is due (not "taken
// …" of the rejection), then the appeal's decision.
func TestDashboardSaysAppealNow(t *testing.T) {
	e := newEnv(t)
	supervisor := e.user("supervisor@demo.test", "demo-password-1")
	for _, tt := range []struct {
		decision string // "" leaves the appeal pending
		outcome  string
		want     map[string][]string // by language
		not      []string
	}{
		{"", "", map[string][]string{"en": {"Appeal pending", "appeal decision due "}, "ur": {"اپیل زیرِ التوا", "اپیل کے فیصلے کی آخری تاریخ"}}, []string{"taken "}},
		{"uphold", "", map[string][]string{"en": {"Rejected", "Rejection upheld", "taken "}, "ur": {"مسترد کرنے کا فیصلہ برقرار"}}, []string{"Appeal pending", "appeal decision due"}},
		{"overturn", "return", map[string][]string{"en": {"Rejection overturned"}}, []string{"Appeal pending", "appeal decision due"}},
	} {
		t.Run(tt.decision+"pending", func(t *testing.T) {
			email := "appeal" + tt.decision + "@example.pk"
			u, a := e.stateApp(registry.StateRejected, email)
			ap, err := e.svc.SubmitAppeal(e.ctx, u, a.ID, "The office is ours; the lease is attached.")
			if err != nil {
				t.Fatal(err)
			}
			due := ap.SLADueAt.In(registry.PKT.Loc).Format("2006-01-02 15:04 MST")
			if tt.decision != "" {
				if _, _, _, err := e.svc.DecideAppeal(e.ctx, supervisor, ap.ID, registry.AppealDecisionInput{Decision: tt.decision, Outcome: tt.outcome, Note: "Seen the lease."}); err != nil {
					t.Fatal(err)
				}
			}
			for _, lang := range []string{"en", "ur"} {
				b := e.browser()
				b.login(email, "a long password")
				b.get("/lang/" + lang)
				p := b.get("/dashboard")
				for _, w := range tt.want[lang] {
					if !strings.Contains(p.body, w) {
						t.Errorf("%s dashboard does not say %q", lang, w)
					}
				}
				if lang == "en" {
					for _, n := range tt.not {
						if strings.Contains(p.body, n) {
							t.Errorf("dashboard says %q", n)
						}
					}
				}
				if got := strings.Contains(p.body, due); got != (tt.decision == "") {
					t.Errorf("%s dashboard shows the appeal's due time %s: %v", lang, due, got)
				}
			}
		})
	}
}
