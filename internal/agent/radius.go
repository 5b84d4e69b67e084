package agent

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"
	"layeh.com/radius/rfc2866"

	"github.com/ipreg/ipreg/internal/netpolicy"
)

// RADIUS binds registered mobile numbers to their current addresses from
// accounting: Start and Interim-Update bind Framed-IP-Address to the
// number in Calling-Station-Id for SessionTimeout (renewed by each
// update); Stop unbinds. Numbers not in the operator's feed are ignored;
// packets with a wrong shared secret fail authentication and are dropped.
type RADIUS struct {
	Agent          *Agent
	Secret         []byte
	SessionTimeout time.Duration
}

// ServeRADIUS handles one accounting request.
func (s *RADIUS) ServeRADIUS(w radius.ResponseWriter, r *radius.Request) {
	if r.Code != radius.CodeAccountingRequest {
		return
	}
	// Always acknowledge a well-signed request, or the NAS retransmits it.
	defer w.Write(r.Response(radius.CodeAccountingResponse))
	ip, ok := netip.AddrFromSlice(rfc2865.FramedIPAddress_Get(r.Packet))
	if !ok {
		return
	}
	number, err := netpolicy.NormalizeMobile(rfc2865.CallingStationID_GetString(r.Packet))
	if err != nil {
		return
	}
	session := rfc2866.AcctSessionID_GetString(r.Packet)
	st := s.Agent.state.Load()
	if st == nil {
		return
	}
	e, registered := st.mobile[number]
	switch rfc2866.AcctStatusType_Get(r.Packet) {
	case rfc2866.AcctStatusType_Value_Start, rfc2866.AcctStatusType_Value_InterimUpdate:
		if registered {
			s.Agent.bindings.Bind(ip, e, session, s.Agent.cfg.Now().Add(s.SessionTimeout))
			s.Agent.metrics.radius.WithLabelValues("bound").Inc()
		} else {
			s.Agent.metrics.radius.WithLabelValues("unregistered").Inc()
		}
	case rfc2866.AcctStatusType_Value_Stop:
		s.Agent.bindings.Unbind(ip, session)
		s.Agent.metrics.radius.WithLabelValues("stopped").Inc()
	}
}

// ListenRADIUS serves accounting on conn until ctx ends, expiring
// bindings whose sessions went quiet.
func (a *Agent) ListenRADIUS(ctx context.Context, conn net.PacketConn, secret []byte, timeout time.Duration) error {
	srv := &radius.PacketServer{Handler: &RADIUS{Agent: a, Secret: secret, SessionTimeout: timeout},
		SecretSource: radius.StaticSecretSource(secret),
		// Dropped packets (a wrong secret) are logged through the agent's logger.
		ErrorLog: slog.NewLogLogger(a.cfg.Log.Handler(), slog.LevelWarn)}
	go func() {
		t := time.NewTicker(min(timeout/4, time.Minute))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				srv.Shutdown(context.Background())
				return
			case <-t.C:
				a.bindings.Expire()
			}
		}
	}()
	err := srv.Serve(conn)
	if ctx.Err() != nil {
		return nil
	}
	return err
}
