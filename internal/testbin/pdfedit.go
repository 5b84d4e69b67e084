package testbin

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"strconv"
	"testing"
)

var pdfStreamRe = regexp.MustCompile(`(?s)(/Length )(\d+)(>>\nstream\n)(.*?)(\nendstream)`)

// EditPDFText edits the printed text of a PDF as a forger would: it
// inflates every stream, replaces old by new in those that hold it,
// deflates them again and fixes their lengths (the xref offsets are left
// as they are, which PDF readers tolerate). It fails the test when no
// stream holds old.
func EditPDFText(t testing.TB, pdf []byte, old, new string) []byte {
	t.Helper()
	found := false
	out := pdfStreamRe.ReplaceAllFunc(pdf, func(m []byte) []byte {
		g := pdfStreamRe.FindSubmatch(m)
		r, err := zlib.NewReader(bytes.NewReader(g[4]))
		if err != nil {
			return m
		}
		plain, err := io.ReadAll(r)
		if err != nil || !bytes.Contains(plain, []byte(old)) {
			return m
		}
		found = true
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write(bytes.ReplaceAll(plain, []byte(old), []byte(new)))
		w.Close()
		return []byte(string(g[1]) + strconv.Itoa(z.Len()) + string(g[3]) + z.String() + string(g[5]))
	})
	if !found {
		t.Fatalf("no stream of the PDF holds %q", old)
	}
	return out
}
