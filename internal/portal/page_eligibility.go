package portal

import (
	"net/http"
	"net/url"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/registry"
)

// The questionnaire "Do I need to register?" (issue 13): anyone, no
// account. The answers are sent by POST, so that they stay out of URLs,
// browser history and request logs, and are neither stored nor logged.

func init() {
	// The questions' answers, for people (the catalog translates them).
	labels["eligibility_who"] = map[string]string{
		"company":            "A company or organisation",
		"freelancer":         "A freelancer",
		"call_centre":        "A call centre",
		"video_conferencing": "A video-conferencing service",
		"individual_mobile":  "An individual on mobile data",
	}
	labels["eligibility_connection"] = map[string]string{
		"static_ip":   "A static (fixed) IP address",
		"dynamic_ip":  "A dynamic IP address, which changes",
		"mobile_data": "Mobile data (3G, 4G)",
	}
	labels["eligibility_licensed_provider"] = map[string]string{
		"yes": "Yes, I use a licensed VPN service provider",
		"no":  "No, I run my own VPN or use another service",
	}
	for k, l := range map[string]string{"who": "Who are you?", "connection": "How do you connect to the internet?", "licensed_provider": "Do you use a licensed VPN service provider?"} {
		fieldLabels[k] = l
	}
}

// eligibilityQuestion is one question of the form with its answers.
type eligibilityQuestion struct {
	Name, Legend, Hint string
	Values             []string
}

var eligibilityQuestions = []eligibilityQuestion{{
	Name: "who", Values: registry.EligibilityWho,
	Legend: "Who are you?",
}, {
	Name: "connection", Values: registry.EligibilityConnection,
	Legend: "How do you connect to the internet?",
	Hint:   "Your internet service provider can tell you; a static address is on your bill or contract.",
}, {
	Name: "licensed_provider", Values: registry.EligibilityLicensed,
	Legend: "Do you use a licensed VPN service provider?",
	Hint:   "A company licensed to sell VPN service in Pakistan, on the register of licensed providers.",
}}

func (s *Server) eligibilityView(r *http.Request, f url.Values, err error, a *registry.EligibilityAnswer) (*view, error) {
	set, serr := s.svc.PublicSettings(r.Context())
	if serr != nil {
		return nil, serr
	}
	v := &view{Title: "Do I need to register?", Form: f, D: map[string]any{
		"Questions": eligibilityQuestions, "Answer": a, "Providers": api.ProvidersPath,
		"OutcomeText": registry.EligibilityOutcomeText, "AdviceText": registry.EligibilityAdviceText, "FeeText": registry.EligibilityFeeText,
		"DocumentMaxBytes": set.DocumentMaxBytes,
	}}
	if err != nil {
		v.Err = toFormError(s, r, err)
		// The summary names the questions in the form's order, not by
		// name (which put "connection" before "who").
		for _, q := range eligibilityQuestions {
			v.Err.Order = append(v.Err.Order, q.Name)
		}
	}
	return v, nil
}

// renderEligibility renders the page with what was chosen, the error or
// the answer.
func (s *Server) renderEligibility(w http.ResponseWriter, r *http.Request, status int, f url.Values, err error, a *registry.EligibilityAnswer) {
	v, verr := s.eligibilityView(r, f, err, a)
	if verr != nil {
		s.fail(w, r, verr)
		return
	}
	s.render(w, r, status, "eligibility", v)
}

func (s *Server) eligibilityPage(w http.ResponseWriter, r *http.Request) {
	s.renderEligibility(w, r, http.StatusOK, nil, nil, nil)
}

func (s *Server) eligibilityPost(w http.ResponseWriter, r *http.Request) {
	f, err := form(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := registry.EligibilityQuestions{Who: f.Get("who"), Connection: f.Get("connection"), LicensedProvider: f.Get("licensed_provider")}
	a, err := s.svc.Eligibility(r.Context(), q)
	if err != nil {
		s.renderEligibility(w, r, statusOf(err), f, err, nil)
		return
	}
	s.renderEligibility(w, r, http.StatusOK, f, nil, a)
}
