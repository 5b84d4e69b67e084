package netpolicy

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeMobile turns a Pakistani mobile number (MSISDN) written in any of
// the ways people and systems write one into its canonical form: "92"
// followed by the ten-digit national significant number, e.g. 923001234567.
//
// Accepted, in any combination:
//   - national: 03001234567, or without the trunk 0: 3001234567;
//   - international: +923001234567, 00923001234567, 923001234567, with the
//     trunk digit written in as well: +92 (0)300 1234567;
//   - an RFC 3966 tel URI of a global number: tel:+92-300-1234567;
//   - spaces (any Unicode space), dots, dashes (any Unicode dash), slashes
//     and brackets between the digits, the "+" inside brackets as some
//     write it ((+92) 300 1234567), and Unicode format characters
//     (category Cf: bidirectional marks, which arrive with numbers copied
//     out of Urdu text, ZWNJ, the soft hyphen), through FoldDigits;
//   - decimal digits of any one script (Unicode category Nd: Arabic-Indic
//     ٠٣٠٠…, Extended Arabic-Indic (Urdu) ۰۳۰۰…, Devanagari ०३००…,
//     fullwidth ０３００…), read by their digit value (FoldDigits).
//
// Refused, with an error that names the accepted forms: anything else
// (letters, extensions, tel URI parameters, another country code, a wrong
// length, digits of two scripts, a line break inside the number) and every
// number that is not in a Pakistani mobile range, such as the Lahore
// landline 042-35761234.
//
// The ranges are libphonenumber's mobile pattern for PK (metadata of
// github.com/nyaruka/phonenumbers v1.8.1, itself from Google's
// PhoneNumberMetadata.xml). We copy that one pattern instead of linking the
// library because the agent links this package: the library adds 2.7 MB to
// the agent binary (15.4 → 18.2 MB) and decompresses every country's
// metadata (about 2.5 MB of heap) at start-up, to answer for one country.
// It also accepts what we must refuse ("ext 5", vanity letters). The tests
// check every 3XX prefix against the library, so a change in its metadata
// shows up as a failing test when the module is upgraded.
func NormalizeMobile(s string) (string, error) {
	n, err := nationalMobile(s)
	if err != nil {
		return "", fmt.Errorf("%s is not a Pakistani mobile number: %s; write it as 03XXXXXXXXX, +923XXXXXXXXX or 00923XXXXXXXXX (spaces, dashes and a \"(0)\" allowed)", quote(s), err.Error())
	}
	return "92" + n, nil
}

// maxMobileInput bounds the input read: the longest sensible spelling
// ("tel:+92 (0) 300 - 123 - 4567" with bidi marks) is far shorter.
const maxMobileInput = 100

// nationalMobile returns the ten-digit national significant number of s,
// or why s is not one. The reasons are fmt.Errorf formats, not errors.New,
// so that the portal's catalog test finds them and holds their Urdu.
func nationalMobile(s string) (string, error) {
	if len(s) > maxMobileInput {
		return "", fmt.Errorf("it is too long")
	}
	s = strings.TrimFunc(s, isMobileSpace)
	// RFC 3966: a tel URI of a global number is "tel:" + "+" + digits with
	// visual separators. Its scheme is case-insensitive.
	tel := false
	if len(s) >= 4 && strings.EqualFold(s[:4], "tel:") {
		s, tel = s[4:], true
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("it is not valid UTF-8 text")
	}
	s, err := FoldDigits(s)
	if err != nil {
		return "", err
	}
	var digits []byte
	plus := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case (r == '+' || r == '＋') && len(digits) == 0 && !plus:
			// First, or after an opening bracket: "(+92) 300 1234567".
			plus = true
		case isLineBreak(r):
			return "", fmt.Errorf("it is split over two lines; write each number on one line")
		case isMobileSpace(r) || isMobileSeparator(r):
		case unicode.IsLetter(r):
			return "", fmt.Errorf("it contains letters")
		default:
			return "", fmt.Errorf("it contains %q", r)
		}
	}
	if tel && !plus {
		// RFC 3966 §5.1.4: a local number needs a phone-context we
		// cannot interpret.
		return "", fmt.Errorf("a tel URI must hold the international form, tel:+92…")
	}
	d := string(digits)
	if d == "" {
		return "", fmt.Errorf("it has no digits")
	}
	international := false
	switch {
	case plus:
		international = true
	case strings.HasPrefix(d, "00"):
		d, international = d[2:], true
	case strings.HasPrefix(d, "0"):
		d = d[1:] // national trunk prefix
	case strings.HasPrefix(d, "92") && (len(d) == 12 || len(d) == 13):
		// International without "+" or "00", as RADIUS equipment and
		// most databases write it; a national number never starts
		// with 9, so this cannot be misread.
		international = true
	}
	if international {
		if !strings.HasPrefix(d, "92") {
			return "", fmt.Errorf("its country code is not Pakistan's (+92)")
		}
		d = d[2:]
		// "+92 (0)300…": the national trunk prefix written in.
		if len(d) == 11 && d[0] == '0' {
			d = d[1:]
		}
	}
	switch {
	case len(d) == 1:
		return "", fmt.Errorf("it has %d digit after the prefix where a mobile number has 10", len(d))
	case len(d) != 10:
		return "", fmt.Errorf("it has %d digits after the prefix where a mobile number has 10", len(d))
	case !isPKMobile(d):
		return "", fmt.Errorf("it is not in a Pakistani mobile range (a landline, or an unassigned 3XX code)")
	}
	return d, nil
}

// isPKMobile reports whether the ten-digit national significant number d is
// in a Pakistani mobile range: libphonenumber's PK mobile pattern
// 3(?:[0-247]\d|3[0-79]|55|64)\d{7}.
func isPKMobile(d string) bool {
	if len(d) != 10 || d[0] != '3' {
		return false
	}
	switch a, b := d[1], d[2]; a {
	case '0', '1', '2', '4', '7':
		return true
	case '3':
		return b != '8'
	case '5':
		return b == '5'
	case '6':
		return b == '4'
	}
	return false
}

// isMobileSpace reports spaces and the invisible format characters that
// copying a number from right-to-left text brings along (LRM, RLM, ALM,
// isolates, zero-width spaces and joiners: category Cf).
func isMobileSpace(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
}

// isLineBreak reports the characters that end a line (Unicode's mandatory
// breaks): a number never spans two.
func isLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// isMobileSeparator reports the visual separators people write between
// digits: dashes of any kind, dots, slashes and brackets, in their ASCII and
// fullwidth forms (libphonenumber's VALID_PUNCTUATION, without "x" and "~").
func isMobileSeparator(r rune) bool {
	return unicode.Is(unicode.Pd, r) || r == '\u2212' || strings.ContainsRune(".()[]/．（）［］／", r)
}
