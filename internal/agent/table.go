// Package agent is ipreg-agent: it keeps a verified copy of the registry's
// allowlist feed, answers "is this address registered?" at line rate, and
// exports the set to the kernel (nftables, ipset) and binds registered
// mobile numbers to their current address from RADIUS accounting.
package agent

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"unsafe"

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
//   - codes: 2 bits per /24 (4 MiB in all): nothing allowed, one range of
//     one entry (the whole /24 or part of it), several ranges that
//     together make one (a /32 inside an allowed /24, say), or several
//     ranges with gaps between them.
//     The 256 /24s of a /16 ("chunk") fill exactly one 64-byte cache line.
//     A miss costs this one access.
//   - slots: per chunk, per marked /24, the range (for several, from the
//     first one's start to the last one's end) and the entry (8 bytes);
//     /24s with several ranges point to ranges kept after the chunk's
//     slots.
//   - heads: per chunk one cache line (4 MiB in all) with where its slots
//     are, per word of its code line how many marked /24s the words
//     before it hold, and the ranges of its first 22 slots. A /24's slot
//     is then one popcount of its own code word away, and the head is
//     read alongside the code word, since both depend on the address
//     alone: most hits cost one access in parallel to the miss's, only
//     /24s beyond the head's 22 or with gaps between ranges a further one.
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

	// Fixed-size arrays, so that indexing them with a /24 or chunk number
	// needs no bounds check.
	codes *[codeWords]uint64 // 2 bits per /24; chunk c is words 8c … 8c+7
	heads *[chunks]chunkHead // per chunk, with where its slots are

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
	codeNone   = 0       // nothing in the /24 allowed
	codeOne    = 1       // one range (the whole /24 or part of it) of one entry
	codeSpan   = 2       // several ranges (entries) that together make one range
	codeGaps   = 3       // several ranges with gaps between them
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

// chunkHead is what a lookup needs of a chunk besides its code line, in
// one cache line: its n slots from base (nil for none), rank[w] the number
// of marked /24s in the line's words before word w (at most 7·32, so a
// byte), and lohi the range (lo | hi<<8) of its first slots, which spares
// most hits the access to the slot itself.
type chunkHead struct {
	base *slot
	rank [8]uint8
	n    uint32
	lohi [inlineSlots]uint16
}

// inlineSlots is how many slots' ranges fit in the rest of the head's
// cache line. With the data set (about 17 marked /24s per used
// chunk) all but a few percent of lookups find theirs there.
const inlineSlots = (64 - 20) / 2

// A head is one cache line (heads are allocated as one array, which starts
// on a page): a second line would be a second miss.
var _ [0]struct{} = [unsafe.Sizeof(chunkHead{}) - 64]struct{}{}

// head makes chunk c's head from its code line and slots.
func (t *Table) head(c uint32, slots []slot) chunkHead {
	h := chunkHead{n: uint32(len(slots))}
	if len(slots) > 0 {
		h.base = &slots[0]
	}
	for i, s := range slots[:min(len(slots), inlineSlots)] {
		h.lohi[i] = uint16(s.lo) | uint16(s.hi)<<8
	}
	k := 0
	for w, word := range t.codes[c*8 : c*8+8] {
		h.rank[w] = uint8(k)
		k += bits.OnesCount64(marked(word))
	}
	return h
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

// lookupBatch sets vals[i] to lookup(addrs[i]). Random addresses miss
// the caches at every step (the /24's code, its chunk's head, its slot,
// the entry), and one address's steps depend on each other, so the batch
// goes step by step over all its addresses, and each step first asks for
// the memory the next step will read (prefetch): the misses of a thousand
// addresses then overlap instead of being waited for one by one. The last
// step asks for the entries' records, which the answers are written from.
// Together this takes a half off a 1,000-address batch
// (BenchmarkLookupBatch).
func (t *Table) lookupBatch(addrs []netip.Addr, vals []int) {
	codes, heads := t.codes, t.heads
	for _, a := range addrs {
		if a.Is4() {
			b := a.As4()
			prefetch(unsafe.Pointer(&codes[(uint32(b[0])<<16|uint32(b[1])<<8|uint32(b[2]))>>5]))
		}
	}
	// Most addresses' codes say nothing is allowed: only the others'
	// heads are asked for.
	for i, a := range addrs {
		if !a.Is4() && !a.Is4In6() {
			vals[i] = t.lookup(a)
			continue
		}
		b := a.Unmap().As4()
		x := binary.BigEndian.Uint32(b[:])
		code := (codes[x>>13] >> ((x >> 7) & 62)) & 3
		if code == codeNone {
			vals[i] = -1
			continue
		}
		vals[i] = -2 // pending: decoded below
		prefetch(unsafe.Pointer(&heads[x>>16]))
	}
	for i, a := range addrs {
		if vals[i] == -2 {
			b := a.Unmap().As4()
			code, k := t.code(binary.BigEndian.Uint32(b[:]))
			vals[i] = -2 - (k<<2 | int(code))
			prefetch(unsafe.Add(unsafe.Pointer(heads[binary.BigEndian.Uint16(b[:2])].base), uintptr(k)*unsafe.Sizeof(slot{})))
		}
	}
	for i, a := range addrs {
		if v := vals[i]; v <= -2 {
			x := -2 - v
			b := a.Unmap().As4()
			v = slotLookup(t.slotsOf(uint32(binary.BigEndian.Uint16(b[:2]))), x>>2, uint64(x&3), b[3])
			if vals[i] = v; v >= 0 {
				prefetch(unsafe.Pointer(t.es.rec(uint32(v))))
			}
		}
	}
}

// Contains reports whether any entry contains a.
//
// Random addresses miss the caches, so what a lookup costs is how many of
// its memory accesses wait on each other, and how many lookups the
// processor keeps in flight at once, which every mispredicted branch
// undoes. A plain IPv4 address therefore takes a short path of few,
// predictable branches: the /24's 2-bit code, read straight from its word
// of the code table (whose size is fixed, so no bounds check), ends a
// miss. Otherwise the chunk's head, which depends on the address alone and
// so is fetched alongside the code, gives the /24's slot (one popcount)
// and, for most, its range; the answer is a range check, the same whether
// the /24 is whole (0-255), partly allowed, or allowed by several entries
// without gaps, as branching on which would be a coin toss the processor
// mostly loses.
func (t *Table) Contains(a netip.Addr) bool {
	if t != nil && a.Is4() {
		b := a.As4() // (As16 and its last four bytes measured 3× slower)
		x := binary.BigEndian.Uint32(b[:])
		// The /24's code: word x>>13 of the code table (chunk x>>16's line
		// of eight words, word (x>>13)&7), bits 2·((x>>8)&31).
		w := t.codes[x>>13]
		sh := (x >> 7) & 62
		code := (w >> sh) & 3
		if code == codeNone {
			return false
		}
		h := &t.heads[x>>16]
		k := uint(h.rank[(x>>13)&7]) + uint(bits.OnesCount64(marked(w)&(1<<sh-1)))
		if k < inlineSlots && code != codeGaps {
			r := h.lohi[k]
			return uint8(x)-uint8(r) <= uint8(r>>8)-uint8(r)
		}
		return slot4(h.base, k, code, uint8(x))
	}
	return t.containsOther(a)
}

// slot4 answers Contains for an address whose marked /24 has slot k among
// those from base, beyond the head's or with gaps between its ranges. The
// slots and the ranges a slot of several points at lie within the chunk's
// slots by construction (TestTableAgainstBart holds every answer to an
// independent table).
func slot4(base *slot, k uint, code uint64, lo uint8) bool {
	s := *(*slot)(unsafe.Add(unsafe.Pointer(base), k*uint(unsafe.Sizeof(slot{}))))
	if code != codeGaps {
		return lo-s.lo <= s.hi-s.lo
	}
	return find4(unsafe.Slice(base, int(s.val)+int(s.n))[s.val:], lo) >= 0
}

// find4 returns the entry of the range containing lo among a /24's several
// ranges (in order), or -1.
func find4(ranges []slot, lo uint8) int {
	for _, r := range ranges {
		if lo < r.lo {
			break
		}
		if lo <= r.hi {
			return int(r.val)
		}
	}
	return -1
}

// marked has the low bit of each 2-bit code in w set where the code is
// not codeNone: popcounts of it count marked /24s, which is how a /24
// finds its slot.
func marked(w uint64) uint64 { return (w | w>>1) & nzMask }

// codeWords is the code table's length: 2 bits for each of the 2^24 /24s.
const codeWords = 1 << 24 * 2 / 64

// containsOther answers Contains for IPv4-mapped and IPv6 addresses.
func (t *Table) containsOther(a netip.Addr) bool {
	if t == nil {
		return false
	}
	if a.Is4In6() {
		b := a.Unmap().As4()
		return t.contains4(binary.BigEndian.Uint32(b[:]))
	}
	return t.lookup6(addr128(a)) >= 0
}

// code returns a's /24 code and, for a marked /24, its slot's index in
// the chunk's slots.
func (t *Table) code(a uint32) (code uint64, k int) {
	w := t.codes[a>>13]
	sh := (a >> 7) & 62
	code = (w >> sh) & 3
	if code == codeNone {
		return code, 0
	}
	return code, int(t.heads[a>>16].rank[(a>>13)&7]) + bits.OnesCount64(marked(w)&(1<<sh-1))
}

func (t *Table) contains4(a uint32) bool {
	code, k := t.code(a)
	if code == codeNone {
		return false
	}
	return slot4(t.heads[a>>16].base, uint(k), code, uint8(a))
}

func (t *Table) lookup4(a uint32) int {
	code, k := t.code(a)
	if code == codeNone {
		return -1
	}
	return slotLookup(t.slotsOf(a>>16), k, code, uint8(a))
}

// slotsOf returns chunk c's slots.
func (t *Table) slotsOf(c uint32) []slot {
	h := &t.heads[c]
	return unsafe.Slice(h.base, h.n)
}

// slotLookup returns the entry of the range containing lo in a marked /24
// with code and slot k among slots, or -1.
func slotLookup(slots []slot, k int, code uint64, lo uint8) int {
	s := slots[k]
	if code == codeOne {
		if lo >= s.lo && lo <= s.hi {
			return int(s.val)
		}
		return -1
	}
	return find4(slots[s.val:s.val+uint32(s.n)], lo)
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

// structBytes is the size of the lookup structure, and that of the sorted
// prefixes kept for Apply (neither counts the entries themselves).
func (t *Table) structBytes() (lookup, spans int) {
	lookup = len(t.codes)*8 + len(t.heads)*int(unsafe.Sizeof(chunkHead{})) + len(t.v6)*40 + len(t.v6n)*24 + len(t.v6idx)*4
	for _, h := range t.heads {
		lookup += int(h.n) * int(unsafe.Sizeof(slot{}))
	}
	spans = len(t.s4)*24 + t.n4*12 + len(t.short4)*12 + len(t.s6)*32
	return lookup, spans
}
