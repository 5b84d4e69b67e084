package agent

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ipreg/ipreg/internal/feed"
)

// Apply returns a new table with a delta's operations applied (ops in feed
// order, as feed.DecodeDelta returns them; mobile numbers are skipped),
// or an error, all or nothing: an add of an entry already there or a
// removal of one that is not refuses the whole delta. t is not changed and
// stays usable by lookups under way.
//
// Only what the delta touches is rebuilt: the /16 chunks with a changed
// IPv4 prefix get new prefix lists and slots; the others are shared with
// t, at the cost of copying the per-chunk headers and the 4 MiB code table.
// IPv6, usually much smaller, is rebuilt from its merged sorted list when
// it changes. New entries are appended to t's entry store (see
// entryStore.successor); those of removed prefixes stay until removals
// outnumber the live entries, and then the table is rebuilt compactly.
func (t *Table) Apply(ops []feed.Op) (_ *Table, err error) {
	nt := *t
	nt.es = t.es.successor()
	defer func() {
		if err != nil {
			nt.es.release(&t.es)
		}
	}()
	var ops4 []pending[span4]
	var ops6 []pending[span6]
	for i := range ops {
		o := &ops[i]
		add := o.Op == "add"
		var val uint32
		if add {
			val = uint32(nt.es.n)
		}
		s4, s6, is4, ok := spanOf(&o.Entry, val)
		switch {
		case !ok || !fits(&o.Entry):
			continue // a mobile number (not the table's), or what Build skips too
		case is4:
			ops4 = append(ops4, pending[span4]{s4, add, o})
		default:
			ops6 = append(ops6, pending[span6]{s6, add, o})
		}
		if add {
			nt.es.add(&o.Entry)
		}
	}
	if len(ops4) > 0 {
		if err := nt.apply4(t, ops4); err != nil {
			return nil, err
		}
	}
	if len(ops6) > 0 {
		s6, removed, err := mergeSpans(nil, t.s6, ops6, func(s span6, o *pending[span6]) int {
			return cmpPlace6(s, o.span)
		}, t.entry6Reg)
		if err != nil {
			return nil, err
		}
		nt.s6, nt.dead = s6, nt.dead+removed
		if !nt.patch6(t, ops6) {
			nt.build6()
		}
	}
	if nt.dead > 1024 && nt.dead > nt.Len() {
		nt.es.release(&t.es)
		return Build(nt.Entries()), nil
	}
	nt.es.commit()
	return &nt, nil
}

func (t *Table) entry4Reg(s span4) string { return t.es.regOf(s.val) }
func (t *Table) entry6Reg(s span6) string { return t.es.regOf(s.val) }

// pending is one delta operation on a prefix list.
type pending[S any] struct {
	span S
	add  bool
	op   *feed.Op
}

// mergeSpans merges sorted operations into a sorted span list, returning
// the new list and how many it removed. cmp compares an existing span with
// an operation's span on start and length; equal ones are then ordered by
// registration number (reg gives an existing span's). The list is appended
// to out (nil: a new one).
func mergeSpans[S any](out, old []S, ops []pending[S], cmp func(S, *pending[S]) int, reg func(S) string) ([]S, int, error) {
	if out == nil {
		out = make([]S, 0, len(old)+len(ops))
	}
	removed := 0
	i := 0
	for x := range ops {
		o := &ops[x]
		key := func(s S) int {
			if c := cmp(s, o); c != 0 {
				return c
			}
			return strings.Compare(reg(s), o.op.Reg)
		}
		j := gallop(old, i, key)
		out = append(out, old[i:j]...)
		i = j
		present := i < len(old) && key(old[i]) == 0
		switch {
		case o.add && present:
			return nil, 0, fmt.Errorf("adds %s of %s, which is already there", o.op.Prefix, o.op.Reg)
		case !o.add && !present:
			return nil, 0, fmt.Errorf("removes %s of %s, which is not there", o.op.Prefix, o.op.Reg)
		}
		if o.add {
			out = append(out, o.span)
		} else {
			i++
			removed++
		}
	}
	return append(out, old[i:]...), removed, nil
}

// gallop returns the first index at or after i whose element compares
// (key) at or above zero: an exponential probe from i, then a binary
// search, because consecutive operations usually land close together.
func gallop[S any](s []S, i int, key func(S) int) int {
	if i >= len(s) || key(s[i]) >= 0 {
		return i
	}
	lo, step := i, 1 // s[lo] is below
	hi := len(s)
	for lo+step < len(s) {
		if key(s[lo+step]) >= 0 {
			hi = lo + step
			break
		}
		lo += step
		step *= 2
	}
	return lo + 1 + sort.Search(hi-lo-1, func(y int) bool { return key(s[lo+1+y]) >= 0 })
}

// apply4 applies the IPv4 operations: the chunks they change get new
// prefix lists and are rebuilt (with every chunk a short prefix covers);
// the others, and the slots of all chunks not rebuilt, are shared with old.
func (t *Table) apply4(old *Table, ops []pending[span4]) error {
	t.s4 = slices.Clone(old.s4)
	t.codes = new([codeWords]uint64)
	*t.codes = *old.codes
	t.heads = new([chunks]chunkHead)
	*t.heads = *old.heads
	var rebuild []uint32
	short := false
	var spans arena[span4]
	for i := 0; i < len(ops); {
		c := ops[i].span.start >> 16
		j := i + 1
		for j < len(ops) && ops[j].span.start>>16 == c {
			j++
		}
		s, removed, err := mergeSpans(spans.take(len(old.s4[c])+j-i), old.s4[c], ops[i:j], func(s span4, o *pending[span4]) int {
			return cmpPlace4(s, o.span)
		}, old.entry4Reg)
		if err != nil {
			return err
		}
		t.s4[c], t.dead, t.n4 = s, t.dead+removed, t.n4+len(s)-len(old.s4[c])
		for _, o := range ops[i:j] {
			if o.span.bits < shortChunk {
				short = true
				for x := c; x <= o.span.end()>>16; x++ {
					rebuild = append(rebuild, x)
				}
			}
		}
		rebuild = append(rebuild, c)
		i = j
	}
	if short {
		t.short4 = t.shortSpans()
	}
	slices.Sort(rebuild)
	var b chunkBuilder
	var buf []slot
	var slots arena[slot]
	for _, c := range slices.Compact(rebuild) {
		buf = t.buildChunk(&b, c, buf[:0])
		t.heads[c] = t.head(c, append(slots.take(len(buf)), buf...))
	}
	return nil
}

// arena hands out capped slices from shared blocks, so that rebuilding
// thousands of small chunk lists costs a few allocations, not thousands.
type arena[S any] struct{ buf []S }

// take returns an empty slice with room for n (appending beyond n
// allocates anew rather than reach a neighbour).
func (a *arena[S]) take(n int) []S {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]S, 0, max(n, 1<<14))
	}
	l := len(a.buf)
	a.buf = a.buf[:l+n]
	return a.buf[l : l : l+n]
}

// patch6 updates narrow IPv6 ranges (see build6) instead of rebuilding
// them when each operation is one range added or removed: a /64 or wider
// prefix that no other prefix, old or new, contains, lies inside or
// equals. It reports false, changing nothing, when it cannot tell that
// this holds; the caller then rebuilds. t.s6 is the merged list already.
func (t *Table) patch6(old *Table, ops []pending[span6]) bool {
	if old.v6n == nil {
		return false
	}
	rs := old.v6n
	// first returns the first old range ending at or after x.
	first := func(x uint64) int { return sort.Search(len(rs), func(i int) bool { return rs[i].end >= x }) }
	once := func(list []span6, s span6) bool { // s's prefix occurs once in list
		i, found := slices.BinarySearchFunc(list, s, cmpPlace6)
		return found && (i+1 == len(list) || cmpPlace6(list[i+1], s) != 0)
	}
	// containedOld reports whether an old prefix contains s, walking the
	// old list in step with the operations (both are in place order) and
	// keeping the largest end of the prefixes before s: prefixes nest or
	// are disjoint, so one before s that ends at or after s's end contains
	// it. One pass over the list, and only when a removal needs it.
	var walk struct {
		j   int
		max u128
	}
	containedOld := func(s span6) bool {
		for ; walk.j < len(old.s6) && cmpPlace6(old.s6[walk.j], s) < 0; walk.j++ {
			if e := old.s6[walk.j].end(); walk.max.less(e) {
				walk.max = e
			}
		}
		return !walk.max.less(s.end())
	}
	var prevEnd uint64
	for n, o := range ops {
		start, end := o.span.start.hi, o.span.end().hi
		switch {
		case o.span.bits > 64, n > 0 && start <= prevEnd: // narrower than /64, or overlapping the previous operation
			return false
		case o.add:
			// Nothing old may overlap it (an old prefix containing it,
			// or lying inside it).
			if i := first(start); !once(t.s6, o.span) || i < len(rs) && rs[i].start <= end {
				return false
			}
		default:
			// Its old range must be all of it, and no old prefix may
			// contain it (its space would go back to that one). A prefix
			// containing it shows as a range touching it, unless other
			// prefixes tile the rest of the container; so when a neighbour
			// touches, the old list is asked.
			i := first(start)
			if !once(old.s6, o.span) || i == len(rs) || rs[i].start != start || rs[i].end != end {
				return false
			}
			if (i > 0 && rs[i-1].end+1 == start || i+1 < len(rs) && rs[i+1].start == end+1) && containedOld(o.span) {
				return false
			}
		}
		prevEnd = end
	}
	out := make([]range6n, 0, len(rs)+len(ops))
	i := 0
	for _, o := range ops {
		start, end := o.span.start.hi, o.span.end().hi
		j := i + sort.Search(len(rs)-i, func(x int) bool { return rs[i+x].start >= start })
		out = append(out, rs[i:j]...)
		i = j
		if o.add {
			out = append(out, range6n{start, end, o.span.val})
		} else {
			i++ // the range checked above
		}
	}
	out = append(out, rs[i:]...)
	if len(out) == 0 {
		return false
	}
	t.v6, t.v6n = nil, out
	t.index6()
	return true
}
