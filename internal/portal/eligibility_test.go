package portal_test

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// checked reports whether the page shows answer value of question name
// chosen.
func checked(body, name, value string) bool {
	return regexp.MustCompile(`name="` + name + `" value="` + value + `"[^>]*\bchecked\b`).MatchString(body)
}

// TestEligibilityPage walks the questionnaire on both databases, in
// English and Urdu: every combination of answers gives the registry's
// answer with the choices shown back; a missing or unknown answer is 400
// naming the question; nothing is stored or logged.
func TestEligibilityPage(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := newEnvOn(t, kind)
			for _, lang := range []string{"en", "ur"} {
				t.Run(lang, func(t *testing.T) {
					b := e.browser()
					b.get("/lang/" + lang + "?next=/")
					for _, from := range []string{"/", "/eligibility"} {
						if p := b.get(from); p.status != 200 || !strings.Contains(p.body, `href="/eligibility"`) {
							t.Errorf("%s: %d, no link to the questionnaire", from, p.status)
						}
					}
					p := b.get("/eligibility")
					if strings.Count(p.body, "<fieldset") != 3 || strings.Count(p.body, `type="radio"`) != 10 {
						t.Errorf("the form has not the 3 questions with 10 answers: %s", p.body)
					}
					before := accessSnapshot(t, e)
					for _, who := range registry.EligibilityWho {
						for _, conn := range registry.EligibilityConnection {
							for _, lic := range registry.EligibilityLicensed {
								q := registry.EligibilityQuestions{Who: who, Connection: conn, LicensedProvider: lic}
								want, err := registry.Eligibility(registry.DefaultSettings, q)
								if err != nil {
									t.Fatal(err)
								}
								p := b.post("/eligibility", url.Values{"who": {who}, "connection": {conn}, "licensed_provider": {lic}})
								if p.status != 200 || !strings.Contains(p.body, fmt.Sprintf(`data-rule="%s" data-outcome="%s"`, want.Rule, want.Outcome)) {
									t.Errorf("%+v: %d, want rule %s", q, p.status, want.Rule)
									continue
								}
								if !checked(p.body, "who", who) || !checked(p.body, "connection", conn) || !checked(p.body, "licensed_provider", lic) {
									t.Errorf("%+v: the answers are not shown back chosen", q)
								}
								if want.RegistrationNeeded != strings.Contains(p.body, `id="eligibility-documents"`) {
									t.Errorf("%+v: documents listed = %v, registration needed = %v", q, !want.RegistrationNeeded, want.RegistrationNeeded)
								}
								if want.RegistrationNeeded && !strings.Contains(p.body, `data-code="`+want.Fee.Code+`"`) {
									t.Errorf("%+v: fee %s not shown", q, want.Fee.Code)
								}
								for _, a := range want.Advice {
									if !strings.Contains(p.body, `data-code="`+a+`"`) {
										t.Errorf("%+v: advice %s not shown", q, a)
									}
								}
								if !strings.Contains(p.body, `href="/providers"`) {
									t.Errorf("%+v: no link to the register of licensed providers", q)
								}
								body := html.UnescapeString(p.body)
								// The answer's sentence up to its first value or colon.
								outcome := strings.SplitN(strings.SplitN(registry.EligibilityOutcomeText[want.Outcome], "%s", 2)[0], ":", 2)[0]
								if lang == "ur" {
									if !strings.Contains(p.body, `dir="rtl"`) || strings.Contains(body, outcome) {
										t.Errorf("%+v: the Urdu page shows the English answer %q", q, outcome)
									}
								} else if !strings.Contains(body, outcome) {
									t.Errorf("%+v: the answer %q is not on the page", q, outcome)
								}
								if strings.Contains(body, "%!") {
									t.Errorf("%+v: a format error on the page", q)
								}
							}
						}
					}
					// The call centre's fee, from the settings, in the page's language.
					p = b.post("/eligibility", url.Values{"who": {"call_centre"}, "connection": {"static_ip"}, "licensed_provider": {"no"}})
					if fee := map[string]string{"en": "A fee of PKR 10,000 applies", "ur": "10,000\u2069 روپے فیس"}[lang]; !strings.Contains(html.UnescapeString(p.body), fee) {
						t.Errorf("the fee %q is not on the page", fee)
					}
					// Unknown and missing answers: 400, the question named, the
					// allowed values listed, what was chosen kept.
					p = b.post("/eligibility", url.Values{"who": {"student"}, "connection": {"mobile_data"}})
					if p.status != 400 || !strings.Contains(p.body, `id="e-who"`) || !strings.Contains(p.body, `id="e-licensed_provider"`) ||
						!strings.Contains(p.body, map[string]string{"en": "Choose one of the answers", "ur": "جوابات میں سے ایک منتخب کریں"}[lang]) || strings.Contains(p.body, "individual_mobile,") || !checked(p.body, "connection", "mobile_data") ||
						!strings.Contains(html.UnescapeString(p.body), map[string]string{"en": "Who are you?: ", "ur": "آپ کون ہیں؟: "}[lang]) || strings.Contains(p.body, `id="eligibility-answer"`) {
						t.Errorf("invalid answers: %d %s", p.status, p.body)
					}
					// Tester t1, finding 8: the error summary names the
					// questions in the form's order, not by name.
					p = b.post("/eligibility", url.Values{})
					summary := html.UnescapeString(p.body)
					if i := strings.Index(summary, `id="errors"`); i >= 0 {
						summary = summary[i:]
					}
					if j := strings.Index(summary, "</ul>"); j >= 0 {
						summary = summary[:j]
					}
					var at []int
					for _, q := range map[string][]string{
						"en": {"Who are you?", "How do you connect to the internet?", "Do you use a licensed VPN service provider?"},
						"ur": {"آپ کون ہیں؟", "آپ کا انٹرنیٹ کنکشن کس قسم کا ہے؟", "کیا آپ کسی لائسنس یافتہ وی پی این سروس فراہم کنندہ کی سروس استعمال کرتے ہیں؟"},
					}[lang] {
						at = append(at, strings.Index(summary, q+": "))
					}
					if p.status != 400 || at[0] < 0 || !(at[0] < at[1] && at[1] < at[2]) {
						t.Errorf("the error summary does not name who, connection, licensed_provider in the form's order (at %v): %s", at, summary)
					}
					// The answers chosen, in one sentence with the page's
					// punctuation: Urdu's ؛ and ۔, and its comma inside
					// "(3G، 4G)".
					p = b.post("/eligibility", url.Values{"who": {"individual_mobile"}, "connection": {"mobile_data"}, "licensed_provider": {"no"}})
					line := html.UnescapeString(regexp.MustCompile(`(?s)<p id="eligibility-answers">(.*?)</p>`).FindStringSubmatch(p.body + `<p id="eligibility-answers"></p>`)[1])
					if lang == "ur" {
						if strings.ContainsAny(line, ";.,") || strings.Count(line, "؛") != 2 || !strings.HasSuffix(line, "۔") || !strings.Contains(line, "3G\u2069، \u20664G") {
							t.Errorf("the Urdu answers line has Latin punctuation or lacks Urdu's: %q", line)
						}
					} else if !strings.Contains(line, "An individual on mobile data; Mobile data (3G, 4G); No, I run my own VPN or use another service.") {
						t.Errorf("the answers line = %q", line)
					}
					if diff := accessDiff(before, accessSnapshot(t, e)); diff != "" {
						t.Errorf("the questionnaire wrote to the database:\n%s", diff)
					}
					if logs := e.logs.String(); strings.Contains(logs, "individual_mobile") || strings.Contains(logs, "dynamic_ip") || strings.Contains(logs, "student") {
						t.Errorf("the answers reached the log:\n%s", logs)
					}
				})
			}
		})
	}
}

// TestEligibilityRulesSettings: admins edit the rules on the settings
// page; broken JSON and rules that leave a case unanswered are refused
// with what to fix, the typed text kept; saved rules answer at once.
func TestEligibilityRulesSettings(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := newEnvOn(t, kind)
			admin := e.browser()
			admin.login("admin@demo.test", "demo-password-1")
			p := admin.get("/admin/settings")
			if p.status != 200 || !strings.Contains(html.UnescapeString(p.body), `"code": "licensed_provider_customer"`) {
				t.Fatalf("the settings page does not show the rules: %d", p.status)
			}
			adm := e.user("admin@demo.test", "demo-password-1")
			set, err := e.svc.Settings(e.ctx, adm)
			if err != nil {
				t.Fatal(err)
			}
			form := url.Values{}
			for name, v := range map[string]int64{"sla_working_hours": int64(set.SLAWorkingHours), "operator_check_hours": int64(set.OperatorCheckHours),
				"fee_threshold": int64(set.FeeThreshold), "fee_amount_pkr": set.FeeAmountPKR, "validity_days": int64(set.ValidityDays),
				"max_validity_days": int64(set.MaxValidityDays), "max_items": int64(set.MaxItems), "many_items": int64(set.ManyItems),
				"min_prefix_v4": int64(set.MinPrefixV4), "min_prefix_v6": int64(set.MinPrefixV6), "call_center_min_prefix": int64(set.CallCenterMinPrefix),
				"session_hours": int64(set.SessionHours), "document_max_bytes": set.DocumentMaxBytes, "document_retention_days": int64(set.DocumentRetentionDays),
				"appeal_days": int64(set.AppealDays), "appeal_sla_working_hours": int64(set.AppealSLAWorkingHours), "renew_before_days": int64(set.RenewBeforeDays),
				"renew_after_days": int64(set.RenewAfterDays), "outbox_give_up_hours": int64(set.OutboxGiveUpHours), "outbox_keep_days": int64(set.OutboxKeepDays)} {
				form.Set(name, fmt.Sprint(v))
			}
			for _, tt := range []struct {
				lang, rules, says string
			}{
				{"en", `[{"code": "x1", "outcome": "not_needed",}]`, "is not valid JSON"},
				{"en", `[{"code": "x1", "outcome": "not_needed", "colour": "red"}]`, "is not valid JSON"},
				{"en", `[{"code": "provider", "licensed_provider": ["yes"], "outcome": "not_needed"}]`, "no rule answers who=company, connection=static_ip, licensed_provider=no"},
				{"en", `[{"code": "all", "outcome": "apply", "category": "company_vpn", "connection": ["static_ip"]}, {"code": "rest", "outcome": "not_needed"}]`, "rule 1 (all), category: company_vpn is for company accounts, but the rule also answers who=freelancer"},
				{"ur", `[{"code": "provider", "licensed_provider": ["yes"], "outcome": "not_needed"}]`, "کوئی قاعدہ"},
				{"ur", `[{"code": "all", "outcome": "apply", "category": "company_vpn", "connection": ["static_ip"]}, {"code": "rest", "outcome": "not_needed"}]`, "قاعدہ 1"},
			} {
				admin.get("/lang/" + tt.lang + "?next=/")
				form.Set("eligibility_rules", tt.rules)
				p := admin.post("/admin/settings", form)
				if p.status != 422 || !strings.Contains(html.UnescapeString(p.body), tt.says) || !strings.Contains(html.UnescapeString(p.body), tt.rules) {
					t.Errorf("%s %s: %d; want 422 saying %q with the rules kept: %s", tt.lang, tt.rules, p.status, tt.says, p.body)
				}
			}
			admin.get("/lang/en?next=/")
			form.Set("eligibility_rules", `[{"code": "individuals", "who": ["freelancer", "individual_mobile"], "outcome": "apply", "category": "mobile_vpn"},
				{"code": "nobody_else", "outcome": "not_needed"}]`)
			if p := admin.post("/admin/settings", form); p.status != 303 {
				t.Fatalf("valid rules: %d %s", p.status, p.body)
			}
			p = e.browser().post("/eligibility", url.Values{"who": {"company"}, "connection": {"static_ip"}, "licensed_provider": {"no"}})
			if !strings.Contains(p.body, `data-rule="nobody_else"`) {
				t.Errorf("the saved rules do not answer: %s", p.body)
			}
		})
	}
}
