package notify

import (
	"strings"
	"testing"
)

func TestSMSParts(t *testing.T) {
	for _, tt := range []struct {
		name  string
		text  string
		parts int
		ucs2  bool
	}{
		{"empty", "", 0, false},
		{"short", "Your application VPN-2026-000123 was approved.", 1, false},
		{"160 GSM", strings.Repeat("a", 160), 1, false},
		{"161 GSM", strings.Repeat("a", 161), 2, false},
		{"306 GSM", strings.Repeat("a", 306), 2, false},
		{"307 GSM", strings.Repeat("a", 307), 3, false},
		{"GSM accents", "Café Ñoño @ £5 è à ü", 1, false},
		{"80 euro signs count 2 each", strings.Repeat("€", 80), 1, false},
		{"81 euro signs", strings.Repeat("€", 81), 2, false},
		// 152 a's then an escape pair: the pair may not split, so part one
		// holds 152 septets and the pair starts part two; 306 septets
		// would otherwise fit in two parts.
		{"escape pair fits", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 151), 2, false},
		{"escape pair not split", strings.Repeat("a", 152) + "{" + strings.Repeat("a", 152), 3, false},
		{"70 Urdu", strings.Repeat("ب", 70), 1, true},
		{"71 Urdu", strings.Repeat("ب", 71), 2, true},
		{"134 Urdu", strings.Repeat("ب", 134), 2, true},
		{"135 Urdu", strings.Repeat("ب", 135), 3, true},
		{"one Urdu letter makes it all UCS-2", strings.Repeat("a", 69) + "ب", 1, true},
		{"71 mixed", strings.Repeat("a", 70) + "ب", 2, true},
		{"curly quote is not GSM", "It’s done", 1, true},
		// An emoji is two UTF-16 units and may not split.
		{"35 emoji", strings.Repeat("😀", 35), 1, true},
		{"36 emoji", strings.Repeat("😀", 36), 2, true},
		// 134 units would fit in two parts, but the pair may not split.
		{"surrogate pair not split", strings.Repeat("a", 66) + "😀" + strings.Repeat("a", 66), 3, true},
		{"Urdu sample", "آپ کی درخواست VPN-2026-000123 منظور ہو گئی ہے۔ سرٹیفکیٹ پورٹل پر دستیاب ہے۔", 2, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parts, ucs2 := SMSParts(tt.text)
			if parts != tt.parts || ucs2 != tt.ucs2 {
				t.Errorf("SMSParts(%q) = %d, %v; want %d, %v", tt.text, parts, ucs2, tt.parts, tt.ucs2)
			}
		})
	}
}
