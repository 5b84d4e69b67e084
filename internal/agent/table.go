// Package agent is ipreg-agent: it keeps a verified copy of the registry's
// allowlist feed, answers "is this address registered?" at line rate, and
// exports the set to the kernel (nftables, ipset) and binds registered
// mobile numbers to their current address from RADIUS accounting.
package agent

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"slices"
	"strings"

	"github.com/ipreg/ipreg/internal/feed"
)

// Table answers longest-prefix-match lookups over the allowlist. It is
// immutable: Build makes a new one off the hot path and the agent swaps it
// in through an atomic pointer, so lookups never lock or see half a version.
//
// Layout: every prefix is flattened into disjoint, sorted ranges, each
// mapped to its most specific entry. For IPv4 a bitmap with one bit per /24
// (2 MiB) answers a miss with one memory access; for a hit, a rank per
// bitmap word (1 MiB) plus a popcount locate the /24's first range
// directly, so a hit costs about four accesses. For IPv6 a sampled
// top-level index (every 16th range start) leads to a short scan.
type Table struct {
	entries []feed.Entry // prefix entries; range values index into it

	v4bits  []uint64 // bit per /24: some range touches it (2 MiB: a miss costs one access)
	v4rank  []uint32 // per bitmap word: how many marked /24s precede it (1 MiB)
	v4first []uint32 // per marked /24, in order: its first range
	v4      []range4

	v6top    []u128 // start of every v6step-th range
	v6starts []u128 // every range's start, scanned in blocks of v6step
	v6       []range6
}

type range4 struct {
	start, end uint32
	val        uint32
}

type u128 struct{ hi, lo uint64 }

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

type range6 struct {
	start, end u128
	val        uint32
}

const v6step = 16

func addr128(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// Result is one lookup's answer.
type Result struct {
	Allowed bool
	Entry   feed.Entry // the most specific matching entry, when allowed
}

// Len is the number of prefix entries.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}

// Entries returns the prefix entries (for exporters); do not modify.
func (t *Table) Entries() []feed.Entry { return t.entries }

// Lookup returns the most specific entry containing a.
func (t *Table) Lookup(a netip.Addr) (feed.Entry, bool) {
	i := t.lookup(a)
	if i < 0 {
		return feed.Entry{}, false
	}
	return t.entries[i], true
}

// Contains reports whether any entry contains a.
func (t *Table) Contains(a netip.Addr) bool { return t.lookup(a) >= 0 }

func (t *Table) lookup(a netip.Addr) int {
	if t == nil {
		return -1
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is4() {
		b := a.As4()
		return t.lookup4(binary.BigEndian.Uint32(b[:]))
	}
	return t.lookup6(addr128(a))
}

func (t *Table) lookup4(a uint32) int {
	s := a >> 8
	w := t.v4bits[s>>6]
	bit := uint64(1) << (s & 63)
	if w&bit == 0 {
		return -1
	}
	k := int(t.v4rank[s>>6]) + bits.OnesCount64(w&(bit-1))
	lo := int(t.v4first[k])
	hi := len(t.v4)
	if k+1 < len(t.v4first) {
		hi = int(t.v4first[k+1]) + 1
	}
	// Last range in [lo, hi) starting at or before a: usually the first.
	for lo+1 < hi && t.v4[lo+1].start <= a {
		if hi-lo > 8 {
			m := int(uint(lo+hi) >> 1)
			if t.v4[m].start <= a {
				lo = m
			} else {
				hi = m
			}
			continue
		}
		lo++
	}
	r := &t.v4[lo]
	if r.start > a || r.end < a {
		return -1
	}
	return int(r.val)
}

func (t *Table) lookup6(a u128) int {
	if len(t.v6) == 0 {
		return -1
	}
	// Last sample at or before a, then scan its block.
	lo, hi := 0, len(t.v6top)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !a.less(t.v6top[m]) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return -1
	}
	i := (lo - 1) * v6step
	end := min(i+v6step, len(t.v6starts))
	for i+1 < end && !a.less(t.v6starts[i+1]) {
		i++
	}
	r := &t.v6[i]
	if a.less(r.start) || r.end.less(a) {
		return -1
	}
	return int(r.val)
}

// span is a prefix as an interval, for the build.
type span struct {
	start, end u128
	bits       int
	val        int
}

// Build makes a table from entries; MSISDN entries are ignored (see
// Bindings). Entries need not be sorted.
func Build(entries []feed.Entry) *Table {
	t := &Table{v4bits: make([]uint64, (1<<24)/64), v4rank: make([]uint32, (1<<24)/64), entries: make([]feed.Entry, 0, len(entries))}
	s4 := make([]span, 0, len(entries))
	var s6 []span
	for _, e := range entries {
		if e.Prefix == "" {
			continue
		}
		p, err := netip.ParsePrefix(e.Prefix)
		if err != nil {
			continue // feed.Entry.Validate refused it already
		}
		i := len(t.entries)
		t.entries = append(t.entries, e)
		first := p.Masked().Addr()
		last := lastAddr(p)
		sp := span{start: addr128(first), end: addr128(last), bits: p.Bits(), val: i}
		if first.Is4() {
			s4 = append(s4, sp)
		} else {
			s6 = append(s6, sp)
		}
	}
	f4 := flatten(t.entries, s4)
	t.v4 = make([]range4, len(f4))
	for i, r := range f4 {
		t.v4[i] = range4{start: uint32(r.start.lo), end: uint32(r.end.lo), val: uint32(r.val)}
	}
	f6 := flatten(t.entries, s6)
	t.v6 = make([]range6, len(f6))
	for i, r := range f6 {
		t.v6[i] = range6{start: r.start, end: r.end, val: uint32(r.val)}
	}
	// IPv4 rank-indexed bitmap: mark every /24 a range touches, noting the
	// first range of each; ranges are sorted, so /24s come in order.
	last := int64(-1)
	for i, r := range t.v4 {
		for s := r.start >> 8; ; s++ {
			if int64(s) > last {
				t.v4bits[s>>6] |= 1 << (s & 63)
				t.v4first = append(t.v4first, uint32(i))
				last = int64(s)
			}
			if s == r.end>>8 {
				break
			}
		}
	}
	rank := uint32(0)
	for i, w := range t.v4bits {
		t.v4rank[i] = rank
		rank += uint32(bits.OnesCount64(w))
	}
	t.v6starts = make([]u128, len(t.v6))
	for i, r := range t.v6 {
		t.v6starts[i] = r.start
		if i%v6step == 0 {
			t.v6top = append(t.v6top, r.start)
		}
	}
	return t
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(a)*8; i++ {
		a[i/8] |= 0x80 >> (i % 8)
	}
	out, _ := netip.AddrFromSlice(a)
	return out
}

func inc(a u128) u128 {
	if a.lo == ^uint64(0) {
		return u128{a.hi + 1, 0}
	}
	return u128{a.hi, a.lo + 1}
}

func dec(a u128) u128 {
	if a.lo == 0 {
		return u128{a.hi - 1, ^uint64(0)}
	}
	return u128{a.hi, a.lo - 1}
}

// flatten turns nested or disjoint prefixes (prefixes never partly
// overlap) into disjoint sorted ranges, each valued by the most specific
// prefix covering it. Among equal prefixes the lowest key wins.
func flatten(entries []feed.Entry, spans []span) []span {
	// Feed order (Key order) is already start, then length, then key;
	// sort only when the caller's entries were not in it.
	cmp := func(a, b span) int {
		if a.start != b.start {
			if a.start.less(b.start) {
				return -1
			}
			return 1
		}
		if a.bits != b.bits {
			return a.bits - b.bits // broader first: the narrower is pushed later, so it sits on top
		}
		return strings.Compare(entries[a.val].Key(), entries[b.val].Key())
	}
	if !slices.IsSortedFunc(spans, cmp) {
		slices.SortFunc(spans, cmp)
	}
	out := make([]span, 0, len(spans)+len(spans)/8)
	var stack []span
	var cur u128
	exhausted := false // a range reached the last address; nothing can follow
	emit := func(end u128, val int) {
		if !exhausted && !end.less(cur) {
			out = append(out, span{start: cur, end: end, val: val})
		}
	}
	closeUntil := func(limit u128, all bool) {
		for len(stack) > 0 {
			top := stack[len(stack)-1]
			if !all && !top.end.less(limit) {
				return
			}
			emit(top.end, top.val)
			stack = stack[:len(stack)-1]
			if top.end == (u128{^uint64(0), ^uint64(0)}) {
				exhausted = true
			} else {
				cur = inc(top.end)
			}
		}
	}
	for _, s := range spans {
		if n := len(stack); n > 0 && stack[n-1].start == s.start && stack[n-1].end == s.end {
			continue // an equal prefix: the first (lowest key) already answers for it
		}
		closeUntil(s.start, false)
		if len(stack) > 0 && cur.less(s.start) {
			emit(dec(s.start), stack[len(stack)-1].val)
		}
		cur = s.start
		stack = append(stack, s)
	}
	closeUntil(u128{}, true)
	return out
}

// structBytes is the size of the lookup structure (not the entries).
func (t *Table) structBytes() int {
	return len(t.v4bits)*8 + len(t.v4rank)*4 + len(t.v4first)*4 + len(t.v4)*12 + len(t.v6top)*16 + len(t.v6starts)*16 + len(t.v6)*40
}
