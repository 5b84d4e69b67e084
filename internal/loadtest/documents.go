package loadtest

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"slices"
)

// document is one generated scan, uploaded as often as the mix needs,
// each time with a distinct stamp (see stamped).
type document struct {
	name, contentType string
	data              []byte
	sha256            [32]byte // of data as generated (the stamp all zeros)
	stamp             int      // offset of the stampPlaceholder's digits in data
}

// stampPlaceholder holds an upload's 16 hex digits: in a PDF a comment
// line after the header, in a PNG a tEXt chunk after IHDR (whose CRC
// stamped recomputes). Stamping in place keeps the PDF's offsets and the
// file whole, at the cost of one copy: the front and back of one
// application, and every application, differ as real scans do.
const stampPlaceholder = "%ipreg-loadtest-upload 0000000000000000"

// stamped returns a copy of d's bytes with n in its stamp.
func (d document) stamped(n uint64) []byte {
	b := bytes.Clone(d.data)
	copy(b[d.stamp:], fmt.Sprintf("%016x", n))
	if d.contentType == "image/png" {
		// The chunk is length(4) "tEXt" data CRC(4); the CRC covers type and data.
		start := d.stamp - (len(stampPlaceholder) - 16) - len("Comment\x00") - len("tEXt")
		end := d.stamp + 16
		binary.BigEndian.PutUint32(b[end:], crc32.ChecksumIEEE(b[start:end]))
	}
	return b
}

// withPNGStamp inserts a tEXt chunk holding the placeholder after the
// PNG's IHDR chunk (8 bytes of signature, 25 of IHDR) and returns the
// file and the offset of the stamp's digits.
func withPNGStamp(p []byte) ([]byte, int) {
	const afterIHDR = 8 + 25
	data := []byte("Comment\x00" + stampPlaceholder)
	var chunk bytes.Buffer
	binary.Write(&chunk, binary.BigEndian, uint32(len(data)))
	chunk.WriteString("tEXt")
	chunk.Write(data)
	binary.Write(&chunk, binary.BigEndian, crc32.ChecksumIEEE(chunk.Bytes()[4:]))
	out := slices.Concat(p[:afterIHDR], chunk.Bytes(), p[afterIHDR:])
	return out, afterIHDR + 8 + len(data) - 16
}

// makeDocuments generates the scans the clients upload: PNG photos and
// PDF scans of about 0.4, 0.8, 1.2 and 1.9 times mean bytes (300 KB to
// 2 MB for the default 1 MB, a phone's scan of an identity card or a
// letter). Their pixels are noise, so that compression cannot shrink them
// below a real scan's size, and they are whole files the registry's checks
// accept (a PNG with every chunk and CRC, a PDF with nothing active).
func makeDocuments(mean int, seed uint64) ([]document, error) {
	rng := rand.New(rand.NewPCG(seed, 0x5ca9))
	var docs []document
	for i, f := range []float64{0.4, 0.8, 1.2, 1.9} {
		target := int(float64(mean) * f)
		img := noise(rng, target)
		var buf bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
			return nil, fmt.Errorf("generate a PNG scan: %w", err)
		}
		if i%2 == 0 {
			p, at := withPNGStamp(buf.Bytes())
			docs = append(docs, document{name: fmt.Sprintf("scan-%d.png", i), contentType: "image/png", data: p, stamp: at})
			continue
		}
		pdf, err := pdfOf(img)
		if err != nil {
			return nil, err
		}
		at := bytes.Index(pdf, []byte(stampPlaceholder)) + len(stampPlaceholder) - 16
		docs = append(docs, document{name: fmt.Sprintf("scan-%d.pdf", i), contentType: "application/pdf", data: pdf, stamp: at})
	}
	for i := range docs {
		docs[i].sha256 = sha256.Sum256(docs[i].data)
	}
	return docs, nil
}

// ScanPDF is one of the PDF scans the load generator uploads, of about
// size bytes: a one-page A4 PDF whose image is noise (pdfOf), the same
// bytes for the same seed. The API's filing benchmark uploads it.
func ScanPDF(size int, seed uint64) ([]byte, error) {
	return pdfOf(noise(rand.New(rand.NewPCG(seed, 0x5ca9)), size))
}

// noise is a greyish RGB image of about target bytes when PNG-encoded:
// three bytes a pixel, nearly incompressible, in an A4-like 1:1.4 shape.
func noise(rng *rand.Rand, target int) *image.RGBA {
	px := max(target/3, 64)
	w := 1
	for w*w*14/10 < px {
		w++
	}
	h := max(px/w, 1)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(160 + rng.IntN(96))
			img.SetRGBA(x, y, color.RGBA{v, uint8(rng.IntN(256)), v - 20, 255})
		}
	}
	return img
}

// pdfOf is a one-page A4 PDF showing img, as a scanner's "save as PDF"
// writes it: the pixels as a Flate-compressed RGB image XObject, a
// content stream that draws it, and an exact cross-reference table.
func pdfOf(img *image.RGBA) ([]byte, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var raw bytes.Buffer
	zw := zlib.NewWriter(&raw)
	row := make([]byte, 3*w)
	for y := range h {
		for x := range w {
			o := img.PixOffset(x, y)
			copy(row[3*x:], img.Pix[o:o+3])
		}
		zw.Write(row)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("generate a PDF scan: %w", err)
	}
	content := "q 595 0 0 842 0 0 cm /Im1 Do Q"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream",
			w, h, raw.Len(), raw.Bytes()),
	}
	var buf bytes.Buffer
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	buf.WriteString(stampPlaceholder + "\n") // a comment: stamped per upload without moving an offset
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = buf.Len()
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return buf.Bytes(), nil
}
