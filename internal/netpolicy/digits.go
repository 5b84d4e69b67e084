package netpolicy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// FoldDigits is how every number a person types (a mobile number, a CNIC
// or NTN, a setting, a count of days) is read: decimal digits of any script
// (Unicode category Nd: Urdu ۰–۹, Arabic-Indic ٠–٩, Devanagari ०–९,
// fullwidth ０–９, …) become ASCII 0–9 by their digit value, and Unicode
// format characters (category Cf: the bidirectional marks and isolates
// that copying from Urdu text brings along, zero-width spaces and joiners,
// the soft hyphen U+00AD, a BOM) are dropped. Everything else is left as
// it is, for the caller's own rules.
//
// A number whose digits come from two scripts (0300۱۲۳۴۵۶۷) is refused: no
// keyboard or system writes one, and look-alike digits are how a number
// is disguised.
func FoldDigits(s string) (string, error) {
	var b strings.Builder
	var script rune = -1 // the first digit of the script seen, e.g. '0' or '۰'
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cf, r):
			continue
		case unicode.IsDigit(r):
			start := digitZero(r)
			if script >= 0 && start != script {
				return "", fmt.Errorf("it mixes digits of two scripts (such as 0–9 and ۰–۹); write all its digits in one")
			}
			script = start
			b.WriteByte('0' + byte(r-start))
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}

// digitZero is the zero of r's run of ten decimal digits. Unicode encodes
// every script's decimal digits as contiguous runs of ten in ascending
// order from zero; adjacent runs (the mathematical digits U+1D7CE–U+1D7FF)
// each start a multiple of ten after the first.
func digitZero(r rune) rune {
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return r - (r-start)%10
}

// DigitGroups reads an identity number (a CNIC, an NTN) as people write
// it: its digits through FoldDigits, separated by any dash (Unicode
// category Pd and the minus sign U+2212, as mobile numbers take them),
// any space (and the format characters FoldDigits drops) or a dot (".",
// the fullwidth "．" and the Urdu full stop "۔"); a run of separators is
// one break. It returns the ASCII digits and, for each break between
// digits, how many digits precede it (so "12345-1234567-1" gives
// "1234512345671" and [5 12]); breaks before the first digit or after the
// last are dropped. Any other character is an error that names it.
func DigitGroups(s string) (digits string, breaks []int, err error) {
	s, err = FoldDigits(s)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	pending := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if pending && b.Len() > 0 {
				breaks = append(breaks, b.Len())
			}
			pending = false
			b.WriteRune(r)
		case isIDSeparator(r):
			pending = true
		default:
			return "", nil, fmt.Errorf("it contains %q, which is not a digit, a dash, a space or a dot", r)
		}
	}
	return b.String(), breaks, nil
}

// isIDSeparator reports the separators DigitGroups takes between digits.
func isIDSeparator(r rune) bool {
	return unicode.Is(unicode.Pd, r) || r == '\u2212' || unicode.IsSpace(r) || r == '.' || r == '．' || r == '۔'
}

// ParseWhole reads a whole number a person typed (an admin setting) through
// FoldDigits, so Urdu digits work and two scripts are refused with
// FoldDigits's message, and with the thousands grouping people write
// taken out: a comma, the Arabic thousands separator "٬" (U+066C), an
// apostrophe or a space of any kind (the no-break and thin spaces word
// processors put there). Groups must be whole: the last has three digits,
// the ones before it two or three (Pakistan writes 1,00,000 as well as
// 100,000), the first one to three; otherwise, or with anything else in
// it, the error is "must be a whole number".
func ParseWhole(s string) (int64, error) {
	s, err := FoldDigits(strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	notWhole := errors.New("must be a whole number")
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	groups := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '٬' || r == '\'' || r == '’' || unicode.IsSpace(r)
	})
	// A break at either end, or a group of the wrong size, is not
	// grouping; a run of separators is one break.
	if len(groups) == 0 || s[0] < '0' || s[0] > '9' || s[len(s)-1] < '0' || s[len(s)-1] > '9' {
		return 0, notWhole
	}
	if len(groups) > 1 {
		for i, g := range groups {
			switch {
			case i == 0 && (len(g) < 1 || len(g) > 3),
				i == len(groups)-1 && len(g) != 3,
				i > 0 && i < len(groups)-1 && len(g) != 2 && len(g) != 3:
				return 0, notWhole
			}
		}
	}
	n, err := strconv.ParseInt(sign+strings.Join(groups, ""), 10, 64)
	if err != nil {
		return 0, notWhole
	}
	return n, nil
}
