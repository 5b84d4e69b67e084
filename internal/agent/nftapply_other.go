//go:build !linux

package agent

import (
	"errors"
	"net/netip"
)

// ApplyNFT is available on Linux only.
func ApplyNFT(t *Table, table string, netns int) error {
	return errors.New("applying nftables sets needs Linux")
}

// ApplyNFTChanges is available on Linux only.
func ApplyNFTChanges(old, t *Table, table string, netns int) (int, error) {
	return 0, errors.New("applying nftables sets needs Linux")
}

// SetMobile is available on Linux only.
func SetMobile(table string, a netip.Addr, add bool, netns int) error {
	return errors.New("changing nftables sets needs Linux")
}
