package registry

import (
	"bytes"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// xrefMatchesBytes reports whether the cross-reference table pdfcpu read
// describes the file as a viewer rebuilding it from the bytes would see it
// (ISO 32000-1 7.5.4; pdf.js and MuPDF rebuild a table whose entries miss
// their objects by scanning for "N G obj" headers):
//   - every object in use outside an object stream starts at its offset
//     with its own header (an offset landing on another object, or past
//     the end, makes such a viewer look elsewhere), and
//   - every object header in the bytes names an object the table lists as
//     in use (an object left out of the table, or listed as free, is what
//     a rebuilt table would add), except cross-reference streams (/Type
//     /XRef): most writers leave the stream out of the table it holds
//     (its number is the table's /Size), and a rebuilt table takes from
//     one only trailer entries (/Root, /Info), whose objects are checked.
//
// Old versions of an object left by incremental updates keep their number
// in use, so they pass; a PDF whose incremental update deleted an object
// still present in the bytes is refused, with the same advice as any
// unreadable structure (print it to PDF again).
func xrefMatchesBytes(xt *model.XRefTable, b []byte, headers []pdfHeader) bool {
	for _, h := range headers {
		e, found := xt.Table[h.num]
		if (!found || e == nil || e.Free) && !h.xrefStream {
			return false
		}
	}
	for n, e := range xt.Table {
		if e == nil || e.Free || e.Compressed || e.ObjectStream != nil {
			continue // in an object stream: load checks it decodes
		}
		if e.Offset == nil || *e.Offset < 0 || *e.Offset >= int64(len(b)) {
			return false
		}
		// Read at the offset itself, not from the scan: an incremental
		// update may start right after "%%EOF" on its line, where a
		// scanner that skips comments does not see it.
		// The generation too: pdf.js takes an entry whose generation
		// differs from its object's header for a broken table and
		// rebuilds it by scanning, where the last copy of an object wins.
		num, gen, _, ok := headerAt(b, int(*e.Offset))
		if !ok || num != n || e.Generation == nil || gen != *e.Generation {
			return false
		}
	}
	return true
}

// headerAt reads "N G obj" at off (after white space, which writers that
// count the end of line before a header leave, as every reader
// tolerates) and returns N, G and the offset after "obj".
func headerAt(b []byte, off int) (num, gen, end int, ok bool) {
	i := skipPDFSpace(b, off)
	var nums [2]int
	for k := range nums {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == i || j-i > 10 || j >= len(b) || !isPDFSpace(b[j]) {
			return 0, 0, 0, false
		}
		n, err := strconv.Atoi(string(b[i:j]))
		if err != nil {
			return 0, 0, 0, false
		}
		nums[k] = n
		i = skipPDFSpace(b, j)
	}
	if !bytes.HasPrefix(b[i:], []byte("obj")) || (i+3 < len(b) && !isPDFSpace(b[i+3]) && !isPDFDelimiter(b[i+3])) {
		return 0, 0, 0, false
	}
	return nums[0], nums[1], i + 3, true
}

// isNullObject reports whether the object at off is "N G obj null
// endobj": pdfcpu holds it as no object at all, like one it could not
// read, and the two must not be confused.
func isNullObject(b []byte, off int) bool {
	_, _, i, ok := headerAt(b, off)
	if !ok {
		return false
	}
	i = skipPDFSpace(b, i)
	if !bytes.HasPrefix(b[i:], []byte("null")) {
		return false
	}
	return bytes.HasPrefix(b[skipPDFSpace(b, i+4):], []byte("endobj"))
}

func skipPDFSpace(b []byte, i int) int {
	for i < len(b) && isPDFSpace(b[i]) {
		i++
	}
	return i
}

// pdfHeader is one "N G obj" found in the bytes, at the offset of N;
// xrefStream when its dictionary says /Type /XRef.
type pdfHeader struct {
	num, gen, off int
	xrefStream    bool
}

// pdfObjectHeaders scans b with a minimal tokenizer (ISO 32000-1 7.2):
// comments, literal and hexadecimal strings and stream data are skipped,
// so that text inside them is not taken for a header. Stream data is
// skipped to the next "endstream". hidden reports a header pattern ("N G
// obj") inside stream data: pdf.js, rebuilding a table, searches an
// object's body for the next header with a regular expression, so a
// header in stream data is an object (and a "trailer" after it a trailer)
// to it, which pdfcpu never reads. The work is linear in len(b).
func pdfObjectHeaders(b []byte) (out []pdfHeader, hidden bool) {
	type tok struct {
		s   []byte
		off int
	}
	var prev [2]tok // the two tokens before the current one
	push := func(t tok) { prev[0], prev[1] = prev[1], t }
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case isPDFSpace(c):
			i++
			continue
		case c == '%':
			for i < len(b) && b[i] != '\n' && b[i] != '\r' {
				i++
			}
			continue
		case c == '(':
			depth := 0
			for ; i < len(b); i++ {
				switch b[i] {
				case '\\':
					i++
				case '(':
					depth++
				case ')':
					depth--
				}
				if depth == 0 {
					i++
					break
				}
			}
			push(tok{})
			continue
		case c == '<' && (i+1 >= len(b) || b[i+1] != '<'):
			for i < len(b) && b[i] != '>' {
				i++
			}
			i++
			push(tok{})
			continue
		case isPDFDelimiter(c):
			if c == '/' { // a name: the delimiter and its regular characters
				j := i + 1
				for j < len(b) && !isPDFSpace(b[j]) && !isPDFDelimiter(b[j]) {
					j++
				}
				name := tok{b[i:j], i}
				i = j
				// /Type /XRef in the object last opened marks it as a
				// cross-reference stream (written as is: an escaped
				// name is not recognised, and such an object must then
				// be listed like any other).
				if len(out) > 0 && string(prev[1].s) == "/Type" && string(name.s) == "/XRef" {
					out[len(out)-1].xrefStream = true
				}
				push(name)
				continue
			} else if (c == '<' || c == '>') && i+1 < len(b) && b[i+1] == c {
				i += 2 // a dictionary's << or >>
			} else {
				i++
			}
			push(tok{})
			continue
		}
		j := i
		for j < len(b) && !isPDFSpace(b[j]) && !isPDFDelimiter(b[j]) {
			j++
		}
		t := tok{b[i:j], i}
		i = j
		switch string(t.s) {
		case "obj":
			n, err1 := strconv.Atoi(string(prev[0].s))
			g, err2 := strconv.Atoi(string(prev[1].s))
			if err1 == nil && err2 == nil && n >= 0 && g >= 0 && isDigits(prev[0].s) && isDigits(prev[1].s) {
				out = append(out, pdfHeader{num: n, gen: g, off: prev[0].off})
			}
		case "stream":
			k := bytes.Index(b[i:], []byte("endstream"))
			if k < 0 {
				return out, hidden || hasHeaderPattern(b[i:])
			}
			hidden = hidden || hasHeaderPattern(b[i:i+k])
			i += k + len("endstream")
		}
		push(t)
	}
	return out, hidden
}

// hasHeaderPattern reports whether data holds "N G obj" as pdf.js's
// table rebuilding finds it (/\b\d+\s+\d+\s+obj\b/ over the bytes as
// Latin-1 text). White space here is wider than PDF's (JavaScript's \s
// also takes the vertical tab and the no-break space), so that nothing
// pdf.js would take for a header is missed.
func hasHeaderPattern(data []byte) bool {
	space := func(c byte) bool { return isPDFSpace(c) || c == '\v' || c == 0xA0 }
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	word := func(c byte) bool { return digit(c) || c == '_' || c|0x20 >= 'a' && c|0x20 <= 'z' }
	for off := 0; ; {
		k := bytes.Index(data[off:], []byte("obj"))
		if k < 0 {
			return false
		}
		i := off + k
		off = i + 3
		if off < len(data) && word(data[off]) {
			continue
		}
		j := i
		ok := true
		for range 2 { // white space, digits, twice, going backwards
			s := j
			for j > 0 && space(data[j-1]) {
				j--
			}
			d := j
			for j > 0 && digit(data[j-1]) {
				j--
			}
			if d == s || d == j { // no white space, or no digits
				ok = false
				break
			}
		}
		if ok && (j == 0 || !word(data[j-1])) {
			return true
		}
	}
}

func isDigits(s []byte) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(s) > 0
}

// isPDFSpace is ISO 32000-1 table 1's white-space characters.
func isPDFSpace(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ':
		return true
	}
	return false
}

// isPDFDelimiter is ISO 32000-1 table 2's delimiters.
func isPDFDelimiter(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}
