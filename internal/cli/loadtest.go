package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/loadtest"
)

// runLoadtest drives a running registry with internal/loadtest and prints
// its table; exit status 1 when any request failed.
func runLoadtest(ctx context.Context, args []string, env Env, stdio IO) error {
	var cfg loadtest.Config
	var opTokens string
	fs := flagSet("loadtest", `Drive a running registry with a realistic mix from many clients: sign-ups, drafts,
document uploads (generated PNG and PDF scans of phone-scan size), submissions with 1 to 8 addresses
from Pakistan's address space or mobile numbers, operator confirmations, reviewer approvals, public
verification look-ups, queue and application pages (API and portal) and feed long-polls. A progress
line goes to standard error once a second; at the end, a table per operation (count, requests per
second, p50/p90/p99/max latency in ms, errors) with every error by status and message, and a line of
totals. The exit status is 1 when any request failed. When the registry stops answering (or
answers 5xx), each client backs off (100 ms doubling to 5 s), and the errors are grouped by cause,
without addresses. Before the measured window every client signs up its first applicant (progress
on standard error).

Staff: against "ipreg serve --demo" it logs in as the demo's reviewer and operators by itself;
otherwise give --reviewer-token and --operator-token (API tokens the staff create with
POST /api/v1/tokens after logging in); they are checked against the registry before the run. On a loopback target each applicant connects from its own
127.x.y.z address, so the registry's sign-up throttle (50 per address in 15 minutes) is not met.

Mixes: default; read-heavy; deadline-rush (mostly filings); file-only with --applications N (take N
applications from sign-up to approval as fast as the clients go, then print the elapsed time).`, stdio)
	fs.StringVar(&cfg.Target, "target", "http://127.0.0.1:8080", "the registry's base URL")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long to run (file-only: a bound, 0 for none)")
	fs.IntVar(&cfg.Clients, "clients", 64, "concurrent clients, each one connection acting as one person at a time (1 to 100000)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "cap on all clients' requests together per second (0: no cap); its waits end at --duration")
	fs.StringVar(&cfg.Mix, "mix", "default", "the request mix: "+strings.Join(loadtest.Mixes, ", "))
	fs.IntVar(&cfg.Applications, "applications", 0, "file-only: applications to take from sign-up to approval, e.g. 31000")
	fs.IntVar(&cfg.PerApplicant, "per-applicant", 3, "applications one signed-up applicant files before its client signs up another")
	fs.IntVar(&cfg.DocumentBytes, "document-bytes", 1_000_000, "mean size of the generated scans in bytes (scans of 0.4 to 1.9 times it)")
	fs.StringVar(&cfg.ReviewerToken, "reviewer-token", "", "a reviewer's API token (default: log in as the demo's reviewer@demo.test)")
	fs.StringVar(&opTokens, "operator-token", "", "operators' API tokens as id=TOKEN,id=TOKEN (default: log in as each demo operator.<id>@demo.test); only the operators named are filed with")
	fs.StringVar(&cfg.StaffPassword, "staff-password", "demo-password-1", "the demo staff's password, for the logins above")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed for the run's choices (0: random)")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: every setting is a flag (see ipreg loadtest --help)", fs.Arg(0))
	}
	// The library reads a zero as "the default"; on the command line a 0
	// is a mistake, refused as a negative count is.
	switch {
	case cfg.Clients == 0:
		return fmt.Errorf("--clients 0: give 1 to 100000 (the default is 64)")
	case cfg.PerApplicant == 0:
		return fmt.Errorf("--per-applicant 0: give 1 or more (the default is 3)")
	case cfg.DocumentBytes == 0:
		return fmt.Errorf("--document-bytes 0: give 10000 to 2500000 (the default is 1000000)")
	}
	if cfg.Mix == "file-only" && !flagGiven(fs, "duration") {
		cfg.Duration = 0 // until --applications are approved
	}
	if opTokens != "" {
		cfg.OperatorTokens = map[string]string{}
		for _, kv := range strings.Split(opTokens, ",") {
			id, tok, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok || id == "" || tok == "" {
				return fmt.Errorf("--operator-token: give id=TOKEN pairs separated by commas, like ptcl=ipreg_…,jazz=ipreg_…")
			}
			cfg.OperatorTokens[id] = tok
		}
	}
	cfg.Progress = stdio.Stderr
	res, err := loadtest.Run(ctx, cfg)
	if err != nil && res.Requests == 0 {
		return err
	}
	if werr := res.WriteTable(stdio.Stdout); werr != nil {
		return werr
	}
	if cfg.Mix == "file-only" {
		fmt.Fprintf(stdio.Stdout, "file-only: %d applications approved (%d submitted) in %s\n", res.Approved, res.Filed, res.Elapsed.Round(time.Millisecond))
	}
	if err != nil {
		return err
	}
	if res.Errors > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("ipreg loadtest: %d of %d requests failed (see the errors above)", res.Errors, res.Requests)}
	}
	if cfg.Mix == "file-only" && cfg.Applications > 0 && res.Approved < cfg.Applications {
		return &exitError{code: 1, msg: fmt.Sprintf("ipreg loadtest: %d of %d applications approved before --duration ended", res.Approved, cfg.Applications)}
	}
	return nil
}

// flagGiven reports whether the flag was set, on the command line or by
// its IPREG_* variable.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}
