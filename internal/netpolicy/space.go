package netpolicy

import (
	"bytes"
	_ "embed"
	"fmt"
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
	ps, _, err := prefixLines(r)
	return ps, err
}

// prefixLines is ParsePrefixList with the line of each prefix.
func prefixLines(r io.Reader) ([]netip.Prefix, []int, error) {
	lines, err := textfile.Lines(r)
	if err != nil {
		return nil, nil, err // "line N: …" or "read: …" already
	}
	out := make([]netip.Prefix, 0, len(lines))
	ns := make([]int, 0, len(lines))
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
			return nil, nil, &textfile.LineError{Line: l.N, Err: err}
		}
		out = append(out, p)
		ns = append(ns, l.N)
	}
	return out, ns, nil
}

// ParseOperatorSpace reads an operator's address space (a prefix list, as
// ParsePrefixList reads it) and holds it to what such a space can be:
// public addresses. A prefix in or overlapping special-purpose space
// (private, loopback, documentation, … from the IANA special-purpose
// registries, RFC 6890; IPv6 outside global unicast 2000::/3) is refused
// at its line: loaded, it would make every applicant's private addresses
// look like the operator's. Prefixes that repeat a line or lie inside
// another are reported in notes ("line 5: 14.1.104.0/24 lies inside
// 14.1.104.0/22 from line 2"), in the order of their lines, a repeat left
// out of the result,
// since an export with aggregates and their more-specifics is common and
// harmless, but a repeated line may be a paste gone wrong.
func ParseOperatorSpace(r io.Reader) (ps []netip.Prefix, notes []string, err error) {
	ps, lines, err := prefixLines(r)
	if err != nil {
		return nil, nil, err
	}
	for i, p := range ps {
		if sp, inside, ok := specialFor(p); ok {
			if inside {
				return nil, nil, &textfile.LineError{Line: lines[i], Err: fmt.Errorf("%s is %s (%s, %s); an operator's address space holds public addresses only: remove the line", p, sp.what, sp.prefix, sp.ref)}
			}
			return nil, nil, &textfile.LineError{Line: lines[i], Err: fmt.Errorf("%s overlaps %s (%s, %s); an operator's address space holds public addresses only: split it around that range or remove the line", p, sp.what, sp.prefix, sp.ref)}
		}
		if p.Addr().Is6() && !globalUnicastV6.Contains(p.Addr()) {
			return nil, nil, &textfile.LineError{Line: lines[i], Err: fmt.Errorf("%s is outside IPv6 global unicast space (2000::/3); an operator's address space holds public addresses only: remove the line", p)}
		}
	}
	// CIDR prefixes either nest or are apart: in address order, broadest
	// first, a prefix overlaps an earlier one only by lying inside the
	// widest seen so far.
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := ps[a].Addr().Compare(ps[b].Addr()); c != 0 {
			return c
		}
		return ps[a].Bits() - ps[b].Bits()
	})
	type note struct {
		line int
		text string
	}
	var found []note
	repeat := make([]bool, len(ps))
	cover := -1 // index into ps of the widest prefix reaching furthest so far
	for _, i := range order {
		if cover >= 0 && ps[cover].Addr().BitLen() == ps[i].Addr().BitLen() && ps[cover].Contains(ps[i].Addr()) {
			if ps[cover] == ps[i] {
				repeat[i] = true
				found = append(found, note{lines[i], fmt.Sprintf("line %d: %s repeats line %d; loaded once", lines[i], ps[i], lines[cover])})
			} else {
				found = append(found, note{lines[i], fmt.Sprintf("line %d: %s lies inside %s from line %d", lines[i], ps[i], ps[cover], lines[cover])})
			}
			continue
		}
		cover = i
	}
	slices.SortStableFunc(found, func(a, b note) int { return a.line - b.line })
	for _, n := range found {
		notes = append(notes, n.text)
	}
	out := ps[:0:0]
	for i, p := range ps {
		if !repeat[i] {
			out = append(out, p)
		}
	}
	return out, notes, nil
}

// The country's address space ships inside the binary: public RIR
// delegation data aggregated per country (see the files' headers).
var (
	//go:embed pk-ipv4.txt
	pkV4 []byte
	//go:embed pk-ipv6.txt
	pkV6 []byte
)

// PakistanPrefixes returns the prefixes of Pakistan's address space, IPv4
// then IPv6, in the embedded files' order: for clients that draw realistic
// addresses (the load generator), where Pakistan only answers membership.
func PakistanPrefixes() []netip.Prefix {
	v4, err := ParsePrefixList(bytes.NewReader(pkV4))
	if err != nil {
		panic("embedded pk-ipv4.txt: " + err.Error())
	}
	v6, err := ParsePrefixList(bytes.NewReader(pkV6))
	if err != nil {
		panic("embedded pk-ipv6.txt: " + err.Error())
	}
	return append(v4, v6...)
}

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
