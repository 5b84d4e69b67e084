package registry

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// pngComplete reports whether a PNG's chunks (PNG specification, ISO/IEC
// 15948 5.3) run whole from the signature to IEND, each with its CRC
// right, with at least one IDAT (image data) before IEND. A file cut off
// in transfer, or a header with no pixels, fails. The image is not
// decoded: the check reads each byte once (CRC-32), where decoding a 50
// megapixel image would cost a core seconds and hundreds of megabytes.
//
// Nor can the image data be much smaller than the pixels it must hold:
// deflate packs at most 1032 bytes into one (RFC 1951: a 258-byte match
// costs at least two bits), so IDAT data under raw/1032 bytes, raw being
// the declared rows' bytes (IHDR: width × height × bits a pixel), cannot
// decode to the whole image: a 7071 × 7071 header with 12 bytes of IDAT
// is refused, as a viewer would show it broken.
//
// end is the offset just past IEND's CRC: anything from there on is no
// part of the image (pngTrailer).
func pngComplete(b []byte) (end int, ok bool) {
	var raw, idat int64
	sawIDAT := false
	for i := 8; len(b)-i >= 12; {
		n := int64(binary.BigEndian.Uint32(b[i:]))
		if n > int64(len(b)-i-12) {
			return 0, false
		}
		typ, data := b[i+4:i+8], b[i+8:i+8+int(n)]
		crc := crc32.Update(crc32.ChecksumIEEE(typ), crc32.IEEETable, data)
		if crc != binary.BigEndian.Uint32(b[i+8+int(n):]) {
			return 0, false
		}
		switch string(typ) {
		case "IHDR":
			if n == 13 {
				w, h := int64(binary.BigEndian.Uint32(data)), int64(binary.BigEndian.Uint32(data[4:]))
				channels := map[byte]int64{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[data[9]]
				raw = h * ((w*channels*int64(data[8]) + 7) / 8)
			}
		case "IDAT":
			sawIDAT = true
			idat += n
		case "IEND":
			return i + 12 + int(n), sawIDAT && idat*1032 >= raw
		}
		i += 12 + int(n)
	}
	return 0, false
}

// jpegComplete reports whether a JPEG's marker segments (ITU-T T.81 B.1)
// lead from SOI to a start of scan (SOS, the compressed pixels), and an
// end-of-image marker (EOI) follows the scan. Segments are walked by their
// lengths and the scan searched for EOI once, so the check is linear and
// decodes nothing; bytes after EOI (some cameras append a trailer) are
// allowed here, and looked at by disguised.
func jpegComplete(b []byte) bool {
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return false
		}
		m := b[i+1]
		switch {
		case m == 0xFF: // fill byte before a marker
			i++
			continue
		case m == 0xD8 || m == 0x01 || m >= 0xD0 && m <= 0xD7: // no length
			i += 2
			continue
		case m == 0xD9: // EOI before any scan
			return false
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return false
		}
		if m == 0xDA { // SOS: the scan follows its header
			return bytes.Contains(b[i+2+n:], []byte{0xFF, 0xD9})
		}
		i += 2 + n
	}
	return false
}
