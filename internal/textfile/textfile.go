// Package textfile reads the text files people hand to ipreg — prefix
// lists, key files, CSV exports and uploads — one way everywhere, the way
// they come out of editors and spreadsheets on any system: a UTF-8
// byte-order mark at the start is dropped (Notepad and Excel write one),
// lines end in LF, CRLF or a lone CR (classic Mac OS, and Excel for Mac's
// "CSV (Macintosh)"), and every error names the line as an editor
// counts it (1-based, physical lines, a quoted CSV field spanning lines
// included).
//
// Lines reads a list (one item a line, # comments); CSV reads RFC 4180
// records through encoding/csv and skips a header row only when the
// caller recognises the first record as one.
package textfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLine is the longest line Lines reads, in bytes.
const MaxLine = 1 << 20

// bom is U+FEFF in UTF-8; utf16LE and utf16BE are its UTF-16 forms, which
// mark a file saved as "Unicode text" (UTF-16) rather than UTF-8.
var (
	bom     = []byte{0xEF, 0xBB, 0xBF}
	utf16LE = []byte{0xFF, 0xFE}
	utf16BE = []byte{0xFE, 0xFF}
)

// LineError is an error at one line of a file. Messages are fmt.Errorf
// formats so that the portal's catalog test finds them and holds their Urdu.
type LineError struct {
	Line int // 1-based physical line
	// Column is the CSV field (1-based) the error is in, as a spreadsheet
	// shows the file, and Name that column's header; 0 and "" when the
	// error is not about one field or the field is not known.
	Column int
	Name   string
	Err    error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Line is one item of a list.
type Line struct {
	N    int    // 1-based physical line number
	Text string // with the comment and surrounding white space removed; never empty
}

// Errorf returns an error at this line: "line N: …".
func (l Line) Errorf(format string, args ...any) error {
	return &LineError{Line: l.N, Err: fmt.Errorf(format, args...)}
}

// Lines reads r as a list: one item a line, "#" to the end of a line a
// comment, blank and comment-only lines skipped. A file that is not UTF-8
// text (UTF-16, binary) is refused with the line where that shows.
func Lines(r io.Reader) ([]Line, error) {
	br, err := start(r)
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 64*1024), MaxLine)
	var out []Line
	n := 1
	for ; sc.Scan(); n++ {
		text := sc.Text() // ScanLines drops the \n and a \r before it
		if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
			return nil, &LineError{Line: n, Err: fmt.Errorf("is not UTF-8 text; save the file as UTF-8 (plain text)")}
		}
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		if text = strings.TrimSpace(text); text != "" {
			out = append(out, Line{N: n, Text: text})
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &LineError{Line: n, Err: fmt.Errorf("is longer than %d bytes; is this the right file?", MaxLine)}
		}
		return nil, fmt.Errorf("read: %w", err)
	}
	return out, nil
}

// Record is one CSV record.
type Record struct {
	Line   int      // physical line its first field starts on, 1-based
	Fields []string // as encoding/csv reads them, leading space trimmed
}

// CSV reads r as CSV (RFC 4180 through encoding/csv: quoted fields,
// fields spanning lines, records of any length; blank lines skipped).
// isHeader is asked about the first record only: when it says so, that
// record is returned as header and not among the records. Errors are
// *LineError with the line where reading failed.
func CSV(r io.Reader, isHeader func(fields []string) bool) (header []string, recs []Record, err error) {
	br, err := start(r)
	if err != nil {
		return nil, nil, err
	}
	// The reader keeps the last lines read, so that an error's place, a
	// byte offset on a line in encoding/csv, is told as people find it:
	// the column (field) of the file.
	tail := &lineTail{r: br, line: 1}
	cr := csv.NewReader(bufio.NewReader(tail))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	for first := true; ; first = false {
		fields, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return header, recs, nil
		}
		if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
			return nil, nil, csvError(pe, tail, header)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read: %w", err)
		}
		line, _ := cr.FieldPos(0)
		for _, f := range fields {
			if !utf8.ValidString(f) {
				return nil, nil, &LineError{Line: line, Err: fmt.Errorf("is not UTF-8 text; save the file as CSV UTF-8")}
			}
			// NULs between the letters are UTF-16 saved without its
			// byte-order mark (which start catches): no text file
			// holds a NUL.
			if strings.ContainsRune(f, 0) {
				return nil, nil, &LineError{Line: line, Err: errUTF16}
			}
		}
		if first && isHeader != nil && isHeader(fields) {
			header = fields
			continue
		}
		recs = append(recs, Record{Line: line, Fields: fields})
	}
}

// csvError says in our words (translated by the portal, unlike
// encoding/csv's) what is wrong with the quotes, at the line the person
// must look at and in the column (field) as a spreadsheet numbers them,
// with its header's name when the header was read.
//
// encoding/csv's ParseError cannot tell that: its Column is a byte of one
// line, its ErrQuote means both a quote inside a quoted field that is not
// doubled (`"Sara "B" Khan"`, at the line of the quote) and a quoted field
// never closed (at the line where the file ended), and for a record that
// spans lines its StartLine and Line differ. So the record is read again
// here from its first line (quoteFault), as encoding/csv reads it, to the
// quote it stopped at; when that reading does not find the same fault
// (the record's lines are no longer kept: a record of more than 16 KiB),
// the error names the line of a bare quote, or the record's first line,
// and no column.
func csvError(pe *csv.ParseError, tail *lineTail, header []string) error {
	le := &LineError{Line: pe.Line}
	var kind error // nil: not told apart
	if f, ok := tail.quoteFault(pe.StartLine); ok && (f.kind == csv.ErrBareQuote) == errors.Is(pe.Err, csv.ErrBareQuote) {
		le.Line, le.Column, kind = f.line, f.field, f.kind
	} else if errors.Is(pe.Err, csv.ErrBareQuote) {
		kind = csv.ErrBareQuote
	} else {
		// A quote inside a quoted field or one never closed, which
		// encoding/csv does not tell apart: the record's first line, from
		// which the person reads on.
		le.Line = pe.StartLine
	}
	if le.Column > 0 && le.Column <= len(header) {
		le.Name = strings.TrimSpace(header[le.Column-1])
	}
	switch {
	case kind == errUnclosed && le.Name != "":
		le.Err = fmt.Errorf("a quoted field starts here, in column %d (%q), and is never closed; add the closing quote (\") or remove the opening one", le.Column, le.Name)
	case kind == errUnclosed && le.Column > 0:
		le.Err = fmt.Errorf("a quoted field starts here, in column %d, and is never closed; add the closing quote (\") or remove the opening one", le.Column)
	case kind == errUnclosed:
		le.Err = fmt.Errorf("a quoted field starts here and is never closed; add the closing quote (\") or remove the opening one")
	case kind == errQuoteInside && le.Name != "":
		le.Err = fmt.Errorf("a quote (\") inside column %d (%q) is not doubled: the field starts with a quote, so a quote inside it must be written twice (\"\"); double the quotes inside the field, or remove them", le.Column, le.Name)
	case kind == errQuoteInside && le.Column > 0:
		le.Err = fmt.Errorf("a quote (\") inside column %d is not doubled: the field starts with a quote, so a quote inside it must be written twice (\"\"); double the quotes inside the field, or remove them", le.Column)
	case kind == errQuoteInside:
		le.Err = fmt.Errorf("a quote (\") inside a field is not doubled: the field starts with a quote, so a quote inside it must be written twice (\"\"); double the quotes inside the field, or remove them")
	case kind == csv.ErrBareQuote && le.Name != "":
		le.Err = fmt.Errorf("a quote (\") appears inside column %d (%q), in a field that does not start with one; put the whole field in quotes and double the quote inside it, or remove it", le.Column, le.Name)
	case kind == csv.ErrBareQuote && le.Column > 0:
		le.Err = fmt.Errorf("a quote (\") appears inside column %d, in a field that does not start with one; put the whole field in quotes and double the quote inside it, or remove it", le.Column)
	case kind == csv.ErrBareQuote:
		le.Err = fmt.Errorf("a quote (\") appears inside a field that does not start with one; put the whole field in quotes and double the quote inside it, or remove it")
	default:
		le.Err = fmt.Errorf("cannot be read as CSV; check the quotes on this line")
	}
	return le
}

// The faults quoteFault tells apart (encoding/csv's ErrQuote is both).
var (
	errQuoteInside = errors.New("a quote inside a quoted field, not doubled")
	errUnclosed    = errors.New("a quoted field never closed")
)

// lineTail passes r on, keeping the last lines read (numbered from 1), at
// least every line that ends within tailKeep bytes of the last byte read:
// the CSV reader's buffer reads at most 4 KiB ahead of the line it
// reports an error on, so that line is always kept.
type lineTail struct {
	r    io.Reader
	buf  []byte // the bytes of lines line, line+1, … read so far
	line int    // the line buf starts with
}

// tailKeep is how far back lineTail keeps whole lines.
const tailKeep = 16 << 10

func (t *lineTail) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	if len(t.buf) > 4*tailKeep {
		// Drop the lines that end more than tailKeep before the end.
		cut := 0
		for {
			i := bytes.IndexByte(t.buf[cut:], '\n')
			if i < 0 || len(t.buf)-(cut+i+1) < tailKeep {
				break
			}
			cut += i + 1
			t.line++
		}
		t.buf = append(t.buf[:0], t.buf[cut:]...)
	}
	return n, err
}

// quoteFaultAt is where reading a record stopped at a quote.
type quoteFaultAt struct {
	kind  error // csv.ErrBareQuote, errQuoteInside or errUnclosed
	line  int   // the line of the quote; for errUnclosed, of the opening one
	field int   // the field (1-based) it is in
}

// quoteFault reads the record that starts on line start again, as
// encoding/csv reads it (fields split on commas, a field in quotes up to
// its closing quote, "" a quote inside it, a quoted field spanning lines,
// leading white space trimmed, CRLF as LF), up to the first quote it
// stops at, and says which field and line that quote is in. ok is false
// when those lines are no longer kept or the record reads without a fault.
// It counts fields, not bytes or runes, so text in any script before the
// quote does not move it.
func (t *lineTail) quoteFault(start int) (f quoteFaultAt, ok bool) {
	if start < t.line {
		return f, false
	}
	b := t.buf
	for l := t.line; l < start; l++ {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return f, false
		}
		b = b[i+1:]
	}
	line := start
	// next returns the next line of b, its end as encoding/csv's
	// readLine leaves it (a final \r\n as \n), and ok false at the end.
	next := func() ([]byte, bool) {
		if len(b) == 0 {
			return nil, false
		}
		l := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			l, b = b[:i+1], b[i+1:]
		} else {
			b = nil
		}
		if n := len(l); n >= 2 && l[n-2] == '\r' && l[n-1] == '\n' {
			l = append(l[:n-2:n-2], '\n')
		}
		return l, true
	}
	rest, _ := next()
	field := 1
	for {
		if i := bytes.IndexFunc(rest, func(r rune) bool { return !unicode.IsSpace(r) }); i >= 0 {
			rest = rest[i:]
		} else {
			rest = nil
		}
		if len(rest) == 0 || rest[0] != '"' {
			// Unquoted: up to the comma or the line's end; a quote in it
			// is a bare quote.
			end := bytes.IndexByte(rest, ',')
			val := rest
			if end >= 0 {
				val = rest[:end]
			}
			if bytes.IndexByte(val, '"') >= 0 {
				return quoteFaultAt{csv.ErrBareQuote, line, field}, true
			}
			if end < 0 {
				return f, false
			}
			rest, field = rest[end+1:], field+1
			continue
		}
		// Quoted: up to a quote followed by a comma or the line's end.
		open := line
		rest = rest[1:]
	quoted:
		for {
			i := bytes.IndexByte(rest, '"')
			switch {
			case i >= 0:
				rest = rest[i+1:]
				switch {
				case len(rest) > 0 && rest[0] == '"':
					rest = rest[1:]
				case len(rest) > 0 && rest[0] == ',':
					rest, field = rest[1:], field+1
					break quoted
				case len(rest) == 0 || (len(rest) == 1 && rest[0] == '\n'):
					return f, false
				default:
					return quoteFaultAt{errQuoteInside, line, field}, true
				}
			default:
				var more bool
				if rest, more = next(); !more {
					return quoteFaultAt{errUnclosed, open, field}, true
				}
				line++
			}
		}
	}
}

var errUTF16 = errors.New("the file is UTF-16 (\"Unicode text\"); save it as UTF-8 (in Excel: CSV UTF-8)")

// start drops a UTF-8 byte-order mark, refuses UTF-16, which would
// otherwise read as garbage with NULs between the letters, and turns a
// lone CR into LF, so that every reader after it sees LF or CRLF.
func start(r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, bom):
		// Every mark at the start: a file saved twice by a tool that adds
		// one begins with two ("\ufeff\ufeff", found by FuzzLines), and
		// the second is as invisible as the first. A mark further on is
		// text, which the item's own check refuses where it is.
		for bytes.HasPrefix(head, bom) {
			br.Discard(len(bom))
			if head, err = br.Peek(3); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
				return nil, fmt.Errorf("read: %w", err)
			}
		}
	case bytes.HasPrefix(head, utf16LE), bytes.HasPrefix(head, utf16BE):
		return nil, &LineError{Line: 1, Err: errUTF16}
	}
	return bufio.NewReader(&crReader{r: br}), nil
}

// crReader turns each CR not followed by LF into LF.
type crReader struct{ r *bufio.Reader }

func (c *crReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := range n {
		if p[i] != '\r' {
			continue
		}
		if i+1 < n {
			if p[i+1] != '\n' {
				p[i] = '\n'
			}
			continue
		}
		// The CR ends what was read: the next byte decides.
		if next, perr := c.r.Peek(1); perr != nil || next[0] != '\n' {
			p[i] = '\n'
		}
	}
	return n, err
}

// Value is the content of a file holding one value (a shared secret, an API
// token), as editors save it: a leading UTF-8 byte-order mark and the
// surrounding white space (the final newline, a CRLF) are not part of it.
// For a password, whose spaces count, use FirstLine.
func Value(b []byte) string {
	return strings.TrimSpace(string(bytes.TrimPrefix(b, bom)))
}

// FirstLine reads the first line of r as a secret typed or piped in
// (printf '%s\n' "$PW" | …, or a file saved by Notepad): a leading UTF-8
// byte-order mark and the line end (LF, CRLF or CR) are dropped, and
// nothing else, since spaces may be part of a password.
func FirstLine(r io.Reader) (string, error) {
	br, err := start(r)
	if err != nil {
		return "", err
	}
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read: %w", err)
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}
