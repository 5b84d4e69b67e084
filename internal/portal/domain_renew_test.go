package portal

import (
	"strings"
	"testing"
)

// The notes the renewal, amendment and approval code writes on a timeline
// read in Urdu, values isolated, with the decider's note (on a line of its
// own) shown as written.
func TestChangeNotesInUrdu(t *testing.T) {
	const fsi, pdi = "\u2068", "\u2069"
	iso := func(s string) string { return fsi + s + pdi }
	for _, tt := range []struct{ en, want string }{
		{"renewal of registration VPN-2026-000002", "رجسٹریشن " + iso("VPN-2026-000002") + " کی تجدید"},
		{"amendment of registration VPN-2026-000001", "رجسٹریشن " + iso("VPN-2026-000001") + " میں ترمیم"},
		{"registration VPN-2026-000002 renewed: valid until 2029-01-02 (was 2027-11-29)",
			"رجسٹریشن " + iso("VPN-2026-000002") + " کی تجدید ہو گئی: کارآمد تا " + iso("2029-01-02") + " (پہلے " + iso("2027-11-29") + ")"},
		{"registration VPN-2026-000002 renewed: valid until 2029-01-02 (was 2027-11-29)\nFee checked.",
			"رجسٹریشن " + iso("VPN-2026-000002") + " کی تجدید ہو گئی: کارآمد تا " + iso("2029-01-02") + " (پہلے " + iso("2027-11-29") + ")؛ Fee checked."},
		{"registration VPN-2026-000003 valid until 2027-11-29", "رجسٹریشن " + iso("VPN-2026-000003") + "، کارآمد تا " + iso("2027-11-29")},
		{"approved on appeal: registration VPN-2026-000003 valid until 2027-11-29",
			"اپیل پر منظور: رجسٹریشن " + iso("VPN-2026-000003") + "، کارآمد تا " + iso("2027-11-29")},
		{"approved on appeal: registration VPN-2026-000001 amended: added 14.1.107.0/24; valid until 2027-11-29",
			"اپیل پر منظور: رجسٹریشن " + iso("VPN-2026-000001") + " میں ترمیم ہو گئی: شامل کیے گئے " + iso("14.1.107.0/24") + "؛ کارآمد تا " + iso("2027-11-29")},
		{"closed: registration VPN-2026-000001 was surrendered, so it can no longer be changed",
			"بند: رجسٹریشن " + iso("VPN-2026-000001") + " سے دستبرداری ہو گئی، اس لیے اس میں اب تبدیلی نہیں ہو سکتی"},
	} {
		got := translateDomain("ur", tt.en)
		if got != tt.want {
			t.Errorf("translateDomain(%q)\n got %q\nwant %q", tt.en, got, tt.want)
		}
		for _, w := range []string{"renew", "amend", "valid until", "registration", "approved", "closed"} {
			if strings.Contains(got, w) {
				t.Errorf("Urdu of %q still has %q: %q", tt.en, w, got)
			}
		}
	}
}
