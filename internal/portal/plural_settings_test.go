package portal_test

import (
	"strings"
	"testing"
)

// The home page, the privacy notice and the account deletion page count
// the settings' hours and days in the form for the number, English and
// Urdu: a setting of 1 read "within 1 hours" and "valid for 1 days".
func TestSettingsCountedInTheirForm(t *testing.T) {
	e := newEnv(t)
	admin := e.user("admin@demo.test", "demo-password-1")
	for _, n := range []int{1, 2} {
		set, err := e.svc.Settings(e.ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		set.OperatorCheckHours, set.SLAWorkingHours, set.ValidityDays, set.AppealDays = n, n, n, n
		set.DocumentRetentionDays, set.OutboxKeepDays = n, n
		set.MaxValidityDays = max(set.MaxValidityDays, n)
		if _, err := e.svc.UpdateSettings(e.ctx, admin, set); err != nil {
			t.Fatalf("settings of %d: %v", n, err)
		}
		b := e.browser()
		for _, lang := range []string{"en", "ur"} {
			b.get("/lang/" + lang)
			pages := b.get("/").body + b.get("/privacy").body
			var want, bad []string
			switch {
			case lang == "en" && n == 1:
				want = []string{"(within 1 hour).", "within 1 working hour of submission", "valid for 1 day,", "appealed within 1 day;", "deleted 1 day after the application"}
				bad = []string{"1 hours", "1 working hours", "1 days"}
			case lang == "en":
				want = []string{"(within 2 hours).", "within 2 working hours of submission", "valid for 2 days,", "appealed within 2 days;", "deleted 2 days after the application"}
			case n == 1:
				want = []string{"(1 گھنٹے کے اندر)", "1 دفتری گھنٹے میں", "1 دن کے لیے"}
				bad = []string{"1 گھنٹوں", "1 دفتری گھنٹوں"}
			default:
				want = []string{"(2 گھنٹوں کے اندر)", "2 دفتری گھنٹوں میں", "2 دن کے لیے"}
			}
			for _, w := range want {
				if !strings.Contains(pages, w) {
					t.Errorf("%s, settings of %d: the home or privacy page lacks %q", lang, n, w)
				}
			}
			for _, w := range bad {
				if strings.Contains(pages, w) {
					t.Errorf("%s, settings of %d: the home or privacy page says %q", lang, n, w)
				}
			}
		}
	}
}
