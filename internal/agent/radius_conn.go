package agent

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"time"

	"layeh.com/radius"
)

// radiusConn is the RADIUS listener's socket as the PacketServer reads it:
//
//   - Octets past a packet's Length field are padding and are dropped
//     before anything else reads the packet (RFC 2865 §3: "Octets outside
//     the range of the Length field MUST be treated as padding and ignored
//     on reception"); layeh.com/radius would otherwise include them in the
//     Request Authenticator's MD5 and drop a correctly signed packet.
//   - An Accounting-Request whose Request Authenticator does not verify
//     with the shared secret (RFC 2866 §3) is dropped here, counted as
//     outcome "bad_authenticator" and logged with its source address, at
//     most once a minute per source (a NAS with the wrong secret
//     retransmits; a flood must not flood the log).
type radiusConn struct {
	net.PacketConn
	secret []byte
	agent  *Agent

	mu     sync.Mutex
	logged map[netip.Addr]badSource

	// reading is closed (once, by readOnce) when the server first reads:
	// ListenRADIUS shuts the server down only after that (see there).
	reading  chan struct{}
	readOnce sync.Once
}

type badSource struct {
	at      time.Time // when last logged
	dropped int       // since then
}

// badLogEvery is how often a source's wrong-secret packets are logged.
const badLogEvery = time.Minute

func (c *radiusConn) ReadFrom(p []byte) (int, net.Addr, error) {
	if c.reading != nil {
		c.readOnce.Do(func() { close(c.reading) })
	}
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil || n < 20 {
			return n, addr, err // too short: the server's parser refuses it
		}
		if l := int(binary.BigEndian.Uint16(p[2:4])); l >= 20 && l < n {
			n = l
		}
		if radius.Code(p[0]) == radius.CodeAccountingRequest && !radius.IsAuthenticRequest(p[:n], c.secret) {
			c.badAuthenticator(addr)
			continue
		}
		return n, addr, nil
	}
}

// badAuthenticator counts and, rate-limited per source address, logs a
// request that failed authentication (never the packet: its attributes
// are unverified and may carry anything).
func (c *radiusConn) badAuthenticator(addr net.Addr) {
	a := c.agent
	a.metrics.radius.WithLabelValues(outcomeBadAuthenticator).Inc()
	src := netip.Addr{}
	if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
		src = ap.Addr().Unmap()
	}
	now := a.cfg.Now()
	c.mu.Lock()
	if c.logged == nil {
		c.logged = map[netip.Addr]badSource{}
	}
	s, seen := c.logged[src]
	log := !seen || now.Sub(s.at) >= badLogEvery
	if log {
		if len(c.logged) >= 4096 { // many sources (spoofed): forget those quiet for a minute
			for k, v := range c.logged {
				if now.Sub(v.at) >= badLogEvery {
					delete(c.logged, k)
				}
			}
		}
		c.logged[src] = badSource{at: now}
	} else {
		s.dropped++
		c.logged[src] = s
	}
	c.mu.Unlock()
	if log {
		a.cfg.Log.Warn("agent: radius: Accounting-Request with a wrong shared secret dropped (its Request Authenticator does not verify); check the NAS's secret",
			"source", addr.String(), "dropped_since_last_logged", s.dropped)
	}
}
