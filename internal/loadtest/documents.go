package loadtest

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
)

// document is one generated scan, uploaded as often as the mix needs.
type document struct {
	name, contentType string
	data              []byte
	sha256            [32]byte
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
			docs = append(docs, document{name: fmt.Sprintf("scan-%d.png", i), contentType: "image/png", data: buf.Bytes()})
			continue
		}
		pdf, err := pdfOf(img)
		if err != nil {
			return nil, err
		}
		docs = append(docs, document{name: fmt.Sprintf("scan-%d.pdf", i), contentType: "application/pdf", data: pdf})
	}
	for i := range docs {
		docs[i].sha256 = sha256.Sum256(docs[i].data)
	}
	return docs, nil
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
