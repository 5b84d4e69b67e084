//go:build !linux

package registry

import "time"

// osThreadCPU cannot read a thread's CPU time here: inspectPDFNow then
// refuses a PDF whose parse ran out of its budget, loaded or not.
func osThreadCPU() (time.Duration, bool) { return 0, false }
