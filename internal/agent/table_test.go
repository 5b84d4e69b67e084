package agent

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/gaissmai/bart"

	"github.com/ipreg/ipreg/internal/feed"
)

var until = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)

func randPrefix(r *rand.Rand, v6 bool) netip.Prefix {
	if v6 {
		var b [16]byte
		b[0], b[1] = 0x20, 0x01
		for i := 2; i < 16; i++ {
			b[i] = byte(r.IntN(4)) // a small space, so prefixes nest and collide
		}
		return netip.PrefixFrom(netip.AddrFrom16(b), 16+r.IntN(113)).Masked()
	}
	a := netip.AddrFrom4([4]byte{14, byte(r.IntN(4)), byte(r.IntN(8)), byte(r.IntN(256))})
	return netip.PrefixFrom(a, 8+r.IntN(25)).Masked()
}

// oracle checks the table against bart for the given probes: same verdict,
// and the same (longest) matching prefix.
func oracle(t *testing.T, entries []feed.Entry, probes []netip.Addr) {
	t.Helper()
	tab := Build(entries)
	var o bart.Table[netip.Prefix]
	for _, e := range entries {
		p := netip.MustParsePrefix(e.Prefix)
		o.Insert(p, p)
	}
	vals := make([]int, len(probes))
	tab.lookupBatch(probes, vals)
	for i, a := range probes {
		if v := tab.lookup(a); vals[i] != v {
			t.Fatalf("lookupBatch answers %d for %s, lookup %d", vals[i], a, v)
		}
	}
	for _, a := range probes {
		want, wantOK := o.Lookup(a)
		got, ok := tab.Lookup(a)
		if ok != wantOK || ok && got.Prefix != want.String() {
			t.Fatalf("Lookup(%s) = %v %q; bart says %v %s", a, ok, got.Prefix, wantOK, want)
		}
		if tab.Contains(a) != ok {
			t.Fatalf("Contains(%s) = %v, Lookup says %v", a, !ok, ok)
		}
		if a.Is4() {
			if m, _ := tab.Lookup(netip.AddrFrom16(a.As16())); m != got {
				t.Fatalf("IPv4-mapped %s answers differently", a)
			}
		}
	}
}

// denseChunks4 is a random IPv4 prefix in two /16s, mostly /24s and
// longer, so that a chunk has well over the 22 slots its head holds and
// /24s with several ranges are common.
func denseChunks4(r *rand.Rand) netip.Prefix {
	a := netip.AddrFrom4([4]byte{14, byte(r.IntN(2)), byte(r.IntN(256)), byte(r.IntN(256))})
	return netip.PrefixFrom(a, 22+r.IntN(11)).Masked()
}

func TestTableAgainstBart(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		r := rand.New(rand.NewPCG(seed, seed))
		gen, n := randPrefix, 1+r.IntN(300)
		if seed > 30 {
			n += 600
			gen = func(r *rand.Rand, v6 bool) netip.Prefix {
				if v6 {
					return randPrefix(r, v6)
				}
				return denseChunks4(r)
			}
		}
		var entries []feed.Entry
		seen := map[string]bool{}
		for i := 0; i < n; i++ {
			p := gen(r, r.IntN(3) == 0)
			reg := fmt.Sprintf("VPN-2026-%06d", r.IntN(50))
			if seen[p.String()+reg] {
				continue
			}
			seen[p.String()+reg] = true
			entries = append(entries, feed.Entry{Prefix: p.String(), Reg: reg, Cat: "company_vpn", Until: until})
		}
		var probes []netip.Addr
		for i := 0; i < 3000; i++ {
			probes = append(probes, gen(r, r.IntN(3) == 0).Addr())
			p := netip.MustParsePrefix(entries[r.IntN(len(entries))].Prefix)
			probes = append(probes, p.Addr(), lastAddr(p), p.Addr().Prev(), lastAddr(p).Next())
		}
		probes = append(probes, netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("255.255.255.255"), netip.MustParseAddr("::"),
			netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
		t.Run(fmt.Sprint(seed), func(t *testing.T) { oracle(t, entries, validAddrs(probes)) })
	}
}

func validAddrs(ps []netip.Addr) []netip.Addr {
	out := ps[:0]
	for _, p := range ps {
		if p.IsValid() {
			out = append(out, p)
		}
	}
	return out
}

func TestTableEdges(t *testing.T) {
	entries := []feed.Entry{
		{Prefix: "0.0.0.0/0", Reg: "A", Cat: "c", Until: until},
		{Prefix: "255.255.255.255/32", Reg: "B", Cat: "c", Until: until},
		{Prefix: "::/0", Reg: "C", Cat: "c", Until: until},
		{Prefix: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", Reg: "D", Cat: "c", Until: until},
		{Prefix: "14.1.104.0/24", Reg: "E2", Cat: "c", Until: until},
		{Prefix: "14.1.104.0/24", Reg: "E1", Cat: "c", Until: until},
	}
	tab := Build(entries)
	for _, tt := range []struct{ a, reg string }{
		{"0.0.0.0", "A"}, {"255.255.255.254", "A"}, {"255.255.255.255", "B"}, {"::", "C"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "C"}, {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "D"},
		{"14.1.104.9", "E1"}, // equal prefixes: the lowest registration number answers
		{"::ffff:14.1.104.9", "E1"},
	} {
		e, ok := tab.Lookup(netip.MustParseAddr(tt.a))
		if !ok || e.Reg != tt.reg {
			t.Errorf("Lookup(%s) = %v %q, want %s", tt.a, ok, e.Reg, tt.reg)
		}
	}
	if Build(nil).Contains(netip.MustParseAddr("1.2.3.4")) {
		t.Error("an empty table contains something")
	}
	var nilTable *Table
	if nilTable.Contains(netip.MustParseAddr("1.2.3.4")) || nilTable.Len() != 0 {
		t.Error("a nil table (no verified sync yet) must contain nothing")
	}
}

func TestAnswerJSON(t *testing.T) {
	for _, ans := range []Answer{
		{IP: netip.MustParseAddr("14.1.104.7"), Allowed: true, Entry: entry("14.1.104.0/24")},
		{IP: netip.MustParseAddr("2001:dd8:1c::1"), Allowed: true, Stale: true, Entry: feed.Entry{MSISDN: "923001234567", Reg: "R\"\\é\n", Cat: "mobile_vpn", Until: until}},
		{IP: netip.MustParseAddr("8.8.8.8")},
	} {
		b := ans.appendJSON(nil)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s is not JSON: %v", b, err)
		}
		if m["ip"] != ans.IP.String() || m["allowed"] != ans.Allowed || (ans.Allowed && m["registration"] != ans.Entry.Reg) {
			t.Errorf("%s does not say %+v", b, ans)
		}
	}
}

// With only /64s and wider, IPv6 ranges are kept in their narrow form;
// the answers must not change.
func TestTableNarrowIPv6(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		var entries []feed.Entry
		seen := map[string]bool{}
		gen := func() netip.Prefix {
			var b [16]byte
			b[0], b[1] = 0x24, 0x00
			for i := 2; i < 8; i++ {
				b[i] = byte(r.IntN(3))
			}
			for i := 8; i < 16; i++ {
				b[i] = byte(r.IntN(256)) // below /64: probes only
			}
			return netip.PrefixFrom(netip.AddrFrom16(b), 16+r.IntN(49)).Masked()
		}
		for i := 0; i < 200; i++ {
			if p := gen(); !seen[p.String()] {
				seen[p.String()] = true
				entries = append(entries, feed.Entry{Prefix: p.String(), Reg: fmt.Sprintf("R%d", i), Cat: "c", Until: until})
			}
		}
		if tab := Build(entries); tab.v6n == nil || tab.v6 != nil {
			t.Fatal("a table of /64s and wider did not take the narrow form")
		}
		var probes []netip.Addr
		for i := 0; i < 3000; i++ {
			a := gen().Addr().As16()
			for i := 8; i < 16; i++ {
				a[i] = byte(r.IntN(256))
			}
			probes = append(probes, netip.AddrFrom16(a))
			p := netip.MustParsePrefix(entries[r.IntN(len(entries))].Prefix)
			probes = append(probes, p.Addr(), lastAddr(p), p.Addr().Prev(), lastAddr(p).Next())
		}
		oracle(t, entries, validAddrs(probes))
	}
}

// Entries come back from their records exactly as stored: text that fits
// the record, text just too long for it (spilled to the arena), text
// needing escapes, and entries appended by Apply to a shared store while
// the older table still reads its own.
func TestEntryStore(t *testing.T) {
	long := strings.Repeat("R", 300)
	in := []feed.Entry{
		{Prefix: "14.1.104.0/24", Reg: "VPN-2026-000001", Cat: "company_vpn", Until: until},
		{Prefix: "2400:abcd:ef01:2345:6789::/80", Reg: "VPN-2026-000002", Cat: "cccc", Until: until.Add(1500 * time.Millisecond)},       // 48 bytes of text: fits
		{Prefix: "2400:abcd:ef01:2345:6789::/80", Reg: "VPN-2026-000002", Cat: "ccccc", Until: until},                                   // 49: spills
		{Prefix: "14.1.105.0/24", Reg: long, Cat: strings.Repeat("k", 0xffff-300), Until: time.Date(12026, 1, 1, 0, 0, 0, 0, time.UTC)}, // spills, lengths past a byte
		{Prefix: "14.1.106.0/24", Reg: "R\"\\é\n", Cat: "embassy", Until: until},
	}
	var es entryStore
	es.log = &entryLog{}
	for i := range in {
		if v := es.add(&in[i]); v != uint32(i) {
			t.Fatalf("entry %d got value %d", i, v)
		}
	}
	wantSpilled := []bool{false, false, true, true, false}
	wantPlain := []bool{true, true, true, true, false}
	for i, e := range in {
		if got := es.get(uint32(i)); !reflect.DeepEqual(got, e) {
			t.Errorf("entry %d: got %+v, want %+v", i, got, e)
		}
		if spilled := es.rec(uint32(i)).flags&recSpilled != 0; spilled != wantSpilled[i] {
			t.Errorf("entry %d (%d bytes of text): spilled %v", i, len(e.Prefix)+len(e.Reg)+len(e.Cat), spilled)
		}
		if es.plain(uint32(i)) != wantPlain[i] {
			t.Errorf("entry %d: plain %v", i, es.plain(uint32(i)))
		}
	}
	if unsafe.Sizeof(record{}) != 64 {
		t.Errorf("a record is %d bytes; it must fill one 64-byte cache line", unsafe.Sizeof(record{}))
	}

	// Across chunks: fill past the first chunk's end, twice over.
	big := es.successor()
	for i := big.n; i < 2*chunkRecs+7; i++ {
		big.add(&feed.Entry{Prefix: fmt.Sprintf("10.%d.%d.0/24", i>>8&255, i&255), Reg: fmt.Sprintf("VPN-2026-%06d", i), Cat: "company_vpn", Until: until})
	}
	big.commit()
	for _, i := range []int{5, chunkRecs - 1, chunkRecs, chunkRecs + 1, 2 * chunkRecs, 2*chunkRecs + 6} {
		if got, want := big.get(uint32(i)).Reg, fmt.Sprintf("VPN-2026-%06d", i); got != want {
			t.Errorf("record %d reads %s, want %s", i, got, want)
		}
	}
	es.release(&es) // es is a table of its own again (as if big had been refused)

	// Two successors of one table: the first appends in place, the second
	// (of the same, older table) must copy, and all three read their own.
	es.commit()
	a := es.successor()
	a.add(&feed.Entry{Prefix: "14.1.107.0/24", Reg: "VPN-2026-00000A", Cat: "company_vpn", Until: until})
	a.add(&feed.Entry{Prefix: "14.1.109.0/24", Reg: long + "a", Cat: "company_vpn", Until: until})
	a.commit()
	b := es.successor()
	b.add(&feed.Entry{Prefix: "14.1.108.0/24", Reg: "VPN-2026-00000B", Cat: "company_vpn", Until: until})
	b.add(&feed.Entry{Prefix: "14.1.110.0/24", Reg: long + "b", Cat: "company_vpn", Until: until})
	b.commit()
	for _, c := range []struct {
		es   *entryStore
		name string
		want []string
	}{{&a, "first", []string{"VPN-2026-00000A", long + "a"}}, {&b, "second", []string{"VPN-2026-00000B", long + "b"}}} {
		for i, want := range c.want {
			if got := c.es.get(uint32(5 + i)).Reg; got != want {
				t.Errorf("the %s successor's entry %d reads %.20q…, want %.20q…", c.name, 5+i, got, want)
			}
		}
	}
	if es.n != 5 || es.get(3).Reg != long {
		t.Errorf("the older store changed: %d records", es.n)
	}
}
