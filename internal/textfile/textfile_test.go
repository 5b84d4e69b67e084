package textfile

import (
	"errors"
	"fmt"
	"io"
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
		{"two BOMs (a file saved twice)", "\ufeff\ufeffa\nb\n", []Line{{1, "a"}, {2, "b"}}},
		{"only two BOMs", "\ufeff\ufeff", nil},
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

// A broken quote is told at the line and field where the quote is,
// whatever comes after it in the file: encoding/csv's ErrQuote is both a
// quote not doubled inside a quoted field and a quoted field never
// closed, and its Column is a byte of one line (a tester's file was told
// "column 13" with the row alone in the file and "column 25" of a
// 13-column file with a row after it).
func TestCSVQuoteColumn(t *testing.T) {
	const h = "holder_kind,holder_name,cnic,email,legacy_ref\n"
	tests := []struct {
		name, in  string
		line, col int
		colName   string
		msg       string
	}{
		{"quote not doubled in a quoted name, alone", h + "individual,\"Sara \"B\" Khan\",61101-2222224-5,s2@x.pk,Q-3\n",
			2, 2, "holder_name", "is not doubled"},
		{"quote not doubled in a quoted name, a row after it", h + "individual,\"Sara \"B\" Khan\",61101-2222224-5,s2@x.pk,Q-3\nindividual,Bilal,61101-2222222-5,b@x.pk,Q-1\n",
			2, 2, "holder_name", "double the quotes inside the field"},
		{"text after the closing quote of the first field", h + "\"individual\"x,Sara,61101-2222224-5,s2@x.pk,Q-3\nindividual,Bilal,61101-2222222-5,b@x.pk,Q-1\n",
			2, 1, "holder_kind", "is not doubled"},
		{"quote not doubled in the last column", h + "individual,Sara,61101-2222224-5,s2@x.pk,\"Q\"-3\nindividual,Bilal,61101-2222222-5,b@x.pk,Q-1\n",
			2, 5, "legacy_ref", "is not doubled"},
		{"bare quote in the last column, no final newline", h + "individual,Sara,61101-2222224-5,s2@x.pk,Q\"3",
			2, 5, "legacy_ref", "does not start with one"},
		{"a multi-line quoted field, the bad quote on its second line", h + "individual,\"Sara\nB\" Khan\",61101-2222224-5,s2@x.pk,Q-3\nindividual,Bilal,61101-2222222-5,b@x.pk,Q-1\n",
			3, 2, "holder_name", "is not doubled"},
		{"a multi-line field before, the bad quote in a later column", h + "individual,\"Sara\nKhan\",61101-2222224-5,\"s2\"@x.pk,Q-3\n",
			3, 4, "email", "is not doubled"},
		{"Urdu before the bad quote", h + "individual,\"عائشہ \"بی\" خان\",61101-2222224-5,s2@x.pk,Q-3\nindividual,بلال,61101-2222222-5,b@x.pk,Q-1\n",
			2, 2, "holder_name", "is not doubled"},
		{"Urdu fields before a bare quote, CRLF", "\ufeff" + strings.ReplaceAll(h, "\n", "\r\n") + "individual,عائشہ خان,61101-2222224-5,ع\"x@x.pk,Q-3\r\nindividual,b,1,b@x.pk,Q-1\r\n",
			2, 4, "email", "does not start with one"},
		{"quoted commas and doubled quotes before the bad quote", h + "individual,\"Khan, \"\"Sara\"\"\", 61101,\"a\"b,Q-3\n",
			2, 4, "email", "is not doubled"},
		{"unclosed quote in the third column of a later line", h + "individual,Sara,1,a@x.pk,Q-1\nindividual,Bilal,\"61101,b@x.pk,Q-2\nindividual,C,1,c@x.pk,Q-3\n",
			3, 3, "cnic", "is never closed"},
		{"unclosed quote opened on the second line of a record", h + "individual,\"Sara\nKhan\",\"61101,b@x.pk,Q-2\nx\n",
			3, 3, "cnic", "is never closed"},
		{"unclosed quote in a CR-only file", "a,b\rx,\"y\rz\r", 2, 2, "b", "is never closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				_, _, err := CSV(r, func([]string) bool { return true })
				var le *LineError
				if !errors.As(err, &le) || le.Line != tt.line || le.Column != tt.col || le.Name != tt.colName || !strings.Contains(err.Error(), tt.msg) ||
					!strings.Contains(err.Error(), fmt.Sprintf("column %d (%q)", tt.col, tt.colName)) {
					t.Fatalf("CSV error = %v (%+v); want line %d, column %d (%s) saying %q", err, le, tt.line, tt.col, tt.colName, tt.msg)
				}
			}
		})
	}
}

// A record longer than the lines kept is told without a column, at the
// line of a bare quote or the record's first line, never at a wrong
// column.
func TestCSVQuoteInALongRecord(t *testing.T) {
	long := "h1,h2\na,\"" + strings.Repeat("x\n", 40000) + "\"y,z\n"
	_, _, err := CSV(strings.NewReader(long), func([]string) bool { return true })
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 || le.Column != 0 || !strings.Contains(err.Error(), "check the quotes") {
		t.Fatalf("CSV error = %v (%+v); want line 2, no column", err, le)
	}
}
