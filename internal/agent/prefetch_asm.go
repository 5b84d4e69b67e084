//go:build amd64 || arm64

package agent

import "unsafe"

// prefetch asks the processor to bring p's cache line closer, without
// waiting for it and without faulting on any address. A batch lookup
// issues one for every address's next memory access before making any of
// them, so that hundreds of cache misses are in flight at once; a plain
// load cannot do this, because the processor stalls once a few dozen
// loads wait. Go has no prefetch built in that a package may call
// (the runtime's is internal), hence these three instructions of assembly
// (prefetch_amd64.s, prefetch_arm64.s).
//
//go:noescape
func prefetch(p unsafe.Pointer)
