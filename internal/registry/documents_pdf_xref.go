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
//     a rebuilt table would add).
//
// Old versions of an object left by incremental updates keep their number
// in use, so they pass; a PDF whose incremental update deleted an object
// still present in the bytes is refused, with the same advice as any
// unreadable structure (print it to PDF again).
func xrefMatchesBytes(xt *model.XRefTable, b []byte) bool {
	headers := pdfObjectHeaders(b)
	at := make(map[int]int, len(headers)) // offset of the header → object number
	for _, h := range headers {
		e, found := xt.Table[h.num]
		if !found || e == nil || e.Free {
			return false
		}
		at[h.off] = h.num
	}
	for n, e := range xt.Table {
		if e == nil || e.Free || e.Compressed || e.ObjectStream != nil {
			continue // in an object stream: load checks it decodes
		}
		if e.Offset == nil || *e.Offset < 0 || *e.Offset >= int64(len(b)) {
			return false
		}
		// Writers that count the end of line before a header are
		// tolerated, as by every reader.
		off := int(*e.Offset)
		for off < len(b) && isPDFSpace(b[off]) {
			off++
		}
		if num, ok := at[off]; !ok || num != n {
			return false
		}
	}
	return true
}

// pdfHeader is one "N G obj" found in the bytes, at the offset of N.
type pdfHeader struct{ num, gen, off int }

// pdfObjectHeaders scans b with a minimal tokenizer (ISO 32000-1 7.2):
// comments, literal and hexadecimal strings and stream data are skipped,
// so that text inside them is not taken for a header. Stream data is
// skipped to the next "endstream", as viewers do when they rebuild a
// table. The work is linear in len(b).
func pdfObjectHeaders(b []byte) []pdfHeader {
	var out []pdfHeader
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
				i = j
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
				out = append(out, pdfHeader{n, g, prev[0].off})
			}
		case "stream":
			k := bytes.Index(b[i:], []byte("endstream"))
			if k < 0 {
				return out
			}
			i += k + len("endstream")
		}
		push(t)
	}
	return out
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
