package registry

import (
	"bytes"
	"encoding/binary"
)

// Polyglots: a file that is a whole PDF, JPEG or PNG and, read from its
// end or searched for markup, also something else: a ZIP or Java archive
// (a ZIP reader looks for its directory at the end, so an archive appended
// to a picture, "GIFAR", or hung in a PDF's trailing comment opens as
// one), or HTML or script that a browser sniffing the bytes, or a viewer
// extracting the tail, would run. The checks read the file once and decode
// nothing.

// disguised refuses a file of contentType (already recognised and whole)
// that is also an archive, or whose bytes after the format's own end hold
// markup. Where the formats put that end: a PNG's IEND is checked by the
// caller (nothing may follow it); a JPEG may carry a camera's trailer after
// EOI, so only markup there is refused; a PDF's last %%EOF may be followed
// by a little padding, so only markup there is refused.
func disguised(b []byte, contentType string) error {
	if zipDirectory(b) {
		return Errorf(EINVALID, "the file is a %s with a ZIP or Java archive hidden in it, as a disguised file is; export or scan the document again and upload that file alone", typeWord(contentType))
	}
	var tail []byte
	switch contentType {
	case "image/jpeg":
		if i := jpegEnd(b); i >= 0 {
			tail = b[i:]
		}
	case "application/pdf":
		if i := bytes.LastIndex(b, []byte("%%EOF")); i >= 0 {
			tail = b[i+5:]
		}
	}
	if tag := markup(tail); tag != "" {
		return Errorf(EINVALID, "the file is a %s with web page code (%s) after its end, as a disguised file is; export or scan the document again and upload that file alone", typeWord(contentType), tag)
	}
	return nil
}

// typeWord names a document type for a message.
func typeWord(contentType string) string {
	switch contentType {
	case "application/pdf":
		return "PDF"
	case "image/jpeg":
		return "JPEG"
	case "image/png":
		return "PNG"
	}
	return contentType
}

// zipDirectory reports whether b ends in a ZIP end-of-central-directory
// record, the way a ZIP reader (and Java's, for a JAR) finds an archive:
// the signature PK\x05\x06 at most 65,535 bytes of comment plus the
// record's 22 bytes before the end, its comment length reaching exactly
// to the end of the file (APPNOTE.TXT 4.3.16). Requiring the exact length
// is what keeps a compressed picture, whose bytes may hold the signature
// by chance, from being taken for an archive.
//
// Every signature in that window is tried, found with bytes.Index (the
// vectorised search), not byte by byte: a byte loop over the last 64 KiB
// was 2 % of a filing's CPU (BENCHMARKS.md, thirteenth session).
func zipDirectory(b []byte) bool {
	const rec = 22
	if len(b) < rec {
		return false
	}
	lo := max(0, len(b)-rec-0xFFFF)
	// A record starts at most at len(b)-rec: the window ends 4 bytes
	// (the signature) after that.
	window := b[lo : len(b)-rec+4]
	for off := 0; ; {
		j := bytes.Index(window[off:], zipEOCD)
		if j < 0 {
			return false
		}
		i := lo + off + j
		if i+rec+int(binary.LittleEndian.Uint16(b[i+20:])) == len(b) {
			return true
		}
		off += j + 1
	}
}

// zipEOCD is the signature of a ZIP end-of-central-directory record.
var zipEOCD = []byte("PK\x05\x06")

// jpegEnd returns the offset just past the EOI that ends a JPEG's first
// scan, or -1 (jpegComplete has already checked it is there).
func jpegEnd(b []byte) int {
	for i := 2; i+4 <= len(b); {
		m := b[i+1]
		switch {
		case b[i] != 0xFF:
			return -1
		case m == 0xFF:
			i++
			continue
		case m == 0xD8 || m == 0x01 || m >= 0xD0 && m <= 0xD7:
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if m == 0xDA {
			j := bytes.Index(b[i+2+n:], []byte{0xFF, 0xD9})
			if j < 0 {
				return -1
			}
			return i + 2 + n + j + 2
		}
		i += 2 + n
	}
	return -1
}

// markupTags are the openings of what a browser would render or run; a
// camera's trailer or a PDF's padding holds none of them.
var markupTags = []string{"<html", "<!doctype", "<script", "<svg", "<iframe", "<body", "<object", "<embed", "<?php", "<?xml", "javascript:"}

// markup returns the first markup tag found in b (letter case ignored), or "".
func markup(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	low := bytes.ToLower(b)
	for _, t := range markupTags {
		if bytes.Contains(low, []byte(t)) {
			return t
		}
	}
	return ""
}
