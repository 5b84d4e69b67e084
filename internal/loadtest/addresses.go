package loadtest

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"

	"github.com/ipreg/ipreg/internal/netpolicy"
)

// addressPool hands out IPv4 items from Pakistan's address space (the RIR
// delegations the registry checks against) that no other application of
// the run holds: each item lies in its own aligned /29, taken in order
// from a random start, so that no two applications overlap and a reviewer
// can approve every one. An item is a host (/32), a /30 or the whole /29,
// as small offices register.
type addressPool struct {
	mu     sync.Mutex
	blocks []netip.Prefix // the IPv4 prefixes, each at most /29
	sizes  []uint64       // /29 blocks in each
	total  uint64
	next   uint64
	rng    *rand.Rand
}

func newAddressPool(seed uint64) *addressPool {
	p := &addressPool{rng: rand.New(rand.NewPCG(seed, 0xad))}
	for _, pfx := range netpolicy.PakistanPrefixes() {
		if !pfx.Addr().Is4() || pfx.Bits() > 29 {
			continue
		}
		n := uint64(1) << (29 - pfx.Bits())
		p.blocks, p.sizes = append(p.blocks, pfx), append(p.sizes, n)
		p.total += n
	}
	p.next = p.rng.Uint64N(p.total)
	return p
}

// take returns n items (1 to 8) in distinct /29s.
func (p *addressPool) take(n int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, n)
	for range n {
		k := p.next % p.total
		p.next++
		i := 0
		for k >= p.sizes[i] {
			k -= p.sizes[i]
			i++
		}
		base := p.blocks[i].Addr().As4()
		v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
		v += uint32(k) << 3
		bits := []int{32, 32, 32, 30, 29}[p.rng.IntN(5)]
		off := uint32(0)
		if bits == 32 {
			off = uint32(1 + p.rng.IntN(6)) // a host address, not the block's first or last
		}
		v += off
		a := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		out = append(out, netip.PrefixFrom(a, bits).String())
	}
	return out
}

// mobilePrefixes are the mobile networks' 03XX codes (Jazz 0300–0309,
// Zong 0310–0318, Ufone 0330–0336, Telenor 0340–0347).
var mobilePrefixes = []string{"0300", "0301", "0302", "0303", "0304", "0305", "0306", "0307", "0308", "0309",
	"0310", "0311", "0312", "0313", "0314", "0315", "0316", "0317", "0318",
	"0330", "0331", "0332", "0333", "0334", "0335", "0336",
	"0340", "0341", "0342", "0343", "0344", "0345", "0346", "0347"}

func mobileNumber(rng *rand.Rand) string {
	return fmt.Sprintf("%s-%07d", mobilePrefixes[rng.IntN(len(mobilePrefixes))], rng.IntN(10_000_000))
}

func cnic(rng *rand.Rand) string {
	// 1–7 lead the first digit (the provinces); the rest is random.
	return fmt.Sprintf("%d%04d-%07d-%d", 1+rng.IntN(7), rng.IntN(10_000), rng.IntN(10_000_000), rng.IntN(10))
}
