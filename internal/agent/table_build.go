package agent

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"net/netip"
	"slices"
	"strings"

	"github.com/ipreg/ipreg/internal/feed"
)

// Building the table: prefixes parsed into spans, sorted in feed order,
// flattened into disjoint ranges, and laid out as table.go describes.

// dotted reads "a.b.c.d" (no leading zeros, as netip wants) at the start
// of s, returning the address and where it ends.
func dotted[T string | []byte](s T) (uint32, int, bool) {
	var a uint32
	i := 0
	for part := 0; part < 4; part++ {
		n, d := 0, 0
		for i < len(s) && d < 3 && s[i] >= '0' && s[i] <= '9' {
			n = n*10 + int(s[i]-'0')
			i++
			d++
		}
		if d == 0 || n > 255 || d > 1 && s[i-d] == '0' {
			return 0, 0, false
		}
		a = a<<8 | uint32(n)
		if part < 3 {
			if i >= len(s) || s[i] != '.' {
				return 0, 0, false
			}
			i++
		}
	}
	return a, i, true
}

// parse4 reads a canonical "a.b.c.d/n" without netip's generality, because
// Build parses a million of them; anything else reports false and the
// caller falls back to netip.
func parse4(s string) (uint32, uint8, bool) {
	a, i, ok := dotted(s)
	if !ok || i >= len(s) || s[i] != '/' {
		return 0, 0, false
	}
	i++
	n, d := 0, 0
	for i < len(s) && d < 2 && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
		d++
	}
	if d == 0 || i != len(s) || n > 32 || d > 1 && s[i-d] == '0' {
		return 0, 0, false
	}
	if n < 32 && a&(uint32(1)<<(32-n)-1) != 0 {
		return 0, 0, false
	}
	return a, uint8(n), true
}

// spanOf turns an entry's prefix into a span; ok is false for mobile
// numbers and prefixes that do not parse (feed.Entry.Validate refused
// those already).
func spanOf(e *feed.Entry, val uint32) (s4 span4, s6 span6, is4, ok bool) {
	if e.Prefix == "" {
		return s4, s6, false, false
	}
	if a, n, ok := parse4(e.Prefix); ok {
		return span4{a, n, val}, s6, true, true
	}
	p, err := netip.ParsePrefix(e.Prefix)
	if err != nil {
		return s4, s6, false, false
	}
	p = p.Masked()
	if p.Addr().Is4() {
		b := p.Addr().As4()
		return span4{binary.BigEndian.Uint32(b[:]), uint8(p.Bits()), val}, s6, true, true
	}
	return s4, span6{addr128(p.Addr()), uint8(p.Bits()), val}, false, true
}

// Feed order within a family: start, then length (broader first), then
// registration number; the narrower of two nested prefixes comes later,
// so in the flattening it sits on top. cmpPlace compares the first two.
func cmpPlace4(a, b span4) int {
	if c := cmp.Compare(a.start, b.start); c != 0 {
		return c
	}
	return cmp.Compare(a.bits, b.bits)
}

func (t *Table) cmp4(a, b span4) int {
	if c := cmpPlace4(a, b); c != 0 {
		return c
	}
	return strings.Compare(t.es.regOf(a.val), t.es.regOf(b.val))
}

func cmp128(a, b u128) int {
	if a.hi != b.hi {
		return cmp.Compare(a.hi, b.hi)
	}
	return cmp.Compare(a.lo, b.lo)
}

func cmpPlace6(a, b span6) int {
	if c := cmp128(a.start, b.start); c != 0 {
		return c
	}
	return cmp.Compare(a.bits, b.bits)
}

func (t *Table) cmp6(a, b span6) int {
	if c := cmpPlace6(a, b); c != 0 {
		return c
	}
	return strings.Compare(t.es.regOf(a.val), t.es.regOf(b.val))
}

// Build makes a table from entries. Mobile-number entries are ignored
// (see Bindings). Entries in feed order, as snapshots hold them, skip the
// sort.
func Build(entries []feed.Entry) *Table {
	t := &Table{es: entryStore{log: &entryLog{}}}
	s4 := make([]span4, 0, len(entries))
	for i := range entries {
		e := &entries[i]
		if !fits(e) {
			continue
		}
		s, s6, is4, ok := spanOf(e, uint32(t.es.n))
		switch {
		case !ok:
			continue
		case is4:
			s4 = append(s4, s)
		default:
			t.s6 = append(t.s6, s6)
		}
		t.es.add(e)
	}
	t.es.commit()
	if !slices.IsSortedFunc(s4, t.cmp4) {
		slices.SortFunc(s4, t.cmp4)
	}
	if !slices.IsSortedFunc(t.s6, t.cmp6) {
		slices.SortFunc(t.s6, t.cmp6)
	}
	// Cut the one sorted list into the chunks' (capped, so that no append
	// reaches a neighbour).
	t.s4, t.n4 = make([][]span4, chunks), len(s4)
	for i := 0; i < len(s4); {
		c := s4[i].start >> 16
		j := i + 1
		for j < len(s4) && s4[j].start>>16 == c {
			j++
		}
		t.s4[c] = s4[i:j:j]
		i = j
	}
	t.short4 = t.shortSpans()
	t.build4()
	t.build6()
	return t
}

func (t *Table) shortSpans() []span4 {
	var out []span4
	for _, c := range t.s4 {
		for _, s := range c {
			if s.bits < shortChunk {
				out = append(out, s)
			}
		}
	}
	return out
}

// build4 builds the IPv4 structure from s4, chunk by chunk, the slots of
// all chunks in one allocation.
func (t *Table) build4() {
	t.codes = new([codeWords]uint64)
	t.heads = new([chunks]chunkHead)
	buf := make([]slot, 0, t.n4+t.n4/8)
	var b chunkBuilder
	for c := uint32(0); c < chunks; c++ {
		if len(t.s4[c]) == 0 && len(t.short4) == 0 {
			continue
		}
		n := len(buf)
		buf = t.buildChunk(&b, c, buf)
		if len(buf) > n {
			t.heads[c] = t.head(c, buf[n:])
		}
	}
}

// chunkBuilder holds buffers reused across chunks.
type chunkBuilder struct {
	spans  []span4
	ranges []range4
	many   []slot
}

// buildChunk writes chunk c's codes and appends its slots to out, from the
// spans starting in it plus the shorter ones covering it.
func (t *Table) buildChunk(b *chunkBuilder, c uint32, out []slot) []slot {
	inner := t.s4[c]
	lo := c << 16
	spans := inner
	if len(t.short4) > 0 {
		// Covering prefixes nest, so ordered by length they are ordered
		// by start too, and all start before the chunk's own spans.
		b.spans = b.spans[:0]
		for l := 0; l < shortChunk; l++ {
			start := lo &^ uint32(uint64(1)<<(32-l)-1)
			if start == lo {
				continue // starts in this chunk: among inner already
			}
			k, _ := slices.BinarySearchFunc(t.short4, span4{start: start, bits: uint8(l)}, cmpPlace4)
			for ; k < len(t.short4) && t.short4[k].start == start && t.short4[k].bits == uint8(l); k++ {
				b.spans = append(b.spans, t.short4[k])
			}
		}
		if len(b.spans) > 0 {
			spans = append(b.spans, inner...)
		}
	}
	line := t.codes[c*8 : c*8+8]
	clear(line)
	if len(spans) == 0 {
		return out
	}
	b.ranges = flatten4(spans, b.ranges[:0])
	// Cut the ranges at the chunk's edges and at each /24; a /24 with one
	// piece gets a slot of its own, with several a run of ranges after
	// the chunk's slots.
	first := len(out)
	b.many = b.many[:0]
	var cur int64 = -1 // the /24 being collected
	var pieces []slot
	flush := func() {
		if cur < 0 || len(pieces) == 0 {
			return
		}
		j := uint32(cur) & 255
		code := uint64(codeOne)
		if len(pieces) == 1 {
			out = append(out, pieces[0])
		} else {
			code = codeSpan
			for i := 1; i < len(pieces); i++ {
				if pieces[i].lo != pieces[i-1].hi+1 {
					code = codeGaps
				}
			}
			out = append(out, slot{val: uint32(len(b.many)), n: uint16(len(pieces)), lo: pieces[0].lo, hi: pieces[len(pieces)-1].hi}) // val: made absolute below
			b.many = append(b.many, pieces...)
		}
		line[j>>5] |= code << ((j & 31) * 2)
		pieces = pieces[:0]
	}
	var buf [8]slot
	pieces = buf[:0]
	hi := lo | 0xffff
	for _, r := range b.ranges {
		if r.end < lo || r.start > hi {
			continue
		}
		s, e := max(r.start, lo), min(r.end, hi)
		for x := s >> 8; x <= e>>8; x++ {
			if int64(x) != cur {
				flush()
				cur = int64(x)
			}
			pl, ph := uint8(0), uint8(255)
			if x == s>>8 {
				pl = uint8(s)
			}
			if x == e>>8 {
				ph = uint8(e)
			}
			pieces = append(pieces, slot{val: r.val, lo: pl, hi: ph})
		}
	}
	flush()
	if len(b.many) > 0 {
		n := uint32(len(out) - first)
		for i := first; i < len(out); i++ {
			if out[i].n > 0 {
				out[i].val += n
			}
		}
		out = append(out, b.many...)
	}
	return out
}

// flatten4 turns nested or disjoint prefixes (prefixes never partly
// overlap), sorted in feed order, into disjoint sorted ranges, each valued
// by the most specific prefix covering it; of equal prefixes the first
// (lowest registration number) answers.
func flatten4(spans []span4, out []range4) []range4 {
	type open struct {
		end uint64
		val uint32
	}
	var stack [34]open // nesting is at most one per length
	n := 0
	var cur uint64
	emit := func(end uint64, val uint32) {
		if end >= cur {
			out = append(out, range4{uint32(cur), uint32(end), val})
		}
	}
	var prev span4
	for i, s := range spans {
		if i > 0 && s.start == prev.start && s.bits == prev.bits {
			continue
		}
		prev = s
		st, en := uint64(s.start), uint64(s.end())
		for n > 0 && stack[n-1].end < st {
			emit(stack[n-1].end, stack[n-1].val)
			cur = stack[n-1].end + 1
			n--
		}
		if n > 0 && cur < st {
			emit(st-1, stack[n-1].val)
		}
		cur = st
		stack[n] = open{en, s.val}
		n++
	}
	for ; n > 0; n-- {
		emit(stack[n-1].end, stack[n-1].val)
		cur = stack[n-1].end + 1
	}
	return out
}

// flatten6 is flatten4 for IPv6.
func flatten6(spans []span6) []range6 {
	out := make([]range6, 0, len(spans)+len(spans)/8)
	type open struct {
		end u128
		val uint32
	}
	var stack [130]open
	n := 0
	var cur u128
	done := false // a range reached the last address; nothing follows
	emit := func(end u128, val uint32) {
		if !done && !end.less(cur) {
			out = append(out, range6{cur, end, val})
		}
	}
	pop := func() {
		top := stack[n-1]
		n--
		emit(top.end, top.val)
		if top.end == (u128{^uint64(0), ^uint64(0)}) {
			done = true
		} else if top.end.lo == ^uint64(0) {
			cur = u128{top.end.hi + 1, 0}
		} else {
			cur = u128{top.end.hi, top.end.lo + 1}
		}
	}
	var prev span6
	for i, s := range spans {
		if i > 0 && s.start == prev.start && s.bits == prev.bits {
			continue
		}
		prev = s
		for n > 0 && stack[n-1].end.less(s.start) {
			pop()
		}
		if n > 0 && cur.less(s.start) {
			before := s.start
			if before.lo == 0 {
				before = u128{before.hi - 1, ^uint64(0)}
			} else {
				before.lo--
			}
			emit(before, stack[n-1].val)
		}
		cur = s.start
		stack[n] = open{s.end(), s.val}
		n++
	}
	for n > 0 {
		pop()
	}
	return out
}

// build6 builds the IPv6 ranges and their bucket index from s6.
func (t *Table) build6() {
	t.v6, t.v6n = flatten6(t.s6), nil
	// Allocations are /32 to /64 and registrations rarely narrower than a
	// /64: then the lower halves say nothing, and the smaller ranges keep
	// more of the table in the cache.
	narrow := true
	for _, r := range t.v6 {
		narrow = narrow && r.start.lo == 0 && r.end.lo == ^uint64(0)
	}
	if narrow && len(t.v6) > 0 {
		t.v6n = make([]range6n, len(t.v6))
		for i, r := range t.v6 {
			t.v6n[i] = range6n{r.start.hi, r.end.hi, r.val}
		}
		t.v6 = nil
	}
	t.index6()
}

// index6 makes the bucket index over the IPv6 ranges: keyed by the bits
// after those that all ranges share, each bucket's count of ranges
// starting before it.
func (t *Table) index6() {
	t.v6idx = nil
	n := t.n6()
	if n == 0 {
		return
	}
	t.v6lo, t.v6hi = t.r6(0).start, t.r6(n-1).end
	x := u128{t.v6lo.hi ^ t.v6hi.hi, t.v6lo.lo ^ t.v6hi.lo}
	t.v6skip = uint(bits.LeadingZeros64(x.hi))
	if x.hi == 0 {
		t.v6skip = 64 + uint(bits.LeadingZeros64(x.lo))
	}
	t.v6skip = min(t.v6skip, 127)
	t.v6bits = uint(min(max(bits.Len(uint(n)), 1), 20))
	t.v6idx = make([]uint32, 1<<t.v6bits+1)
	for i := 0; i < n; i++ {
		t.v6idx[t.r6(i).start.shl(t.v6skip).hi>>(64-t.v6bits)+1]++
	}
	for b := 1; b < len(t.v6idx); b++ {
		t.v6idx[b] += t.v6idx[b-1]
	}
}

// n6 is the number of IPv6 ranges; r6 the i-th, in either form.
func (t *Table) n6() int { return len(t.v6) + len(t.v6n) }

func (t *Table) r6(i int) range6 {
	if t.v6n != nil {
		r := t.v6n[i]
		return range6{u128{r.start, 0}, u128{r.end, ^uint64(0)}, r.val}
	}
	return t.v6[i]
}
