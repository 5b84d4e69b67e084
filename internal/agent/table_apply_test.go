package agent

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/feed"
)

// TestApplyMatchesBuild applies random deltas (nested, adjacent and
// chunk-spanning prefixes, equal prefixes of several registrations) and
// checks after each that the table answers exactly as one built from
// scratch and as bart does, and that the table it came from still answers
// as before (copy-on-write).
func TestApplyMatchesBuild(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			gen := func() feed.Entry {
				var p netip.Prefix
				if r.IntN(4) == 0 {
					p = randPrefix(r, true)
				} else {
					// Around a few /16s, with now and then a short prefix
					// covering several chunks.
					a := netip.AddrFrom4([4]byte{14, byte(r.IntN(3)), byte(r.IntN(4)), byte(r.IntN(256))})
					bits := 20 + r.IntN(13)
					if r.IntN(20) == 0 {
						bits = 8 + r.IntN(8)
					}
					p = netip.PrefixFrom(a, bits).Masked()
				}
				return feed.Entry{Prefix: p.String(), Reg: fmt.Sprintf("R%d", r.IntN(3)), Cat: "c", Until: until}
			}
			cur := map[string]feed.Entry{}
			for i := 0; i < 200; i++ {
				e := gen()
				cur[e.Key()] = e
			}
			tab := Build(sorted(cur))
			for round := 0; round < 15; round++ {
				var ops []feed.Op
				next := map[string]feed.Entry{}
				for k, e := range cur {
					next[k] = e
				}
				for _, k := range slices.Sorted(mapsKeys(cur)) {
					if r.IntN(5) == 0 {
						ops = append(ops, feed.Op{Op: "remove", Entry: cur[k]})
						delete(next, k)
					}
				}
				for i := 0; i < r.IntN(60); i++ {
					e := gen()
					if _, ok := next[e.Key()]; ok {
						continue
					}
					if _, ok := cur[e.Key()]; ok {
						continue // removed in this delta: not re-added in the same one
					}
					ops = append(ops, feed.Op{Op: "add", Entry: e})
					next[e.Key()] = e
				}
				sort.Slice(ops, func(i, j int) bool { return ops[i].Key() < ops[j].Key() })
				before := answers(tab, probes(r, cur))
				nt, err := tab.Apply(ops)
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				for a, want := range before {
					if e, ok := tab.Lookup(a); ok != (want != "") || ok && e.Prefix+"|"+e.Reg != want {
						t.Fatalf("round %d: the old table changed its answer for %s", round, a)
					}
				}
				want := Build(sorted(next))
				ps := probes(r, next)
				for _, a := range ps {
					g, gok := nt.Lookup(a)
					w, wok := want.Lookup(a)
					if gok != wok || g != w || nt.Contains(a) != wok {
						t.Fatalf("round %d: Lookup(%s) after Apply = %v %+v, rebuilt table says %v %+v", round, a, gok, g, wok, w)
					}
				}
				if !slices.Equal(nt.Entries(), want.Entries()) {
					t.Fatalf("round %d: entries differ from a rebuilt table's", round)
				}
				v4a, v6a := nt.Merged()
				v4b, v6b := want.Merged()
				if !slices.Equal(v4a, v4b) || !slices.Equal(v6a, v6b) {
					t.Fatalf("round %d: merged intervals differ from a rebuilt table's", round)
				}
				oracle(t, sorted(next), ps)
				tab, cur = nt, next
			}
		})
	}
}

// TestApplyRefuses checks that an inconsistent delta is refused whole and
// that applying twice from one table (a refused or abandoned successor)
// cannot disturb either result.
func TestApplyRefuses(t *testing.T) {
	base := []feed.Entry{entry("14.1.104.0/24"), entry("14.1.105.7/32")}
	tab := Build(base)
	add := feed.Op{Op: "add", Entry: entry("14.1.106.0/24")}
	if _, err := tab.Apply([]feed.Op{{Op: "add", Entry: base[0]}}); err == nil {
		t.Error("an add of an entry already there must be refused")
	}
	if _, err := tab.Apply([]feed.Op{add, {Op: "remove", Entry: entry("14.1.107.0/24")}}); err == nil {
		t.Error("a removal of an entry not there must be refused")
	}
	a, err := tab.Apply([]feed.Op{add})
	if err != nil {
		t.Fatal(err)
	}
	b, err := tab.Apply([]feed.Op{{Op: "add", Entry: feed.Entry{Prefix: "14.1.108.0/24", Reg: "X", Cat: "c", Until: until}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Apply([]feed.Op{{Op: "add", Entry: feed.Entry{Prefix: "14.1.109.0/24", Reg: "Y", Cat: "c", Until: until}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		tab  *Table
		ip   string
		want string
	}{
		{a, "14.1.106.1", entry("14.1.106.0/24").Reg}, {a, "14.1.108.1", ""},
		{b, "14.1.108.1", "X"}, {b, "14.1.106.1", ""},
		{c, "14.1.109.1", "Y"}, {c, "14.1.106.1", entry("14.1.106.0/24").Reg},
		{tab, "14.1.106.1", ""}, {tab, "14.1.105.7", entry("14.1.105.7/32").Reg},
	} {
		e, ok := tt.tab.Lookup(netip.MustParseAddr(tt.ip))
		if ok != (tt.want != "") || e.Reg != tt.want {
			t.Errorf("Lookup(%s) = %v %q, want %q", tt.ip, ok, e.Reg, tt.want)
		}
	}
}

func TestParse4(t *testing.T) {
	for _, s := range []string{"0.0.0.0/0", "14.1.104.0/24", "255.255.255.255/32", "10.0.0.0/8", "1.2.3.4/32",
		"01.2.3.4/32", "1.2.3.4/033", "1.2.3.4/24", "1.2.3/24", "1.2.3.4", "256.1.1.1/32", "1.2.3.4/33", "::/0", "1.2.3.4/", "1.2.3.4/32x"} {
		a, bits, ok := parse4(s)
		p, err := netip.ParsePrefix(s)
		want := err == nil && p.Addr().Is4() && p == p.Masked()
		if ok != want {
			t.Errorf("parse4(%q) ok = %v, netip says %v", s, ok, want)
			continue
		}
		if ok && (addr4(a) != p.Addr() || int(bits) != p.Bits()) {
			t.Errorf("parse4(%q) = %s/%d", s, addr4(a), bits)
		}
	}
}

func FuzzParse4(f *testing.F) {
	f.Add("14.1.104.0/24")
	f.Add("1.2.3.04/32")
	f.Fuzz(func(t *testing.T, s string) {
		a, bits, ok := parse4(s)
		if !ok {
			return // netip decides then
		}
		p, err := netip.ParsePrefix(s)
		if err != nil || p != p.Masked() || addr4(a) != p.Addr() || int(bits) != p.Bits() {
			t.Fatalf("parse4(%q) = %s/%d, netip says %v %v", s, addr4(a), bits, p, err)
		}
	})
}

func sorted(m map[string]feed.Entry) []feed.Entry {
	var out []feed.Entry
	for _, k := range slices.Sorted(mapsKeys(m)) {
		out = append(out, m[k])
	}
	return out
}

func mapsKeys(m map[string]feed.Entry) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// probes returns addresses at, just inside and just outside every
// entry's edges, plus random ones.
func probes(r *rand.Rand, m map[string]feed.Entry) []netip.Addr {
	var out []netip.Addr
	for _, e := range m {
		p := netip.MustParsePrefix(e.Prefix)
		out = append(out, p.Addr(), lastAddr(p), p.Addr().Prev(), lastAddr(p).Next())
	}
	for i := 0; i < 500; i++ {
		out = append(out, randPrefix(r, r.IntN(3) == 0).Addr(), netip.AddrFrom4([4]byte{14, byte(r.IntN(3)), byte(r.IntN(4)), byte(r.IntN(256))}))
	}
	return validAddrs(out)
}

func answers(t *Table, ps []netip.Addr) map[netip.Addr]string {
	out := map[netip.Addr]string{}
	for _, a := range ps {
		if e, ok := t.Lookup(a); ok {
			out[a] = e.Prefix + "|" + e.Reg
		} else {
			out[a] = ""
		}
	}
	return out
}

// TestApplyCompacts removes more entries than remain, so that Apply
// rebuilds compactly instead of keeping the removed entries' memory.
func TestApplyCompacts(t *testing.T) {
	var es []feed.Entry
	for i := 0; i < 3000; i++ {
		es = append(es, feed.Entry{Prefix: fmt.Sprintf("14.%d.%d.0/24", i/256, i%256), Reg: "R", Cat: "c", Until: until})
	}
	tab := Build(es)
	var ops []feed.Op
	for _, e := range es[:2000] {
		ops = append(ops, feed.Op{Op: "remove", Entry: e})
	}
	nt, err := tab.Apply(ops)
	if err != nil {
		t.Fatal(err)
	}
	if nt.dead != 0 || nt.es.n != 1000 || nt.Len() != 1000 {
		t.Errorf("after removing 2000 of 3000: %d dead, %d entries kept, %d live; want a compact table of 1000", nt.dead, nt.es.n, nt.Len())
	}
	if nt.Contains(netip.MustParseAddr("14.0.0.1")) || !nt.Contains(netip.MustParseAddr("14.11.100.1")) {
		t.Error("the compacted table answers wrongly")
	}
}

// TestApplyNarrowIPv6 runs deltas over IPv6 tables of /64s and wider,
// mostly separate /48s (patched in place) with now and then a containing,
// touching or repeated prefix (rebuilt), checking each result against a
// table built from scratch and against bart.
func TestApplyNarrowIPv6(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 11))
			gen := func() feed.Entry {
				b := [16]byte{0x24, 0x00, byte(r.IntN(2)), byte(r.IntN(64)), byte(r.IntN(4))}
				bits := 48
				switch r.IntN(12) {
				case 0:
					bits = 40 // contains some /48s
				case 1:
					bits = 64
				}
				p := netip.PrefixFrom(netip.AddrFrom16(b), bits).Masked()
				return feed.Entry{Prefix: p.String(), Reg: fmt.Sprintf("R%d", r.IntN(2)), Cat: "c", Until: until}
			}
			cur := map[string]feed.Entry{}
			for len(cur) < 150 {
				e := gen()
				cur[e.Key()] = e
			}
			tab := Build(sorted(cur))
			for round := 0; round < 20; round++ {
				next := map[string]feed.Entry{}
				var ops []feed.Op
				for k, e := range cur {
					if r.IntN(8) == 0 {
						ops = append(ops, feed.Op{Op: "remove", Entry: e})
					} else {
						next[k] = e
					}
				}
				for i := 0; i < 10; i++ {
					e := gen()
					if _, ok := cur[e.Key()]; !ok && next[e.Key()].Prefix == "" {
						ops = append(ops, feed.Op{Op: "add", Entry: e})
						next[e.Key()] = e
					}
				}
				slices.SortFunc(ops, func(a, b feed.Op) int { return strings.Compare(a.Key(), b.Key()) })
				nt, err := tab.Apply(ops)
				if err != nil {
					t.Fatal(err)
				}
				want := Build(sorted(next))
				for _, a := range probes(r, next) {
					g, gok := nt.Lookup(a)
					w, wok := want.Lookup(a)
					if gok != wok || g != w {
						t.Fatalf("round %d: Lookup(%s) after Apply = %v %+v, rebuilt table says %v %+v", round, a, gok, g, wok, w)
					}
				}
				v4a, v6a := nt.Merged()
				v4b, v6b := want.Merged()
				if !slices.Equal(v4a, v4b) || !slices.Equal(v6a, v6b) {
					t.Fatalf("round %d: merged intervals differ from a rebuilt table's", round)
				}
				tab, cur = nt, next
			}
		})
	}
}

// Removing a prefix whose neighbours touch it is patched in place, unless
// a longer prefix contains it, even one that other prefixes tile so that
// it shows no range of its own: then its space must go back to the
// container.
func TestApplyIPv6Touching(t *testing.T) {
	e := func(p, reg string) feed.Entry { return feed.Entry{Prefix: p, Reg: reg, Cat: "c", Until: until} }
	tests := []struct {
		name    string
		entries []feed.Entry
		remove  feed.Entry
		probe   string
		want    string // registration answering the probe after the removal, "" for none
	}{
		{"neighbours are separate prefixes",
			[]feed.Entry{e("2400:1::/48", "A"), e("2400:1:1::/48", "B"), e("2400:1:2::/48", "C")},
			e("2400:1:1::/48", "B"), "2400:1:1::7", ""},
		{"a container tiled by two /48s",
			[]feed.Entry{e("2400:2::/47", "C"), e("2400:2::/48", "A"), e("2400:2:1::/48", "B")},
			e("2400:2:1::/48", "B"), "2400:2:1::7", "C"},
		{"a container with a piece showing",
			[]feed.Entry{e("2400:3::/46", "C"), e("2400:3::/48", "A"), e("2400:3:1::/48", "B")},
			e("2400:3:1::/48", "B"), "2400:3:1::7", "C"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slices.SortFunc(tt.entries, func(a, b feed.Entry) int { return strings.Compare(a.Key(), b.Key()) })
			tab := Build(tt.entries)
			nt, err := tab.Apply([]feed.Op{{Op: "remove", Entry: tt.remove}})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := nt.Lookup(netip.MustParseAddr(tt.probe))
			if (tt.want == "") == ok || ok && got.Reg != tt.want {
				t.Fatalf("after removing %s, %s → %+v %v; want %q", tt.remove.Prefix, tt.probe, got, ok, tt.want)
			}
			// And exactly as a table built afresh answers.
			var rest []feed.Entry
			for _, x := range tt.entries {
				if x != tt.remove {
					rest = append(rest, x)
				}
			}
			if w, wok := Build(rest).Lookup(netip.MustParseAddr(tt.probe)); w != got || wok != ok {
				t.Fatalf("patched %+v %v, rebuilt %+v %v", got, ok, w, wok)
			}
		})
	}
}
