package loadtest

import (
	"bytes"
	"crypto/sha256"
	"image/png"
	"testing"
)

// Each upload of a scan is distinct (a front and back of one application
// are not the same file) and still a whole file: the PNG decodes with its
// CRCs checked, the PDF keeps its length, so its xref offsets hold.
func TestStampedUploadsDiffer(t *testing.T) {
	docs, err := makeDocuments(20_000, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			a, b := d.stamped(1), d.stamped(2)
			if bytes.Equal(a, b) || sha256.Sum256(a) == sha256.Sum256(b) {
				t.Fatal("two uploads are byte-identical")
			}
			if len(a) != len(d.data) || !bytes.Equal(d.stamped(0), d.data) {
				t.Fatal("stamping changed more than the stamp")
			}
			if d.contentType == "image/png" {
				for _, p := range [][]byte{a, b} {
					if _, err := png.Decode(bytes.NewReader(p)); err != nil {
						t.Fatalf("stamped PNG does not decode: %v", err)
					}
				}
			}
		})
	}
}
