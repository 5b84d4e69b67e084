package main

import (
	"bytes"
	"debug/buildinfo"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
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
// GODEBUG sets setting's key already: the operator's choice wins, and the
// new process does not exec again. The runtime reads this setting only as
// a process starts, and //go:debug takes only the settings the go command
// lists, which this is not.
//
// It does not exec, and says so in one line on standard error, when the
// exec could run something else or lose something: the program was
// started through the dynamic loader or from a file since removed or
// replaced (sameProgram), or a debugger or tracer is attached (an exec
// would leave it behind). Nor for "--help". When the exec itself
// fails it says so too. Either way the server goes on: the setting is for
// speed, not for correctness.
func reexecWithGODEBUG(setting string) {
	key, _, _ := strings.Cut(setting, "=")
	cur := os.Getenv("GODEBUG")
	if godebugSets(cur, key) || askedForHelp(os.Args[1:]) {
		return
	}
	note := func(why string) {
		fmt.Fprintf(os.Stderr, "ipreg: note: running without GODEBUG=%s (%s); password hashing costs more CPU without it. Set it in the environment to have it (README, \"Configuration\").\n", setting, why)
	}
	exe, err := os.Executable()
	if err != nil {
		note(fmt.Sprintf("the program's own file is unknown: %v", err))
		return
	}
	if !sameProgram(exe) {
		note(fmt.Sprintf("%s is not this program's file: it was started through the dynamic loader, or the file was removed or replaced since", exe))
		return
	}
	if pid := tracerPid(); pid != 0 {
		note(fmt.Sprintf("process %d is tracing it, as a debugger does", pid))
		return
	}
	v := setting
	if cur != "" {
		v = cur + "," + setting
	}
	env := slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, "GODEBUG=") })
	err = syscall.Exec(exe, os.Args, append(env, "GODEBUG="+v))
	note(fmt.Sprintf("exec %s: %v", exe, err))
}

// askedForHelp reports whether args ask only for the usage text, which
// needs no exec (and no note under a tracer).
func askedForHelp(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" || a == "-help" })
}

// godebugSets reports whether the GODEBUG value godebug sets key as the Go
// runtime reads it (runtime.parsegodebug): a comma-separated field
// "key=value", key exactly (no spaces trimmed), value a whole number.
// Fields the runtime ignores (" key=0", "key", "key=x") do not count.
func godebugSets(godebug, key string) bool {
	for f := range strings.SplitSeq(godebug, ",") {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k != key {
			continue
		}
		if _, err := strconv.ParseInt(v, 10, 32); err == nil {
			return true
		}
	}
	return false
}

// sameProgram reports whether exe, the path of the running executable
// (os.Executable), holds this very program, so that exec(exe, os.Args)
// starts it again as it was started: exe is still the file running (not
// removed or replaced since), and it is a Go program built from this main
// package. Not so when the dynamic loader ran the program
// ("/lib64/ld-linux-x86-64.so.2 ipreg serve": exe is then the loader,
// whatever argv[0] says). A custom argv[0] or a program found through "."
// in PATH does not matter: the exec keeps os.Args as they are.
func sameProgram(exe string) bool {
	running, err := os.Stat("/proc/self/exe")
	if err != nil {
		return false
	}
	atExe, err := os.Stat(exe)
	if err != nil || !os.SameFile(atExe, running) {
		return false
	}
	self, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	file, err := buildinfo.ReadFile(exe)
	return err == nil && file.Path == self.Path
}

// tracerPid is the process tracing this one (a debugger, strace), from
// /proc/self/status; 0 for none or when it cannot be read.
func tracerPid() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for l := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(l, []byte("TracerPid:")); ok {
			n, _ := strconv.Atoi(string(bytes.TrimSpace(v)))
			return n
		}
	}
	return 0
}
