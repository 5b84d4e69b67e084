package agent

import (
	"bytes"
	"fmt"
	"math/bits"
	"net/netip"
	"path/filepath"

	"github.com/ipreg/ipreg/internal/atomicfile"
)

// Interval is an inclusive address range of the merged allowlist.
type Interval struct{ First, Last netip.Addr }

// Merged returns the table's address space as maximal disjoint intervals,
// IPv4 first: what kernel sets need (nftables interval sets refuse
// overlapping elements; fewer elements load faster).
func (t *Table) Merged() (v4, v6 []Interval) {
	if t == nil {
		return nil, nil
	}
	t.merged4(func(lo, hi uint32) { v4 = append(v4, Interval{addr4(lo), addr4(hi)}) })
	t.merged6(func(lo, hi u128) { v6 = append(v6, Interval{addr6(lo), addr6(hi)}) })
	return v4, v6
}

func addr4(u uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)})
}

func addr6(u u128) netip.Addr {
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(u.hi >> (56 - 8*i))
		b[8+i] = byte(u.lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}

// Prefixes splits an interval into the fewest prefixes (for ipset's hash:net).
func (iv Interval) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	a := iv.First
	for {
		// The largest aligned block starting at a that stays within Last.
		bitsLen := a.BitLen()
		p := netip.PrefixFrom(a, bitsLen)
		for b := bitsLen - 1; b >= 0; b-- {
			q := netip.PrefixFrom(a, b)
			if q.Masked().Addr() != a || lastAddr(q).Compare(iv.Last) > 0 {
				break
			}
			p = q
		}
		out = append(out, p)
		last := lastAddr(p)
		if last == iv.Last || !last.Next().IsValid() {
			return out
		}
		a = last.Next()
	}
}

// NFTables returns an nft script that replaces the sets "allow4" and
// "allow6" of table inet ipreg in one transaction (nft -f applies a file
// atomically): create what is missing, flush, add the merged intervals.
// Rules that match on @allow4 / @allow6 never see a half-filled set.
func NFTables(t *Table, table string) []byte {
	v4, v6 := t.Merged()
	var b bytes.Buffer
	fmt.Fprintf(&b, "add table inet %s\n", table)
	fmt.Fprintf(&b, "add set inet %s allow4 { type ipv4_addr; flags interval; }\n", table)
	fmt.Fprintf(&b, "add set inet %s allow6 { type ipv6_addr; flags interval; }\n", table)
	fmt.Fprintf(&b, "flush set inet %s allow4\n", table)
	fmt.Fprintf(&b, "flush set inet %s allow6\n", table)
	for _, set := range []struct {
		name string
		ivs  []Interval
	}{{"allow4", v4}, {"allow6", v6}} {
		// Chunks keep lines short; they are still one transaction.
		for i := 0; i < len(set.ivs); i += 4096 {
			fmt.Fprintf(&b, "add element inet %s %s { ", table, set.name)
			for j, iv := range set.ivs[i:min(i+4096, len(set.ivs))] {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(iv.First.String())
				if iv.Last != iv.First {
					b.WriteByte('-')
					b.WriteString(iv.Last.String())
				}
			}
			b.WriteString(" }\n")
		}
	}
	return b.Bytes()
}

// IPSetMaxElem is the sets' maxelem. It is fixed, not sized to each list:
// after a swap the live set carries the temporary set's parameters, and
// "create -exist" fails on a set whose parameters differ, so a size that
// changed between runs would break the next one. hash:net allocates for
// the elements present, so a high ceiling costs nothing.
const IPSetMaxElem = 1 << 24

// IPSet returns an "ipset restore" script that fills fresh hash:net sets
// and swaps them for <name>4 and <name>6 (created if missing), so the
// live sets change in one instant, then destroys the old contents.
func IPSet(t *Table, name string) []byte {
	v4, v6 := t.Merged()
	var b bytes.Buffer
	for _, set := range []struct {
		fam, suffix string
		ivs         []Interval
	}{{"inet", "4", v4}, {"inet6", "6", v6}} {
		var ps []netip.Prefix
		for _, iv := range set.ivs {
			ps = append(ps, iv.Prefixes()...)
		}
		live, tmp := name+set.suffix, name+set.suffix+"-new"
		fmt.Fprintf(&b, "create %s hash:net family %s maxelem %d -exist\n", live, set.fam, IPSetMaxElem)
		fmt.Fprintf(&b, "create %s hash:net family %s maxelem %d -exist\n", tmp, set.fam, IPSetMaxElem)
		fmt.Fprintf(&b, "flush %s\n", tmp)
		for _, p := range ps {
			fmt.Fprintf(&b, "add %s %s\n", tmp, p)
		}
		fmt.Fprintf(&b, "swap %s %s\n", tmp, live)
		fmt.Fprintf(&b, "destroy %s\n", tmp)
	}
	return b.Bytes()
}

// writeFile replaces path atomically (write, fsync, rename).
func writeFile(path string, b []byte) error {
	return atomicfile.Write(filepath.Dir(path), filepath.Base(path), b, 0o644)
}

// ranges4 calls fn for each IPv4 range in order, adjacent ranges with
// different entries separately.
func (t *Table) ranges4(fn func(start, end uint32)) {
	for c := uint32(0); c < chunks; c++ {
		slots := t.slotsOf(c)
		if len(slots) == 0 {
			continue
		}
		k := 0
		for w := uint32(0); w < 8; w++ {
			word := t.codes[c*8+w]
			// Only the marked /24s: lowest set code first.
			for m := marked(word); m != 0; m &= m - 1 {
				sh := uint32(bits.TrailingZeros64(m))
				code := word >> sh & 3
				j := w*32 + sh/2
				s, at := slots[k], c<<16|j<<8
				k++
				if code == codeOne {
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
