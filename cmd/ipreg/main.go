// Command ipreg is the VPN registration and IP allowlisting registry.
// Everything happens in internal/cli; see "ipreg --help".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ipreg/ipreg/internal/cli"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		// The server's runtime settings (main_linux.go); the exec does
		// not return when it succeeds.
		reexecWithGODEBUG(serveGODEBUG)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv, cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Program: os.Args[0]})
	stop()
	os.Exit(code)
}
