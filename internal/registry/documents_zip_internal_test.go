package registry

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// zipDirectoryByByte is zipDirectory as it was first written, a byte at a
// time from the end: the rule's plain statement, which the vectorised
// search must agree with on every input.
func zipDirectoryByByte(b []byte) bool {
	const rec = 22
	lo := max(0, len(b)-rec-0xFFFF)
	for i := len(b) - rec; i >= lo; i-- {
		if b[i] == 'P' && b[i+1] == 'K' && b[i+2] == 5 && b[i+3] == 6 &&
			i+rec+int(binary.LittleEndian.Uint16(b[i+20:])) == len(b) {
			return true
		}
	}
	return false
}

func TestZipDirectory(t *testing.T) {
	// record returns a 22-byte end-of-central-directory record whose
	// comment length field says comment.
	record := func(comment int) []byte {
		r := make([]byte, 22)
		copy(r, "PK\x05\x06")
		binary.LittleEndian.PutUint16(r[20:], uint16(comment))
		return r
	}
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	zeros := func(n int) []byte { return make([]byte, n) }
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"empty", nil, false},
		{"shorter than a record", []byte("PK\x05\x06"), false},
		{"a record alone", record(0), true},
		{"a record at the end", cat(zeros(1000), record(0)), true},
		{"a record and its comment", cat(zeros(1000), record(5), zeros(5)), true},
		{"a comment longer than said", cat(zeros(1000), record(5), zeros(6)), false},
		{"a comment shorter than said", cat(zeros(1000), record(5), zeros(4)), false},
		{"the longest comment", cat(zeros(10), record(0xFFFF), zeros(0xFFFF)), true},
		{"a record too far from the end", cat(record(0), zeros(0xFFFF+1)), false},
		{"a chance signature before the real record", cat(zeros(10), []byte("PK\x05\x06"), zeros(100), record(3), zeros(3)), true},
		{"a chance signature only", cat(zeros(10), []byte("PK\x05\x06"), zeros(100)), false},
		{"a signature cut by the end", cat(zeros(100), []byte("PK\x05\x06"), zeros(17)), false},
		{"a record whose comment field is cut", cat(zeros(100), []byte("PK\x05\x06"), zeros(16)), false},
	}
	for _, tt := range tests {
		if got := zipDirectory(tt.b); got != tt.want {
			t.Errorf("%s: zipDirectory = %v, want %v", tt.name, got, tt.want)
		}
		if got := zipDirectoryByByte(tt.b); got != tt.want {
			t.Errorf("%s: the byte-at-a-time rule = %v, want %v (the case is wrong)", tt.name, got, tt.want)
		}
	}
	// Random files dense in signatures, with and without a real record
	// at some distance from the end: both readings agree.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := rng.IntN(70000)
		b := make([]byte, n)
		for i := range b {
			b[i] = "PK\x05\x06\x00\x01"[rng.IntN(6)]
		}
		if n >= 22 && rng.IntN(2) == 0 {
			at := n - 22 - rng.IntN(min(n-22, 0x10000)+1)
			if at >= 0 {
				copy(b[at:], record(n-22-at))
			}
		}
		if got, want := zipDirectory(b), zipDirectoryByByte(b); got != want {
			t.Fatalf("a %d-byte file: zipDirectory = %v, the byte-at-a-time rule %v", n, got, want)
		}
	}
}

func BenchmarkZipDirectory(b *testing.B) {
	data := make([]byte, 200<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	b.SetBytes(0xFFFF)
	for b.Loop() {
		zipDirectory(data)
	}
}
