package registry

import (
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/netpolicy"
)

func TestTransitions(t *testing.T) {
	allowed := map[[2]State]bool{
		{StateDraft, StateOperatorCheck}: true, {StateDraft, StateWithdrawn}: true,
		{StateOperatorCheck, StateReview}: true, {StateOperatorCheck, StateWithdrawn}: true,
		{StateReview, StateApproved}: true, {StateReview, StateRejected}: true, {StateReview, StateReturned}: true, {StateReview, StateWithdrawn}: true,
		{StateReturned, StateOperatorCheck}: true, {StateReturned, StateReview}: true, {StateReturned, StateWithdrawn}: true,
	}
	for _, from := range States {
		for _, to := range States {
			if got := CanTransition(from, to); got != allowed[[2]State{from, to}] {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
	err := checkTransition(&Application{ID: "app_1", State: StateApproved}, StateWithdrawn, "withdraw")
	if ErrorCode(err) != ECONFLICT || ErrorMessage(err) != "cannot withdraw application app_1: it is already approved" {
		t.Errorf("checkTransition error = %v", err)
	}
	// A state is said once: "it is withdrawn", never "it is withdrawn
	// (state withdrawn)".
	for _, st := range States {
		if d := describeState(st); strings.Count(d, string(st)) > 1 {
			t.Errorf("describeState(%s) = %q says the state twice", st, d)
		}
	}
}

func TestComputeFee(t *testing.T) {
	s := DefaultSettings
	tests := []struct {
		cat             Category
		held, requested int
		due             bool
	}{
		{CategoryCompany, 100, 100, false},
		{CategoryFreelancer, 10, 10, false},
		{CategoryMobile, 10, 10, false},
		{CategoryCallCenter, 0, 4, false},
		{CategoryCallCenter, 0, 5, true},
		{CategoryCallCenter, 4, 1, true},
		{CategoryCallCenter, 3, 1, false},
		{CategoryVideoConf, 2, 3, true},
		{CategoryVideoConf, 0, 1, false},
	}
	for _, tt := range tests {
		f := ComputeFee(s, tt.cat, tt.held, tt.requested)
		if f.Due != tt.due || (f.Due && f.AmountPKR != s.FeeAmountPKR) || (!f.Due && f.AmountPKR != 0) || f.Reason == "" {
			t.Errorf("ComputeFee(%s, %d, %d) = %+v, want due=%v", tt.cat, tt.held, tt.requested, f, tt.due)
		}
	}
	s.FeeThreshold = 10
	if ComputeFee(s, CategoryCallCenter, 0, 9).Due {
		t.Error("the threshold is a setting, not a constant")
	}
}

func TestCalendar(t *testing.T) {
	pkt := PKT.Loc
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, pkt) } // 23 Nov 2026 is a Monday
	tests := []struct {
		name  string
		start time.Time
		hours float64
		want  time.Time
	}{
		{"within a day", at(23, 9, 0), 8, at(23, 17, 0)},
		{"spills over", at(23, 13, 0), 8, at(24, 13, 0)},
		{"before opening", at(23, 6, 0), 2, at(23, 11, 0)},
		{"after closing", at(23, 20, 0), 1, at(24, 10, 0)},
		{"friday afternoon to monday", at(27, 15, 0), 8, at(30, 15, 0)},
		{"saturday", at(28, 11, 0), 8, at(30, 17, 0)},
		{"zero", at(23, 10, 30), 0, at(23, 10, 30)},
		{"a week", at(23, 9, 0), 40, at(27, 17, 0)},
	}
	for _, tt := range tests {
		got := PKT.Add(tt.start, time.Duration(tt.hours*float64(time.Hour)))
		if !got.Equal(tt.want) {
			t.Errorf("%s: Add(%s, %vh) = %s, want %s", tt.name, tt.start, tt.hours, got.In(pkt), tt.want)
		}
	}
}

// The clock skips holidays as it skips weekends: Thursday 24 and Friday
// 25 December 2026 off (Quaid-e-Azam Day on the Friday is in the default
// list; the Thursday is added), so Wednesday afternoon runs into Monday.
func TestCalendarHolidays(t *testing.T) {
	pkt := PKT.Loc
	at := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, pkt) }
	c := PKT.WithHolidays(append(DefaultSettings.Holidays[:len(DefaultSettings.Holidays):len(DefaultSettings.Holidays)], Holiday{Date: "2026-12-24", Name: "x"}))
	if got, want := c.Add(at(12, 23, 15), 8*time.Hour), at(12, 28, 15); !got.Equal(want) {
		t.Errorf("across the holidays and the weekend: %s, want %s", got.In(pkt), want)
	}
	if got, want := PKT.Add(at(12, 23, 15), 8*time.Hour), at(12, 24, 15); !got.Equal(want) {
		t.Errorf("without holidays: %s, want %s", got.In(pkt), want)
	}
	// Starting on a holiday waits for the next working morning.
	if got, want := c.Add(at(3, 23, 10), time.Hour), at(3, 24, 10); !got.Equal(want) {
		t.Errorf("from Pakistan Day: %s, want %s", got.In(pkt), want)
	}
	if c.Working(at(12, 25, 10)) || !c.Working(at(12, 28, 10)) || c.Working(at(12, 27, 10)) {
		t.Error("Working: a holiday, a Monday, a Sunday")
	}
}

func TestMaskName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Acme Software House", "Ac** So****** Ho***"},
		{"Ali", "A**"},
		{"Nayatel (Pvt) Ltd.", "Na***** (P**) Lt*."},
		{"محمد علی", "مح** ع**"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeIDs(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"35202-1234567-1", "35202-1234567-1"},
		{"3520212345671", "35202-1234567-1"},
		{" 35202-12345671 ", "35202-1234567-1"},
		{"35202-123456-1", ""},
		{"abcde-1234567-1", ""},
		// Urdu and Arabic-Indic digits, format characters from Urdu text,
		// as for mobile numbers (netpolicy.FoldDigits); two scripts refused.
		{"۳۵۲۰۲-۱۲۳۴۵۶۷-۱", "35202-1234567-1"},
		{"٣٥٢٠٢١٢٣٤٥٦٧١", "35202-1234567-1"},
		{"\u200f35202-1234567-1\u200e", "35202-1234567-1"},
		{"35202-123۴۵۶۷-1", ""},
		// Any dash, space or dot between the groups, as for mobile numbers.
		{"35202‐1234567‐1", "35202-1234567-1"}, // U+2010 hyphen
		{"35202–1234567–1", "35202-1234567-1"}, // en dash, as word processors turn "-"
		{"35202—1234567—1", "35202-1234567-1"}, // em dash
		{"35202−1234567−1", "35202-1234567-1"}, // minus sign
		{"35202 1234567 1", "35202-1234567-1"}, // spaces
		{"35202 1234567 1", "35202-1234567-1"}, // no-break spaces
		{"35202.1234567.1", "35202-1234567-1"},
		{"35202 - 1234567 - 1", "35202-1234567-1"},
		{"۳۵۲۰۲–۱۲۳۴۵۶۷–۱", "35202-1234567-1"},
		{"3520-21234567-1", ""},  // a separator in the wrong place
		{"35202_1234567_1", ""},  // not a separator
		{"35202-1234567-12", ""}, // 14 digits
	} {
		got, err := NormalizeCNIC(tt.in)
		if (tt.want == "") != (err != nil) || got != tt.want {
			t.Errorf("NormalizeCNIC(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"1234567-8", "1234567-8"},
		{"12345678", "1234567-8"},
		{"1234567", "1234567"},
		{"3520212345671", "35202-1234567-1"},
		{"123", ""},
		{"۱۲۳۴۵۶۷-۸", "1234567-8"},
		{"1234567-۸", ""},
		{"1234567–8", "1234567-8"},
		{"1234567 8", "1234567-8"},
		{"1234567.8", "1234567-8"},
		{"1234567−8", "1234567-8"},
		{"۱۲۳۴۵۶۷–۸", "1234567-8"},
		{"35202–1234567–1", "35202-1234567-1"},
		{"123456-78", ""},
		{"1234567/8", ""},
	} {
		got, err := NormalizeNTN(tt.in)
		if (tt.want == "") != (err != nil) || got != tt.want {
			t.Errorf("NormalizeNTN(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	// The message says what is wrong.
	for _, tt := range []struct {
		fn       func(string) (string, error)
		in, want string
	}{
		{NormalizeCNIC, "35202_1234567_1", `it contains '_', which is not a digit, a dash, a space or a dot; write the CNIC as 12345-1234567-1`},
		{NormalizeCNIC, "35202-123456-1", "has 12 digits; a CNIC has 13"},
		{NormalizeCNIC, "3520-21234567-1", "must be a 13-digit CNIC, written 12345-1234567-1"},
		{NormalizeCNIC, "35202-123۴۵۶۷-1", "mixes digits of two scripts"},
		{NormalizeNTN, "1234567/8", `it contains '/', which is not a digit, a dash, a space or a dot; write the NTN as 1234567-8`},
		{NormalizeNTN, "123456-78", "must be an NTN written 1234567-8"},
	} {
		if _, err := tt.fn(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v; want %q", tt.in, err, tt.want)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	if err := DefaultSettings.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	s := DefaultSettings
	s.MinPrefixV4, s.FeeAmountPKR = 4, -1
	err := s.Validate()
	e, ok := err.(*Error)
	if !ok || e.Code != EINVALID || e.Fields["min_prefix_v4"] == "" || e.Fields["fee_amount_pkr"] == "" {
		t.Fatalf("Validate = %v", err)
	}
	// A holiday's name is held to what every single-line text is.
	for _, tt := range []struct{ name, want string }{
		{"Pakistan Day", ""},
		{"یوم پاکستان", ""},
		{"Eid\u202e yad", "invisible character (U+202E)"},
		{"Eid \u2066ul\u2069 Fitr", "invisible character (U+2066)"},
		{"Eid\x00", "control characters"},
		{"Eid\tul Fitr", "tab character"},
		{"Eid\xff", "not valid UTF-8"},
		{"Eid\ufdd0", "noncharacter"},
		{"Eid\nul Fitr", "the holiday needs a name"},
		{"  ", "the holiday needs a name"},
	} {
		s := DefaultSettings
		s.Holidays = []Holiday{{Date: "2026-12-25", Name: tt.name}}
		err := s.Validate()
		var got string
		if e, ok := err.(*Error); ok {
			got = e.Fields["holidays[0]"]
		} else if err != nil {
			t.Fatalf("%q: %v", tt.name, err)
		}
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("holiday name %q: %q, want it to say %q", tt.name, got, tt.want)
		}
	}
}

func TestErrorHelpers(t *testing.T) {
	if ErrorCode(nil) != "" || ErrorCode(Errorf(ENOTFOUND, "x")) != ENOTFOUND {
		t.Error("ErrorCode")
	}
	if msg := ErrorMessage(Errorf(EINTERNAL, "secret detail")); strings.Contains(msg, "secret") {
		t.Errorf("internal details leak: %q", msg)
	}
	fe := FieldErrors{}
	fe.Add("a", "first")
	fe.Add("a", "second")
	if e := fe.Err().(*Error); e.Fields["a"] != "first" || e.Code != EINVALID {
		t.Errorf("FieldErrors = %+v", e)
	}
}

// Counts in messages take the form for the number: a CNIC or a mobile
// number of one digit said "has 1 digits".
func TestDigitCountsInTheirForm(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		mobile   bool
	}{
		{"5", "has 1 digit;", false},
		{"35", "has 2 digits;", false},
		{"03", "it has 1 digit after the prefix", true},
		{"031", "it has 2 digits after the prefix", true},
	} {
		var err error
		if tt.mobile {
			_, err = netpolicy.NormalizeMobile(tt.in)
		} else {
			_, err = NormalizeCNIC(tt.in)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "1 digits") {
			t.Errorf("%q: %v; want it to say %q", tt.in, err, tt.want)
		}
	}
}
