//go:build linux

package agent

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/ipreg/ipreg/internal/netpolicy"
)

// ApplyNFT replaces the kernel sets allow4 and allow6 of table inet <table>
// with the table's merged intervals in one netlink batch, which the kernel
// applies as one transaction: rules matching @allow4/@allow6 see the old
// set or the new, never a mix. netns is an open network-namespace file
// descriptor, or -1 for the agent's own namespace.
//
// The table and sets are created first if missing (google/nftables, a
// small transaction of its own). The replacement is then encoded by hand,
// element by element into one buffer per message: through the library every
// element is several allocated attributes, which for a million elements
// took 1.8 GB and five seconds.
func ApplyNFT(t *Table, table string, netns int) error {
	var opts []nftables.ConnOption
	if netns >= 0 {
		opts = append(opts, nftables.WithNetNSFd(netns))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	tab := c.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: table})
	for _, s := range []*nftables.Set{
		{Table: tab, Name: "allow4", KeyType: nftables.TypeIPAddr, Interval: true},
		{Table: tab, Name: "allow6", KeyType: nftables.TypeIP6Addr, Interval: true},
	} {
		if err := c.AddSet(s, nil); err != nil {
			return fmt.Errorf("nftables set %s: %w", s.Name, err)
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: create table and sets: %w", err)
	}

	// The whole batch, built in one buffer: begin, per set a flush and the
	// element messages, end. About 30 bytes per element.
	b := &nlBatch{buf: make([]byte, 0, 1<<20+t.Len()*64)}
	b.msg(unix.NFNL_MSG_BATCH_BEGIN, netlink.Request, unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES, nil)
	for _, set := range []struct {
		name string
		walk func(func(first, end []byte))
	}{{"allow4", t.walk4}, {"allow6", t.walk6}} {
		names := setNames(table, set.name)
		b.msg(unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_DELSETELEM, netlink.Request|netlink.Acknowledge, unix.NFPROTO_INET, 0, names) // flush
		b.elems(names, false, set.walk)
	}
	b.msg(unix.NFNL_MSG_BATCH_END, netlink.Request, unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES, nil)

	return b.send(netns)
}

// ApplyMobile brings the kernel sets mobile4 and mobile6 of table inet
// <table> (the addresses and prefixes RADIUS sessions of registered
// numbers hold, see Bindings) from holding from to holding to, in one
// transaction: deletions of what to lacks, then additions of what from
// lacks. The prefixes of each list never overlap. With whole, from is
// ignored: the sets are created if missing, flushed and filled with to,
// which also repairs sets that no longer hold from.
//
// The sets are interval sets, so that a delegated /56 is one element
// and matches every address in it. Sets created as plain address sets by
// earlier versions are replaced by interval sets when no rule refers to
// them; otherwise the error says how to replace them by hand.
func ApplyMobile(table string, from, to []netip.Prefix, whole bool, netns int) error {
	if whole {
		if err := ensureMobileSets(table, netns); err != nil {
			return err
		}
	}
	var del, add []netip.Prefix
	if whole {
		add = to
	} else {
		have := make(map[netip.Prefix]bool, len(from))
		for _, p := range from {
			have[p] = true
		}
		want := make(map[netip.Prefix]bool, len(to))
		for _, p := range to {
			want[p] = true
			if !have[p] {
				add = append(add, p)
			}
		}
		for _, p := range from {
			if !want[p] {
				del = append(del, p)
			}
		}
		if len(del)+len(add) == 0 {
			return nil
		}
	}
	b := &nlBatch{buf: make([]byte, 0, 4096+(len(del)+len(add))*80)}
	b.msg(unix.NFNL_MSG_BATCH_BEGIN, netlink.Request, unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES, nil)
	for _, set := range []string{"mobile4", "mobile6"} {
		names := setNames(table, set)
		is4 := set == "mobile4"
		if whole {
			b.msg(unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_DELSETELEM, netlink.Request|netlink.Acknowledge, unix.NFPROTO_INET, 0, names) // flush
		}
		for _, list := range []struct {
			ps  []netip.Prefix
			del bool
		}{{del, true}, {add, false}} {
			b.elems(names, list.del, func(fn func(first, end []byte)) {
				for _, p := range list.ps {
					if p.Addr().Is4() == is4 {
						prefixElems(p, fn)
					}
				}
			})
		}
	}
	b.msg(unix.NFNL_MSG_BATCH_END, netlink.Request, unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES, nil)
	return b.send(netns)
}

// prefixElems gives a prefix as interval-set elements: its first address
// and the address after its last (nil after the last address).
func prefixElems(p netip.Prefix, fn func(first, end []byte)) {
	first, last := netpolicy.Bounds(p)
	if next := last.Next(); next.IsValid() {
		fn(first.AsSlice(), next.AsSlice())
	} else {
		fn(first.AsSlice(), nil)
	}
}

// ensureMobileSets creates table inet <table> and its interval sets
// mobile4 and mobile6 if missing, replacing plain (non-interval) sets of
// those names that earlier versions created.
func ensureMobileSets(table string, netns int) error {
	var opts []nftables.ConnOption
	if netns >= 0 {
		opts = append(opts, nftables.WithNetNSFd(netns))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	tab := c.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: table})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: create table %s: %w", table, err)
	}
	for _, s := range mobileSets(tab) {
		if old, err := c.GetSetByName(tab, s.Name); err == nil && !old.Interval {
			c.DelSet(old)
			if err := c.Flush(); err != nil {
				return fmt.Errorf("nftables: set %s of table inet %s is a plain address set from an earlier ipreg-agent and a rule refers to it (%w); "+
					"it must become an interval set to hold prefixes: remove the rules that use @%s, run \"nft delete set inet %s %s\", restart the agent and add the rules again",
					s.Name, table, err, s.Name, table, s.Name)
			}
		}
		if err := c.AddSet(s, nil); err != nil {
			return fmt.Errorf("nftables set %s: %w", s.Name, err)
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables: create sets mobile4 and mobile6: %w", err)
	}
	return nil
}

// mobileSets are the sets of bound addresses and prefixes (RADIUS), kept
// by ApplyMobile.
func mobileSets(tab *nftables.Table) []*nftables.Set {
	return []*nftables.Set{
		{Table: tab, Name: "mobile4", KeyType: nftables.TypeIPAddr, Interval: true},
		{Table: tab, Name: "mobile6", KeyType: nftables.TypeIP6Addr, Interval: true},
	}
}

// send writes the batch in one sendto and waits for its acknowledgements.
func (b *nlBatch) send(netns int) error {
	conn, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: max(netns, 0)})
	if err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	defer conn.Close()
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	// One sendmsg carries the batch; the FORCE options need CAP_NET_ADMIN,
	// which changing nftables needs anyway.
	var serr error
	err = raw.Write(func(fd uintptr) bool {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, len(b.buf)+1<<20)
		if serr == nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20)
		}
		if serr == nil {
			serr = unix.Sendto(int(fd), b.buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		}
		return true
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("nftables transaction: %w", err)
	}
	// Every message but the batch markers asks for an acknowledgement; an
	// error for any of them means the kernel refused the whole batch.
	for want := b.acks; want > 0; {
		replies, err := conn.Receive()
		if err != nil {
			return fmt.Errorf("nftables transaction refused: %w", err)
		}
		want -= len(replies)
	}
	return nil
}

// nlBatch builds netlink messages back to back in one buffer.
type nlBatch struct {
	buf  []byte
	seq  uint32
	acks int
}

// msg appends a whole message: header, nfgenmsg, attributes.
func (b *nlBatch) msg(typ int, flags netlink.HeaderFlags, family uint8, resID uint16, attrs []byte) {
	start := b.header(typ, flags)
	b.buf = append(b.buf, nfgenmsg(family, resID)...)
	b.buf = append(b.buf, attrs...)
	b.finish(start)
}

func (b *nlBatch) header(typ int, flags netlink.HeaderFlags) int {
	start := len(b.buf)
	b.seq++
	b.buf = binary.NativeEndian.AppendUint32(b.buf, 0) // length, set by finish
	b.buf = binary.NativeEndian.AppendUint16(b.buf, uint16(typ))
	b.buf = binary.NativeEndian.AppendUint16(b.buf, uint16(flags))
	b.buf = binary.NativeEndian.AppendUint32(b.buf, b.seq)
	b.buf = binary.NativeEndian.AppendUint32(b.buf, 0)
	if flags&netlink.Acknowledge != 0 {
		b.acks++
	}
	return start
}

func (b *nlBatch) finish(start int) {
	binary.NativeEndian.PutUint32(b.buf[start:], uint32(len(b.buf)-start))
}

// beginElems opens a NEWSETELEM message (DELSETELEM with del) and its
// element list, returning both offsets for endElems.
func (b *nlBatch) beginElems(names []byte, del bool) elemsMsg {
	typ, flags := unix.NFT_MSG_NEWSETELEM, netlink.Request|netlink.Acknowledge|netlink.Create
	if del {
		typ, flags = unix.NFT_MSG_DELSETELEM, netlink.Request|netlink.Acknowledge
	}
	m := elemsMsg{start: b.header(unix.NFNL_SUBSYS_NFTABLES<<8|typ, flags)}
	b.buf = append(b.buf, nfgenmsg(unix.NFPROTO_INET, 0)...)
	b.buf = append(b.buf, names...)
	m.list = len(b.buf)
	b.buf = appendAttrHeader(b.buf, unix.NFTA_SET_ELEM_LIST_ELEMENTS|unix.NLA_F_NESTED, 0) // length set by endElems
	return m
}

type elemsMsg struct{ start, list int }

// elems appends the intervals walk gives as element messages (new, or
// deleted with del), split where the 16-bit list length would overflow.
func (b *nlBatch) elems(names []byte, del bool, walk func(func(first, end []byte))) {
	var open *elemsMsg // the element message being filled
	walk(func(first, end []byte) {
		if open == nil {
			m := b.beginElems(names, del)
			open = &m
		}
		b.buf = appendElem(b.buf, first, false)
		if end != nil {
			b.buf = appendElem(b.buf, end, true)
		}
		if len(b.buf)-open.list > 60000 {
			b.endElems(*open)
			open = nil
		}
	})
	if open != nil {
		b.endElems(*open)
	}
}

// ApplyNFTChanges brings the kernel sets from old's intervals to t's in one
// transaction that deletes only the intervals t lacks and adds only those
// old lacks: after a small delta, a few thousand elements instead of a
// million. The sets must hold exactly old's intervals (the caller's last
// successful apply); if they do not, the kernel refuses the whole batch
// and the caller falls back to ApplyNFT.
func ApplyNFTChanges(old, t *Table, table string, netns int) (changed int, err error) {
	type iv4 struct{ lo, hi uint32 }
	type iv6 struct{ lo, hi u128 }
	o4, n4 := make([]iv4, 0, old.n4), make([]iv4, 0, t.n4)
	o6, n6 := make([]iv6, 0, old.n6()), make([]iv6, 0, t.n6())
	old.merged4(func(lo, hi uint32) { o4 = append(o4, iv4{lo, hi}) })
	t.merged4(func(lo, hi uint32) { n4 = append(n4, iv4{lo, hi}) })
	old.merged6(func(lo, hi u128) { o6 = append(o6, iv6{lo, hi}) })
	t.merged6(func(lo, hi u128) { n6 = append(n6, iv6{lo, hi}) })
	del4, add4 := diffIntervals(o4, n4, func(a, b iv4) int { return cmp.Compare(a.lo, b.lo) })
	del6, add6 := diffIntervals(o6, n6, func(a, b iv6) int { return cmp128(a.lo, b.lo) })
	changed = len(del4) + len(add4) + len(del6) + len(add6)
	if changed == 0 {
		return 0, nil
	}
	b := &nlBatch{buf: make([]byte, 0, 1<<16+changed*64)}
	b.msg(unix.NFNL_MSG_BATCH_BEGIN, netlink.Request, unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES, nil)
	// Deletions first: an added interval may overlap a deleted one.
	for _, del := range []bool{true, false} {
		list4, list6 := add4, add6
		if del {
			list4, list6 = del4, del6
		}
		b.elems(setNames(table, "allow4"), del, func(fn func(first, end []byte)) {
			for _, iv := range list4 {
				elems4(iv.lo, iv.hi, fn)
			}
		})
		b.elems(setNames(table, "allow6"), del, func(fn func(first, end []byte)) {
			for _, iv := range list6 {
				elems6(iv.lo, iv.hi, fn)
			}
		})
	}
	b.msg(unix.NFNL_MSG_BATCH_END, netlink.Request, unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES, nil)
	return changed, b.send(netns)
}

// diffIntervals returns the intervals only in old and those only in new
// (both sorted and disjoint; cmp orders by start; equal means the same
// start and end).
func diffIntervals[I comparable](old, new []I, cmp func(a, b I) int) (gone, added []I) {
	i, j := 0, 0
	for i < len(old) || j < len(new) {
		switch {
		case j == len(new):
			gone = append(gone, old[i])
			i++
		case i == len(old):
			added = append(added, new[j])
			j++
		case old[i] == new[j]:
			i++
			j++
		case cmp(old[i], new[j]) < 0:
			gone = append(gone, old[i])
			i++
		case cmp(old[i], new[j]) > 0:
			added = append(added, new[j])
			j++
		default: // same start, other end
			gone, added = append(gone, old[i]), append(added, new[j])
			i++
			j++
		}
	}
	return gone, added
}

// endElems closes the element list and its message.
func (b *nlBatch) endElems(m elemsMsg) {
	binary.NativeEndian.PutUint16(b.buf[m.list:], uint16(len(b.buf)-m.list))
	b.finish(m.start)
}

// setNames are the table and set attributes of a set-element message.
func setNames(table, set string) []byte {
	var b []byte
	b = appendAttr(b, unix.NFTA_SET_ELEM_LIST_TABLE, append([]byte(table), 0))
	return appendAttr(b, unix.NFTA_SET_ELEM_LIST_SET, append([]byte(set), 0))
}

// walk4 calls fn for each merged IPv4 interval, in ascending order: its
// first address and the address after its last (nil after
// 255.255.255.255). The order matters to the kernel's interval set: a
// million intervals sent in descending order were still being inserted
// after 15 minutes, against under 4 s ascending.
func (t *Table) walk4(fn func(first, end []byte)) {
	t.merged4(func(lo, hi uint32) { elems4(lo, hi, fn) })
}

// walk6 is walk4 for IPv6.
func (t *Table) walk6(fn func(first, end []byte)) {
	t.merged6(func(lo, hi u128) { elems6(lo, hi, fn) })
}

// elems4 gives an interval as set elements: its first address and the
// address after its last (nil after the last address).
func elems4(lo, hi uint32, fn func(first, end []byte)) {
	var first, end [4]byte
	binary.BigEndian.PutUint32(first[:], lo)
	if hi == ^uint32(0) {
		fn(first[:], nil)
		return
	}
	binary.BigEndian.PutUint32(end[:], hi+1)
	fn(first[:], end[:])
}

func elems6(lo, hi u128, fn func(first, end []byte)) {
	var first, end [16]byte
	binary.BigEndian.PutUint64(first[:8], lo.hi)
	binary.BigEndian.PutUint64(first[8:], lo.lo)
	if hi == (u128{^uint64(0), ^uint64(0)}) {
		fn(first[:], nil)
		return
	}
	n := inc(hi)
	binary.BigEndian.PutUint64(end[:8], n.hi)
	binary.BigEndian.PutUint64(end[8:], n.lo)
	fn(first[:], end[:])
}

func nfgenmsg(family uint8, resID uint16) []byte {
	return []byte{family, unix.NFNETLINK_V0, byte(resID >> 8), byte(resID)}
}

// appendElem appends one list element: its key, and the interval-end flag.
func appendElem(b, key []byte, end bool) []byte {
	var data [4 + 16]byte
	n := copy(data[4:], key)
	binary.NativeEndian.PutUint16(data[0:], uint16(4+n))
	binary.NativeEndian.PutUint16(data[2:], unix.NFTA_DATA_VALUE)
	keyAttr := data[:4+n]
	size := 4 + 4 + len(keyAttr)
	if end {
		size += 8
	}
	b = appendAttrHeader(b, unix.NFTA_LIST_ELEM|unix.NLA_F_NESTED, size-4)
	b = appendAttr(b, unix.NFTA_SET_ELEM_KEY|unix.NLA_F_NESTED, keyAttr)
	if end {
		b = appendAttr(b, unix.NFTA_SET_ELEM_FLAGS, binary.BigEndian.AppendUint32(nil, unix.NFT_SET_ELEM_INTERVAL_END))
	}
	return b
}

// appendAttr appends a netlink attribute, padded to 4 bytes.
func appendAttr(b []byte, typ uint16, payload []byte) []byte {
	b = appendAttrHeader(b, typ, len(payload))
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func appendAttrHeader(b []byte, typ uint16, payloadLen int) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(4+payloadLen))
	return binary.NativeEndian.AppendUint16(b, typ)
}
