package notify

import "unicode/utf16"

// gsmBasic is the GSM 03.38 default alphabet (one septet each) and
// gsmExtension its extension table (an escape and a septet: two each).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

var gsmBasicSet, gsmExtSet = runeSet(gsmBasic), runeSet(gsmExtension)

func runeSet(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

// SMSParts says how many parts (segments) a text message takes and
// whether it must be sent as UCS-2. A text that is all GSM 7-bit
// characters takes one part up to 160 septets (the extension characters
// ^{}\[~]|€ and form feed count two), and 153 per part beyond; any other
// character (Urdu, for one) makes the whole text UCS-2: 70 UTF-16 units in
// one part, 67 per part beyond. A part never splits an escape pair or a
// surrogate pair. The empty text takes no parts.
func SMSParts(text string) (parts int, ucs2 bool) {
	if text == "" {
		return 0, false
	}
	var units []int // size of each unsplittable unit, in septets or UTF-16 units
	for _, r := range text {
		switch {
		case gsmBasicSet[r]:
			units = append(units, 1)
		case gsmExtSet[r]:
			units = append(units, 2)
		default:
			ucs2 = true
		}
	}
	single, multi := 160, 153
	if ucs2 {
		single, multi = 70, 67
		units = units[:0]
		for _, r := range text {
			units = append(units, len(utf16.AppendRune(nil, r)))
		}
	}
	total := 0
	for _, u := range units {
		total += u
	}
	if total <= single {
		return 1, ucs2
	}
	parts, used := 1, 0
	for _, u := range units {
		if used+u > multi {
			parts++
			used = 0
		}
		used += u
	}
	return parts, ucs2
}
