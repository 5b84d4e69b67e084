package main_test

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/testbin"
)

// The agent's metrics are not public either (issue 11 §7): its lookup
// listener answers /metrics with 404 unless a metrics token is configured,
// then 401 without it and 200 with it; --metrics-listen serves them without
// a token on an address of its own. No registry is needed: the agent
// serves (not ready) before its first sync.
func TestMetricsNotPublic(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	const token = "0123456789abcdef0123456789abcdef"
	tokenFile := filepath.Join(t.TempDir(), "metrics-token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	metricsURL := regexp.MustCompile(`metrics on (http://\S+)`)
	tests := []struct {
		name        string
		args        []string
		separate    bool
		main, token int // the lookup listener's answer without and with the token
	}{
		{"no flags", nil, false, 404, 404},
		{"token file", []string{"--metrics-token-file", tokenFile}, false, 401, 200},
		{"separate listener", []string{"--metrics-listen", "127.0.0.1:0"}, true, 404, 404},
		{"both", []string{"--metrics-listen", "127.0.0.1:0", "--metrics-token-file", tokenFile}, true, 401, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ag := testbin.Start(t, agentBin, nil, regexp.MustCompile(`serving lookups on (http://\S+)`),
				append([]string{"--registry", "http://127.0.0.1:1", "--trust-key", feed.FormatPublicKey(pub), "--listen", "127.0.0.1:0",
					"--state-dir", t.TempDir(), "--poll", "1h"}, tt.args...)...)
			testbin.Call(t, ag.Addr, "GET", "/metrics", "", nil, tt.main)
			if body := string(testbin.Call(t, ag.Addr, "GET", "/metrics", token, nil, tt.token)); tt.token == 200 && !strings.Contains(body, "ipreg_agent_") {
				t.Errorf("metrics with the token: %.200s", body)
			}
			m := metricsURL.FindStringSubmatch(ag.Stderr())
			if (m != nil) != tt.separate {
				t.Fatalf("separate metrics listener announced: %v, want %v\n%s", m != nil, tt.separate, ag.Stderr())
			}
			if m != nil {
				if body := string(testbin.Call(t, m[1], "GET", "", "", nil, 200)); !strings.Contains(body, "ipreg_agent_") {
					t.Errorf("separate metrics listener: %.200s", body)
				}
			}
		})
	}
}
