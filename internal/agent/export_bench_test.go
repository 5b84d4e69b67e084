package agent

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// BenchmarkKernelReplace replaces kernel sets holding the benchmark data
// (1,100,000 prefixes, merged) inside a network namespace: through
// netlink in one transaction (ApplyNFT), with "nft -f" on the exported
// file, and with "ipset restore" (create, fill, swap, destroy). Reported:
// seconds per replacement and the memory it took (for the child tools,
// their peak RSS; for ApplyNFT, the bytes it allocated).
func BenchmarkKernelReplace(b *testing.B) {
	benchData(b)
	v4, v6 := bench.table.Merged()
	b.Logf("%d IPv4 and %d IPv6 intervals after merging", len(v4), len(v6))
	b.Run("netlink", func(b *testing.B) {
		ns := netns(b, "nft")
		fd := nsFdB(b, ns)
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if err := ApplyNFT(bench.table, "ipreg", fd); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/replace")
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/float64(b.N)/1e6, "MB-allocated/replace")
	})
	// A new version after a 1 % delta (5,500 removals, 5,500 additions):
	// only the changed intervals, in one transaction; the versions
	// alternate, so every round changes the same number of elements.
	b.Run("netlink-1%-delta", func(b *testing.B) {
		fd := nsFdB(b, netns(b, "nft"))
		if err := ApplyNFT(bench.table, "ipreg", fd); err != nil {
			b.Fatal(err)
		}
		next, err := bench.table.Apply(onePercent(bench.entries))
		if err != nil {
			b.Fatal(err)
		}
		tabs := [2]*Table{bench.table, next}
		b.ResetTimer()
		changed := 0
		for i := 0; i < b.N; i++ {
			n, err := ApplyNFTChanges(tabs[i%2], tabs[(i+1)%2], "ipreg", fd)
			if err != nil {
				b.Fatal(err)
			}
			changed = n
		}
		b.ReportMetric(float64(changed), "intervals-changed")
	})
	for _, tool := range []struct {
		name string
		file func() []byte
		args func(path string) []string
	}{
		{"nft-file", func() []byte { return NFTables(bench.table, "ipreg") }, func(p string) []string { return []string{"nft", "-f", p} }},
		{"ipset-restore", func() []byte { return IPSet(bench.table, "ipreg") }, func(p string) []string { return []string{"ipset", "restore", "-file", p} }},
	} {
		b.Run(tool.name, func(b *testing.B) {
			ns := netns(b, tool.args("")[0])
			path := filepath.Join(b.TempDir(), "set")
			if err := os.WriteFile(path, tool.file(), 0o600); err != nil {
				b.Fatal(err)
			}
			var rss int64
			start := time.Now()
			for i := 0; i < b.N; i++ {
				cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, tool.args(path)...)...)
				out, err := runHWM(cmd, &rss)
				if err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
			b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/replace")
			b.ReportMetric(float64(rss)/1024, "MB-peak-rss")
		})
	}
}

func nsFdB(b *testing.B, ns string) int {
	f, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return int(f.Fd())
}

// runHWM runs cmd and records its peak resident memory. ru_maxrss would
// include the memory of this (large) test process at fork time, so the
// tool's own high-water mark (VmHWM, reset by exec) is sampled instead.
func runHWM(cmd *exec.Cmd, peakKB *int64) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	for {
		select {
		case err := <-done:
			return out.Bytes(), err
		case <-time.After(5 * time.Millisecond):
			b, err := os.ReadFile(status)
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(line, "VmHWM:") {
					var kb int64
					fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%d", &kb)
					*peakKB = max(*peakKB, kb)
				}
			}
		}
	}
}
