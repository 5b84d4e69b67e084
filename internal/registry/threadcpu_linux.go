//go:build linux

package registry

import (
	"time"

	"golang.org/x/sys/unix"
)

// osThreadCPU is the CPU time the calling OS thread has used
// (CLOCK_THREAD_CPUTIME_ID, clock_gettime(2)), and whether it could be
// read. Its caller holds the goroutine to the thread (LockOSThread).
func osThreadCPU() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
