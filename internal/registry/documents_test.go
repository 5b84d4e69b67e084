package registry_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/docstore"
	. "github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// pngHeader returns the start of a PNG declaring w × h pixels: the
// signature and a correct IHDR chunk, which is all image.DecodeConfig
// reads. A decompression bomb looks like this followed by a few
// megabytes of deflated zeros; the header alone must be enough to refuse it.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB, deflate, no filter, no interlace
	b := append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13)
	chunk := append([]byte("IHDR"), ihdr...)
	b = append(b, chunk...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
	// An IDAT of deflated zeros follows in a real bomb; a little is enough here.
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 64<<10))
	zw.Close()
	b = binary.BigEndian.AppendUint32(b, uint32(z.Len()))
	idat := append([]byte("IDAT"), z.Bytes()...)
	b = append(b, idat...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(idat))
	return append(b, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82)
}

// pngWhole returns a whole w × h PNG, 1-bit grayscale so that its image
// data (deflated zero rows) stays small: an image at the size limits that
// must be accepted.
func pngWhole(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 1, 0, 0, 0, 0) // 1-bit grayscale
	b := append([]byte("\x89PNG\r\n\x1a\n"), 0, 0, 0, 13)
	chunk := append([]byte("IHDR"), ihdr...)
	b = append(b, chunk...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	row := make([]byte, 1+(w+7)/8)
	for range h {
		zw.Write(row)
	}
	zw.Close()
	b = binary.BigEndian.AppendUint32(b, uint32(z.Len()))
	idat := append([]byte("IDAT"), z.Bytes()...)
	b = append(b, idat...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(idat))
	return append(b, pngIEND()...)
}

// pngIEND is a PNG's end chunk, with its CRC.
func pngIEND() []byte { return []byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82} }

// flipByte returns b with its i-th byte changed.
func flipByte(b []byte, i int) []byte {
	b = append([]byte{}, b...)
	b[i] ^= 0x55
	return b
}

// jpegHeader returns the start of a baseline JPEG declaring w × h pixels:
// SOI, a JFIF APP0 segment and a start-of-frame segment, which is where
// DecodeConfig stops for a JFIF file.
func jpegHeader(w, h uint16) []byte {
	b := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	b = append(b, 0xFF, 0xC0, 0, 17, 8)
	b = binary.BigEndian.AppendUint16(b, h)
	b = binary.BigEndian.AppendUint16(b, w)
	b = append(b, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
	// A scan header, a byte of scan data and the end of the image, so that
	// the file is whole (jpegComplete); DecodeConfig stops before them.
	b = append(b, 0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0)
	return append(b, 0, 0xFF, 0xD9)
}

// encodedImage returns a real w × h image in format ("png" or "jpeg").
func encodedImage(t testing.TB, format string, w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSniffDocument(t *testing.T) {
	tests := []struct {
		name, content, want, err string
	}{
		{"pdf", string(testbin.PDF("x")), "application/pdf", ""},
		{"jpeg", string(encodedImage(t, "jpeg", 64, 48)), "image/jpeg", ""},
		{"png", string(encodedImage(t, "png", 64, 48)), "image/png", ""},
		{"pdf without end", "%PDF-1.4\n1 0 obj\n", "", "incomplete"},
		{"png without header", "\x89PNG\r\n\x1a\nxxxxxxxxxx", "", "damaged"},
		{"png with a broken header", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + strings.Repeat("\x00", 20), "", "PNG is damaged"},
		{"jpeg with no frame", "\xff\xd8\xff\xe0\x00\x10JFIF\x00", "", "JPEG is damaged"},
		// A header with no pixels, as the tester's 35-byte JPEG and 69-byte
		// PNG, and files cut off in transfer or damaged.
		{"jpeg header only, no scan (as the tester's 35-byte file)", string(jpegHeader(64, 48)[:39]) + "\xff\xd9", "", "JPEG is incomplete"},
		{"jpeg cut before its end", string(encodedImage(t, "jpeg", 64, 48)[:len(encodedImage(t, "jpeg", 64, 48))-20]), "", "JPEG is incomplete"},
		{"jpeg without its scan", string(jpegHeader(64, 48)[:44]) + "\xff\xd9", "", "JPEG is incomplete"},
		{"jpeg with a camera trailer after its end", string(encodedImage(t, "jpeg", 64, 48)) + "trailer", "image/jpeg", ""},
		{"png header only (69 bytes)", string(encodedImage(t, "png", 64, 48)[:33]) + string(pngIEND()), "", "PNG is incomplete"},
		{"png cut in its image data", string(encodedImage(t, "png", 64, 48)[:50]), "", "PNG is incomplete"},
		{"png without its end", string(bytes.TrimSuffix(encodedImage(t, "png", 64, 48), pngIEND())), "", "PNG is incomplete"},
		{"png whose image data cannot hold its pixels (the tester's 69-byte 7071 × 7071)", string(pngHeader(7071, 7071)[:33]) + "\x00\x00\x00\x0cIDATx\x9cc`\xa0\x03\x00\x00\x00e\x00\x01\x7f\xfa\x88\x0d" + string(pngIEND()), "", "PNG is incomplete"},
		{"png with a damaged chunk", string(flipByte(encodedImage(t, "png", 64, 48), 45)), "", "PNG is incomplete"},
		{"html", "<!DOCTYPE html><html><script>alert(1)</script></html>", "", "a web page (HTML)"},
		{"windows program", "MZ\x90\x00\x03\x00\x00\x00\x04\x00", "", "a program"},
		{"linux program", "\x7fELF\x02\x01\x01\x00", "", "a program"},
		{"plain text", "CNIC 35202-1234567-1", "", "plain text"},
		// An SVG is named for what it can hold (tester t13: "plain text").
		{"svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "", "an SVG drawing, which can hold web page code"},
		{"svg after its XML declaration", `<?xml version="1.0"?>` + "\n<!-- scan -->\n" + `<SVG width="10"></SVG>`, "", "an SVG drawing"},
		{"xml that is not an svg", `<?xml version="1.0"?><invoice/>`, "", "XML text"},
		{"html holding an svg", `<!DOCTYPE html><html><svg></svg></html>`, "", "a web page (HTML)"},
		// Tester t14's neighbours: the tag past the first KiB, a namespace
		// prefix, XHTML holding an SVG, and a longer name that is no SVG.
		{"svg after a long comment", `<?xml version="1.0"?><!--` + strings.Repeat(" ", 2000) + `--><svg/>`, "", "an SVG drawing"},
		{"svg with a namespace prefix", `<svg:svg xmlns:svg="http://www.w3.org/2000/svg"/>`, "", "an SVG drawing"},
		{"xhtml holding an svg", `<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body><svg/></body></html>`, "", "a web page (HTML)"},
		{"xml with an svg-like name", `<?xml version="1.0"?><doc><svgPath d="M0 0"/></doc>`, "", "XML text"},
		{"empty", "", "", "empty"},
		{"zip", "PK\x03\x04\x14\x00\x00\x00", "", "a ZIP archive"},
		{"gif", "GIF89a\x01\x00\x01\x00", "", "an image in another format (save it as JPEG or PNG)"},
		{"unknown binary", "\x00\x01\x02\x03\x04", "", "an unknown binary type"},

		// Pixel counts, from the header alone: the 65,535 × 65,535
		// PNG, its JPEG neighbour, and the limits' edges.
		{"png bomb", string(pngHeader(65535, 65535)), "", "65535 pixels wide and 65535 pixels high"},
		{"jpeg bomb", string(jpegHeader(65535, 65535)), "", "65535 pixels wide"},
		{"png over the side limit", string(pngHeader(MaxImageSide+1, 100)), "", "12001 pixels wide"},
		{"jpeg over the side limit", string(jpegHeader(100, MaxImageSide+1)), "", "12001 pixels high"},
		{"png over the pixel count", string(pngHeader(7100, 7100)), "", "at most 50 megapixels"},
		{"png at the side limit", string(pngWhole(MaxImageSide, 4000)), "image/png", ""},
		{"jpeg at 48 megapixels", string(jpegHeader(8000, 6000)), "image/jpeg", ""},
		{"png at the pixel limit", string(pngWhole(10000, 5000)), "image/png", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SniffDocument(t.Context(), []byte(tt.content))
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Fatalf("= %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("= %q, %v; want an invalid error mentioning %q", got, err, tt.err)
			}
		})
	}
}

func TestCleanFilename(t *testing.T) {
	tests := []struct{ in, ctype, want string }{
		{"scan.pdf", "application/pdf", "scan.pdf"},
		{`C:\Users\Ali\Desktop\cnic front.jpg`, "image/jpeg", "cnic front.jpg"},
		{"../../etc/passwd\x00.pdf", "application/pdf", "passwd.pdf"},
		{"a\u202egpj.exe", "image/jpeg", "agpj.jpg"}, // right-to-left override removed, wrong extension replaced
		{`say "hi".png`, "image/png", "say hi.png"},
		{"شناختی کارڈ.pdf", "application/pdf", "شناختی کارڈ.pdf"},
		{"", "image/png", "document.png"},
		{"/", "application/pdf", "document.pdf"},
		{"\xff\xfe.pdf", "application/pdf", "document.pdf"},
		{strings.Repeat("x", 200) + ".pdf", "application/pdf", strings.Repeat("x", 116) + ".pdf"},
		// The example: the extension follows the sniffed type.
		{"letter.html", "application/pdf", "letter.pdf"},
		{"letter.HTML", "application/pdf", "letter.pdf"},
		{"letter.docx", "application/pdf", "letter.pdf"},
		{"photo.png", "image/jpeg", "photo.jpg"},
		{"photo.jpeg", "image/png", "photo.png"},
		{"IMG_0042.HEIC", "image/jpeg", "IMG_0042.jpg"},
		{"payload.svg", "image/png", "payload.png"},
		{"letter.pdf.exe", "application/pdf", "letter.pdf"},
		// Tester's findings: never "letter.pdf.pdf".
		{"letter.pdf.", "application/pdf", "letter.pdf"},
		{"letter.pdf.html", "application/pdf", "letter.pdf"},
		{"letter.PDF.htm", "application/pdf", "letter.PDF"},
		{"letter.pdf . ", "application/pdf", "letter.pdf"},
		{"photo.jpeg.png", "image/jpeg", "photo.jpeg"},
		{"photo.png.html", "image/jpeg", "photo.png.jpg"},
		{"...", "application/pdf", "document.pdf"},
		// An extension the type allows stays as written.
		{"SCAN.PDF", "application/pdf", "SCAN.PDF"},
		{"cnic.jpeg", "image/jpeg", "cnic.jpeg"},
		{"cnic.JFIF", "image/jpeg", "cnic.JFIF"},
		// No extension: one is added; what follows a dot that is not an
		// extension stays part of the name.
		{"scan", "application/pdf", "scan.pdf"},
		{"cnic.front", "image/png", "cnic.front.png"},
		{"Mr. Ali", "image/jpeg", "Mr. Ali.jpg"},
		{"letter v2.2024", "application/pdf", "letter v2.2024.pdf"},
		{"letter.", "application/pdf", "letter.pdf"},
		{".html", "application/pdf", "document.pdf"},
		{"..", "application/pdf", "document.pdf"},
		// The bound holds with the extension added or replaced.
		{strings.Repeat("y", 200) + ".html", "application/pdf", strings.Repeat("y", 116) + ".pdf"},
		{strings.Repeat("z", 200), "image/jpeg", strings.Repeat("z", 116) + ".jpg"},
	}
	for _, tt := range tests {
		got := CleanFilename(tt.in, tt.ctype)
		if got != tt.want {
			t.Errorf("cleanFilename(%q, %s) = %q, want %q", tt.in, tt.ctype, got, tt.want)
		}
		// Idempotent: names stored cleaned are served unchanged.
		if again := CleanFilename(got, tt.ctype); again != got {
			t.Errorf("cleanFilename(%q) = %q, not stable", got, again)
		}
	}
}

// A document stored before names followed the sniffed type (an older
// release kept "letter.html" for a PDF) is listed, shown and served with
// the extension of its type; a new upload is stored so.
func TestDocumentNameFollowsType(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		alice := h.applicant("individual")
		a, err := h.create(alice, ApplicationInput{Category: ptr("freelancer_vpn")})
		if err != nil {
			t.Fatal(err)
		}
		pdf := testbin.PDF("letter")
		up, err := h.svc.UploadDocument(h.ctx, alice, a.ID, UploadInput{Kind: "authentication_letter", Filename: "letter.html", Content: pdf})
		if err != nil {
			t.Fatal(err)
		}
		if up.Filename != "letter.pdf" {
			t.Errorf("uploaded as letter.html, stored as %q", up.Filename)
		}
		old := &Document{ID: "doc-old", ApplicationID: a.ID, Kind: DocCNICFront, Filename: "front.html", ContentType: "application/pdf",
			Size: up.Size, SHA256: up.SHA256, UploadedAt: h.clock.Now(), UploadedBy: alice.ID}
		if err := h.blobs.Put(h.ctx, old.ID, pdf); err != nil {
			t.Fatal(err)
		}
		if err := h.db.Write(h.ctx, func(tx Tx) error { return tx.CreateDocument(h.ctx, old) }); err != nil {
			t.Fatal(err)
		}
		reviewer := h.staff("reviewer")
		// h.create uploaded the required documents too: look ours up.
		names := func(ds []*Document) map[string]string {
			m := map[string]string{}
			for _, d := range ds {
				m[d.ID] = d.Filename
			}
			return m
		}
		ds, err := h.svc.ListDocuments(h.ctx, alice, a.ID)
		if n := names(ds); err != nil || n[up.ID] != "letter.pdf" || n[old.ID] != "front.pdf" {
			t.Fatalf("listed = %v, %v", n, err)
		}
		got, err := h.svc.GetApplication(h.ctx, reviewer, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := names(got.Documents); n[old.ID] != "front.pdf" {
			t.Fatalf("application's documents = %v, %v", n, err)
		}
		d, _, err := h.svc.ReadDocument(h.ctx, reviewer, a.ID, old.ID)
		if err != nil || d.Filename != "front.pdf" {
			t.Fatalf("read = %+v, %v", d, err)
		}
	})
}

func TestDocuments(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		alice, bob := h.applicant("company"), h.applicant("company")
		reviewer, admin, ptcl := h.staff("reviewer"), h.staff("admin"), h.staff("operator.ptcl")
		a, err := svc.CreateApplication(ctx, alice, companyApp("14.1.104.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		// Nothing uploaded: submission names every missing document.
		_, err = svc.Submit(ctx, alice, a.ID, nil)
		wantCode(t, err, EINVALID, "documents.cnic_front", "documents.cnic_back", "documents.incorporation_proof")

		pdf := testbin.PDF("CNIC front")
		up := func(u *User, kind, name string, content []byte) (*Document, error) {
			return svc.UploadDocument(ctx, u, a.ID, UploadInput{Kind: kind, Filename: name, Content: content})
		}
		_, err = up(alice, "passport", "p.pdf", pdf)
		wantCode(t, err, EINVALID, "kind")
		_, err = up(alice, "cnic_front", "cnic.pdf", []byte("<html><script>alert(1)</script></html>"))
		wantCode(t, err, EINVALID, "file", "a web page (HTML)")
		_, err = up(alice, "cnic_front", "cnic.pdf", []byte("MZ\x90\x00 renamed program"))
		wantCode(t, err, EINVALID, "a program")
		_, err = up(alice, "cnic_front", "cnic.png", pngHeader(65535, 65535))
		wantCode(t, err, EINVALID, "file", "65535 pixels wide")
		_, err = up(bob, "cnic_front", "cnic.pdf", pdf)
		wantCode(t, err, ENOTFOUND)
		_, err = up(reviewer, "cnic_front", "cnic.pdf", pdf)
		wantCode(t, err, EFORBIDDEN)

		// The size limit is a setting.
		set, err := svc.Settings(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		set.DocumentMaxBytes = 64 << 10
		if _, err := svc.UpdateSettings(ctx, admin, set); err != nil {
			t.Fatal(err)
		}
		big := append(bytes.Repeat([]byte{' '}, 70<<10), pdf...)
		big = append([]byte("%PDF-1.4\n"), big...)
		_, err = up(alice, "cnic_front", "big.pdf", big)
		wantCode(t, err, ETOOLARGE, "64 KiB")

		photo, err := up(alice, "cnic_back", "back.jpg", encodedImage(t, "jpeg", 400, 250))
		if err != nil || photo.ContentType != "image/jpeg" {
			t.Fatalf("a normal photo: %+v, %v", photo, err)
		}
		if err := svc.DeleteDocument(ctx, alice, a.ID, photo.ID); err != nil {
			t.Fatal(err)
		}
		front, err := up(alice, "cnic_front", `C:\scans\front.pdf`, pdf)
		if err != nil {
			t.Fatal(err)
		}
		if front.Filename != "front.pdf" || front.ContentType != "application/pdf" || front.Size != int64(len(pdf)) || len(front.SHA256) != 64 {
			t.Errorf("document = %+v", front)
		}
		wrong, err := up(alice, "cnic_front", "front-again.pdf", testbin.PDF("not needed"))
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.DeleteDocument(ctx, alice, a.ID, wrong.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, svc.DeleteDocument(ctx, alice, a.ID, wrong.ID), ENOTFOUND)
		if _, err := up(alice, "cnic_back", "back.pdf", testbin.PDF("back")); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Submit(ctx, alice, a.ID, nil)
		wantCode(t, err, EINVALID, "documents.incorporation_proof")
		if _, err := up(alice, "incorporation_proof", "secp.pdf", testbin.PDF("SECP")); err != nil {
			t.Fatal(err)
		}
		got, err := svc.GetApplication(ctx, alice, a.ID)
		if err != nil || len(got.Documents) != 3 || len(got.MissingDocuments()) != 0 {
			t.Fatalf("application documents = %v missing %v, %v", got.Documents, got.MissingDocuments(), err)
		}
		if _, err := svc.Submit(ctx, alice, a.ID, nil); err != nil {
			t.Fatal(err)
		}
		// Submitted: documents are fixed until it is returned.
		_, err = up(alice, "cnic_front", "again.pdf", pdf)
		wantCode(t, err, ECONFLICT, "draft or returned")
		wantCode(t, svc.DeleteDocument(ctx, alice, a.ID, front.ID), ECONFLICT)

		// Who may read: the owner and regulator staff, not another
		// applicant and not the operator.
		d, b, err := svc.ReadDocument(ctx, alice, a.ID, front.ID)
		if err != nil || !bytes.Equal(b, pdf) || d.ID != front.ID {
			t.Fatalf("owner read = %v, %v", d, err)
		}
		_, _, err = svc.ReadDocument(ctx, bob, a.ID, front.ID)
		wantCode(t, err, ENOTFOUND, "application "+a.ID+" not found")
		// A recorded document whose file is gone (a documents backup
		// older than the database) says so, not "internal error"; put
		// back, it opens again.
		rel, err := docstore.RelPath(front.ID)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(h.docsDir, "documents", filepath.FromSlash(rel))
		if err := os.Rename(file, file+".away"); err != nil {
			t.Fatal(err)
		}
		_, _, err = svc.ReadDocument(ctx, alice, a.ID, front.ID)
		wantCode(t, err, ECONFLICT, "its file is not in the registry's document store")
		if err := os.Rename(file+".away", file); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.ReadDocument(ctx, alice, a.ID, front.ID); err != nil {
			t.Fatalf("read once the file is back: %v", err)
		}
		// The operator sees the application, so it is told what is
		// withheld, not that the application does not exist (tester).
		_, _, err = svc.ReadDocument(ctx, ptcl, a.ID, front.ID)
		wantCode(t, err, ENOTFOUND, "not the applicant's documents")
		_, err = svc.ListDocuments(ctx, ptcl, a.ID)
		wantCode(t, err, ENOTFOUND, "not the applicant's documents")
		if op, err := svc.GetApplication(ctx, ptcl, a.ID); err != nil || op.Documents != nil {
			t.Fatalf("operator's view has documents %v, %v", op.Documents, err)
		}
		// The operator's read of the application is a staff read too.
		if acc, err := svc.Accesses(ctx, alice, a.ID); err != nil || len(acc) != 1 || acc[0].ActorRole != RoleOperator {
			t.Fatalf("accesses after the operator's read = %+v, %v", acc, err)
		}
		if _, err := svc.GetApplication(ctx, reviewer, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.ReadDocument(ctx, reviewer, a.ID, front.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = svc.ReadDocument(ctx, reviewer, a.ID, wrong.ID)
		wantCode(t, err, ENOTFOUND)
		acc, err := svc.Accesses(ctx, alice, a.ID)
		if err != nil || len(acc) != 3 || acc[1].Action != "application.viewed" || acc[2].Action != "document.viewed" ||
			acc[2].DocumentKind != DocCNICFront || acc[2].ActorRole != RoleReviewer || acc[2].ActorID != reviewer.ID {
			t.Fatalf("accesses = %+v, %v", acc, err)
		}
		_, err = svc.Accesses(ctx, bob, a.ID)
		wantCode(t, err, ENOTFOUND)

		// Retention: a year after the decision the contents go; the
		// records stay, marked.
		cs, _ := svc.ListChecks(ctx, ptcl, CheckPending)
		if _, err := svc.AnswerCheck(ctx, ptcl, cs[0].ID, "confirmed", ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Decide(ctx, reviewer, a.ID, DecisionInput{Decision: "approve"}); err != nil {
			t.Fatal(err)
		}
		h.clock.Add(364 * 24 * time.Hour)
		if res, err := svc.RunJobs(ctx); err != nil || res.DocumentsPurged != 0 {
			t.Fatalf("purged before the retention period: %+v, %v", res, err)
		}
		h.clock.Add(2 * 24 * time.Hour)
		res, err := svc.RunJobs(ctx)
		if err != nil || res.DocumentsPurged != 3 {
			t.Fatalf("purge = %+v, %v", res, err)
		}
		_, _, err = svc.ReadDocument(ctx, alice, a.ID, front.ID)
		wantCode(t, err, ECONFLICT, "retention")
		ds, err := svc.ListDocuments(ctx, alice, a.ID)
		if err != nil || len(ds) != 3 || ds[0].PurgedAt.IsZero() {
			t.Fatalf("after purge = %+v, %v", ds, err)
		}
		if res, err := svc.RunJobs(ctx); err != nil || res.DocumentsPurged != 0 {
			t.Fatalf("second purge = %+v, %v", res, err)
		}
	})
}

// No failed upload leaves content behind: after every refusal above the
// documents directory holds exactly the files the records name.
func TestRefusedUploadsLeaveNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		alice := h.applicant("individual")
		a, err := h.create(alice, ApplicationInput{Category: ptr("freelancer_vpn")})
		if err != nil {
			t.Fatal(err)
		}
		// Refused by their content, while the application has room: the
		// sealed file is written while the content is checked, and
		// removed when it is refused.
		for _, c := range [][]byte{[]byte("<html><script>alert(1)</script>"), []byte("%PDF-1.7\nnot a PDF at all"), append([]byte("\x89PNG\r\n\x1a\n"), "MZ\x90"...)} {
			_, err := h.svc.UploadDocument(h.ctx, alice, a.ID, UploadInput{Kind: "authentication_letter", Content: c})
			wantCode(t, err, EINVALID)
		}
		for i := 0; i < MaxDocuments-3; i++ {
			if _, err := h.svc.UploadDocument(h.ctx, alice, a.ID, UploadInput{Kind: "authentication_letter", Content: testbin.PDF("x")}); err != nil {
				t.Fatal(err)
			}
		}
		_, err = h.svc.UploadDocument(h.ctx, alice, a.ID, UploadInput{Kind: "authentication_letter", Content: testbin.PDF("x")})
		wantCode(t, err, ECONFLICT, "20 documents")
		h.svc.UploadDocument(h.ctx, alice, a.ID, UploadInput{Kind: "cnic_front", Content: []byte("<html>")})
		var files int
		filepath.WalkDir(filepath.Join(h.docsDir, "documents"), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files++
			}
			return nil
		})
		if files != MaxDocuments {
			t.Fatalf("%d files on disk for %d records", files, MaxDocuments)
		}
	})
}

// Uploads racing for an application's last free places: each passes the
// check before its content is read, and the transactions that record
// them must still let in only as many as there are places (on PostgreSQL
// the count is read after the application's row lock is taken).
func TestUploadsRaceForTheLastPlaces(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		alice := h.applicant("individual")
		a, err := h.create(alice, ApplicationInput{Category: ptr("freelancer_vpn")})
		if err != nil {
			t.Fatal(err)
		}
		held := len(RequiredDocuments(a.Category))
		for ; held < MaxDocuments-2; held++ {
			if _, err := h.svc.UploadDocument(h.ctx, alice, a.ID, UploadInput{Kind: "authentication_letter", Content: testbin.PDF("x")}); err != nil {
				t.Fatal(err)
			}
		}
		const racers = 8
		permits := make([]*UploadPermit, racers)
		for i := range permits {
			if permits[i], err = h.svc.PrepareDocumentUpload(h.ctx, alice, a.ID); err != nil {
				t.Fatalf("check %d before the race: %v", i, err)
			}
		}
		errs := make(chan error, racers)
		var wg sync.WaitGroup
		for _, p := range permits {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := h.svc.UploadPrepared(h.ctx, alice, p, UploadInput{Kind: "authentication_letter", Content: testbin.PDF("race")})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			if err == nil {
				ok++
			} else {
				wantCode(t, err, ECONFLICT, "20 documents")
			}
		}
		ds, err := h.svc.ListDocuments(h.ctx, alice, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ok != 2 || len(ds) != MaxDocuments {
			t.Fatalf("%d of %d racing uploads for 2 places recorded; the application holds %d documents, want %d", ok, racers, len(ds), MaxDocuments)
		}
	})
}
