package testbin

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// DisguisedFile is one file of the disguised-upload corpus: its name as
// uploaded (an accepted extension), its bytes, and a phrase the refusal's
// message must hold.
type DisguisedFile struct {
	Case, Filename string
	Content        []byte
	Refusal        string
}

// Disguised returns the corpus of disguised uploads every upload route
// must refuse: programs, web pages, images of other kinds, archives and
// office files renamed to .pdf, .png or .jpg; polyglots (a whole PDF, PNG
// or JPEG that is also a ZIP or Java archive, or carries a web page after
// its end); files cut off in transfer; and a PNG declaring a huge image.
func Disguised() []DisguisedFile {
	pdf, pngB, jpg := PDF("scan"), Image("png", 64, 48), Image("jpeg", 64, 48)
	zipOf := func(names ...string) []byte {
		var b bytes.Buffer
		w := zip.NewWriter(&b)
		for _, n := range names {
			f, _ := w.Create(n)
			f.Write([]byte("<script>alert(document.cookie)</script>"))
		}
		w.Close()
		return b.Bytes()
	}
	jar := zipOf("META-INF/MANIFEST.MF", "Exploit.class")
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	html := []byte("<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>")
	// A 65,535 × 65,535 header: the image data would be 17 GB as pixels.
	bomb := append([]byte(nil), pngB[:33]...)
	bomb[16], bomb[17], bomb[18], bomb[19] = 0, 0, 0xFF, 0xFF
	bomb[20], bomb[21], bomb[22], bomb[23] = 0, 0, 0xFF, 0xFF
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	bomb = append(bomb, pngB[len(pngB)-12:]...) // IEND
	return []DisguisedFile{
		{"windows program as pdf", "cnic.pdf", cat([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 64)), "a program"},
		{"linux program as png", "cnic.png", cat([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 64)), "a program"},
		{"html as pdf", "letter.pdf", html, "a web page (HTML)"},
		{"svg as png", "cnic.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`), "not a PDF, JPEG or PNG"},
		{"svg with xml declaration as jpg", "cnic.jpg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(2)</script></svg>`), "not a PDF, JPEG or PNG"},
		{"zip as pdf", "letter.pdf", zipOf("a.txt"), "not a PDF, JPEG or PNG"},
		{"jar as jpg", "cnic.jpg", jar, "not a PDF, JPEG or PNG"},
		{"office (docx) as pdf", "letter.pdf", zipOf("[Content_Types].xml", "word/document.xml"), "not a PDF, JPEG or PNG"},
		{"office (ole2 doc) as pdf", "letter.pdf", cat([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 504)), "not a PDF, JPEG or PNG"},
		{"gif as png", "cnic.png", []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"), "not a PDF, JPEG or PNG"},
		{"pdf with a zip appended", "letter.pdf", cat(pdf, zipOf("a.txt")), "ZIP or Java archive"},
		{"pdf with a zip in its padding", "letter.pdf", cat(pdf, []byte("\n"), zipOf("x")), "ZIP or Java archive"},
		{"png with html appended", "cnic.png", cat(pngB, html), "after the image's end"},
		{"png with a zip appended", "cnic.png", cat(pngB, zipOf("a.txt")), "after the image's end"},
		{"jpeg with a jar appended (gifar-like)", "cnic.jpg", cat(jpg, jar), "ZIP or Java archive"},
		{"jpeg with a script after its end", "cnic.jpg", cat(jpg, []byte("<script>alert(1)</script>")), "web page code"},
		{"pdf with html after its end", "letter.pdf", cat(pdf, []byte("\n<html><script>alert(1)</script>")), "web page code"},
		{"pdf cut off", "letter.pdf", pdf[:len(pdf)/2], "incomplete"},
		{"png cut off", "cnic.png", pngB[:len(pngB)-20], "incomplete"},
		{"jpeg cut off", "cnic.jpg", jpg[:len(jpg)-20], "incomplete"},
		{"png declaring 65535 × 65535 pixels", "cnic.png", bomb, "65535 pixels wide"},
	}
}

// Image encodes a w × h picture with some detail as "png" or "jpeg", as a
// small phone scan would be.
func Image(format string, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	if format == "png" {
		png.Encode(&b, img)
	} else {
		jpeg.Encode(&b, img, nil)
	}
	return b.Bytes()
}
