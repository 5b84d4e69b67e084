package netpolicy

import (
	"bytes"
	_ "embed"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/ipreg/ipreg/internal/textfile"
)

// Space is a set of address ranges (the country's, or one operator's),
// merged and sorted so that membership is a binary search.
type Space struct {
	v4, v6 []addrRange
}

type addrRange struct{ first, last netip.Addr }

// NewSpace builds a Space from prefixes; overlapping and adjacent ones merge.
func NewSpace(prefixes []netip.Prefix) *Space {
	s := &Space{}
	for _, p := range prefixes {
		f, l := Bounds(p)
		if f.Is4() {
			s.v4 = append(s.v4, addrRange{f, l})
		} else {
			s.v6 = append(s.v6, addrRange{f, l})
		}
	}
	s.v4, s.v6 = merge(s.v4), merge(s.v6)
	return s
}

func merge(rs []addrRange) []addrRange {
	slices.SortFunc(rs, func(a, b addrRange) int { return a.first.Compare(b.first) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			// Adjacent (last+1 == first) or overlapping ranges become one.
			if next := last.last.Next(); !next.IsValid() || r.first.Compare(next) <= 0 {
				if r.last.Compare(last.last) > 0 {
					last.last = r.last
				}
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// Len is the number of merged ranges.
func (s *Space) Len() int { return len(s.v4) + len(s.v6) }

// Contains reports whether p lies wholly inside the space.
func (s *Space) Contains(p netip.Prefix) bool {
	if s == nil {
		return false
	}
	f, l := Bounds(p)
	rs := s.v4
	if f.Is6() {
		rs = s.v6
	}
	// The last range starting at or before f is the only candidate.
	i, found := slices.BinarySearchFunc(rs, f, func(r addrRange, a netip.Addr) int { return r.first.Compare(a) })
	if !found {
		i--
	}
	return i >= 0 && rs[i].last.Compare(l) >= 0
}

// ParsePrefixList reads one prefix or address per line through
// textfile.Lines (a UTF-8 BOM dropped, LF or CRLF, # comments, blank lines
// skipped); text after a comma on a line is ignored too, so CSV-style files
// load. Errors are *textfile.LineError naming the line as an editor counts it.
func ParsePrefixList(r io.Reader) ([]netip.Prefix, error) {
	lines, err := textfile.Lines(r)
	if err != nil {
		return nil, err // "line N: …" or "read: …" already
	}
	out := make([]netip.Prefix, 0, len(lines))
	for _, l := range lines {
		text := l.Text
		if i := strings.IndexByte(text, ','); i >= 0 {
			text = strings.TrimSpace(text[:i])
			if text == "" {
				continue
			}
		}
		p, err := ParsePrefix(text)
		if err != nil {
			return nil, &textfile.LineError{Line: l.N, Err: err}
		}
		out = append(out, p)
	}
	return out, nil
}

// The country's address space ships inside the binary: public RIR
// delegation data aggregated per country (see the files' headers).
var (
	//go:embed pk-ipv4.txt
	pkV4 []byte
	//go:embed pk-ipv6.txt
	pkV6 []byte
)

// Pakistan returns Pakistan's address space from the embedded RIR data.
func Pakistan() *Space {
	v4, err := ParsePrefixList(bytes.NewReader(pkV4))
	if err != nil {
		panic("embedded pk-ipv4.txt: " + err.Error()) // the file ships with the binary; a test reads it
	}
	v6, err := ParsePrefixList(bytes.NewReader(pkV6))
	if err != nil {
		panic("embedded pk-ipv6.txt: " + err.Error())
	}
	return NewSpace(append(v4, v6...))
}
