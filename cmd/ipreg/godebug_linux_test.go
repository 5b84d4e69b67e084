package main_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestServeRunsWithMADVFree: "ipreg serve" runs with GODEBUG holding
// madvdontneed=0 (main_linux.go), keeping what GODEBUG held before it, and
// an operator's own madvdontneed wins. Read from the running server's
// /proc/<pid>/environ: the exec keeps the process id.
func TestServeRunsWithMADVFree(t *testing.T) {
	tests := []struct {
		name, godebug string // "" leaves GODEBUG unset
		want          []string
	}{
		{"unset", "", []string{"madvdontneed=0"}},
		{"other settings kept", "http2debug=0", []string{"http2debug=0", "madvdontneed=0"}},
		{"operator's choice wins", "madvdontneed=1", []string{"madvdontneed=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := []string{"GODEBUG="}
			if tt.godebug != "" {
				env = []string{"GODEBUG=" + tt.godebug}
			}
			p := start(t, env, "--data-dir", t.TempDir())
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.Cmd.Process.Pid))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range bytes.Split(b, []byte{0}) {
				if v, ok := strings.CutPrefix(string(e), "GODEBUG="); ok {
					got = append(got, v)
				}
			}
			if len(got) != 1 || got[0] != strings.Join(tt.want, ",") {
				t.Fatalf("the server's GODEBUG = %q, want one, %q", got, strings.Join(tt.want, ","))
			}
			// And it serves.
			p.get("/healthz")
		})
	}
}
