//go:build !linux

package agent

import "errors"

// ApplyNFT is available on Linux only.
func ApplyNFT(t *Table, table string, netns int) error {
	return errors.New("applying nftables sets needs Linux")
}
