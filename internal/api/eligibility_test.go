package api_test

import (
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// testEligibility: the questionnaire answers every combination of answers
// without a login (the cross-product's branches are in the registry's
// tests; here each answer's shape is validated against openapi.json), an
// invalid answer is 400 naming the question and its values, and the rules
// admins PUT are validated and then answer.
func testEligibility(t *testing.T, c *client) {
	for _, who := range registry.EligibilityWho {
		for _, conn := range registry.EligibilityConnection {
			for _, lic := range registry.EligibilityLicensed {
				q := map[string]string{"who": who, "connection": conn, "licensed_provider": lic}
				a := c.want(c.do("POST", "/api/v1/eligibility", "", q), 200).json(t)
				want, err := registry.Eligibility(registry.DefaultSettings, registry.EligibilityQuestions{Who: who, Connection: conn, LicensedProvider: lic})
				if err != nil {
					t.Fatal(err)
				}
				outcome := a["outcome"].(map[string]any)
				if a["rule"] != want.Rule || outcome["code"] != want.Outcome || a["registration_needed"] != want.RegistrationNeeded || a["providers_url"] != "/providers" {
					t.Errorf("%v: answer %v; want rule %s", q, a, want.Rule)
				}
				if txt, _ := outcome["text"].(string); txt == "" || strings.Contains(txt, "%!") {
					t.Errorf("%v: outcome text %q", q, txt)
				}
			}
		}
	}
	// A company on a static address: the category, its documents and the
	// fee rule of the settings.
	a := c.want(c.do("POST", "/api/v1/eligibility", "", map[string]string{"who": "call_centre", "connection": "static_ip", "licensed_provider": "no"}), 200).json(t)
	if cat := a["category"].(map[string]any); cat["code"] != "call_center" || cat["text"] != "Call centre" {
		t.Errorf("category = %v", cat)
	}
	if docs := a["documents"].([]any); len(docs) != 4 || docs[3].(map[string]any)["kinds"].([]any)[0] != "pseb_certificate" {
		t.Errorf("documents = %v", docs)
	}
	if fee := a["fee"].(map[string]any); fee["code"] != "fee_threshold" || !strings.Contains(fee["text"].(string), "PKR 10,000") {
		t.Errorf("fee = %v", fee)
	}
	// A customer of a licensed provider: no registration, so no category
	// whose fee could apply (tester t1, finding 8: the answer said "No fee
	// applies to this category.").
	a = c.want(c.do("POST", "/api/v1/eligibility", "", map[string]string{"who": "company", "connection": "static_ip", "licensed_provider": "yes"}), 200).json(t)
	if fee := a["fee"].(map[string]any); a["category"] != nil || fee["code"] != "no_registration" || strings.Contains(fee["text"].(string), "category") {
		t.Errorf("not_needed: category %v, fee = %v; want no category and fee no_registration", a["category"], fee)
	}
	for _, tc := range []struct {
		body        any
		field, says string
	}{
		{map[string]string{"who": "student", "connection": "static_ip", "licensed_provider": "no"}, "who", "company, freelancer, call_centre, video_conferencing, individual_mobile"},
		{map[string]string{"who": "company", "connection": "fibre", "licensed_provider": "no"}, "connection", "static_ip, dynamic_ip, mobile_data"},
		{map[string]string{"who": "company", "connection": "static_ip"}, "licensed_provider", "is required: answer with one of yes, no"},
		{map[string]any{"who": "company", "connection": "static_ip", "licensed_provider": true}, "licensed_provider", ""},
	} {
		res := c.want(c.do("POST", "/api/v1/eligibility", "", tc.body), 400)
		if msg := res.errorField(t, tc.field); msg == "" || !strings.Contains(msg, tc.says) {
			t.Errorf("%v: field %s says %q; want %q", tc.body, tc.field, msg, tc.says)
		}
	}
	c.want(c.do("POST", "/api/v1/eligibility", "", map[string]string{"who": "company", "connection": "static_ip", "licensed_provider": "no", "name": "x"}), 400)

	admin := c.login("admin@demo.test")
	// Rules that leave a case unanswered are refused, naming it.
	res := c.want(c.do("PUT", "/api/v1/admin/settings", admin, map[string]any{"eligibility_rules": []map[string]any{
		{"code": "provider", "licensed_provider": []string{"yes"}, "outcome": "not_needed"},
	}}), 422)
	if msg := res.errorField(t, "eligibility_rules"); !strings.Contains(msg, "no rule answers who=company, connection=static_ip, licensed_provider=no") {
		t.Errorf("incomplete rules: %q", msg)
	}
	res = c.want(c.do("PUT", "/api/v1/admin/settings", admin, map[string]any{"eligibility_rules": []map[string]any{
		{"code": "all", "outcome": "apply", "category": "company_vpn", "connection": []string{"static_ip"}},
	}}), 422)
	if msg := res.errorField(t, "eligibility_rules[0].category"); !strings.Contains(msg, "who=freelancer") {
		t.Errorf("a company category for everyone: %q", msg)
	}
	// Rules that cover everything are kept and answer at once; a rule
	// sent without a member does not inherit it from the rule it replaces.
	c.want(c.do("PUT", "/api/v1/admin/settings", admin, map[string]any{"eligibility_rules": []map[string]any{
		{"code": "individuals", "who": []string{"freelancer", "individual_mobile"}, "outcome": "apply", "category": "mobile_vpn"},
		{"code": "nobody_else", "outcome": "not_needed"},
	}}), 200)
	a = c.want(c.do("POST", "/api/v1/eligibility", "", map[string]string{"who": "company", "connection": "static_ip", "licensed_provider": "no"}), 200).json(t)
	if a["rule"] != "nobody_else" || a["registration_needed"] != false || len(a["advice"].([]any)) != 0 {
		t.Errorf("with the new rules: %v", a)
	}
	set := c.want(c.do("GET", "/api/v1/admin/settings", admin, nil), 200).json(t)
	if rules := set["eligibility_rules"].([]any); len(rules) != 2 || rules[0].(map[string]any)["connection"] != nil {
		t.Errorf("stored rules = %v", rules)
	}
	c.want(c.do("PUT", "/api/v1/admin/settings", admin, map[string]any{"eligibility_rules": registry.DefaultEligibilityRules}), 200)
}
