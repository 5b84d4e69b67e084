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

// ApplyMobile is available on Linux only.
func ApplyMobile(table string, from, to []netip.Prefix, whole bool, netns int) error {
	return errors.New("changing nftables sets needs Linux")
}
