package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/testbin"
)

// /metrics is not public (issue 11 §7): the main listener answers 404
// unless a metrics token is configured, then 401 without it and 200 with
// it; --metrics-listen serves the metrics without a token on an address of
// its own; --demo with neither flag picks a free loopback port and says
// which.
func TestMetricsNotPublic(t *testing.T) {
	metricsURL := regexp.MustCompile(`metrics on (http://\S+)`)
	const token = "0123456789abcdef0123456789abcdef"
	tokenFile := filepath.Join(t.TempDir(), "metrics-token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		args        []string
		separate    bool // a separate metrics listener is announced
		main, token int  // the main listener's answer without and with the token
	}{
		{"demo, no flags", []string{"--demo"}, true, 404, 404},
		{"no flags", nil, false, 404, 404},
		{"token file", []string{"--metrics-token-file", tokenFile}, false, 401, 200},
		{"separate listener", []string{"--metrics-listen", "127.0.0.1:0"}, true, 404, 404},
		{"both", []string{"--metrics-listen", "127.0.0.1:0", "--metrics-token-file", tokenFile}, true, 401, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, []string{"IPREG_DATA_DIR=" + t.TempDir()}, tt.args...)
			testbin.Call(t, p.base, "GET", "/metrics", "", nil, tt.main)
			body := string(testbin.Call(t, p.base, "GET", "/metrics", token, nil, tt.token))
			if tt.token == 200 && !strings.Contains(body, "ipreg_http_requests_total") {
				t.Errorf("metrics with the token: %.200s", body)
			}
			m := metricsURL.FindStringSubmatch(p.Stderr())
			if (m != nil) != tt.separate {
				t.Fatalf("separate metrics listener announced: %v, want %v\n%s", m != nil, tt.separate, p.Stderr())
			}
			if m == nil {
				return
			}
			if !strings.HasPrefix(m[1], "http://127.0.0.1:") {
				t.Errorf("metrics listener %s is not loopback", m[1])
			}
			if body := string(testbin.Call(t, m[1], "GET", "", "", nil, 200)); !strings.Contains(body, "ipreg_http_requests_total") {
				t.Errorf("separate metrics listener: %.200s", body)
			}
		})
	}
	t.Run("short token", func(t *testing.T) {
		short := filepath.Join(t.TempDir(), "short")
		os.WriteFile(short, []byte("secret\n"), 0o600)
		out, err := exec.Command(binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--mail", "log", "--metrics-token-file", short).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "fewer than 16") {
			t.Fatalf("a 6-character token: %v\n%s", err, out)
		}
	})
}
