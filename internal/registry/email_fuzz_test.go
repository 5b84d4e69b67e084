package registry_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/ipreg/ipreg/internal/registry"
)

// FuzzNormalizeEmail: no panic; an accepted address is normalised for
// good (normalising it again gives it back), at most 254 octets, one "@",
// a lower-case ASCII domain of two labels or more, and without invisible
// or direction-changing characters; a refusal is coded EINVALID.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"it@example.com.pk", " IT@Example.COM.pk ", "ali@پاکستان.pk", "a@b", "a@@b.pk",
		"\"john smith\"@example.pk", "x\u200b@example.pk", "ＡＢＣ@example.pk", "a@xn--mgbai9azgqp6j.pk", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := registry.NormalizeEmail(s)
		if err != nil {
			if registry.ErrorCode(err) != registry.EINVALID {
				t.Fatalf("NormalizeEmail(%q): %v, not EINVALID", s, err)
			}
			return
		}
		again, err := registry.NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeEmail(%q) = %q, which normalises to %q, %v", s, got, again, err)
		}
		at := strings.LastIndexByte(got, '@')
		domain := got[at+1:]
		if len(got) > 254 || strings.Count(got, "@") != 1 || strings.Count(domain, ".") < 1 ||
			strings.ContainsFunc(got, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) ||
			strings.ContainsFunc(domain, func(r rune) bool { return r > unicode.MaxASCII || unicode.IsUpper(r) }) {
			t.Fatalf("NormalizeEmail(%q) = %q breaks its promises", s, got)
		}
	})
}
