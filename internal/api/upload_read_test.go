package api

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestReadAllChunked reads parts of every size around the chunk's edges,
// whole and in pieces, and gives back exactly what was sent, or the
// reader's error.
func TestReadAllChunked(t *testing.T) {
	const chunk = 64 << 10
	for _, n := range []int{0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 1_000_003} {
		want := make([]byte, n)
		for i := range want {
			want[i] = byte(i*7 + i/chunk) // differs across chunks, so a misplaced chunk shows
		}
		for name, r := range map[string]io.Reader{
			"whole":    bytes.NewReader(want),
			"halves":   iotest.HalfReader(bytes.NewReader(want)),
			"data+EOF": iotest.DataErrReader(bytes.NewReader(want)),
		} {
			got, err := readAllChunked(r)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%d bytes, %s: got %d bytes (equal %v), err %v", n, name, len(got), bytes.Equal(got, want), err)
			}
			if cap(got) != len(got) {
				t.Errorf("%d bytes, %s: capacity %d, want exactly the size read", n, name, cap(got))
			}
		}
	}
	boom := errors.New("connection reset")
	if _, err := readAllChunked(io.MultiReader(bytes.NewReader(make([]byte, chunk+5)), iotest.ErrReader(boom))); !errors.Is(err, boom) {
		t.Errorf("a failing body: err %v, want %v", err, boom)
	}
}

func BenchmarkReadUploadPart(b *testing.B) {
	part := make([]byte, 1_000_000)
	b.SetBytes(int64(len(part)))
	for _, tt := range []struct {
		name string
		read func(io.Reader) ([]byte, error)
	}{{"io.ReadAll", io.ReadAll}, {"chunked", readAllChunked}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tt.read(iotest.HalfReader(bytes.NewReader(part))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
