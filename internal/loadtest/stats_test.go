package loadtest

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/netpolicy"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, .5, 0},
		{"one", ms(7), .99, 7 * time.Millisecond},
		{"median of four is the second (nearest rank)", ms(1, 2, 3, 4), .5, 2 * time.Millisecond},
		{"p90 of ten", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), .9, 9 * time.Millisecond},
		{"p99 of ten is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), .99, 10 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), .5, 50 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), .99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 1, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.sorted, tc.q); got != tc.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tc.sorted, tc.q, got, tc.want)
			}
		})
	}
}

func TestRecorderAndTable(t *testing.T) {
	rc := newRecorder()
	for i := 1; i <= 10; i++ {
		rc.add("verify", time.Duration(i)*time.Millisecond, "")
	}
	rc.add("submit", 30*time.Millisecond, "")
	rc.add("submit", 50*time.Millisecond, "409 conflict: the application was submitted already")
	rc.add("submit", 40*time.Millisecond, "409 conflict: the application was submitted already")
	rc.add("zeta", time.Millisecond, "transport: connection refused")
	rc.retry("signup", "503 unavailable: busy")
	rc.add("signup", 2*time.Second, "")

	ops := rc.results(opOrder)
	var names []string
	for _, o := range ops {
		names = append(names, o.Op)
	}
	if got, want := strings.Join(names, ","), "signup,submit,verify,zeta"; got != want {
		t.Fatalf("rows in order %s, want %s (the mix's order, then unknown by name)", got, want)
	}
	if n, e := rc.counts(); n != 15 || e != 3 {
		t.Errorf("counts = %d requests, %d errors; want 15, 3", n, e)
	}

	var b strings.Builder
	if err := WriteTable(&b, ops, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		// operation, count, req/s over 2 s, p50, p90, p99, max, errors
		"verify     10    5.0     5.0     9.0    10.0    10.0       0",
		"submit      3    1.5    40.0    50.0    50.0    50.0       2",
		"  error  submit: 2 × 409 conflict: the application was submitted already\n",
		"  error  zeta: 1 × transport: connection refused\n",
		"  retried  signup: 1 × 503 unavailable: busy (sent again after its Retry-After)\n",
		"total: 15 requests, 3 errors, 7.5 requests/s over 2s\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "total: 15 requests, 3 errors, 7.5 requests/s over 2s\n") {
		t.Errorf("the totals are not the last line:\n%s", out)
	}
}

func TestConfigRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown mix", Config{Target: "http://x", Duration: time.Second, Mix: "lunch"}, `--mix "lunch": give one of default, read-heavy, deadline-rush, file-only`},
		{"no duration", Config{Target: "http://x"}, "--duration 0s: give how long to run"},
		{"file-only without a count", Config{Target: "http://x", Mix: "file-only"}, "the file-only mix needs --applications N"},
		{"applications on another mix", Config{Target: "http://x", Duration: time.Second, Applications: 5}, "--applications is for --mix file-only"},
		{"huge scans", Config{Target: "http://x", Duration: time.Second, DocumentBytes: 9_000_000}, "--document-bytes 9000000: give 10000 to 2500000"},
		{"negative rate", Config{Target: "http://x", Duration: time.Second, Rate: -1}, "--rate -1: give requests per second"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			err := cfg.defaults()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("defaults() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := Run(t.Context(), Config{Target: "ftp://x", Duration: time.Second}); err == nil || !strings.Contains(err.Error(), "give the registry's base URL") {
		t.Errorf("Run with an ftp target = %v, want the base URL refusal", err)
	}
}

// TestAddressPool checks that the items are valid, in Pakistan's space,
// and never overlap one another.
func TestAddressPool(t *testing.T) {
	p := newAddressPool(1)
	pk := netpolicy.Pakistan()
	seen := map[string]bool{}
	for range 2000 {
		for _, s := range p.take(8) {
			pfx := mustPrefix(t, s)
			block := mustPrefix(t, s).Addr().String()
			if pfx.Bits() < 29 || pfx.Masked() != pfx {
				t.Fatalf("%s: want a /29 to /32 without host bits", s)
			}
			if !pk.Contains(pfx) {
				t.Fatalf("%s is not in Pakistan's address space", s)
			}
			b, _ := pfx.Addr().Prefix(29)
			if seen[b.String()] {
				t.Fatalf("%s (%s) shares its /29 with an earlier item", s, block)
			}
			seen[b.String()] = true
		}
	}
}

func mustPrefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	p, err := netip.ParsePrefix(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
