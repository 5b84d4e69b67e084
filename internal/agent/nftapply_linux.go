//go:build linux

package agent

import (
	"fmt"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// nftChunk elements per netlink message: a message's element list is one
// attribute, whose length field is 16 bits (64 KiB).
const nftChunk = 1024

// ApplyNFT replaces the kernel sets allow4 and allow6 of table inet <table>
// with the table's merged intervals in one netlink batch, which the kernel
// applies as one transaction: rules matching @allow4/@allow6 see the old
// set or the new, never a mix. netns is an open network-namespace file
// descriptor, or -1 for the agent's own namespace.
func ApplyNFT(t *Table, table string, netns int) error {
	v4, v6 := t.Merged()
	// The whole batch goes in one sendmsg: make the socket big enough
	// (the FORCE options need CAP_NET_ADMIN, which changing nftables needs anyway).
	size := 4<<20 + (len(v4)+len(v6))*96
	opts := []nftables.ConnOption{nftables.WithSockOptions(func(c *netlink.Conn) error {
		raw, err := c.SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		err = raw.Control(func(fd uintptr) {
			if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, size); e != nil {
				serr = e
			}
			if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20); e != nil && serr == nil {
				serr = e
			}
		})
		if err != nil {
			return err
		}
		return serr
	})}
	if netns >= 0 {
		opts = append(opts, nftables.WithNetNSFd(netns))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	tab := c.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: table})
	for _, set := range []struct {
		name string
		typ  nftables.SetDatatype
		ivs  []Interval
	}{{"allow4", nftables.TypeIPAddr, v4}, {"allow6", nftables.TypeIP6Addr, v6}} {
		s := &nftables.Set{Table: tab, Name: set.name, KeyType: set.typ, Interval: true}
		if err := c.AddSet(s, nil); err != nil {
			return fmt.Errorf("nftables set %s: %w", set.name, err)
		}
		c.FlushSet(s)
		var elems []nftables.SetElement
		for _, iv := range set.ivs {
			// An interval is its first address and, flagged as its end, the
			// address after its last (none after the last address of all).
			elems = append(elems, nftables.SetElement{Key: iv.First.AsSlice()})
			if next := iv.Last.Next(); next.IsValid() {
				elems = append(elems, nftables.SetElement{Key: next.AsSlice(), IntervalEnd: true})
			}
			if len(elems) >= nftChunk {
				if err := c.SetAddElements(s, elems); err != nil {
					return err
				}
				elems = elems[:0:0]
			}
		}
		if len(elems) > 0 {
			if err := c.SetAddElements(s, elems); err != nil {
				return err
			}
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables transaction: %w", err)
	}
	return nil
}
