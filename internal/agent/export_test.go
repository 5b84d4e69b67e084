package agent

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/testbin"
)

func TestIntervalPrefixes(t *testing.T) {
	for _, tt := range []struct{ first, last, want string }{
		{"14.1.104.0", "14.1.104.255", "14.1.104.0/24"},
		{"14.1.104.1", "14.1.104.6", "14.1.104.1/32 14.1.104.2/31 14.1.104.4/31 14.1.104.6/32"},
		{"0.0.0.0", "255.255.255.255", "0.0.0.0/0"},
		{"2001:dd8:1c::", "2001:dd8:1d:ffff:ffff:ffff:ffff:ffff", "2001:dd8:1c::/47"},
	} {
		var got []string
		for _, p := range (Interval{netip.MustParseAddr(tt.first), netip.MustParseAddr(tt.last)}).Prefixes() {
			got = append(got, p.String())
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s-%s = %v, want %s", tt.first, tt.last, got, tt.want)
		}
	}
}

func TestMerged(t *testing.T) {
	tab := Build([]feed.Entry{entry("14.1.104.0/24"), entry("14.1.105.0/24"), entry("14.1.104.7/32"), entry("14.1.107.0/24"), entry("2001:dd8:1c::/48")})
	v4, v6 := tab.Merged()
	if len(v4) != 2 || v4[0].Last.String() != "14.1.105.255" || v4[1].First.String() != "14.1.107.0" || len(v6) != 1 {
		t.Fatalf("Merged = %v %v", v4, v6)
	}
}

// netns runs the test's commands in a network namespace of its own, so
// kernel sets never touch the machine's. It needs root and the tools.
func netns(t testing.TB, tools ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		testbin.SkipOrFail(t, "kernel set tests need root (network namespaces)")
	}
	for _, tool := range append(tools, "ip") {
		if _, err := exec.LookPath(tool); err != nil {
			testbin.SkipOrFail(t, tool+" is not installed (Debian: nftables, ipset, iproute2)")
		}
	}
	name := fmt.Sprintf("ipreg-test-%d", rand.IntN(1<<30))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		testbin.SkipOrFail(t, "cannot create a network namespace: "+strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return name
}

func inNS(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return string(out)
}

func sampleTable(n int) *Table {
	r := rand.New(rand.NewPCG(1, 2))
	var es []feed.Entry
	seen := map[string]bool{}
	for len(es) < n {
		var p netip.Prefix
		if r.IntN(10) == 0 {
			p = netip.PrefixFrom(netip.AddrFrom16([16]byte{0x24, 0x00, byte(r.IntN(256)), byte(r.IntN(256))}), 48)
		} else {
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{39, byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}), 24+r.IntN(2)*8).Masked()
		}
		if !seen[p.String()] {
			seen[p.String()] = true
			es = append(es, entry(p.String()))
		}
	}
	return Build(es)
}

func TestNFTablesFile(t *testing.T) {
	ns := netns(t, "nft")
	tab := sampleTable(5000)
	path := filepath.Join(t.TempDir(), "ipreg.nft")
	if err := writeFile(path, NFTables(tab, "ipreg")); err != nil {
		t.Fatal(err)
	}
	inNS(t, ns, "nft", "-c", "-f", path) // syntax and semantics, without applying
	inNS(t, ns, "nft", "-f", path)
	v4, v6 := tab.Merged()
	out := inNS(t, ns, "nft", "list", "set", "inet", "ipreg", "allow4")
	if n := strings.Count(out, ",") + 1; n != len(v4) {
		t.Errorf("allow4 holds %d elements, want %d", n, len(v4))
	}
	// Applying a smaller table replaces the sets in one transaction.
	small := Build([]feed.Entry{entry("14.1.104.0/24")})
	os.WriteFile(path, NFTables(small, "ipreg"), 0o600)
	inNS(t, ns, "nft", "-f", path)
	if out := inNS(t, ns, "nft", "list", "set", "inet", "ipreg", "allow4"); !strings.Contains(out, "14.1.104.0/24") || strings.Contains(out, "39.") {
		t.Errorf("after replacement allow4 = %s", out)
	}
	if out := inNS(t, ns, "nft", "list", "set", "inet", "ipreg", "allow6"); strings.Contains(out, "2400:") {
		t.Errorf("allow6 was not emptied: %s", out)
	}
	_ = v6
}

func TestIPSetFile(t *testing.T) {
	ns := netns(t, "ipset")
	path := filepath.Join(t.TempDir(), "ipreg.ipset")
	for _, size := range []int{3000, 70000, 10} { // growing past and shrinking below 65,536 elements
		tab := sampleTable(size)
		if err := writeFile(path, IPSet(tab, "ipreg")); err != nil {
			t.Fatal(err)
		}
		inNS(t, ns, "ipset", "restore", "-file", path)
		v4, _ := tab.Merged()
		want := 0
		for _, iv := range v4 {
			want += len(iv.Prefixes())
		}
		out := inNS(t, ns, "ipset", "list", "ipreg4", "-terse")
		if !strings.Contains(out, fmt.Sprintf("Number of entries: %d", want)) {
			t.Errorf("size %d: ipreg4 = %s, want %d entries", size, out, want)
		}
		if strings.Contains(inNS(t, ns, "ipset", "list", "-name"), "ipreg4-new") {
			t.Error("the temporary set was not destroyed")
		}
	}
}

func nsFd(t *testing.T, ns string) int {
	f, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return int(f.Fd())
}

func TestApplyNFT(t *testing.T) {
	ns := netns(t, "nft")
	for _, tab := range []*Table{sampleTable(20000), Build([]feed.Entry{entry("14.1.104.0/24"), entry("255.255.255.255/32"), entry("ffff::/16")})} {
		if err := ApplyNFT(tab, "ipreg", nsFd(t, ns)); err != nil {
			t.Fatal(err)
		}
		v4, v6 := tab.Merged()
		out4 := inNS(t, ns, "nft", "list", "set", "inet", "ipreg", "allow4")
		out6 := inNS(t, ns, "nft", "list", "set", "inet", "ipreg", "allow6")
		n4 := strings.Count(out4, ",") + 1
		n6 := strings.Count(out6, ",") + 1
		if n4 != len(v4) || n6 != len(v6) {
			t.Fatalf("kernel sets hold %d and %d elements, want %d and %d\n%s", n4, n6, len(v4), len(v6), out4[:min(len(out4), 400)])
		}
	}
	out := inNS(t, ns, "nft", "list", "set", "inet", "ipreg", "allow4")
	if !strings.Contains(out, "14.1.104.0/24") || !strings.Contains(out, "255.255.255.255") || strings.Contains(out, "39.") {
		t.Fatalf("after the second apply allow4 = %s", out)
	}
}

// TestApplyNFTChanges changes the kernel sets by a delta (intervals that
// split, join, disappear and appear) and checks that they then list exactly
// as sets replaced whole with the new table, and that a batch from the
// wrong base is refused whole.
func TestApplyNFTChanges(t *testing.T) {
	ns, whole := netns(t, "nft"), netns(t, "nft")
	t1 := sampleTable(5000)
	if err := ApplyNFT(t1, "ipreg", nsFd(t, ns)); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 9))
	es := t1.Entries()
	var ops []feed.Op
	for _, i := range r.Perm(len(es))[:300] {
		ops = append(ops, feed.Op{Op: "remove", Entry: es[i]})
	}
	for len(ops) < 600 {
		var p netip.Prefix
		if r.IntN(5) == 0 {
			p = netip.PrefixFrom(netip.AddrFrom16([16]byte{0x24, 0x01, byte(r.IntN(256))}), 48)
		} else { // next to existing /24s: intervals join
			p = netip.PrefixFrom(netip.AddrFrom4([4]byte{39, byte(r.IntN(256)), byte(r.IntN(256)), 0}), 24)
		}
		if _, ok := t1.Lookup(p.Addr()); !ok && !slices.ContainsFunc(ops, func(o feed.Op) bool { return o.Prefix == p.String() }) {
			ops = append(ops, feed.Op{Op: "add", Entry: entry(p.String())})
		}
	}
	slices.SortFunc(ops, func(a, b feed.Op) int { return strings.Compare(a.Key(), b.Key()) })
	t2, err := t1.Apply(ops)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := ApplyNFTChanges(t1, t2, "ipreg", nsFd(t, ns))
	if err != nil {
		t.Fatal(err)
	}
	if err := ApplyNFT(t2, "ipreg", nsFd(t, whole)); err != nil {
		t.Fatal(err)
	}
	v4, v6 := t2.Merged()
	if changed == 0 || changed >= len(v4)+len(v6) {
		t.Errorf("%d intervals changed for a delta of %d entries (%d in all)", changed, len(ops), len(v4)+len(v6))
	}
	for _, set := range []string{"allow4", "allow6"} {
		got, want := inNS(t, ns, "nft", "list", "set", "inet", "ipreg", set), inNS(t, whole, "nft", "list", "set", "inet", "ipreg", set)
		if got != want {
			t.Fatalf("%s after the changes differs from a whole replacement:\n%.600s\nwant\n%.600s", set, got, want)
		}
	}
	// From a base the kernel does not hold: refused, the sets untouched.
	before := inNS(t, ns, "nft", "list", "set", "inet", "ipreg", "allow4")
	if _, err := ApplyNFTChanges(t1, sampleTable(10), "ipreg", nsFd(t, ns)); err == nil {
		t.Error("changes from a base the kernel does not hold were accepted")
	}
	if inNS(t, ns, "nft", "list", "set", "inet", "ipreg", "allow4") != before {
		t.Error("a refused batch changed the set")
	}
	if n, err := ApplyNFTChanges(t2, t2, "ipreg", nsFd(t, ns)); n != 0 || err != nil {
		t.Errorf("no change: %d, %v", n, err)
	}
}

// ApplyMobile keeps the interval sets mobile4/mobile6: addresses and
// prefixes (a delegated /56 is one element that matches every address in
// it), adjacent ones, changes as differences, a whole replacement that
// repairs sets changed by hand, and plain sets left by earlier versions.
func TestApplyMobile(t *testing.T) {
	ns := netns(t, "nft")
	fd := nsFd(t, ns)
	// An earlier version's plain address set, not referred to by a rule: replaced.
	inNS(t, ns, "nft", "add table inet ipreg; add set inet ipreg mobile4 { type ipv4_addr; }; add element inet ipreg mobile4 { 39.32.0.99 }")
	pfx := func(ss ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, s := range ss {
			out = append(out, netip.MustParsePrefix(s))
		}
		return out
	}
	set := func(name string) string { return inNS(t, ns, "nft", "list", "set", "inet", "ipreg", name) }
	first := pfx("39.32.0.10/32", "39.32.0.11/32", "2400:fc00:8000::2/128", "2400:fc00:8100::/56", "2400:fc00:8000:1::/64")
	if err := ApplyMobile("ipreg", nil, first, true, fd); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"flags interval", "39.32.0.10", "39.32.0.11"} {
		if !strings.Contains(set("mobile4"), want) {
			t.Fatalf("mobile4 lacks %s:\n%s", want, set("mobile4"))
		}
	}
	if strings.Contains(set("mobile4"), "39.32.0.99") {
		t.Errorf("the plain set's element survived its replacement:\n%s", set("mobile4"))
	}
	for _, want := range []string{"2400:fc00:8000::2", "2400:fc00:8100::/56", "2400:fc00:8000:1::/64"} {
		if !strings.Contains(set("mobile6"), want) {
			t.Fatalf("mobile6 lacks %s:\n%s", want, set("mobile6"))
		}
	}
	// Every address of a bound prefix matches, as a rule using the set sees it.
	if out := inNS(t, ns, "nft", "get", "element", "inet", "ipreg", "mobile6", "{ 2400:fc00:8100:ff:1:2:3:4 }"); !strings.Contains(out, "2400:fc00:8100::/56") {
		t.Errorf("an address inside the delegated prefix does not match it: %s", out)
	}
	// Differences only: one unbound, one bound, the rest untouched.
	second := pfx("39.32.0.11/32", "39.32.0.12/32", "2400:fc00:8000::2/128", "2400:fc00:8100::/56", "2400:fc00:8000:1::/64")
	if err := ApplyMobile("ipreg", first, second, false, fd); err != nil {
		t.Fatal(err)
	}
	if out := set("mobile4"); strings.Contains(out, "39.32.0.10") || !strings.Contains(out, "39.32.0.12") {
		t.Fatalf("mobile4 after the changes = %s", out)
	}
	// From a base the kernel does not hold: refused whole, and a whole
	// replacement sets it right.
	if err := ApplyMobile("ipreg", pfx("39.32.0.200/32"), second, false, fd); err == nil {
		t.Error("changes from a base the kernel does not hold were accepted")
	}
	inNS(t, ns, "nft", "add element inet ipreg mobile4 { 39.32.0.77 }") // by hand
	if err := ApplyMobile("ipreg", nil, second, true, fd); err != nil {
		t.Fatal(err)
	}
	if out := set("mobile4"); strings.Contains(out, "39.32.0.77") || !strings.Contains(out, "39.32.0.11") {
		t.Fatalf("mobile4 after a whole replacement = %s", out)
	}
	// A full replacement of the allowlist leaves the mobile sets alone.
	if err := ApplyNFT(sampleTable(100), "ipreg", fd); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(set("mobile6"), "2400:fc00:8100::/56") {
		t.Fatalf("mobile6 after a replacement of the allowlist = %s", set("mobile6"))
	}
	if err := ApplyMobile("ipreg", second, nil, false, fd); err != nil {
		t.Fatal(err)
	}
	if out := set("mobile6"); strings.Contains(out, "2400") {
		t.Fatalf("mobile6 after unbinding everything = %s", out)
	}
	// A plain set that a rule refers to cannot be replaced: the error says what to do.
	ns2 := netns(t, "nft")
	inNS(t, ns2, "nft", "add table inet ipreg; add set inet ipreg mobile4 { type ipv4_addr; }; add chain inet ipreg c; add rule inet ipreg c ip saddr @mobile4 accept")
	err := ApplyMobile("ipreg", nil, first, true, nsFd(t, ns2))
	if err == nil || !strings.Contains(err.Error(), "nft delete set inet ipreg mobile4") {
		t.Errorf("a plain set in use: %v", err)
	}
}
