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
	// slotBase[c] is &slots[c][0] (nil for none): 8 bytes a chunk, 512 KiB
	// in all, small enough to stay in cache, so Contains can fetch it
	// before it knows the /24's code at no cost to a miss.
	slotBase []*slot

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

// lookupBatch sets vals[i] to lookup(addrs[i]). Random addresses miss
// the caches at every step (the /24's code line, its slot, the entry), and
// one address's steps depend on each other, so the batch goes step by step
// over all its addresses, and each step first asks for the memory the next
// step will read (prefetch): the misses of a thousand addresses then
// overlap instead of being waited for one by one. The last step asks for
// the entries' records, which the answers are written from. Together this
// takes a third to a half off a 1,000-address batch (BenchmarkLookupBatch).
func (t *Table) lookupBatch(addrs []netip.Addr, vals []int) {
	codes := (*[codeWords]uint64)(t.codes)
	bases := (*[chunks]*slot)(t.slotBase)
	for _, a := range addrs {
		if a.Is4() {
			b := a.As4()
			prefetch(unsafe.Pointer(&codes[(uint32(b[0])<<8|uint32(b[1]))*8]))
		}
	}
	for i, a := range addrs {
		if !a.Is4() && !a.Is4In6() {
			vals[i] = t.lookup(a)
			continue
		}
		b := a.Unmap().As4()
		x := binary.BigEndian.Uint32(b[:])
		code, k := t.code(x)
		if code == codeNone {
			vals[i] = -1
			continue
		}
		vals[i] = -2 - (k<<2 | int(code)) // pending: decoded below
		prefetch(unsafe.Pointer(&bases[x>>16]))
	}
	for i, a := range addrs {
		if v := vals[i]; v <= -2 {
			b := a.Unmap().As4()
			prefetch(unsafe.Add(unsafe.Pointer(bases[binary.BigEndian.Uint16(b[:2])]), uintptr((-2-v)>>2)*unsafe.Sizeof(slot{})))
		}
	}
	for i, a := range addrs {
		if v := vals[i]; v <= -2 {
			x := -2 - v
			b := a.Unmap().As4()
			v = slotLookup(t.slots[binary.BigEndian.Uint16(b[:2])], x>>2, uint64(x&3), b[3])
			if vals[i] = v; v >= 0 {
				prefetch(unsafe.Pointer(t.es.rec(uint32(v))))
			}
		}
	}
}

// Contains reports whether any entry contains a.
//
// A plain IPv4 address takes a short path the compiler keeps small: the
// /24's 2-bit code read straight from its word of the code table (whose
// size is fixed, so no bounds check), which answers a miss or a whole /24
// with one memory access and few enough instructions that the processor
// overlaps the memory accesses of consecutive lookups.
func (t *Table) Contains(a netip.Addr) bool {
	if t != nil && a.Is4() {
		b := a.As4() // (As16 and its last four bytes measured 3× slower)
		x := binary.BigEndian.Uint32(b[:])
		// The /24's code: word x>>13 of the code table (chunk x>>16's line
		// of eight words, word (x>>13)&7), bits 2·((x>>8)&31).
		code := ((*[codeWords]uint64)(t.codes)[x>>13] >> ((x >> 7) & 62)) & 3
		switch code {
		case codeNone:
			return false
		case codeFull:
			return true
		}
		return t.inside4(x, code)
	}
	return t.containsOther(a)
}

// inside4 answers Contains for an address in a /24 that is partly
// allowed (code one or many): its slot, found by a popcount over the
// chunk's code line, then the slot's range or ranges. Kept out of Contains
// so that the path of a miss or a whole /24 stays short.
func (t *Table) inside4(x uint32, code uint64) bool {
	// Where the chunk's slots are: a small table that stays in cache, read
	// directly rather than through the chunk's slice header.
	base := (*[chunks]*slot)(t.slotBase)[x>>16]
	line := (*[8]uint64)((*[codeWords]uint64)(t.codes)[x>>16*8:])
	j := (x >> 8) & 255
	w := line[j>>5]
	sh := (j & 31) * 2
	k := 0
	for i := uint32(0); i < j>>5; i++ {
		k += bits.OnesCount64((line[i] | line[i]>>1) & nzMask)
	}
	k += bits.OnesCount64((w | w>>1) & nzMask & (1<<sh - 1))
	// A marked /24 has its slot k, and a slot of several ranges points at
	// them within the chunk's slots: the lengths given here lie inside the
	// chunk's allocation by construction (TestTableAgainstBart holds every
	// answer to an independent table).
	s := *(*slot)(unsafe.Add(unsafe.Pointer(base), uintptr(k)*unsafe.Sizeof(slot{})))
	if code != codeMany {
		return uint8(x) >= s.lo && uint8(x) <= s.hi
	}
	for _, r := range unsafe.Slice(base, int(s.val)+int(s.n))[s.val:] {
		if uint8(x) < r.lo {
			break
		}
		if uint8(x) <= r.hi {
			return true
		}
	}
	return false
}

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

// structBytes is the size of the lookup structure, and that of the sorted
// prefixes kept for Apply (neither counts the entries themselves).
func (t *Table) structBytes() (lookup, spans int) {
	lookup = len(t.codes)*8 + len(t.slots)*24 + len(t.slotBase)*8 + len(t.v6)*40 + len(t.v6n)*24 + len(t.v6idx)*4
	for _, s := range t.slots {
		lookup += cap(s) * 8
	}
	spans = len(t.s4)*24 + t.n4*12 + len(t.short4)*12 + len(t.s6)*32
	return lookup, spans
}
