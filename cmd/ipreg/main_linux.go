package main

import (
	"os"
	"slices"
	"strings"
	"syscall"
)

// serveGODEBUG is the Go runtime setting "ipreg serve" runs with, unless
// GODEBUG names it already: freed heap goes back to the kernel with
// MADV_FREE, not MADV_DONTNEED (https://go.dev/doc/godebug, runtime
// package, madvdontneed).
//
// Why: each password hash (argon2id, 19 MiB, golang.org/x/crypto/argon2)
// takes fresh heap and reads each block before it writes it. Heap given
// back with MADV_DONTNEED comes back mapped to the kernel's zero page, so
// the write faults once more on every 4 KiB page and the kernel sends the
// other core a TLB flush each time: 9 % of the server's CPU under 64
// clients (perf, issue 14, BENCHMARKS.md "Twelfth session"). With
// MADV_FREE the pages stay mapped until the kernel needs them. The cost:
// resident size (RSS) falls only under memory pressure, not as soon as the
// heap shrinks. GODEBUG=madvdontneed=1 restores the Go default.
const serveGODEBUG = "madvdontneed=0"

// reexecWithGODEBUG replaces the process with itself (same executable,
// arguments and environment) with setting added to GODEBUG, unless
// GODEBUG names setting's key already: the operator's choice wins, and the
// new process does not exec again. The runtime reads this setting only as
// a process starts, and //go:debug takes only the settings the go command
// lists, which this is not. When the exec fails the process goes on as it
// is: the setting is for speed, not for correctness.
func reexecWithGODEBUG(setting string) {
	key, _, _ := strings.Cut(setting, "=")
	cur := os.Getenv("GODEBUG")
	for f := range strings.SplitSeq(cur, ",") {
		if k, _, _ := strings.Cut(f, "="); strings.TrimSpace(k) == key {
			return
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	v := setting
	if cur != "" {
		v = cur + "," + setting
	}
	env := slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, "GODEBUG=") })
	_ = syscall.Exec(exe, os.Args, append(env, "GODEBUG="+v))
}
