package api

import (
	"fmt"
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

// coded is one part of an answer: a stable code and its English text
// (clients translate by the code; the portal shows English and Urdu).
type coded struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

type eligibilityDocView struct {
	Kinds   []registry.DocumentKind `json:"kinds"`
	Text    string                  `json:"text"`
	Accepts string                  `json:"accepts,omitempty"`
}

type eligibilityFeeView struct {
	Code      string `json:"code"`
	Text      string `json:"text"`
	AmountPKR int64  `json:"amount_pkr,omitempty"`
	Threshold int    `json:"threshold,omitempty"`
}

type eligibilityView struct {
	Answers            registry.EligibilityQuestions `json:"answers"`
	Rule               string                        `json:"rule"`
	RegistrationNeeded bool                          `json:"registration_needed"`
	Outcome            coded                         `json:"outcome"`
	Category           *coded                        `json:"category,omitempty"`
	Documents          []eligibilityDocView          `json:"documents"`
	Fee                eligibilityFeeView            `json:"fee"`
	Advice             []coded                       `json:"advice"`
	ProvidersURL       string                        `json:"providers_url"`
}

// ProvidersPath is the public register of licensed VPN service providers,
// which answers refer to.
const ProvidersPath = "/providers"

func viewEligibility(a *registry.EligibilityAnswer) eligibilityView {
	v := eligibilityView{Answers: a.Questions, Rule: a.Rule, RegistrationNeeded: a.RegistrationNeeded,
		Documents: []eligibilityDocView{}, Advice: []coded{}, ProvidersURL: ProvidersPath}
	text := registry.EligibilityOutcomeText[a.Outcome]
	if a.Category != "" {
		text = fmt.Sprintf(text, a.Category.Name())
		v.Category = &coded{Code: string(a.Category), Text: a.Category.Name()}
	}
	v.Outcome = coded{Code: a.Outcome, Text: text}
	for _, d := range a.Documents {
		v.Documents = append(v.Documents, eligibilityDocView{Kinds: d.Kinds, Text: d.Describe(), Accepts: d.Accepts()})
	}
	v.Fee = eligibilityFeeView{Code: a.Fee.Code, Text: registry.EligibilityFeeText[a.Fee.Code]}
	if a.Fee.Code == registry.FeeFromThreshold {
		v.Fee.Text = fmt.Sprintf(v.Fee.Text, registry.GroupDigits(a.Fee.AmountPKR), a.Fee.Threshold)
		v.Fee.AmountPKR, v.Fee.Threshold = a.Fee.AmountPKR, a.Fee.Threshold
	}
	for _, c := range a.Advice {
		v.Advice = append(v.Advice, coded{Code: c, Text: registry.EligibilityAdviceText[c]})
	}
	return v
}

// eligibility answers "Do I need to register?" for anyone. The answers
// are neither stored nor logged (the request log has the path only).
func (s *Server) eligibility(w http.ResponseWriter, r *http.Request) {
	var q registry.EligibilityQuestions
	if err := s.decode(w, r, &q, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.svc.Eligibility(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewEligibility(a))
}
