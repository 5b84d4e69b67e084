//go:build !amd64 && !arm64

package agent

import "unsafe"

// prefetch is only a hint; where no assembly gives it, it does nothing
// and batch lookups are merely slower.
func prefetch(unsafe.Pointer) {}
