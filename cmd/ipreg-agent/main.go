// Command ipreg-agent runs at an operator: it keeps a verified copy of the
// registry's allowlist feed and answers lookups. See "ipreg-agent --help".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ipreg/ipreg/internal/agent"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := agent.Main(ctx, os.Args[1:], os.LookupEnv, agent.IO{Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
