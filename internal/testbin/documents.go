package testbin

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// PDF returns a small well-formed PDF whose one page shows text, as a
// scanned letter would be uploaded.
func PDF(text string) []byte {
	return pdf(text, "", "")
}

// PDFWith returns a one-page PDF, with a correct cross-reference table,
// whose catalog and page dictionaries get the extra entries given (such
// as "/OpenAction << /S /JavaScript /JS (…) >>"), and whose objects 6, 7,
// … are extra, for the entries to refer to.
func PDFWith(catalog, page string, extra ...string) []byte {
	return pdf("letter", catalog, page, extra...)
}

func pdf(text, catalog, page string, extra ...string) []byte {
	content := fmt.Sprintf("BT /F1 18 Tf 72 720 Td (%s) Tj ET", text)
	objs := append([]string{
		"<< /Type /Catalog /Pages 2 0 R" + pad(catalog) + " >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >>" + pad(page) + " >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}, extra...)
	return PDFObjects(objs)
}

// PDFObjects returns a PDF 1.4 file of the objects given (numbered 1, 2, …
// in order; object 1 must be the catalog), with a correct cross-reference
// table and trailer.
func PDFObjects(objs []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func pad(entries string) string {
	if entries == "" {
		return ""
	}
	return " " + entries
}

// Multipart encodes a document upload as the API takes it.
func Multipart(kind, filename string, content []byte) (contentType string, body []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("kind", kind)
	f, _ := w.CreateFormFile("file", filename)
	f.Write(content)
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

// Upload posts one document to an application, fails the test unless the
// status is want, and returns the response body.
func Upload(t testing.TB, base, token, appID, kind, filename string, content []byte, want int) []byte {
	t.Helper()
	ct, body := Multipart(kind, filename, content)
	return send(t, "POST", base+"/api/v1/applications/"+appID+"/documents", token, ct, bytes.NewReader(body), want)
}

// UploadRequired uploads one small PDF for each document category needs,
// so that the application can be submitted.
func UploadRequired(t testing.TB, base, token, appID string, category registry.Category) {
	t.Helper()
	for _, r := range registry.RequiredDocuments(category) {
		k := string(r.Kinds[0])
		Upload(t, base, token, appID, k, k+".pdf", PDF(k), http.StatusCreated)
	}
}
