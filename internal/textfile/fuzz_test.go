package textfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLines: no panic; each item is UTF-8, trimmed, non-empty, on one
// line, without a comment or a byte-order mark, at increasing line
// numbers; a refusal is a *LineError naming a line from 1 (or says why).
func FuzzLines(f *testing.F) {
	for _, s := range []string{"14.1.104.0/24\n# comment\n\n2001:dd8::/32 # tail\n", "\xef\xbb\xbfa\r\nb\rc", "\xff\xfea\x00", "a\x00b", "\xff", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := Lines(bytes.NewReader(b))
		if err != nil {
			var le *LineError
			if errors.As(err, &le) && le.Line < 1 {
				t.Fatalf("Lines(%q): error at line %d", b, le.Line)
			}
			return
		}
		last := 0
		for _, l := range lines {
			if l.N <= last || l.Text == "" || !utf8.ValidString(l.Text) || strings.ContainsAny(l.Text, "\r\n#") ||
				strings.TrimSpace(l.Text) != l.Text || l.N == 1 && strings.HasPrefix(l.Text, "\ufeff") {
				t.Fatalf("Lines(%q) gave %+v after line %d", b, l, last)
			}
			last = l.N
		}
	})
}

// FuzzCSV: no panic; fields are UTF-8 without NUL, records at
// non-decreasing line numbers from 1, the header only when asked for;
// a refusal is a *LineError at a line from 1, or a read error.
func FuzzCSV(f *testing.F) {
	for _, s := range []string{"application_id,result\nabc,confirmed\n", "\"a\nb\",c\r\n", "a,\"b\n", "\xef\xbb\xbfx,y", "a,b\"c", "a,\"b\"c,d\n", "x,\"a\nb\" c\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		header, recs, err := CSV(bytes.NewReader(b), func(fields []string) bool { return len(fields) > 0 && fields[0] == "application_id" })
		if err != nil {
			var le *LineError
			if errors.As(err, &le) && le.Line < 1 {
				t.Fatalf("CSV(%q): error at line %d", b, le.Line)
			}
			// Every broken quote of a file whose lines are all kept is
			// found again where encoding/csv stopped (quoteFault).
			if le != nil && len(b) < tailKeep && strings.Contains(err.Error(), "quote") && le.Column < 1 {
				t.Fatalf("CSV(%q): %v; want the quote's column", b, err)
			}
			return
		}
		if header != nil && header[0] != "application_id" {
			t.Fatalf("CSV(%q): header %q not asked for", b, header)
		}
		last := 1
		for _, r := range recs {
			if r.Line < last {
				t.Fatalf("CSV(%q): record at line %d after line %d", b, r.Line, last)
			}
			last = r.Line
			for _, fl := range r.Fields {
				if !utf8.ValidString(fl) || strings.ContainsRune(fl, 0) {
					t.Fatalf("CSV(%q): field %q", b, fl)
				}
			}
		}
	})
}
