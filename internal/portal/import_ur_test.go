package portal

import (
	"strings"
	"testing"
)

// Import problems, as the registry writes them, read in Urdu with their
// values kept (the admin upload page shows them).
func TestImportMessagesInUrdu(t *testing.T) {
	tests := []struct{ en, want string }{
		{"203.99.48.0/29 overlaps 203.99.48.0/24 of registration VPN-2026-000001, already in ipreg; leave it out, or end that registration first",
			"\u2068203.99.48.0/29\u2069 رجسٹریشن \u2068VPN-2026-000001\u2069 کے \u2068203.99.48.0/24\u2069 سے متصادم ہے، جو پہلے سے ipreg میں ہے؛ اسے نکال دیں، یا پہلے وہ رجسٹریشن ختم کریں"},
		{`the file uses ";" as its separator, not a comma; save it as comma-separated (CSV UTF-8) and import it again`,
			"فائل میں کوما کی بجائے \u2068\";\"\u2069 سے خانے الگ کیے گئے ہیں؛ اسے کوما سے الگ کردہ فائل (\u2066CSV UTF-8\u2069) کے طور پر محفوظ کر کے دوبارہ درآمد کریں"},
		{"the column operator is missing from the header row; add it (the columns are holder_kind, item)",
			"پہلی قطار میں کالم \u2068operator\u2069 موجود نہیں؛ اسے شامل کریں (کالم یہ ہیں: \u2068holder_kind, item\u2069)"},
		{"imported from the allowlist kept before ipreg; registration VPN-2026-000001 valid until 2027-06-30",
			"ipreg سے پہلے کی وائٹ لسٹ سے درآمد شدہ؛ رجسٹریشن \u2068VPN-2026-000001\u2069، کارآمد تا \u20682027-06-30\u2069"},
	}
	for _, tt := range tests {
		got := translateDomain("ur", tt.en)
		if got != tt.want {
			t.Errorf("translateDomain(%q)\n got %q\nwant %q", tt.en, got, tt.want)
		}
		if strings.Contains(got, "overlaps") || strings.Contains(got, "separator") {
			t.Errorf("English left in %q", got)
		}
	}
}

// The import page's messages that stayed English or half-English (tester
// t3, minor 8): an invisible character in holder_name, and the category
// list joined with an English "or" inside the Urdu sentence.
func TestImportMessagesInUrduWhole(t *testing.T) {
	tests := []struct{ en, want string }{
		{"contains an invisible character (U+200F) that changes how text is shown; type it as plain text",
			"اس میں ایک نظر نہ آنے والا حرف (\u2068U+200F\u2069) ہے جو متن کے دکھنے کا انداز بدل دیتا ہے؛ اسے سادہ متن کے طور پر لکھیں"},
		{"company_vpn is for company holders, not individual ones: choose freelancer_vpn or mobile_vpn",
			"\u2068company_vpn\u2069 زمرہ \u2068company\u2069 حاملین کے لیے ہے، \u2068individual\u2069 کے لیے نہیں: \u2068freelancer_vpn\u2069" + listWord("ur", " or ") + "\u2068mobile_vpn\u2069 میں سے چنیں"},
	}
	for _, tt := range tests {
		if got := translateNamed("ur", tt.en, nil); got != tt.want {
			t.Errorf("translateNamed(%q)\n got %q\nwant %q", tt.en, got, tt.want)
		}
	}
}
