package textfile

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLines(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Line
	}{
		{"LF", "a\nb\n", []Line{{1, "a"}, {2, "b"}}},
		{"CRLF", "a\r\nb\r\n", []Line{{1, "a"}, {2, "b"}}},
		{"no final newline", "a\nb", []Line{{1, "a"}, {2, "b"}}},
		{"BOM before the first line", "\ufeffa\nb\n", []Line{{1, "a"}, {2, "b"}}},
		{"BOM and CRLF", "\ufeff# header\r\n\r\na\r\n", []Line{{3, "a"}}},
		{"comments and blanks keep numbering", "# c\n\n  a  # why\n\t\nb#x\n", []Line{{3, "a"}, {5, "b"}}},
		{"a BOM later is text", "a\n\ufeffb\n", []Line{{1, "a"}, {2, "\ufeffb"}}},
		{"empty", "", nil},
		{"only a BOM", "\ufeff", nil},
		{"CR only (classic Mac)", "a\rb\r\rc", []Line{{1, "a"}, {2, "b"}, {4, "c"}}},
		{"CR only after a BOM", "\ufeff# x\ra\r", []Line{{2, "a"}}},
		{"CR, CRLF and LF mixed", "a\r\nb\rc\nd", []Line{{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Lines(strings.NewReader(tt.in))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Lines(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			// The same from a reader that gives one byte at a time.
			got, err = Lines(iotest.OneByteReader(strings.NewReader(tt.in)))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Lines(one byte at a time %q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestLinesRefuses(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"UTF-16 LE", "\xff\xfea\x00\n\x00", 1, "UTF-16"},
		{"UTF-16 BE", "\xfe\xff\x00a\x00\n", 1, "UTF-16"},
		{"invalid UTF-8 on line 3", "a\nb\n\xff\xfe\xfd\n", 3, "UTF-8"},
		{"NUL", "a\x00b\n", 1, "UTF-8"},
		{"too long", "a\n\n" + strings.Repeat("x", MaxLine+1), 3, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Lines(strings.NewReader(tt.in))
			var le *LineError
			if !errors.As(err, &le) || le.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Lines error = %v; want line %d saying %q", err, tt.line, tt.msg)
			}
		})
	}
}

func TestLineErrorf(t *testing.T) {
	err := Line{N: 7, Text: "x"}.Errorf("bad %s", "x")
	if err.Error() != "line 7: bad x" {
		t.Fatalf("Errorf = %q", err)
	}
}

func firstIsWord(f []string) bool { return len(f) > 0 && f[0] == "address" }

func TestCSV(t *testing.T) {
	type rec = Record
	tests := []struct {
		name, in   string
		wantHeader []string
		want       []Record
	}{
		{"header skipped", "address,note\n14.1.104.0/24,x\n", []string{"address", "note"}, []rec{{2, []string{"14.1.104.0/24", "x"}}}},
		{"no header kept", "14.1.104.0/24\n14.1.105.0/24\n", nil, []rec{{1, []string{"14.1.104.0/24"}}, {2, []string{"14.1.105.0/24"}}}},
		{"BOM before a header", "\ufeffaddress\n14.1.104.0/24\n", []string{"address"}, []rec{{2, []string{"14.1.104.0/24"}}}},
		{"BOM before data", "\ufeff14.1.104.0/24\r\n14.1.105.0/24\r\n", nil, []rec{{1, []string{"14.1.104.0/24"}}, {2, []string{"14.1.105.0/24"}}}},
		{"CRLF and blank lines", "address\r\n\r\n14.1.104.0/24\r\n", []string{"address"}, []rec{{3, []string{"14.1.104.0/24"}}}},
		{"a quoted field spans lines", "a,\"two\nlines\"\nb,c\n", nil, []rec{{1, []string{"a", "two\nlines"}}, {3, []string{"b", "c"}}}},
		{"ragged rows and leading space", "a, b\nc\n", nil, []rec{{1, []string{"a", "b"}}, {2, []string{"c"}}}},
		{"header only on the first line", "14.1.104.0/24\naddress\n", nil, []rec{{1, []string{"14.1.104.0/24"}}, {2, []string{"address"}}}},
		{"empty", "", nil, nil},
		{"CR only, as Excel for Mac saves CSV (Macintosh)", "address\r14.1.104.0/24\r14.1.105.0/24\r", []string{"address"}, []rec{{2, []string{"14.1.104.0/24"}}, {3, []string{"14.1.105.0/24"}}}},
		{"CR only with a quoted field spanning lines", "a,\"two\rlines\"\rb\r", nil, []rec{{1, []string{"a", "two\nlines"}}, {3, []string{"b"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, got, err := CSV(strings.NewReader(tt.in), firstIsWord)
			if err != nil || !reflect.DeepEqual(h, tt.wantHeader) || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("CSV(%q) = %q, %v, %v; want %q, %v", tt.in, h, got, err, tt.wantHeader, tt.want)
			}
			h, got, err = CSV(iotest.OneByteReader(strings.NewReader(tt.in)), firstIsWord)
			if err != nil || !reflect.DeepEqual(h, tt.wantHeader) || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("CSV(one byte at a time %q) = %q, %v, %v; want %q, %v", tt.in, h, got, err, tt.wantHeader, tt.want)
			}
		})
	}
}

func TestCSVRefuses(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		// The column is the field, as a spreadsheet shows the file (not
		// encoding/csv's byte on the line), with the header's name.
		{"bare quote on line 3", "a\nb\nc\"d\n", 3, `inside column 1 ("a"), in a field`},
		{"bare quote after an Urdu name", "name,email\nعائشہ خان,x\"y\n", 2, `inside column 2 ("email"), in a field that does not start with one`},
		{"bare quote after an Urdu name, CRLF, BOM", "\ufeffname,email\r\nعائشہ خان,x\"y\r\n", 2, `column 2 ("email")`},
		{"bare quote in the third column, a quoted comma before it", "name,city,email\n\"Khan, Aisha\",Lahore,a\"b@x.pk\n", 2, `column 3 ("email")`},
		{"bare quote after doubled quotes and a spaced field", "h1,h2,h3\n\"say \"\"hi\"\", ok\", two, th\"ree\n", 2, `column 3 ("h3")`},
		{"bare quote past the header's columns", "a,b\n1,2,3\"\n", 2, "inside column 3, in a field"},
		{"bare quote after an Urdu name, 20,000 lines in", strings.Repeat("بلال احمد,ok\n", 20000) + "عائشہ خان,x\"y\n", 20001, `column 2 ("ok")`},
		{"bare quote on the second line of a quoted field's record", "h1,h2,h3\na,\"b\nc\",عائشہ d\"e\n", 3, `column 3 ("h3")`},
		{"bare quote in the header", "name,e\"mail\n", 1, "inside column 2, in a field"},
		{"unterminated quote after a BOM", "\ufeffa\n\"b\n", 2, `in column 1 ("a"), and is never closed`},
		{"unclosed quote starting on line 5, file ends on 6", "a\nb\nc\nd\n\"e\nf\n", 5, `a quoted field starts here, in column 1 ("a"), and is never closed`},
		{"unclosed quote in the second column", "name,email\nx,\"y\nz\n", 2, `a quoted field starts here, in column 2 ("email"), and is never closed`},
		{"unclosed quote in a CR-only file", "a\rb\r\"c\rd\r", 3, "never closed"},
		{"UTF-16", "\xff\xfea\x00", 1, "UTF-16"},
		{"UTF-16 LE without a BOM", "a\x00d\x00d\x00r\x00\r\x00\n\x001\x004\x00.\x001\x00\r\x00\n\x00", 1, "UTF-16"},
		{"UTF-16 BE without a BOM", "\x00a\x00\n\x00b\x00\n", 1, "UTF-16"},
		{"a NUL on line 2", "a\nb\x00c\n", 2, "save it as UTF-8"},
		{"not UTF-8 on line 2", "a\n\xff\n", 2, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := CSV(strings.NewReader(tt.in), func([]string) bool { return true })
			var le *LineError
			if !errors.As(err, &le) || le.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("CSV error = %v; want line %d saying %q", err, tt.line, tt.msg)
			}
			if strings.Contains(err.Error(), "extraneous") || strings.Contains(err.Error(), "parse error") {
				t.Fatalf("CSV error = %v; want our words, not encoding/csv's", err)
			}
		})
	}
}

func TestValue(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"s3cret\n", "s3cret"},
		{"\ufeffs3cret\r\n", "s3cret"},
		{"  ipreg_token \n\n", "ipreg_token"},
		{"\ufeff", ""},
		{"a b\n", "a b"},
	} {
		if got := Value([]byte(tt.in)); got != tt.want {
			t.Errorf("Value(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestFirstLine(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"a staff password\n", "a staff password"},
		{"\ufeffa staff password\r\n", "a staff password"},
		{"\ufeff  spaces kept  \n", "  spaces kept  "},
		{"no line end", "no line end"},
		{"first\nsecond\n", "first"},
		{"old mac\rsecond", "old mac"},
		{"", ""},
	} {
		if got, err := FirstLine(strings.NewReader(tt.in)); err != nil || got != tt.want {
			t.Errorf("FirstLine(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
