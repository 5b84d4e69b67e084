package registry

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The questionnaire "Do I need to register?" (issue 13): three answers
// lead, through the admin-editable rules in Settings.EligibilityRules, to
// an answer: no registration needed, or the category to apply for with its
// documents (RequiredDocuments), the fee rule (Settings.FeeThreshold and
// FeeAmountPKR) and what to do without a static IP address. Nothing about
// the person asking is stored or logged.

// The allowed answers to each question, in the order forms list them.
var (
	// EligibilityWho: who is asking.
	EligibilityWho = []string{"company", "freelancer", "call_centre", "video_conferencing", "individual_mobile"}
	// EligibilityConnection: how they connect to the internet.
	EligibilityConnection = []string{"static_ip", "dynamic_ip", "mobile_data"}
	// EligibilityLicensed: whether they use a licensed VPN service provider.
	EligibilityLicensed = []string{"yes", "no"}
)

// Outcomes a rule may give.
const (
	// OutcomeNotNeeded: no registration needed (e.g. customers of a
	// licensed VPN service provider).
	OutcomeNotNeeded = "not_needed"
	// OutcomeApply: apply in the rule's category now.
	OutcomeApply = "apply"
	// OutcomeStaticIPFirst: the rule's category registers static IP
	// addresses, which the asker does not have yet.
	OutcomeStaticIPFirst = "static_ip_first"
)

// EligibilityOutcomes lists the outcomes.
var EligibilityOutcomes = []string{OutcomeNotNeeded, OutcomeApply, OutcomeStaticIPFirst}

// EligibilityOutcomeText is the English text of each outcome; %s is the
// category's name where there is one. The portal translates these formats.
var EligibilityOutcomeText = map[string]string{
	OutcomeNotNeeded:     "You do not need to register: the customers of a licensed VPN service provider are covered by the provider's licence.",
	OutcomeApply:         "You need to register: apply in the category %s.",
	OutcomeStaticIPFirst: "You need to register in the category %s, which registers static IP addresses: get a static IP address first.",
}

// EligibilityAdviceText is the English text of each piece of advice a
// rule may add, by its stable code.
var EligibilityAdviceText = map[string]string{
	"check_provider_register": "Check that your provider is on the register of licensed VPN service providers; if it is not, you need to register yourself.",
	"list_static_addresses":   "List the static IP addresses or prefixes your operator gave you, with the subscriber ID from your bill.",
	"list_mobile_numbers":     "List the mobile numbers you connect from, with the mobile network that issued them.",
	"ask_isp_static_ip":       "Ask your internet service provider for a static IP address; a dynamic address changes and cannot be registered.",
	"register_mobile_numbers": "Without a static IP address, an individual may register the mobile numbers they connect from instead (category Mobile VPN).",
	"use_licensed_provider":   "Or use a licensed VPN service provider: its customers do not need to register.",
}

// EligibilityAdvice lists the advice codes in a stable order.
var EligibilityAdvice = []string{"check_provider_register", "list_static_addresses", "list_mobile_numbers", "ask_isp_static_ip", "register_mobile_numbers", "use_licensed_provider"}

// Fee codes of an answer.
const (
	FeeNone          = "no_fee"        // the category never pays, or the amount is 0
	FeeFromThreshold = "fee_threshold" // PKR FeeAmountPKR once the account's allowlisted addresses reach FeeThreshold
	// FeeNoRegistration: the answer is not_needed, so there is no
	// category whose fee could apply (no_fee's text names "this category").
	FeeNoRegistration = "no_registration"
)

// EligibilityFeeText is the English text of each fee code: the threshold
// one takes the amount (grouped digits) and the threshold.
var EligibilityFeeText = map[string]string{
	FeeNone:          "No fee applies to this category.",
	FeeFromThreshold: "A fee of PKR %s applies once your account's allowlisted addresses (held and applied for) reach %d.",
	// FeeNoRegistration: not shown by the portal, which has no fee
	// section without a registration; the API's clients read it.
	FeeNoRegistration: "No fee: you do not need to register.",
}

// EligibilityRule is one rule: when the answers match every condition (an
// empty list matches any answer), the rule gives its outcome. Rules are
// tried in order; the first match answers.
type EligibilityRule struct {
	// Code names the rule; it is the stable code of the answer it gives
	// ([a-z][a-z0-9_]{1,39}, unique).
	Code string `json:"code"`
	// Who, Connection and LicensedProvider are the answers the rule
	// matches (values of EligibilityWho, EligibilityConnection,
	// EligibilityLicensed); empty matches any.
	Who              []string `json:"who,omitempty"`
	Connection       []string `json:"connection,omitempty"`
	LicensedProvider []string `json:"licensed_provider,omitempty"`
	// Outcome is one of EligibilityOutcomes.
	Outcome string `json:"outcome"`
	// Category is the category to apply for: required with apply and
	// static_ip_first, empty with not_needed.
	Category Category `json:"category,omitempty"`
	// Advice lists codes of EligibilityAdviceText, shown in this order.
	Advice []string `json:"advice,omitempty"`
}

// DefaultEligibilityRules are the rules a new registry starts with
// (README, "Do I need to register?"): customers of a licensed provider
// need not register; the others apply in the category of who they are,
// with a static IP address, or, as individuals on mobile data, with their
// mobile numbers.
var DefaultEligibilityRules = []EligibilityRule{
	{Code: "licensed_provider_customer", LicensedProvider: []string{"yes"}, Outcome: OutcomeNotNeeded, Advice: []string{"check_provider_register"}},
	{Code: "company_static_ip", Who: []string{"company"}, Connection: []string{"static_ip"}, Outcome: OutcomeApply, Category: CategoryCompany, Advice: []string{"list_static_addresses"}},
	{Code: "company_no_static_ip", Who: []string{"company"}, Outcome: OutcomeStaticIPFirst, Category: CategoryCompany, Advice: []string{"ask_isp_static_ip", "use_licensed_provider"}},
	{Code: "call_centre_static_ip", Who: []string{"call_centre"}, Connection: []string{"static_ip"}, Outcome: OutcomeApply, Category: CategoryCallCenter, Advice: []string{"list_static_addresses"}},
	{Code: "call_centre_no_static_ip", Who: []string{"call_centre"}, Outcome: OutcomeStaticIPFirst, Category: CategoryCallCenter, Advice: []string{"ask_isp_static_ip", "use_licensed_provider"}},
	{Code: "video_conferencing_static_ip", Who: []string{"video_conferencing"}, Connection: []string{"static_ip"}, Outcome: OutcomeApply, Category: CategoryVideoConf, Advice: []string{"list_static_addresses"}},
	{Code: "video_conferencing_no_static_ip", Who: []string{"video_conferencing"}, Outcome: OutcomeStaticIPFirst, Category: CategoryVideoConf, Advice: []string{"ask_isp_static_ip", "use_licensed_provider"}},
	{Code: "freelancer_static_ip", Who: []string{"freelancer"}, Connection: []string{"static_ip"}, Outcome: OutcomeApply, Category: CategoryFreelancer, Advice: []string{"list_static_addresses"}},
	{Code: "freelancer_dynamic_ip", Who: []string{"freelancer"}, Connection: []string{"dynamic_ip"}, Outcome: OutcomeStaticIPFirst, Category: CategoryFreelancer, Advice: []string{"ask_isp_static_ip", "register_mobile_numbers", "use_licensed_provider"}},
	{Code: "mobile_numbers", Who: []string{"freelancer", "individual_mobile"}, Outcome: OutcomeApply, Category: CategoryMobile, Advice: []string{"list_mobile_numbers"}},
}

// CloneEligibilityRules copies rules deeply, so that decoding into the
// copy never writes into the original's slices (the defaults').
func CloneEligibilityRules(rules []EligibilityRule) []EligibilityRule {
	if rules == nil {
		return nil
	}
	out := make([]EligibilityRule, len(rules))
	for i, r := range rules {
		r.Who, r.Connection, r.LicensedProvider, r.Advice = slices.Clone(r.Who), slices.Clone(r.Connection), slices.Clone(r.LicensedProvider), slices.Clone(r.Advice)
		out[i] = r
	}
	return out
}

// EligibilityQuestions are the answers of one asker.
type EligibilityQuestions struct {
	Who              string `json:"who"`
	Connection       string `json:"connection"`
	LicensedProvider string `json:"licensed_provider"`
}

// Validate checks each answer against its allowed values; the error
// (EMALFORMED with Fields) names the field and lists the allowed values.
func (q EligibilityQuestions) Validate() error {
	fe := FieldErrors{}
	one := func(name, v string, allowed []string) {
		switch {
		case v == "":
			fe.Add(name, "is required: answer with one of %s", strings.Join(allowed, ", "))
		case !slices.Contains(allowed, v):
			fe.Add(name, "%q is not an answer to this question: answer with one of %s", v, strings.Join(allowed, ", "))
		}
	}
	one("who", q.Who, EligibilityWho)
	one("connection", q.Connection, EligibilityConnection)
	one("licensed_provider", q.LicensedProvider, EligibilityLicensed)
	// The questions are closed lists: an answer outside them is a request
	// that cannot be read (EMALFORMED, 400), as a value of the wrong JSON
	// type is, with the field errors all the same.
	err := fe.Err()
	if e, ok := err.(*Error); ok {
		e.Code = EMALFORMED
	}
	return err
}

// Name is the category's English name, as certificates and answers write it.
func (c Category) Name() string {
	if n, ok := categoryWords[c]; ok {
		return n
	}
	return string(c)
}

// EligibilityFee says whether a fee applies to the category of an answer.
type EligibilityFee struct {
	Code      string // FeeNone or FeeFromThreshold, FeeNoRegistration with not_needed
	AmountPKR int64  // with FeeFromThreshold
	Threshold int    // allowlisted addresses from which it is due, with FeeFromThreshold
}

// EligibilityAnswer is what the questionnaire answers.
type EligibilityAnswer struct {
	Questions          EligibilityQuestions
	Rule               string // the code of the rule that answered
	Outcome            string // one of EligibilityOutcomes
	RegistrationNeeded bool
	Category           Category              // "" with not_needed
	Documents          []DocumentRequirement // what the category needs (RequiredDocuments); none with not_needed
	Fee                EligibilityFee
	Advice             []string // advice codes, in the rule's order
}

// match reports whether rule r matches answers q.
func (r EligibilityRule) match(q EligibilityQuestions) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	return in(r.Who, q.Who) && in(r.Connection, q.Connection) && in(r.LicensedProvider, q.LicensedProvider)
}

// firstMatch returns the index of the first rule matching q, or -1.
func firstMatch(rules []EligibilityRule, q EligibilityQuestions) int {
	for i, r := range rules {
		if r.match(q) {
			return i
		}
	}
	return -1
}

// Eligibility answers the questionnaire with set's rules and fee. It
// returns EINVALID for an answer outside the allowed values (a field error
// naming it) and EINTERNAL when no rule matches, which Validate prevents.
// Nothing is stored or logged: the questionnaire is anonymous.
func Eligibility(set Settings, q EligibilityQuestions) (*EligibilityAnswer, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	i := firstMatch(set.EligibilityRules, q)
	if i < 0 {
		return nil, Errorf(EINTERNAL, "no eligibility rule answers these answers; an administrator must complete the rules in the settings")
	}
	r := set.EligibilityRules[i]
	a := &EligibilityAnswer{Questions: q, Rule: r.Code, Outcome: r.Outcome, Advice: slices.Clone(r.Advice), Fee: EligibilityFee{Code: FeeNone}}
	if r.Outcome == OutcomeNotNeeded {
		a.Fee.Code = FeeNoRegistration
		return a, nil
	}
	a.RegistrationNeeded = true
	a.Category = r.Category
	a.Documents = RequiredDocuments(r.Category)
	if r.Category.PaysFee() && set.FeeAmountPKR > 0 {
		a.Fee = EligibilityFee{Code: FeeFromThreshold, AmountPKR: set.FeeAmountPKR, Threshold: set.FeeThreshold}
	}
	return a, nil
}

// Eligibility answers the questionnaire with the current settings (see the
// function Eligibility). Anyone may ask; nothing is recorded.
func (s *Service) Eligibility(ctx context.Context, q EligibilityQuestions) (*EligibilityAnswer, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	set, err := s.PublicSettings(ctx)
	if err != nil {
		return nil, err
	}
	return Eligibility(set, q)
}

// whoKind is the account kind each asker applies with.
var whoKind = map[string]AccountKind{
	"company": KindCompany, "call_centre": KindCompany, "video_conferencing": KindCompany,
	"freelancer": KindIndividual, "individual_mobile": KindIndividual,
}

var ruleCodeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// MaxEligibilityRules bounds the rule list.
const MaxEligibilityRules = 100

// validateEligibilityRules checks the rules (Settings.Validate): known
// values, an outcome with a category that fits who is asking, and that
// every combination of answers reaches a rule and every rule is reached.
func validateEligibilityRules(fe FieldErrors, rules []EligibilityRule) {
	const name = "eligibility_rules"
	if len(rules) == 0 {
		fe.Add(name, "are empty: give at least one rule; the last may have no conditions, to answer every case")
		return
	}
	if len(rules) > MaxEligibilityRules {
		fe.Add(name, "has %d rules; at most %d are allowed", len(rules), MaxEligibilityRules)
		return
	}
	bad := false
	codes := map[string]int{}
	for i, r := range rules {
		key := fmt.Sprintf("%s[%d]", name, i)
		add := func(field, format string, args ...any) {
			fe.Add(key+"."+field, format, args...)
			bad = true
		}
		if !ruleCodeRe.MatchString(r.Code) {
			add("code", "must be 2 to 40 lowercase letters, digits or underscores, starting with a letter (e.g. company_static_ip)")
		} else if j, dup := codes[r.Code]; dup {
			add("code", "%q is already the code of rule %d; give each rule its own code", r.Code, j)
		} else {
			codes[r.Code] = i
		}
		values := func(field string, got, allowed []string) {
			// An empty list ("who": []) matches any answer, which reads
			// as "no one": it is refused, so that "any" is said by
			// leaving the list out.
			if got != nil && len(got) == 0 {
				add(field, "is an empty list, which would match any answer: leave it out to match any answer, or list the answers the rule matches")
				return
			}
			for _, v := range got {
				if !slices.Contains(allowed, v) {
					add(field, "%q is not an answer to this question: use %s (or leave the list out to match any answer)", v, strings.Join(allowed, ", "))
					return
				}
			}
			if len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
				add(field, "lists an answer twice; give each once")
			}
		}
		values("who", r.Who, EligibilityWho)
		values("connection", r.Connection, EligibilityConnection)
		values("licensed_provider", r.LicensedProvider, EligibilityLicensed)
		adviceKnown := true
		for _, c := range r.Advice {
			if _, ok := EligibilityAdviceText[c]; !ok {
				add("advice", "%q is not advice the questionnaire knows: use %s", c, strings.Join(EligibilityAdvice, ", "))
				adviceKnown = false
				break
			}
		}
		if adviceKnown && slices.Contains(EligibilityOutcomes, r.Outcome) && (r.Outcome == OutcomeNotNeeded || r.Category.Valid()) {
			adviceMisfit(r, func(format string, args ...any) { add("advice", format, args...) })
		}
		switch r.Outcome {
		case OutcomeNotNeeded:
			if r.Category != "" {
				add("category", "must be left out when the outcome is not_needed: no registration, so no category")
			}
		case OutcomeApply, OutcomeStaticIPFirst:
			if !r.Category.Valid() {
				add("category", "must be one of %s with the outcome %s", joinCategories(), r.Outcome)
				break
			}
			who := r.Who
			if len(who) == 0 {
				who = EligibilityWho
			}
			for _, w := range who {
				if !slices.Contains(r.Category.AccountKinds(), whoKind[w]) {
					add("category", "%s is for %s accounts, but the rule also answers who=%s; list in who only those who can apply in it", r.Category, r.Category.AccountKinds()[0], w)
					break
				}
			}
			if r.Outcome == OutcomeStaticIPFirst && r.Category.UsesMobileNumbers() {
				add("outcome", "static_ip_first does not fit %s, which registers mobile numbers: use apply", r.Category)
			}
			if r.Outcome == OutcomeStaticIPFirst && slices.Contains(r.Connection, "static_ip") {
				add("connection", "must not list static_ip when the outcome is static_ip_first, which tells the asker to get a static IP address: answer static_ip with apply")
			}
			if r.Outcome == OutcomeApply && !r.Category.UsesMobileNumbers() && (len(r.Connection) == 0 || slices.ContainsFunc(r.Connection, func(c string) bool { return c != "static_ip" })) {
				add("connection", "must be [\"static_ip\"] when the outcome is apply in %s, which registers static IP addresses: answer the other connections with static_ip_first", r.Category)
			}
		default:
			add("outcome", "must be one of %s", strings.Join(EligibilityOutcomes, ", "))
		}
	}
	if bad {
		return // coverage is judged on rules that are each well-formed
	}
	used := make([]bool, len(rules))
	for _, w := range EligibilityWho {
		for _, c := range EligibilityConnection {
			for _, l := range EligibilityLicensed {
				i := firstMatch(rules, EligibilityQuestions{w, c, l})
				if i < 0 {
					fe.Add(name, "no rule answers who=%s, connection=%s, licensed_provider=%s: add a rule for it, or a last rule without conditions", w, c, l)
					return
				}
				used[i] = true
				// A rule without connection conditions also answers those
				// with a static IP address: static_ip_first would tell
				// them to get one.
				if c == "static_ip" && rules[i].Outcome == OutcomeStaticIPFirst {
					fe.Add(fmt.Sprintf("%s[%d].connection", name, i), "rule %s answers who=%s with connection=static_ip, but static_ip_first tells the asker to get a static IP address: list the other connections in connection, or answer static_ip with an apply rule before it", rules[i].Code, w)
				}
			}
		}
	}
	for i, u := range used {
		if !u {
			fe.Add(fmt.Sprintf("%s[%d]", name, i), "rule %s is never used: the rules before it answer every case it matches; remove it or move it up", rules[i].Code)
		}
	}
}

func joinCategories() string {
	s := make([]string, len(Categories))
	for i, c := range Categories {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// eligibilityAdviceFit says where each piece of advice makes sense
// (issue 13, tester's finding: advice must fit the answer it is given
// with): the outcomes it goes with and, for some, the kind of category.
var eligibilityAdviceFit = map[string]struct {
	outcomes []string
	// category reports whether the advice fits the rule's category;
	// nil fits any (and none, with not_needed).
	category func(Category) bool
}{
	// Whether the provider is licensed decides that no registration is
	// needed; the other answers register anyway.
	"check_provider_register": {outcomes: []string{OutcomeNotNeeded}},
	"list_static_addresses":   {outcomes: []string{OutcomeApply}, category: func(c Category) bool { return !c.UsesMobileNumbers() }},
	"list_mobile_numbers":     {outcomes: []string{OutcomeApply}, category: Category.UsesMobileNumbers},
	"ask_isp_static_ip":       {outcomes: []string{OutcomeStaticIPFirst}},
	// "an individual may register the mobile numbers instead".
	"register_mobile_numbers": {outcomes: []string{OutcomeStaticIPFirst}, category: func(c Category) bool { return slices.Contains(c.AccountKinds(), KindIndividual) }},
	// An alternative to registering: not for those who need not.
	"use_licensed_provider": {outcomes: []string{OutcomeApply, OutcomeStaticIPFirst}},
}

// adviceMisfit reports with add the first advice of r that does not fit
// r's outcome or category (r's outcome, category and advice codes are
// known).
func adviceMisfit(r EligibilityRule, add func(format string, args ...any)) {
	for _, c := range r.Advice {
		fit := eligibilityAdviceFit[c]
		if !slices.Contains(fit.outcomes, r.Outcome) {
			add("%s is advice for the outcome %s: remove it from rule %s, or change the outcome", c, strings.Join(fit.outcomes, ", "), r.Code)
			return
		}
		if fit.category != nil && !fit.category(r.Category) {
			add("%s does not fit the category %s: remove it from rule %s", c, r.Category, r.Code)
			return
		}
	}
}
