package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A zero count is refused with the flag's range, as a negative one is,
// rather than silently becoming the default; nothing is sent (the target
// is a port nothing listens on, so a run would fail differently).
func TestLoadtestRefusesZeroCounts(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--clients", "0"}, "--clients 0: give 1 to 100000"},
		{[]string{"--clients", "-1"}, "--clients -1: give 1 to 100000"},
		{[]string{"--per-applicant", "0"}, "--per-applicant 0: give 1 or more"},
		{[]string{"--per-applicant", "-2"}, "--per-applicant -2: give 1 or more"},
		{[]string{"--document-bytes", "0"}, "--document-bytes 0: give 10000 to 2500000"},
		{[]string{"--document-bytes", "-5"}, "--document-bytes -5: give 10000 to 2500000"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			env := func(string) (string, bool) { return "", false }
			args := append([]string{"loadtest", "--target", "http://127.0.0.1:1", "--duration", "1s"}, tc.args...)
			code := Main(context.Background(), args, env, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Program: "ipreg"})
			if code == 0 || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want non-zero and %q", code, errOut.String(), tc.want)
			}
		})
	}
}
