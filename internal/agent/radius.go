package agent

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"
	"layeh.com/radius/rfc3162"
	"layeh.com/radius/rfc4818"
	"layeh.com/radius/rfc6911"

	"github.com/ipreg/ipreg/internal/netpolicy"
)

// RADIUSOptions configure RADIUS accounting (ListenRADIUS).
type RADIUSOptions struct {
	Secret []byte // the shared secret
	// SessionTimeout: a binding lapses when no Interim-Update renews it
	// within this.
	SessionTimeout time.Duration
	// Space is where bound addresses may lie (NewBindSpace); nil means
	// Pakistan's address space only.
	Space *BindSpace
}

// RADIUS binds registered mobile numbers to the addresses their sessions
// hold, from accounting (RFC 2866), as FreeRADIUS's accounting does:
//
//   - Start and Interim-Update claim the session's addresses and prefixes
//     (Framed-IP-Address, Framed-IPv6-Address of RFC 6911,
//     Framed-IPv6-Prefix of RFC 3162, Delegated-IPv6-Prefix of RFC 4818)
//     for the number in Calling-Station-Id, for SessionTimeout (renewed by
//     each update). An address belongs to its newest session: the claim
//     ends every other session's binding that overlaps it, and binds it
//     only when the number is registered and the address lies in the
//     accepted space (BindSpace).
//     Every address's newest claim is remembered, bound or not (see
//     Bindings), so that no packet of an older session takes it back; the
//     session's addresses an Interim-Update no longer lists are released.
//   - Stop ends the bindings of its session: the session is the NAS (see
//     nasID, NAS.matches) and its Acct-Session-Id; an empty
//     Acct-Session-Id matches nothing. Later packets of a stopped session
//     are ignored for SessionTimeout. A Stop whose session began (arrival
//     − Acct-Delay-Time − Acct-Session-Time) before its NAS's last
//     Accounting-On/Off, or before the known start of the session now
//     using the id, ends nothing (Bindings.Stop).
//   - Accounting-On and Accounting-Off end every binding of the NAS that
//     sent them (it restarted: its sessions are gone) and forget its
//     sessions' records; later packets of its sessions that began before
//     are ignored for SessionTimeout.
//   - An Interim-Update without Calling-Station-Id is its session's: the
//     number its Start bound.
//   - Every unbinding so far is on disk before any request is answered
//     (Bindings.MustPersist).
//
// Packets with a wrong shared secret fail authentication and are dropped,
// counted and logged (radiusConn); octets past a packet's Length are
// padding (RFC 2865 §3).
//
// Every well-signed Accounting-Request is acknowledged, whatever it held,
// so that the NAS does not retransmit it.
type RADIUS struct {
	Agent *Agent
	RADIUSOptions
}

// RADIUS outcomes, the label "outcome" of ipreg_agent_radius_accounting_total.
const (
	outcomeBound            = "bound"             // a prefix bound or renewed
	outcomeUnregistered     = "unregistered"      // a Start or Interim-Update of a number not registered (binds nothing)
	outcomeUnknownNumber    = "unknown_number"    // Calling-Station-Id is not a Pakistani mobile number (binds nothing)
	outcomeRefused          = "refused_address"   // a prefix outside the accepted space, or broader than a subscriber's
	outcomeSuperseded       = "superseded"        // another session's binding ended by a newer session's claim
	outcomeStale            = "stale"             // a claim older than the session holding the address (takes nothing)
	outcomeNoAddress        = "no_address"        // a registered number's Start or Interim-Update with no address
	outcomeNoSession        = "no_session"        // no Acct-Session-Id: binds and stops nothing
	outcomeMalformed        = "malformed"         // an address attribute that does not decode
	outcomeStopped          = "stopped"           // a Stop that ended its session's bindings
	outcomeStopUnmatched    = "stop_unmatched"    // a Stop of a session that holds nothing
	outcomeStaleStop        = "stale_stop"        // a Stop of an earlier session with the id of the one now holding addresses (ends nothing)
	outcomeNASRestart       = "nas_restart"       // Accounting-On or Accounting-Off
	outcomeIgnored          = "ignored"           // another Acct-Status-Type
	outcomeFeedWithdrawal   = "feed_withdrawal"   // a binding ended because its number left the feed
	outcomeReleased         = "released"          // a session's binding of an address its Interim-Update no longer lists
	outcomeStoppedSession   = "stopped_session"   // a Start or Interim-Update of a session that already sent its Stop (ignored)
	outcomeBeforeRestart    = "before_restart"    // a Start, Interim-Update or Stop of a session that began before its NAS's Accounting-On/Off (ignored)
	outcomeRestoreRefused   = "restore_refused"   // a persisted binding not restored at start (outside the accepted space, too broad, not a prefix)
	outcomeBadAuthenticator = "bad_authenticator" // a request whose Request Authenticator does not verify: a wrong shared secret (dropped, unanswered)
)

// ServeRADIUS handles one accounting request.
func (s *RADIUS) ServeRADIUS(w radius.ResponseWriter, r *radius.Request) {
	if r.Code != radius.CodeAccountingRequest {
		return
	}
	outcomes := s.account(r.Packet, r.RemoteAddr)
	for _, o := range outcomes {
		s.Agent.metrics.radius.WithLabelValues(o).Inc()
	}
	// What the request unbound (and every unbinding before it) is on disk
	// before the NAS hears that it arrived, so that a crash right after
	// the answer cannot bring a binding back: a server "MUST NOT transmit
	// any reply if it fails to record the accounting packet" (RFC 2866
	// §2), and the NAS sends it again. Bindings decide what needs it
	// (MustPersist); nothing to write costs one comparison.
	if err := s.Agent.syncUnbound(); err != nil {
		s.Agent.metrics.rejected.WithLabelValues("persist").Inc()
		s.Agent.cfg.Log.Error("agent: radius: persist RADIUS bindings; not answering, so that the NAS retransmits", "err", err)
		return
	}
	// Always acknowledge a well-signed request, or the NAS retransmits it,
	// with its Proxy-State attributes in their order (RFC 2865 §5.33: a
	// server "MUST" copy them into the reply), so that a proxy in between
	// can match the answer to its request.
	resp := r.Response(radius.CodeAccountingResponse)
	for _, avp := range r.Attributes {
		if avp.Type == rfc2865.ProxyState_Type {
			resp.Add(rfc2865.ProxyState_Type, avp.Attribute)
		}
	}
	w.Write(resp)
}

// account applies one Accounting-Request and returns its outcomes.
func (s *RADIUS) account(p *radius.Packet, src net.Addr) []string {
	a := s.Agent
	now := a.cfg.Now()
	nas := nasID(p, src)
	session := rfc2866.AcctSessionID_GetString(p)
	// When the event happened: the arrival less the time the NAS has been
	// trying to send it (RFC 2866 §5.2).
	event := now.Add(-time.Duration(rfc2866.AcctDelayTime_Get(p)) * time.Second)
	switch status := rfc2866.AcctStatusType_Get(p); status {
	case rfc2866.AcctStatusType_Value_AccountingOn, rfc2866.AcctStatusType_Value_AccountingOff:
		n := a.bindings.EndNAS(nas, event, now.Add(s.SessionTimeout))
		a.cfg.Log.Info("agent: radius: the NAS restarted; its sessions ended", "nas", nas.String(), "status", status.String(), "bindings_ended", n)
		return []string{outcomeNASRestart}
	case rfc2866.AcctStatusType_Value_Stop:
		if session == "" {
			return []string{outcomeNoSession}
		}
		// When the stopped session began (RFC 2866 §5.7): a Stop buffered
		// across a NAS reboot, or of an earlier session with the same id,
		// ends nothing of the session now using the id.
		began := event.Add(-time.Duration(rfc2866.AcctSessionTime_Get(p)) * time.Second)
		n, why := a.bindings.Stop(nas, session, began, now.Add(s.SessionTimeout))
		switch {
		case why != "":
			return []string{why}
		case n > 0:
			return []string{outcomeStopped}
		default:
			return []string{outcomeStopUnmatched}
		}
	case rfc2866.AcctStatusType_Value_Start, rfc2866.AcctStatusType_Value_InterimUpdate:
		// The session began its Acct-Session-Time before the event (RFC
		// 2866 §5.7; Interim-Updates carry it, RFC 2869 §2.1). A Start is
		// the session's beginning; an Interim-Update without it does not
		// say when the session began.
		_, timed := p.Lookup(rfc2866.AcctSessionTime_Type)
		timed = timed || status == rfc2866.AcctStatusType_Value_Start
		return s.claim(p, nas, session, now, event.Add(-time.Duration(rfc2866.AcctSessionTime_Get(p))*time.Second), timed)
	default:
		return []string{outcomeIgnored}
	}
}

// claim applies a Start or Interim-Update: the session now holds the
// packet's addresses and prefixes.
func (s *RADIUS) claim(p *radius.Packet, nas NAS, session string, now, start time.Time, timed bool) []string {
	a := s.Agent
	var out []string
	prefixes, malformed := framedPrefixes(p)
	for range malformed {
		out = append(out, outcomeMalformed)
	}
	number, err := CallingNumber(rfc2865.CallingStationID_GetString(p))
	if _, ok := p.Lookup(rfc2865.CallingStationID_Type); !ok {
		// An Interim-Update need not repeat Calling-Station-Id (RFC 2866
		// requires it in no packet): the session's number is the one its
		// Start named. One that names another number, or none that parses,
		// is taken as said.
		if n := a.bindings.SessionNumber(nas, session); n != "" {
			number, err = n, nil
		}
	}
	registered := false
	if st := a.state.Load(); err == nil && st != nil {
		e, ok := st.mobile[number]
		registered = ok && now.Before(e.Until)
	}
	switch {
	case err != nil:
		out = append(out, outcomeUnknownNumber)
	case !registered:
		out = append(out, outcomeUnregistered)
	case session == "":
		// Acct-Session-Id is required (RFC 2866 §4.1): a binding without
		// one could never be stopped, so nothing is bound. The addresses
		// still belong to this session now, so other sessions lose them.
		out = append(out, outcomeNoSession)
	case len(prefixes) == 0:
		out = append(out, outcomeNoAddress)
	}
	c := Claim{NAS: nas, Session: session, Start: start, Timed: timed, Expires: now.Add(s.SessionTimeout)}
	var accepted, refused []netip.Prefix
	for _, pfx := range prefixes {
		// A prefix broader than a subscriber's is a NAS's mistake, not a
		// claim: it binds nothing and ends nothing (a ::/0 would otherwise
		// end every binding).
		broad := tooBroad(pfx)
		if broad != nil && (!registered || session == "") {
			continue
		}
		if !registered || session == "" {
			refused = append(refused, pfx)
			continue
		}
		if err := s.Space.Accept(pfx); err != nil {
			if broad != nil {
				out = append(out, outcomeRefused)
				a.cfg.Log.Warn("agent: radius: address not bound", "prefix", pfx, "nas", nas.String(), "reason", err)
				continue
			}
			out = append(out, outcomeRefused)
			// The address and the NAS, never the number: logs travel further than the feed.
			a.cfg.Log.Warn("agent: radius: address not bound", "prefix", pfx, "nas", nas.String(), "reason", err)
			refused = append(refused, pfx)
			continue
		}
		accepted = append(accepted, pfx)
	}
	// A prefix inside another of the same claim is bound by the broader
	// one; the bindings never overlap.
	slices.SortFunc(accepted, func(x, y netip.Prefix) int { return x.Bits() - y.Bits() })
	for _, pfx := range accepted {
		if !slices.ContainsFunc(c.Prefixes, pfx.Overlaps) {
			c.Prefixes, c.Bind = append(c.Prefixes, pfx), append(c.Bind, true)
		}
	}
	for _, pfx := range refused {
		if !slices.ContainsFunc(c.Prefixes, pfx.Overlaps) {
			c.Prefixes, c.Bind = append(c.Prefixes, pfx), append(c.Bind, false)
		}
	}
	if registered {
		c.Number = number
	}
	r := a.bindings.Claim(c)
	if r.Ignored != "" {
		// The claim's other outcomes (its number, its addresses) never applied.
		return []string{r.Ignored}
	}
	for range r.Bound {
		out = append(out, outcomeBound)
	}
	for range r.Ended {
		out = append(out, outcomeSuperseded)
	}
	for range r.Stale {
		out = append(out, outcomeStale)
	}
	for range r.Released {
		out = append(out, outcomeReleased)
	}
	return out
}

// framedPrefixes returns the addresses and prefixes an accounting request
// gives its session, masked, and how many address attributes did not
// decode: Framed-IP-Address (RFC 2865 §5.8), Framed-IPv6-Address (RFC
// 6911 §3.1), Framed-IPv6-Prefix (RFC 3162 §2.3) and
// Delegated-IPv6-Prefix (RFC 4818), each possibly more than once.
func framedPrefixes(p *radius.Packet) (out []netip.Prefix, malformed int) {
	for _, avp := range p.Attributes {
		var ip net.IP
		bits := -1
		var err error
		switch avp.Type {
		case rfc2865.FramedIPAddress_Type:
			ip, err = radius.IPAddr(avp.Attribute)
		case rfc6911.FramedIPv6Address_Type:
			ip, err = radius.IPv6Addr(avp.Attribute)
		case rfc3162.FramedIPv6Prefix_Type, rfc4818.DelegatedIPv6Prefix_Type:
			var n *net.IPNet
			if n, err = radius.IPv6Prefix(avp.Attribute); err == nil {
				ip = n.IP
				bits, _ = n.Mask.Size()
			}
		default:
			continue
		}
		addr, ok := netip.AddrFromSlice(ip)
		if err != nil || !ok {
			malformed++
			continue
		}
		if bits < 0 {
			bits = addr.BitLen()
		}
		pfx := netip.PrefixFrom(addr, bits).Masked()
		if pfx.Addr().Is4In6() {
			// An IPv4-mapped address (::ffff:39.36.3.1 in
			// Framed-IPv6-Address) or prefix (::ffff:39.36.3.0/120, /96
			// or longer once masked) is IPv4 written the IPv6 way: the
			// IPv4 address or prefix, as the registry reads it
			// (netpolicy.ParsePrefix), so that it binds and supersedes as
			// the IPv4 one does.
			pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
		}
		if !slices.Contains(out, pfx) {
			out = append(out, pfx)
		}
	}
	return out, malformed
}

// CallingNumber reads the mobile number in a Calling-Station-Id with the
// registry's own rules (netpolicy.NormalizeMobile), after removing what
// only RADIUS adds: a tel: URI's scheme and parameters (RFC 3966, as IMS
// and some NAS equipment send it, e.g. "tel:+92-300-1234567;phone-context=+92").
func CallingNumber(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "tel:") {
		s = s[4:]
		if i := strings.IndexByte(s, ';'); i >= 0 {
			s = s[:i]
		}
	}
	return netpolicy.NormalizeMobile(s)
}

// nasID identifies the NAS that sent a request, as sessions and
// Accounting-On/Off are scoped: its NAS-IP-Address (RFC 2865 §5.4) or else
// NAS-IPv6-Address (RFC 3162 §2.1), or else the packet's source address,
// as FreeRADIUS fills NAS-IP-Address in when the NAS sends none (two
// NASes that send only the same NAS-Identifier, "MikroTik", are two
// NASes); with its NAS-Identifier (RFC 2865 §5.32) when it sends one.
func nasID(p *radius.Packet, src net.Addr) NAS {
	var n NAS
	if ip, ok := netip.AddrFromSlice(rfc2865.NASIPAddress_Get(p)); ok {
		n.Addr = ip.Unmap().String()
	} else if ip, ok := netip.AddrFromSlice(rfc3162.NASIPv6Address_Get(p)); ok {
		n.Addr = ip.Unmap().String()
	} else if src != nil {
		n.Addr = src.String()
		if ap, err := netip.ParseAddrPort(src.String()); err == nil {
			n.Addr = ap.Addr().Unmap().String()
		}
	}
	n.Identifier = rfc2865.NASIdentifier_GetString(p)
	return n
}

// ListenRADIUS serves accounting on conn until ctx ends, expiring
// bindings whose sessions went quiet.
func (a *Agent) ListenRADIUS(ctx context.Context, conn net.PacketConn, opts RADIUSOptions) error {
	if opts.Space == nil {
		opts.Space, _ = NewBindSpace(nil)
	}
	srv := &radius.PacketServer{Handler: &RADIUS{Agent: a, RADIUSOptions: opts},
		SecretSource: radius.StaticSecretSource(opts.Secret),
		// Packets that do not parse are logged through the agent's logger
		// (those with a wrong secret are counted and logged by radiusConn).
		ErrorLog: slog.NewLogLogger(a.cfg.Log.Handler(), slog.LevelWarn)}
	rc := &radiusConn{PacketConn: conn, secret: opts.Secret, agent: a, reading: make(chan struct{})}
	served := make(chan struct{})
	go func() {
		t := time.NewTicker(max(min(opts.SessionTimeout/4, time.Minute), time.Second))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				// layeh.com/radius counts Serve as active only after it
				// has registered its listener and released its lock; a
				// Shutdown in between closes lastActive, and Serve's own
				// end then closes it again: "close of closed channel"
				// (seen in CI when ctx ended as the server started). The
				// first read comes after that count, so Shutdown waits
				// for it, or for Serve to have returned without reading.
				select {
				case <-rc.reading:
				case <-served:
					return
				}
				srv.Shutdown(context.Background())
				return
			case <-t.C:
				a.bindings.Expire()
			}
		}
	}()
	err := srv.Serve(rc)
	close(served)
	if ctx.Err() != nil {
		return nil
	}
	return err
}
