package registry

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ipreg/ipreg/internal/netpolicy"
)

// transitions is the application state machine (README, "How an
// application goes"). A returned
// application, corrected and resubmitted, goes back to operator_check when
// what the operator confirmed changed, else straight to review.
var transitions = map[State][]State{
	StateDraft:         {StateOperatorCheck, StateWithdrawn},
	StateOperatorCheck: {StateReview, StateWithdrawn},
	StateReview:        {StateApproved, StateRejected, StateReturned, StateWithdrawn},
	StateReturned:      {StateOperatorCheck, StateReview, StateWithdrawn},
}

// CanTransition reports whether an application may move from one state to another.
func CanTransition(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// checkTransition returns the ECONFLICT error that names the current state.
func checkTransition(a *Application, to State, action string) error {
	if CanTransition(a.State, to) {
		return nil
	}
	return Errorf(ECONFLICT, "cannot %s application %s: it is %s", action, a.ID, describeState(a.State))
}

func describeState(s State) string {
	switch s {
	case StateDraft:
		return "a draft"
	case StateOperatorCheck:
		return "waiting for the operator's confirmation (state operator_check)"
	case StateReview:
		return "under review"
	case StateReturned:
		return "returned for correction"
	case StateApproved:
		return "already approved"
	case StateRejected:
		return "already rejected"
	case StateWithdrawn:
		return "withdrawn"
	}
	return "in state " + string(s)
}

// ReasonCodes is the fixed list of rejection reasons, documented in the
// README and the OpenAPI document.
var ReasonCodes = map[string]string{
	"address_not_held":     "the operator did not confirm that the applicant holds the addresses or numbers",
	"ineligible_applicant": "the applicant is not eligible for the category",
	"invalid_identity":     "the identity or registration details could not be verified",
	"insufficient_purpose": "the stated purpose does not justify a registration",
	"duplicate":            "the same addresses or numbers are already registered or applied for",
	"fee_unpaid":           "the fee due was not paid",
	"false_information":    "the application contains false information",
	"policy_violation":     "the request is outside the registration policy",
	"other":                "another reason, explained in the note",
}

// Settings are the regulator's adjustable parameters. Stored in the
// database so that every replica uses the same values.
type Settings struct {
	SLAWorkingHours     int   `json:"sla_working_hours"`      // review SLA from submission
	OperatorCheckHours  int   `json:"operator_check_hours"`   // deadline for operator checks
	FeeThreshold        int   `json:"fee_threshold"`          // allowlisted addresses from which a fee is due
	FeeAmountPKR        int64 `json:"fee_amount_pkr"`         // fee per application when due
	ValidityDays        int   `json:"validity_days"`          // default registration validity
	MaxValidityDays     int   `json:"max_validity_days"`      // a reviewer may not approve for longer
	MaxItems            int   `json:"max_items"`              // addresses or numbers per application
	ManyItems           int   `json:"many_items"`             // flag applications with this many or more
	MinPrefixV4         int   `json:"min_prefix_v4"`          // shortest IPv4 prefix accepted
	MinPrefixV6         int   `json:"min_prefix_v6"`          // shortest IPv6 prefix accepted
	CallCenterMinPrefix int   `json:"call_center_min_prefix"` // call centres may be given a stricter IPv4 policy
	SessionHours        int   `json:"session_hours"`          // a login ends this long after its last request (and by SessionCap)
	DocumentMaxBytes    int64 `json:"document_max_bytes"`     // largest document upload
	// DocumentRetentionDays is how long documents are kept after their
	// application is decided or withdrawn; then their contents are purged.
	DocumentRetentionDays int `json:"document_retention_days"`
	// AppealDays is how long after a rejection the applicant may appeal.
	AppealDays int `json:"appeal_days"`
	// AppealSLAWorkingHours is the time a supervisor has to decide an
	// appeal, in working hours from its submission.
	AppealSLAWorkingHours int `json:"appeal_sla_working_hours"`
	// Holidays are the public holidays the SLA clock skips, besides
	// weekends. Edited by admins (PUT /api/v1/settings or /admin/holidays).
	Holidays []Holiday `json:"holidays"`
	// RenewBeforeDays and RenewAfterDays bound the renewal window: from
	// that many days before a registration's expiry until that many after.
	RenewBeforeDays int `json:"renew_before_days"`
	RenewAfterDays  int `json:"renew_after_days"`
	// OutboxGiveUpHours is how long the outbox keeps retrying a message
	// that fails to go out before it gives up and shows it to admins.
	OutboxGiveUpHours int `json:"outbox_give_up_hours"`
	// OutboxKeepDays is how long a sent message's record is kept; then
	// PurgeOutbox deletes it.
	OutboxKeepDays int `json:"outbox_keep_days"`
	// EligibilityRules answer the public questionnaire "Do I need to
	// register?" (eligibility.go): tried in order, the first match answers.
	// Edited by admins (PUT /api/v1/admin/settings or /admin/settings).
	EligibilityRules []EligibilityRule `json:"eligibility_rules"`
}

// Holiday is one public holiday: a date in Pakistan (YYYY-MM-DD) and
// what it is.
type Holiday struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

// PakistanHolidays2026 are the federal public holidays of 2026 as the
// Cabinet Division's notification for the year lists them (circulated
// December 2025; reported e.g. by Daily Pakistan on 19 January 2026). The
// lunar ones (Eid-ul-Fitr, Eid-ul-Azha, Ashura, Eid Milad-un-Nabi) are
// the dates expected there, subject to the moon: an admin corrects them
// when the government announces the final dates. The day after Christmas,
// a holiday for Christian employees only, is left out.
var PakistanHolidays2026 = []Holiday{
	{"2026-02-05", "Kashmir Day"},
	{"2026-03-21", "Eid-ul-Fitr"},
	{"2026-03-22", "Eid-ul-Fitr"},
	{"2026-03-23", "Pakistan Day; Eid-ul-Fitr"},
	{"2026-05-01", "Labour Day"},
	{"2026-05-27", "Eid-ul-Azha"},
	{"2026-05-28", "Eid-ul-Azha; Youm-e-Takbeer"},
	{"2026-05-29", "Eid-ul-Azha"},
	{"2026-06-24", "Ashura (9 Muharram)"},
	{"2026-06-25", "Ashura (10 Muharram)"},
	{"2026-08-14", "Independence Day"},
	{"2026-08-25", "Eid Milad-un-Nabi"},
	{"2026-11-09", "Allama Iqbal Day"},
	{"2026-12-25", "Quaid-e-Azam Day; Christmas"},
}

// MaxHolidays bounds the holiday list.
const MaxHolidays = 200

// DefaultSettings are the values a new registry starts with. The fee amount
// is a placeholder for the regulator to set: no figure is published.
var DefaultSettings = Settings{
	SLAWorkingHours:     8,
	OperatorCheckHours:  48,
	FeeThreshold:        5,
	FeeAmountPKR:        10000,
	ValidityDays:        365,
	MaxValidityDays:     730,
	MaxItems:            64,
	ManyItems:           16,
	MinPrefixV4:         24,
	MinPrefixV6:         48,
	CallCenterMinPrefix: 24,
	SessionHours:        12,
	DocumentMaxBytes:    5 << 20,
	// A year after the decision: long enough for an appeal or an audit of
	// the decision; the regulator sets its own period.
	DocumentRetentionDays: 365,
	AppealDays:            30,
	// Five working days.
	AppealSLAWorkingHours: 40,
	Holidays:              PakistanHolidays2026,
	RenewBeforeDays:       60,
	RenewAfterDays:        30,
	// Three days ride out a mail server's or SMS gateway's weekend outage.
	OutboxGiveUpHours: 72,
	// Long enough to answer "did you send me …?"; the timeline keeps the
	// events themselves.
	OutboxKeepDays:   90,
	EligibilityRules: DefaultEligibilityRules,
}

// Validate checks that settings are usable.
func (s Settings) Validate() error {
	fe := FieldErrors{}
	pos := func(name string, v, min, max int) {
		if v < min || v > max {
			fe.Add(name, "must be between %d and %d", min, max)
		}
	}
	pos("sla_working_hours", s.SLAWorkingHours, 1, 400)
	pos("operator_check_hours", s.OperatorCheckHours, 1, 720)
	pos("fee_threshold", s.FeeThreshold, 1, 100000)
	if s.FeeAmountPKR < 0 || s.FeeAmountPKR > 100_000_000 {
		fe.Add("fee_amount_pkr", "must be between 0 and 100000000")
	}
	pos("validity_days", s.ValidityDays, 1, 3650)
	pos("max_validity_days", s.MaxValidityDays, s.ValidityDays, 3650)
	pos("max_items", s.MaxItems, 1, 10000)
	pos("many_items", s.ManyItems, 1, 10000)
	pos("min_prefix_v4", s.MinPrefixV4, 8, 32)
	pos("min_prefix_v6", s.MinPrefixV6, 16, 128)
	pos("call_center_min_prefix", s.CallCenterMinPrefix, 8, 32)
	pos("session_hours", s.SessionHours, 1, 720)
	if s.DocumentMaxBytes < 64<<10 || s.DocumentMaxBytes > 50<<20 {
		fe.Add("document_max_bytes", "must be between 65536 (64 KiB) and 52428800 (50 MiB)")
	}
	pos("document_retention_days", s.DocumentRetentionDays, 1, 3650)
	pos("appeal_days", s.AppealDays, 1, 365)
	pos("appeal_sla_working_hours", s.AppealSLAWorkingHours, 1, 400)
	validateHolidays(fe, s.Holidays)
	pos("renew_before_days", s.RenewBeforeDays, 1, 365)
	pos("renew_after_days", s.RenewAfterDays, 0, 365)
	pos("outbox_give_up_hours", s.OutboxGiveUpHours, 1, 720)
	pos("outbox_keep_days", s.OutboxKeepDays, 1, 3650)
	validateEligibilityRules(fe, s.EligibilityRules)
	return fe.Err()
}

// validateHolidays checks each holiday's date and name, and that no date
// is listed twice.
func validateHolidays(fe FieldErrors, hs []Holiday) {
	if len(hs) > MaxHolidays {
		fe.Add("holidays", "the list has %d dates; at most %d are allowed", len(hs), MaxHolidays)
		return
	}
	seen := map[string]bool{}
	for i, h := range hs {
		key := fmt.Sprintf("holidays[%d]", i)
		if _, err := time.Parse(time.DateOnly, h.Date); err != nil {
			fe.Add(key, "the date %q is not a date; write it as YYYY-MM-DD, e.g. 2026-03-23", h.Date)
			continue
		}
		if seen[h.Date] {
			fe.Add(key, "the date %s is listed twice; give each date once (join the names with a semicolon)", h.Date)
		}
		seen[h.Date] = true
		if strings.TrimSpace(h.Name) == "" || utf8.RuneCountInString(h.Name) > 100 || strings.ContainsAny(h.Name, "\r\n") {
			fe.Add(key, "the holiday needs a name of 1 to 100 characters on one line, e.g. Pakistan Day")
		} else {
			// What every other single-line text is held to: valid UTF-8,
			// no control characters, no bidi or other format controls
			// that reorder the words shown after it (tester).
			line(fe, key, h.Name, 100, true)
		}
	}
}

// Policy returns the prefix policy for a category.
func (s Settings) Policy(c Category) netpolicy.Policy {
	p := netpolicy.Policy{MinBitsV4: s.MinPrefixV4, MinBitsV6: s.MinPrefixV6}
	if c == CategoryCallCenter && s.CallCenterMinPrefix > p.MinBitsV4 {
		p.MinBitsV4 = s.CallCenterMinPrefix
	}
	return p
}

// ComputeFee applies the fee rule (README, "How an application goes"):
// call centres and video
// conferencing pay when the account's allowlisted addresses (active plus
// requested, this application's included) reach the threshold.
func ComputeFee(s Settings, c Category, held, requested int) Fee {
	if !c.PaysFee() {
		return Fee{Reason: fmt.Sprintf("no fee for %s", c)}
	}
	total := held + requested
	if total < s.FeeThreshold {
		return Fee{Reason: fmt.Sprintf("no fee: the account would hold %d allowlisted addresses, below the threshold of %d", total, s.FeeThreshold)}
	}
	return Fee{Due: true, AmountPKR: s.FeeAmountPKR,
		Reason: fmt.Sprintf("fee due: the account would hold %d allowlisted addresses, at or above the threshold of %d", total, s.FeeThreshold)}
}

// PaysFee reports whether applications in c pay the fee once the
// threshold is reached (README, "How an application goes").
func (c Category) PaysFee() bool { return c == CategoryCallCenter || c == CategoryVideoConf }

// GroupDigits writes a whole number with its thousands grouped, as
// amounts are written (10000 → "10,000"): the one formatter of amounts,
// so that the API's messages and the portal's pages agree.
func GroupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Calendar counts working hours: the SLA clock runs only on working days
// between Start and End, in Pakistan Standard Time (UTC+5, no daylight
// saving). Weekends and the Holidays (dates YYYY-MM-DD in Loc) are not
// working days.
type Calendar struct {
	Loc        *time.Location
	Start, End int // hours of the day
	Holidays   map[string]bool
}

// WithHolidays returns c skipping the holidays' dates too.
func (c Calendar) WithHolidays(hs []Holiday) Calendar {
	c.Holidays = make(map[string]bool, len(hs))
	for _, h := range hs {
		c.Holidays[h.Date] = true
	}
	return c
}

// Working reports whether t's day (in c.Loc) is a working day.
func (c Calendar) Working(t time.Time) bool {
	t = t.In(c.Loc)
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday && !c.Holidays[t.Format(time.DateOnly)]
}

// PKT is Pakistan's working calendar: Monday to Friday, 09:00 to 17:00.
var PKT = Calendar{Loc: time.FixedZone("PKT", 5*3600), Start: 9, End: 17}

// Add returns the moment d of working time after t.
func (c Calendar) Add(t time.Time, d time.Duration) time.Time {
	t = t.In(c.Loc)
	for {
		y, m, day := t.Date()
		open := time.Date(y, m, day, c.Start, 0, 0, 0, c.Loc)
		shut := time.Date(y, m, day, c.End, 0, 0, 0, c.Loc)
		if !c.Working(t) || !t.Before(shut) {
			t = time.Date(y, m, day+1, c.Start, 0, 0, 0, c.Loc)
			continue
		}
		if t.Before(open) {
			t = open
		}
		if left := shut.Sub(t); d <= left {
			return t.Add(d).UTC()
		} else {
			d -= left
		}
		t = time.Date(y, m, day+1, c.Start, 0, 0, 0, c.Loc)
	}
}

// MaskName keeps the first letter or two of each word of a holder's name
// and hides the rest, so the public verify page can confirm "whose" without
// disclosing it: "Acme Software House" → "Ac** So****** Ho***".
func MaskName(name string) string {
	words := strings.Fields(name)
	for i, w := range words {
		n := utf8.RuneCountInString(w)
		keep := 2
		if n <= 3 {
			keep = 1
		}
		var b strings.Builder
		j := 0
		for _, r := range w {
			if j < keep || !isLetterOrDigit(r) {
				b.WriteRune(r)
			} else {
				b.WriteRune('*')
			}
			j++
		}
		words[i] = b.String()
	}
	return strings.Join(words, " ")
}

func isLetterOrDigit(r rune) bool {
	return r != '(' && r != ')' && r != '.' && r != ',' && r != '-' && r != '&'
}

var (
	secpRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9/-]{2,29}$`)
	psebRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9/-]{2,29}$`)
	payRe   = regexp.MustCompile(`^[A-Za-z0-9-]{6,30}$`)
	subIDRe = regexp.MustCompile(`^[\p{L}\p{N} ._/:#-]{1,64}$`)
)

// NormalizeCNIC accepts a 13-digit CNIC written 12345-1234567-1 or as
// thirteen plain digits, in the digits of any one script, with any dash,
// space or dot as the separators (netpolicy.DigitGroups, as mobile
// numbers are read), and returns the dashed form in ASCII digits. The
// error says what is wrong: a character that is not a digit or separator,
// the number of digits, or separators in the wrong places.
func NormalizeCNIC(s string) (string, error) {
	d, breaks, err := netpolicy.DigitGroups(s)
	if err != nil {
		return "", fmt.Errorf("%s; write the CNIC as 12345-1234567-1 or 1234512345671", err)
	}
	if len(d) == 1 {
		return "", fmt.Errorf("has %d digit; a CNIC has 13, written 12345-1234567-1 or 1234512345671", len(d))
	}
	if len(d) != 13 {
		return "", fmt.Errorf("has %d digits; a CNIC has 13, written 12345-1234567-1 or 1234512345671", len(d))
	}
	for _, at := range breaks {
		if at != 5 && at != 12 {
			return "", fmt.Errorf("must be a 13-digit CNIC, written 12345-1234567-1 or 1234512345671")
		}
	}
	return d[:5] + "-" + d[5:12] + "-" + d[12:], nil
}

// NormalizeNTN accepts a seven-digit NTN with or without its check digit
// (1234567-8, any dash, space or dot as the separator, digits of any one
// script), or, for individuals, a 13-digit CNIC used as NTN, read as
// NormalizeCNIC reads it.
func NormalizeNTN(s string) (string, error) {
	d, breaks, err := netpolicy.DigitGroups(s)
	if err != nil {
		return "", fmt.Errorf("%s; write the NTN as 1234567-8 or a 13-digit CNIC", err)
	}
	if len(d) == 13 {
		return NormalizeCNIC(s)
	}
	ok := len(d) == 7 || len(d) == 8
	for _, at := range breaks {
		ok = ok && at == 7
	}
	switch {
	case !ok:
		return "", fmt.Errorf("must be an NTN written 1234567-8 (seven digits and a check digit) or a 13-digit CNIC")
	case len(d) == 7:
		return d, nil
	}
	return d[:7] + "-" + d[7:], nil
}

func utf8Valid(s string) bool { return utf8.ValidString(s) }
