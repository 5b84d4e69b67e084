package main_test

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/testbin"
)

// ipreg serve runs one P more than the cores, so that a goroutine blocked
// in fsync does not idle a core (serveProcs); a GOMAXPROCS the operator
// sets is kept as given. The server's own figure is its Go collector's
// go_sched_gomaxprocs_threads.
func TestServeRunsWithASpareP(t *testing.T) {
	tests := []struct {
		name, env string
		want      int
	}{
		{"unset", "GOMAXPROCS=", auth.Cores() + 1},
		{"operator's choice: fewer", "GOMAXPROCS=1", 1},
		{"operator's choice: more", "GOMAXPROCS=7", 7},
		{"operator's choice: signed", "GOMAXPROCS=+3", 3},
		// Values the runtime ignores (tester t20): the spare P stays.
		{"zero", "GOMAXPROCS=0", auth.Cores() + 1},
		{"not a number", "GOMAXPROCS=abc", auth.Cores() + 1},
		{"negative", "GOMAXPROCS=-1", auth.Cores() + 1},
		{"with a space", "GOMAXPROCS= 3", auth.Cores() + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v := os.Getenv("GOMAXPROCS"); tt.want == auth.Cores()+1 && v != "" {
				// auth.Cores() is then this process's GOMAXPROCS, not the
				// runtime's count of the cores the server starts with.
				t.Skipf("the test runs with GOMAXPROCS=%s: the cores a server without it counts are unknown here", v)
			}
			p := start(t, []string{tt.env}, "--data-dir", t.TempDir(), "--metrics-listen", "127.0.0.1:0")
			m := metricsURL.FindStringSubmatch(p.Stderr())
			if m == nil {
				t.Fatalf("no metrics listener announced:\n%s", p.Stderr())
			}
			body := testbin.Call(t, m[1], "GET", "", "", nil, 200)
			g := regexp.MustCompile(`(?m)^go_sched_gomaxprocs_threads (\d+)$`).FindSubmatch(body)
			if g == nil {
				t.Fatalf("no go_sched_gomaxprocs_threads in the metrics:\n%.400s", body)
			}
			if got, _ := strconv.Atoi(string(g[1])); got != tt.want {
				t.Errorf("the server runs with GOMAXPROCS %d, want %d (cores counted here: %d)", got, tt.want, auth.Cores())
			}
		})
	}
}
