package netpolicy

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
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

// ParsePrefixList reads one prefix or address per line; blank lines and
// lines starting with # are skipped, and text after a # or a comma on a line
// is ignored, so RIR-style and CSV-style files both load. Errors name the line.
func ParsePrefixList(r io.Reader) ([]netip.Prefix, error) {
	var out []netip.Prefix
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexAny(line, "#,"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		p, err := ParsePrefix(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read prefix list: %w", err)
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
