package registry_test

import (
	"strings"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestDisguisedDocuments refuses the whole corpus of disguised files
// (testbin.Disguised) at the one check every upload goes through, each
// with a message saying what the file is.
func TestDisguisedDocuments(t *testing.T) {
	for _, f := range testbin.Disguised() {
		t.Run(f.Case, func(t *testing.T) {
			got, err := SniffDocument(t.Context(), f.Content)
			if err == nil || ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), f.Refusal) {
				t.Fatalf("= %q, %v; want an invalid error mentioning %q", got, err, f.Refusal)
			}
		})
	}
}

// The checks for polyglots leave real files alone: pictures with a
// camera's trailer or a second (preview) JPEG after the first's end, and
// PDFs with a line end after %%EOF.
func TestUndisguisedDocuments(t *testing.T) {
	jpg := testbin.Image("jpeg", 64, 48)
	for _, tt := range []struct {
		name string
		b    []byte
		want string
	}{
		{"jpeg", jpg, "image/jpeg"},
		{"jpeg with a preview jpeg after it (MPF)", append(append([]byte(nil), jpg...), testbin.Image("jpeg", 16, 12)...), "image/jpeg"},
		{"jpeg with a camera trailer", append(append([]byte(nil), jpg...), "SEFHSEFT\x00\x00<exif/>"...), "image/jpeg"},
		{"png", testbin.Image("png", 64, 48), "image/png"},
		{"pdf with a line end after %%EOF", append(testbin.PDF("x"), "\r\n"...), "application/pdf"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SniffDocument(t.Context(), tt.b)
			if err != nil || got != tt.want {
				t.Fatalf("= %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
