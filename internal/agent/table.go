// Package agent is ipreg-agent: it keeps a verified copy of the registry's
// allowlist feed, answers "is this address registered?" at line rate, and
// exports the set to the kernel (nftables, ipset) and binds registered
// mobile numbers to their current address from RADIUS accounting.
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

// Table answers longest-prefix-match lookups over the allowlist. It is
// immutable: Build makes one off the hot path, Apply makes the next version
// from a delta, and the agent swaps it in through an atomic pointer, so
// lookups never lock or see half a version.
//
// IPv4 layout (random lookups miss the CPU caches, so what counts is how
// many dependent memory accesses a lookup makes):
//
//   - codes: 2 bits per /24 (4 MiB in all): 0 nothing allowed, 1 the whole
//     /24 allowed by one entry, 2 one range inside it, 3 several ranges.
//     The 256 /24s of a /16 ("chunk") fill exactly one 64-byte cache line.
//     A miss costs this one access; so does Contains for a whole /24.
//   - slots: per chunk a slice (its header read alongside the cache line)
//     with, per marked /24, the entry and the range (8 bytes); a popcount
//     over the chunk's cache line gives the /24's slot, so a hit costs one
//     more access. /24s with several ranges point to ranges kept after
//     the chunk's slots.
//
// IPv6: the ranges sorted by start under a bucket index of the bits after
// those all ranges share: usually two accesses.
//
// The sorted prefixes themselves (s4 per chunk, s6) are kept for Apply,
// which rebuilds only the chunks a delta touches and shares the rest.
type Table struct {
	es   entryStore // span values index it
	dead int        // entries no span refers to any more (removed by Apply)

	s4     [][]span4 // per chunk: the IPv4 prefixes starting in it, in feed order (start, length, registration)
	n4     int       // how many in all
	short4 []span4   // those shorter than /16, which cover whole chunks
	s6     []span6   // IPv6 prefixes in feed order

	codes []uint64 // 2 bits per /24; chunk c is words 8c … 8c+7
	slots [][]slot // per chunk: a slot per marked /24, then the ranges of those with several

	v6     []range6  // the ranges, unless all are whole /64s or wider:
	v6n    []range6n // then these, their upper halves (24 bytes instead of 40)
	v6idx  []uint32  // bucket b: how many ranges start in a bucket below b
	v6lo   u128      // first range's start
	v6hi   u128      // last range's end
	v6skip uint      // leading bits all ranges share
	v6bits uint      // bucket key width
}

const (
	chunks     = 1 << 16 // /16s
	codeNone   = 0
	codeFull   = 1
	codeOne    = 2
	codeMany   = 3
	nzMask     = 0x5555555555555555
	shortChunk = 16 // prefixes shorter than this cover whole chunks
)

// slot is one marked /24: its entry and range (full, one), or where its
// ranges are among the chunk's slots (many: val is the first, n how many);
// those ranges are slots too.
type slot struct {
	val    uint32
	lo, hi uint8
	n      uint16
}

type span4 struct {
	start uint32
	bits  uint8
	val   uint32
}

func (s span4) end() uint32 { return s.start | uint32(uint64(1)<<(32-s.bits)-1) }

type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

// shl shifts left by n < 128 bits.
func (a u128) shl(n uint) u128 {
	if n >= 64 {
		return u128{a.lo << (n - 64), 0}
	}
	if n == 0 {
		return a
	}
	return u128{a.hi<<n | a.lo>>(64-n), a.lo << n}
}

type span6 struct {
	start u128
	bits  uint8
	val   uint32
}

func (s span6) end() u128 {
	if s.bits >= 64 {
		return u128{s.start.hi, s.start.lo | (^uint64(0) >> (s.bits - 64))}
	}
	return u128{s.start.hi | (^uint64(0) >> s.bits), ^uint64(0)}
}

type range4 struct{ start, end, val uint32 }

type range6 struct {
	start, end u128
	val        uint32
}

// range6n is a range of whole /64s: the upper 64 bits of its first and
// last address.
type range6n struct {
	start, end uint64
	val        uint32
}

func addr128(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// Len is the number of prefix entries.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return t.n4 + len(t.s6)
}

func (t *Table) entry(v uint32) feed.Entry { return t.es.get(v) }

// Entries returns the prefix entries in feed order (a new slice).
func (t *Table) Entries() []feed.Entry {
	if t == nil {
		return nil
	}
	out := make([]feed.Entry, 0, t.Len())
	for _, c := range t.s4 {
		for _, s := range c {
			out = append(out, t.entry(s.val))
		}
	}
	for _, s := range t.s6 {
		out = append(out, t.entry(s.val))
	}
	return out
}

// Lookup returns the most specific entry containing a.
func (t *Table) Lookup(a netip.Addr) (feed.Entry, bool) {
	v := t.lookup(a)
	if v < 0 {
		return feed.Entry{}, false
	}
	return t.entry(uint32(v)), true
}

// lookup returns the value of the most specific entry containing a, or -1.
func (t *Table) lookup(a netip.Addr) int {
	if t == nil {
		return -1
	}
	if a.Is4() || a.Is4In6() {
		b := a.Unmap().As4()
		return t.lookup4(binary.BigEndian.Uint32(b[:]))
	}
	return t.lookup6(addr128(a))
}

// lookupBatch sets vals[i] to lookup(addrs[i]) in two passes over the
// batch, the /24 codes first and then the slots, so that the cache misses
// of different addresses overlap instead of each waiting for its own.
func (t *Table) lookupBatch(addrs []netip.Addr, vals []int) {
	for i, a := range addrs {
		if !a.Is4() && !a.Is4In6() {
			vals[i] = t.lookup(a)
			continue
		}
		b := a.Unmap().As4()
		code, k := t.code(binary.BigEndian.Uint32(b[:]))
		vals[i] = -2 - (k<<2 | int(code)) // pending: decoded below
		if code == codeNone {
			vals[i] = -1
		}
	}
	for i, a := range addrs {
		if v := vals[i]; v <= -2 {
			x := -2 - v
			b := a.Unmap().As4()
			vals[i] = slotLookup(t.slots[binary.BigEndian.Uint16(b[:2])], x>>2, uint64(x&3), b[3])
		}
	}
}

// Contains reports whether any entry contains a.
func (t *Table) Contains(a netip.Addr) bool {
	if t == nil {
		return false
	}
	if a.Is4() || a.Is4In6() {
		b := a.Unmap().As4()
		return t.contains4(binary.BigEndian.Uint32(b[:]))
	}
	return t.lookup6(addr128(a)) >= 0
}

// code returns a's /24 code and, for a marked /24, its slot's index in
// the chunk's slots.
func (t *Table) code(a uint32) (code uint64, k int) {
	c := a >> 16
	j := (a >> 8) & 255
	line := (*[8]uint64)(t.codes[c*8 : c*8+8])
	w := line[j>>5]
	sh := (j & 31) * 2
	code = (w >> sh) & 3
	if code == codeNone {
		return code, 0
	}
	for i := uint32(0); i < j>>5; i++ {
		k += bits.OnesCount64((line[i] | line[i]>>1) & nzMask)
	}
	return code, k + bits.OnesCount64((w|w>>1)&nzMask&(1<<sh-1))
}

func (t *Table) contains4(a uint32) bool {
	code, k := t.code(a)
	switch code {
	case codeNone:
		return false
	case codeFull:
		return true
	}
	return slotLookup(t.slots[a>>16], k, code, uint8(a)) >= 0
}

func (t *Table) lookup4(a uint32) int {
	code, k := t.code(a)
	if code == codeNone {
		return -1
	}
	return slotLookup(t.slots[a>>16], k, code, uint8(a))
}

func slotLookup(slots []slot, k int, code uint64, lo uint8) int {
	s := slots[k]
	if code != codeMany {
		if lo >= s.lo && lo <= s.hi {
			return int(s.val)
		}
		return -1
	}
	for _, r := range slots[s.val : s.val+uint32(s.n)] {
		if lo < r.lo {
			break
		}
		if lo <= r.hi {
			return int(r.val)
		}
	}
	return -1
}

func (t *Table) lookup6(a u128) int {
	if t.v6idx == nil || a.less(t.v6lo) || t.v6hi.less(a) {
		return -1
	}
	b := a.shl(t.v6skip).hi >> (64 - t.v6bits)
	i, lo := int(t.v6idx[b+1])-1, int(t.v6idx[b])
	if t.v6n != nil {
		for i >= lo && a.hi < t.v6n[i].start {
			i--
		}
		if i >= 0 && a.hi <= t.v6n[i].end {
			return int(t.v6n[i].val)
		}
		return -1
	}
	for i >= lo && a.less(t.v6[i].start) {
		i--
	}
	if i < 0 {
		return -1
	}
	if r := &t.v6[i]; !r.end.less(a) {
		return int(r.val)
	}
	return -1
}

// touchEntries reads, for every value found, the entry and the first byte
// of its strings, in one tight pass: the answers then find them in the
// cache, and the misses of different entries overlap instead of each
// answer waiting for its own (the software form of a prefetch). Not
// inlined, so that the reads are not optimised away with the unused sum.
//
//go:noinline
func (t *Table) touchEntries(vals []int) byte {
	var sum byte
	for _, v := range vals {
		if v >= 0 {
			if r := &t.es.recs[v]; r.pfx > 0 {
				sum += t.es.text[r.off]
			}
		}
	}
	return sum
}

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
	text := 0
	for i := range entries {
		text += len(entries[i].Prefix) + len(entries[i].Reg) + len(entries[i].Cat)
	}
	t := &Table{es: entryStore{recs: make([]packed, 0, len(entries)), text: make([]byte, 0, text), log: &entryLog{}}}
	s4 := make([]span4, 0, len(entries))
	for i := range entries {
		e := &entries[i]
		if !fits(e) {
			continue
		}
		s, s6, is4, ok := spanOf(e, uint32(len(t.es.recs)))
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
	t.codes = make([]uint64, chunks*8)
	t.slots = make([][]slot, chunks)
	buf := make([]slot, 0, t.n4+t.n4/8)
	var b chunkBuilder
	for c := uint32(0); c < chunks; c++ {
		if len(t.s4[c]) == 0 && len(t.short4) == 0 {
			continue
		}
		n := len(buf)
		buf = t.buildChunk(&b, c, buf)
		if len(buf) > n {
			t.slots[c] = buf[n:len(buf):len(buf)]
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
		var code uint64
		switch {
		case len(pieces) == 1 && pieces[0].lo == 0 && pieces[0].hi == 255:
			code = codeFull
		case len(pieces) == 1:
			code = codeOne
		default:
			code = codeMany
		}
		if code == codeMany {
			out = append(out, slot{val: uint32(len(b.many)), n: uint16(len(pieces))}) // val: made absolute below
			b.many = append(b.many, pieces...)
		} else {
			out = append(out, pieces[0])
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
	t.v6, t.v6n, t.v6idx = flatten6(t.s6), nil, nil
	if len(t.v6) == 0 {
		return
	}
	t.v6lo, t.v6hi = t.v6[0].start, t.v6[len(t.v6)-1].end
	x := u128{t.v6lo.hi ^ t.v6hi.hi, t.v6lo.lo ^ t.v6hi.lo}
	t.v6skip = uint(bits.LeadingZeros64(x.hi))
	if x.hi == 0 {
		t.v6skip = 64 + uint(bits.LeadingZeros64(x.lo))
	}
	t.v6skip = min(t.v6skip, 127)
	t.v6bits = uint(min(max(bits.Len(uint(len(t.v6))), 1), 20))
	t.v6idx = make([]uint32, 1<<t.v6bits+1)
	for _, r := range t.v6 {
		t.v6idx[r.start.shl(t.v6skip).hi>>(64-t.v6bits)+1]++
	}
	for b := 1; b < len(t.v6idx); b++ {
		t.v6idx[b] += t.v6idx[b-1]
	}
	// Allocations are /32 to /64 and registrations rarely narrower than a
	// /64: then the lower halves say nothing, and the smaller ranges keep
	// more of the table in the cache.
	t.v6n = nil
	for _, r := range t.v6 {
		if r.start.lo != 0 || r.end.lo != ^uint64(0) {
			return
		}
	}
	t.v6n = make([]range6n, len(t.v6))
	for i, r := range t.v6 {
		t.v6n[i] = range6n{r.start.hi, r.end.hi, r.val}
	}
	t.v6 = nil
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

// ranges4 calls fn for each IPv4 range in order, adjacent ranges with
// different entries separately.
func (t *Table) ranges4(fn func(start, end uint32)) {
	for c := uint32(0); c < chunks; c++ {
		slots := t.slots[c]
		if len(slots) == 0 {
			continue
		}
		k := 0
		for w := uint32(0); w < 8; w++ {
			word := t.codes[c*8+w]
			// Only the marked /24s: lowest set code first.
			for m := (word | word>>1) & nzMask; m != 0; m &= m - 1 {
				sh := uint32(bits.TrailingZeros64(m))
				code := word >> sh & 3
				j := w*32 + sh/2
				s, at := slots[k], c<<16|j<<8
				k++
				if code != codeMany {
					fn(at|uint32(s.lo), at|uint32(s.hi))
					continue
				}
				for _, r := range slots[s.val : s.val+uint32(s.n)] {
					fn(at|uint32(r.lo), at|uint32(r.hi))
				}
			}
		}
	}
}

// structBytes is the size of the lookup structure, and that of the sorted
// prefixes kept for Apply (neither counts the entries themselves).
func (t *Table) structBytes() (lookup, spans int) {
	lookup = len(t.codes)*8 + len(t.slots)*24 + len(t.v6)*40 + len(t.v6n)*24 + len(t.v6idx)*4
	for _, s := range t.slots {
		lookup += cap(s) * 8
	}
	spans = len(t.s4)*24 + t.n4*12 + len(t.short4)*12 + len(t.s6)*32
	return lookup, spans
}

// merged4 calls fn for each maximal IPv4 interval (adjacent ranges joined),
// in order: what kernel sets need.
func (t *Table) merged4(fn func(lo, hi uint32)) {
	var lo, hi uint64
	open := false
	t.ranges4(func(s, e uint32) {
		if open && uint64(s) == hi+1 {
			hi = uint64(e)
			return
		}
		if open {
			fn(uint32(lo), uint32(hi))
		}
		lo, hi, open = uint64(s), uint64(e), true
	})
	if open {
		fn(uint32(lo), uint32(hi))
	}
}

// merged6 is merged4 for IPv6.
func (t *Table) merged6(fn func(lo, hi u128)) {
	n := t.n6()
	for i := 0; i < n; {
		lo, hi := t.r6(i).start, t.r6(i).end
		for i++; i < n && hi != (u128{^uint64(0), ^uint64(0)}) && t.r6(i).start == inc(hi); i++ {
			hi = t.r6(i).end
		}
		fn(lo, hi)
	}
}

func inc(a u128) u128 {
	if a.lo == ^uint64(0) {
		return u128{a.hi + 1, 0}
	}
	return u128{a.hi, a.lo + 1}
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(a)*8; i++ {
		a[i/8] |= 0x80 >> (i % 8)
	}
	out, _ := netip.AddrFromSlice(a)
	return out
}
