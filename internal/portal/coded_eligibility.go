package portal

// The portal's wording of the eligibility rules' messages (coded.go).
func init() {
	// The rules' messages name the codes of the JSON the admin edits on
	// the settings page (outcomes, answers, a rule's code): there they
	// are the words to type, so the page keeps them (out is the English
	// as it is; the Urdu is domainUrdu's).
	var kept []codedFormat
	for _, f := range []struct {
		en   string
		args []string
	}{
		{"static_ip_first does not fit %s, which registers mobile numbers: use apply", []string{"-"}},
		{"must be 2 to 40 lowercase letters, digits or underscores, starting with a letter (e.g. company_static_ip)", nil},
		{"must be [\"static_ip\"] when the outcome is apply in %s, which registers static IP addresses: answer the other connections with static_ip_first", []string{"-"}},
		{"must be left out when the outcome is not_needed: no registration, so no category", nil},
		{"no rule answers who=%s, connection=%s, licensed_provider=%s: add a rule for it, or a last rule without conditions", []string{"-", "-", "-"}},
		{"rule %s answers who=%s with connection=static_ip, but static_ip_first tells the asker to get a static IP address: list the other connections in connection, or answer static_ip with an apply rule before it", []string{"-", "-"}},
		{"must not list static_ip when the outcome is static_ip_first, which tells the asker to get a static IP address: answer static_ip with apply", nil},
		{"%s is advice for the outcome %s: remove it from rule %s, or change the outcome", []string{"-", "-", "-"}},
		{"%s does not fit the category %s: remove it from rule %s", []string{"-", "-", "-"}},
	} {
		kept = append(kept, codedFormat{en: f.en, out: f.en, args: f.args})
	}
	// A question left unanswered or answered with a value that is none of
	// its answers: the page shows the answers as choices, so it says to
	// choose one (GOV.UK style) instead of listing the API's codes.
	kept = append(kept,
		codedFormat{en: "is required: answer with one of %s", out: "Choose one of the answers", args: []string{"drop"}},
		codedFormat{en: "%q is not an answer to this question: answer with one of %s", out: "Choose one of the answers", args: []string{"drop", "drop"}})
	codedFormats = compileCoded(append(codedFormats, kept...))
}
