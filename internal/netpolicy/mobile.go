package netpolicy

import (
	"fmt"
	"strings"
)

// NormalizeMobile turns a Pakistani mobile number written as 03XXXXXXXXX,
// +923XXXXXXXXX, 00923XXXXXXXXX or 923XXXXXXXXX (spaces, dashes and
// parentheses allowed) into the canonical 92XXXXXXXXXX form.
func NormalizeMobile(s string) (string, error) {
	orig := s
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return "", mobileErr(orig)
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(d, "+92"):
		d = d[3:]
	case strings.HasPrefix(d, "0092"):
		d = d[4:]
	case strings.HasPrefix(d, "92") && len(d) == 12:
		d = d[2:]
	case strings.HasPrefix(d, "0") && len(d) == 11:
		d = d[1:]
	default:
		return "", mobileErr(orig)
	}
	// Pakistani mobile numbers are 3XX followed by seven digits.
	if len(d) != 10 || d[0] != '3' || strings.Contains(d, "+") {
		return "", mobileErr(orig)
	}
	return "92" + d, nil
}

func mobileErr(s string) error {
	return fmt.Errorf("%s is not a Pakistani mobile number: write it as 03XXXXXXXXX, +923XXXXXXXXX or 00923XXXXXXXXX", quote(s))
}
