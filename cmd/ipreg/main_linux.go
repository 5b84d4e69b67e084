package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
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
// It does not exec, and says why in one line on standard error, when the
// exec could run something else or lose something: the dynamic loader ran
// the program (the running executable is the loader, not the file this
// code was mapped from), its file was removed or replaced since it
// started, or a debugger or tracer is attached (an exec would leave it
// behind). When the exec itself fails it says so too. Nor does it exec
// for --help. Either way the server goes on: the setting is for speed,
// not for correctness.
//
// The file is checked, then exec'd by its path: a file renamed over it in
// between is what is exec'd. Whoever can do that can also replace what
// the next restart runs, so the window gives no one more than they have.
func reexecWithGODEBUG(setting string) {
	key, _, _ := strings.Cut(setting, "=")
	cur := os.Getenv("GODEBUG")
	if godebugSets(cur, key) || askedForHelp(os.Args[1:]) {
		return
	}
	note := func(why string) {
		fmt.Fprintf(os.Stderr, "ipreg: note: running without GODEBUG=%s (%s); password hashing costs more CPU without it. Set it in the environment to have it (README, \"Configuration\").\n", setting, why)
	}
	running, err := os.Stat("/proc/self/exe")
	if err != nil {
		note(fmt.Sprintf("the program's own file is unknown: %v", err))
		return
	}
	if !mappedFrom(running) {
		note("the program was started through the dynamic loader")
		return
	}
	path := ownPath(running)
	if path == "" {
		note("the program's file was removed or replaced since it started")
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
	err = syscall.Exec(path, os.Args, append(env, "GODEBUG="+v))
	note(fmt.Sprintf("exec %s: %v", path, err))
}

// mappedFrom reports whether this code was loaded from running, the
// process's executable (/proc/self/exe): not so when the dynamic loader
// ran the program ("/lib64/ld-linux-x86-64.so.2 ipreg serve"), where the
// executable is the loader. Read from /proc/self/maps, which needs no
// permission to read the program's file (a binary may be 0711).
func mappedFrom(running os.FileInfo) bool {
	st, ok := running.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	pc := uint64(reflect.ValueOf(reexecWithGODEBUG).Pointer())
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return false
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		// start-end perms offset major:minor inode path
		f := strings.Fields(l)
		if len(f) < 5 {
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || pc < start || pc >= end {
			continue
		}
		maj, min, _ := strings.Cut(f[3], ":")
		major, err1 := strconv.ParseUint(maj, 16, 32)
		minor, err2 := strconv.ParseUint(min, 16, 32)
		ino, err3 := strconv.ParseUint(f[4], 10, 64)
		return err1 == nil && err2 == nil && err3 == nil && ino == st.Ino &&
			uint32(major) == unix.Major(uint64(st.Dev)) && uint32(minor) == unix.Minor(uint64(st.Dev))
	}
	return false
}

// ownPath is a path that names running, the process's executable, now: the
// path it was started by when that still names it (so that the process's
// name, comm, stays what it was, a symlink's name too), else the file's
// own path (os.Executable); "" when neither does (the file was removed or
// replaced since).
func ownPath(running os.FileInfo) string {
	var candidates []string
	if arg0 := os.Args[0]; strings.Contains(arg0, "/") {
		candidates = append(candidates, arg0)
	} else if p, err := exec.LookPath(arg0); p != "" && (err == nil || errors.Is(err, exec.ErrDot)) {
		candidates = append(candidates, p)
	}
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, exe)
	}
	for _, p := range candidates {
		if fi, err := os.Stat(p); err == nil && os.SameFile(fi, running) {
			return p
		}
	}
	return ""
}

// askedForHelp reports whether args ask for the usage text, in any form
// the flag package takes (-h, --help, -help=true, --h …), which needs no
// exec (and no note under a tracer).
func askedForHelp(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool {
		name, ok := strings.CutPrefix(a, "-")
		if !ok {
			return false
		}
		name = strings.TrimPrefix(name, "-")
		name, _, _ = strings.Cut(name, "=")
		return name == "h" || name == "help"
	})
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
