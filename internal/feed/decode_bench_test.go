package feed

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

// BenchmarkDecodeDelta decodes a 1 % delta of a 1.1 M-entry feed: 5,500
// removals and 5,500 additions, the agent's per-version decoding work.
func BenchmarkDecodeDelta(b *testing.B) {
	until := time.Date(2027, 11, 27, 0, 0, 0, 0, time.UTC)
	var ops []Op
	for k := 0; k < 5500; k++ {
		ops = append(ops, Op{Op: "remove", Entry: Entry{Prefix: fmt.Sprintf("39.%d.%d.%d/32", 32+k/65536, k/256%256, k%256), Reg: fmt.Sprintf("VPN-2026-%06d", k), Cat: "company_vpn", Until: until}})
		ops = append(ops, Op{Op: "add", Entry: Entry{Prefix: fmt.Sprintf("2401:%x:%x::/48", 7, k), Reg: "VPN-2026-900000", Cat: "company_vpn", Until: until}})
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Key() < ops[j].Key() })
	data, err := EncodeDelta(Header{SessionID: "s1", Version: 2}, ops)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeDelta(data, "s1", 2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeDeltaSmall decodes a one-entry delta, what most versions
// are (one approval a second at most), so what each of thousands of agents
// does per approval.
func BenchmarkDecodeDeltaSmall(b *testing.B) {
	until := time.Date(2027, 11, 27, 0, 0, 0, 0, time.UTC)
	data, err := EncodeDelta(Header{SessionID: "s1", Version: 2}, []Op{{Op: "add", Entry: Entry{Prefix: "27.255.1.0/24", Reg: "VPN-2026-000123", Cat: "company_vpn", Until: until}}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeDelta(data, "s1", 2); err != nil {
			b.Fatal(err)
		}
	}
}
