package registry

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestEligibilityEveryBranch walks the full cross-product of answers
// through the default rules and the default fee.
func TestEligibilityEveryBranch(t *testing.T) {
	type want struct {
		rule     string
		outcome  string
		category Category
		fee      bool
		advice   []string
	}
	notNeeded := want{"licensed_provider_customer", OutcomeNotNeeded, "", false, []string{"check_provider_register"}}
	noStatic := []string{"ask_isp_static_ip", "use_licensed_provider"}
	static := []string{"list_static_addresses"}
	mobile := []string{"list_mobile_numbers"}
	without := map[[2]string]want{ // licensed_provider=no, by who and connection
		{"company", "static_ip"}:              {"company_static_ip", OutcomeApply, CategoryCompany, false, static},
		{"company", "dynamic_ip"}:             {"company_no_static_ip", OutcomeStaticIPFirst, CategoryCompany, false, noStatic},
		{"company", "mobile_data"}:            {"company_no_static_ip", OutcomeStaticIPFirst, CategoryCompany, false, noStatic},
		{"call_centre", "static_ip"}:          {"call_centre_static_ip", OutcomeApply, CategoryCallCenter, true, static},
		{"call_centre", "dynamic_ip"}:         {"call_centre_no_static_ip", OutcomeStaticIPFirst, CategoryCallCenter, true, noStatic},
		{"call_centre", "mobile_data"}:        {"call_centre_no_static_ip", OutcomeStaticIPFirst, CategoryCallCenter, true, noStatic},
		{"video_conferencing", "static_ip"}:   {"video_conferencing_static_ip", OutcomeApply, CategoryVideoConf, true, static},
		{"video_conferencing", "dynamic_ip"}:  {"video_conferencing_no_static_ip", OutcomeStaticIPFirst, CategoryVideoConf, true, noStatic},
		{"video_conferencing", "mobile_data"}: {"video_conferencing_no_static_ip", OutcomeStaticIPFirst, CategoryVideoConf, true, noStatic},
		{"freelancer", "static_ip"}:           {"freelancer_static_ip", OutcomeApply, CategoryFreelancer, false, static},
		{"freelancer", "dynamic_ip"}:          {"freelancer_dynamic_ip", OutcomeStaticIPFirst, CategoryFreelancer, false, []string{"ask_isp_static_ip", "register_mobile_numbers", "use_licensed_provider"}},
		{"freelancer", "mobile_data"}:         {"mobile_numbers", OutcomeApply, CategoryMobile, false, mobile},
		{"individual_mobile", "static_ip"}:    {"mobile_numbers", OutcomeApply, CategoryMobile, false, mobile},
		{"individual_mobile", "dynamic_ip"}:   {"mobile_numbers", OutcomeApply, CategoryMobile, false, mobile},
		{"individual_mobile", "mobile_data"}:  {"mobile_numbers", OutcomeApply, CategoryMobile, false, mobile},
	}
	set := DefaultSettings
	n := 0
	for _, who := range EligibilityWho {
		for _, conn := range EligibilityConnection {
			for _, lic := range EligibilityLicensed {
				q := EligibilityQuestions{who, conn, lic}
				w := notNeeded
				if lic == "no" {
					var ok bool
					if w, ok = without[[2]string{who, conn}]; !ok {
						t.Fatalf("the test has no expectation for %+v", q)
					}
				}
				n++
				t.Run(who+"/"+conn+"/"+lic, func(t *testing.T) {
					a, err := Eligibility(set, q)
					if err != nil {
						t.Fatal(err)
					}
					if a.Rule != w.rule || a.Outcome != w.outcome || a.Category != w.category || !slices.Equal(a.Advice, w.advice) {
						t.Errorf("answer = rule %s, %s %s, advice %v; want rule %s, %s %s, advice %v", a.Rule, a.Outcome, a.Category, a.Advice, w.rule, w.outcome, w.category, w.advice)
					}
					if a.RegistrationNeeded != (w.outcome != OutcomeNotNeeded) {
						t.Errorf("RegistrationNeeded = %v with outcome %s", a.RegistrationNeeded, a.Outcome)
					}
					// The documents are the category's real requirements.
					var docs []DocumentRequirement
					if w.category != "" {
						docs = RequiredDocuments(w.category)
					}
					if len(a.Documents) != len(docs) || (len(docs) > 0 && a.Documents[len(docs)-1].Describe() != docs[len(docs)-1].Describe()) {
						t.Errorf("documents = %v; want %v", a.Documents, docs)
					}
					wantFee := EligibilityFee{Code: FeeNone}
					if w.outcome == OutcomeNotNeeded {
						// Tester t1, finding 8: "No fee applies to this
						// category." without a category.
						wantFee = EligibilityFee{Code: FeeNoRegistration}
					}
					if w.fee {
						wantFee = EligibilityFee{Code: FeeFromThreshold, AmountPKR: set.FeeAmountPKR, Threshold: set.FeeThreshold}
					}
					if a.Fee != wantFee {
						t.Errorf("fee = %+v; want %+v", a.Fee, wantFee)
					}
				})
			}
		}
	}
	if n != 30 {
		t.Errorf("walked %d combinations; the questions have 5×3×2 = 30", n)
	}
}

// TestEligibilityFeeFollowsSettings: the fee answer reads the amount and
// threshold from the settings, and a zero amount means no fee.
func TestEligibilityFeeFollowsSettings(t *testing.T) {
	set := DefaultSettings
	set.FeeAmountPKR, set.FeeThreshold = 2500, 9
	q := EligibilityQuestions{"call_centre", "static_ip", "no"}
	a, err := Eligibility(set, q)
	if err != nil || a.Fee != (EligibilityFee{FeeFromThreshold, 2500, 9}) {
		t.Errorf("fee = %+v, %v; want PKR 2500 from 9", a.Fee, err)
	}
	set.FeeAmountPKR = 0
	if a, _ := Eligibility(set, q); a.Fee.Code != FeeNone {
		t.Errorf("fee with amount 0 = %+v; want no_fee", a.Fee)
	}
}

// TestEligibilityRulesAreData: changed rules change the answers.
func TestEligibilityRulesAreData(t *testing.T) {
	set := DefaultSettings
	set.EligibilityRules = []EligibilityRule{
		{Code: "individuals", Who: []string{"freelancer", "individual_mobile"}, Outcome: OutcomeApply, Category: CategoryMobile},
		{Code: "everyone_else", Outcome: OutcomeNotNeeded},
	}
	if err := set.Validate(); err != nil {
		t.Fatal(err)
	}
	for q, rule := range map[EligibilityQuestions]string{
		{"company", "static_ip", "no"}:            "everyone_else",
		{"freelancer", "static_ip", "yes"}:        "individuals",
		{"individual_mobile", "dynamic_ip", "no"}: "individuals",
	} {
		if a, err := Eligibility(set, q); err != nil || a.Rule != rule {
			t.Errorf("Eligibility(%+v) = %+v, %v; want rule %s", q, a, err, rule)
		}
	}
}

func TestEligibilityInvalidAnswers(t *testing.T) {
	for _, tc := range []struct {
		q            EligibilityQuestions
		field, words string
	}{
		{EligibilityQuestions{"", "static_ip", "no"}, "who", "is required: answer with one of company, freelancer, call_centre, video_conferencing, individual_mobile"},
		{EligibilityQuestions{"student", "static_ip", "no"}, "who", `"student" is not an answer`},
		{EligibilityQuestions{"company", "fibre", "no"}, "connection", "static_ip, dynamic_ip, mobile_data"},
		{EligibilityQuestions{"company", "static_ip", "maybe"}, "licensed_provider", "yes, no"},
		{EligibilityQuestions{"company", "static_ip", "YES"}, "licensed_provider", `"YES" is not an answer`},
	} {
		_, err := Eligibility(DefaultSettings, tc.q)
		var fe *Error
		if !errors.As(err, &fe) || fe.Code != EMALFORMED || !strings.Contains(fe.Fields[tc.field], tc.words) {
			t.Errorf("Eligibility(%+v) = %v; want EMALFORMED on %s saying %q", tc.q, err, tc.field, tc.words)
		}
	}
}

func TestEligibilityRulesValidate(t *testing.T) {
	if err := DefaultSettings.Validate(); err != nil {
		t.Fatalf("the default settings do not validate: %v", err)
	}
	last := EligibilityRule{Code: "rest", Who: []string{"freelancer", "individual_mobile"}, Outcome: OutcomeApply, Category: CategoryMobile}
	firms := []string{"company", "call_centre", "video_conferencing"}
	companies := EligibilityRule{Code: "firms", Who: firms, Connection: []string{"dynamic_ip", "mobile_data"}, Outcome: OutcomeStaticIPFirst, Category: CategoryCompany}
	companiesStatic := EligibilityRule{Code: "firms_static", Who: firms, Connection: []string{"static_ip"}, Outcome: OutcomeApply, Category: CategoryCompany}
	// rule is a default rule changed by edit, the others as they are.
	rule := func(code string, edit func(*EligibilityRule)) []EligibilityRule {
		rules := CloneEligibilityRules(DefaultEligibilityRules)
		for i := range rules {
			if rules[i].Code == code {
				edit(&rules[i])
			}
		}
		return rules
	}
	at := func(code string) string {
		for i, r := range DefaultEligibilityRules {
			if r.Code == code {
				return fmt.Sprintf("eligibility_rules[%d]", i)
			}
		}
		panic(code)
	}
	for _, tc := range []struct {
		name  string
		rules []EligibilityRule
		field string
		words string
	}{
		{"empty", nil, "eligibility_rules", "are empty"},
		{"bad code", []EligibilityRule{{Code: "Bad Code", Outcome: OutcomeNotNeeded}}, "eligibility_rules[0].code", "lowercase letters"},
		{"duplicate code", []EligibilityRule{{Code: "a1", Outcome: OutcomeNotNeeded}, {Code: "a1", Outcome: OutcomeNotNeeded}}, "eligibility_rules[1].code", "already the code of rule 0"},
		{"unknown who", []EligibilityRule{{Code: "a1", Who: []string{"student"}, Outcome: OutcomeNotNeeded}}, "eligibility_rules[0].who", `"student" is not an answer`},
		{"unknown connection", []EligibilityRule{{Code: "a1", Connection: []string{"fibre"}, Outcome: OutcomeNotNeeded}}, "eligibility_rules[0].connection", "static_ip, dynamic_ip, mobile_data"},
		{"unknown provider answer", []EligibilityRule{{Code: "a1", LicensedProvider: []string{"true"}, Outcome: OutcomeNotNeeded}}, "eligibility_rules[0].licensed_provider", "yes, no"},
		{"repeated answer", []EligibilityRule{{Code: "a1", LicensedProvider: []string{"yes", "yes"}, Outcome: OutcomeNotNeeded}}, "eligibility_rules[0].licensed_provider", "twice"},
		{"unknown advice", []EligibilityRule{{Code: "a1", Outcome: OutcomeNotNeeded, Advice: []string{"pray"}}}, "eligibility_rules[0].advice", `"pray" is not advice`},
		{"unknown outcome", []EligibilityRule{{Code: "a1", Outcome: "maybe"}}, "eligibility_rules[0].outcome", "not_needed, apply, static_ip_first"},
		{"category with not_needed", []EligibilityRule{{Code: "a1", Outcome: OutcomeNotNeeded, Category: CategoryCompany}}, "eligibility_rules[0].category", "must be left out"},
		{"apply without category", []EligibilityRule{{Code: "a1", Outcome: OutcomeApply}}, "eligibility_rules[0].category", "must be one of company_vpn"},
		{"category for the wrong asker", []EligibilityRule{{Code: "a1", Who: []string{"company", "freelancer"}, Outcome: OutcomeStaticIPFirst, Category: CategoryCompany}}, "eligibility_rules[0].category", "who=freelancer"},
		{"static first for mobile numbers", []EligibilityRule{{Code: "a1", Who: []string{"freelancer"}, Outcome: OutcomeStaticIPFirst, Category: CategoryMobile}}, "eligibility_rules[0].outcome", "use apply"},
		{"apply static category on dynamic ip", []EligibilityRule{{Code: "a1", Who: []string{"company"}, Outcome: OutcomeApply, Category: CategoryCompany}}, "eligibility_rules[0].connection", `must be ["static_ip"]`},
		{"a case unanswered", []EligibilityRule{companies}, "eligibility_rules", "no rule answers who=company, connection=static_ip, licensed_provider=yes"},
		{"a rule never used", []EligibilityRule{companiesStatic, companies, last, {Code: "late", Outcome: OutcomeNotNeeded}}, "eligibility_rules[3]", "rule late is never used"},
		// Tester t1, finding 7: rules that validated but answered nonsense.
		{"static first listing static_ip", rule("company_static_ip", func(r *EligibilityRule) { r.Outcome, r.Advice = OutcomeStaticIPFirst, nil }),
			at("company_static_ip") + ".connection", "must not list static_ip when the outcome is static_ip_first"},
		{"static first reached by static_ip", rule("company_static_ip", func(r *EligibilityRule) { r.Who = []string{"call_centre"} }),
			at("company_no_static_ip") + ".connection", "rule company_no_static_ip answers who=company with connection=static_ip"},
		{"mobile advice in a static category", rule("company_static_ip", func(r *EligibilityRule) { r.Advice = []string{"list_static_addresses", "list_mobile_numbers"} }),
			at("company_static_ip") + ".advice", "list_mobile_numbers does not fit the category company_vpn"},
		{"static advice for mobile numbers", rule("mobile_numbers", func(r *EligibilityRule) { r.Advice = []string{"list_static_addresses"} }),
			at("mobile_numbers") + ".advice", "list_static_addresses does not fit the category mobile_vpn"},
		{"listing advice with not_needed", rule("licensed_provider_customer", func(r *EligibilityRule) { r.Advice = []string{"list_static_addresses"} }),
			at("licensed_provider_customer") + ".advice", "list_static_addresses is advice for the outcome apply: remove it from rule licensed_provider_customer"},
		{"licensed provider advice with not_needed", rule("licensed_provider_customer", func(r *EligibilityRule) { r.Advice = []string{"use_licensed_provider"} }),
			at("licensed_provider_customer") + ".advice", "use_licensed_provider is advice for the outcome apply, static_ip_first"},
		{"register check with apply", rule("company_static_ip", func(r *EligibilityRule) { r.Advice = []string{"check_provider_register"} }),
			at("company_static_ip") + ".advice", "check_provider_register is advice for the outcome not_needed"},
		{"ask for a static ip with apply", rule("company_static_ip", func(r *EligibilityRule) { r.Advice = []string{"ask_isp_static_ip"} }),
			at("company_static_ip") + ".advice", "ask_isp_static_ip is advice for the outcome static_ip_first"},
		{"mobile numbers advice to a company", rule("company_no_static_ip", func(r *EligibilityRule) { r.Advice = []string{"register_mobile_numbers"} }),
			at("company_no_static_ip") + ".advice", "register_mobile_numbers does not fit the category company_vpn"},
		{"who as an empty list", rule("mobile_numbers", func(r *EligibilityRule) { r.Who = []string{} }),
			at("mobile_numbers") + ".who", "is an empty list, which would match any answer: leave it out"},
		{"connection as an empty list", rule("licensed_provider_customer", func(r *EligibilityRule) { r.Connection = []string{} }),
			at("licensed_provider_customer") + ".connection", "is an empty list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set := DefaultSettings
			set.EligibilityRules = tc.rules
			err := set.Validate()
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(e.Fields[tc.field], tc.words) {
				t.Errorf("Validate = %v; want %s saying %q", err, tc.field, tc.words)
			}
		})
	}
	set := DefaultSettings
	set.EligibilityRules = []EligibilityRule{companiesStatic, companies, last}
	if err := set.Validate(); err != nil {
		t.Errorf("three rules covering every case: %v", err)
	}
	// Every piece of advice fits at least one rule of the defaults, which
	// validate: the fit table refuses no advice everywhere.
	for _, c := range EligibilityAdvice {
		if !slices.ContainsFunc(DefaultEligibilityRules, func(r EligibilityRule) bool { return slices.Contains(r.Advice, c) }) {
			t.Errorf("advice %s is in no default rule", c)
		}
		if _, ok := eligibilityAdviceFit[c]; !ok {
			t.Errorf("advice %s has no entry in eligibilityAdviceFit", c)
		}
	}
}

// BenchmarkEligibility answers one questionnaire with the default rules
// (first match over 10 rules, the category's documents).
func BenchmarkEligibility(b *testing.B) {
	q := EligibilityQuestions{"individual_mobile", "mobile_data", "no"} // the last rule
	for b.Loop() {
		if _, err := Eligibility(DefaultSettings, q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateEligibilityRules is the rules' share of every settings
// change: each rule checked, then the 30 combinations walked.
func BenchmarkValidateEligibilityRules(b *testing.B) {
	for b.Loop() {
		fe := FieldErrors{}
		validateEligibilityRules(fe, DefaultEligibilityRules)
		if len(fe) != 0 {
			b.Fatal(fe)
		}
	}
}
