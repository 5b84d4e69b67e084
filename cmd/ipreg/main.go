// Command ipreg is the VPN registration and IP allowlisting registry.
// Everything happens in internal/cli; see "ipreg --help".
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/cli"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		// The server's runtime settings (main_linux.go); the exec does
		// not return when it succeeds.
		reexecWithGODEBUG(serveGODEBUG)
		runtime.GOMAXPROCS(serveProcs(os.Getenv("GOMAXPROCS"), auth.Cores()))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv, cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Program: os.Args[0]})
	stop()
	os.Exit(code)
}

// serveProcs is the GOMAXPROCS "ipreg serve" runs with: one P more than
// the cores the runtime counted at start (auth.Cores), unless the
// GOMAXPROCS environment variable sets a number (given is its value): the
// operator's choice wins, and the runtime has applied it already.
//
// Why: a goroutine in a system call that waits on the disk keeps its P
// (the runtime's licence to run Go code on a thread) until the runtime's
// monitor hands the P to another thread, which it does only after it
// has seen the call running for one of its ticks (20 µs when busy, up to
// 10 ms once it has backed off) and not while another P is idle
// (runtime.retake). The registry fsyncs on every write: each document's
// file and directory, SQLite's write-ahead log after each commit (group
// commit). On two cores, a P held in fsync is half the Go code that can
// run, while runnable goroutines wait. With a P to spare, filings a
// second (BenchmarkSubmitApplication, 8 clients, medians of four rounds)
// rose from 198 to 228 on SQLite and from 150 to 167 on PostgreSQL
// (issue 14, BENCHMARKS.md, fourteenth session). Work that keeps a core busy throughout (password
// hashing, PDF parsing) stays bounded by the cores (auth.Cores), not by
// GOMAXPROCS. A GOMAXPROCS set here is fixed: the runtime no longer
// follows later changes of the cgroup's CPU limit (Go 1.25) until a
// restart.
func serveProcs(given string, cores int) int {
	// Set as the runtime reads it (runtime.schedinit): a base-10 number
	// above zero. Any other value, such as 0 or "abc", the runtime
	// ignores, and so does this: the spare P stays.
	if n, err := strconv.ParseInt(given, 10, 32); err == nil && n > 0 {
		return runtime.GOMAXPROCS(0)
	}
	return cores + 1
}
