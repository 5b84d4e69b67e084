package storetest

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// TripCounter counts the round trips made to PostgreSQL through it: a
// loopback proxy that reads the client's side of the wire protocol and
// counts the messages that make the server answer, Sync (ending each
// extended-protocol query or pipeline, prepared or not) and Query (simple
// protocol: pings, and BEGIN and COMMIT as pgx sends them alone). A round
// trip is a figure the machine's load does not move, unlike a rate.
type TripCounter struct {
	// Trips counts Sync and Query messages.
	Trips atomic.Int64
	// Pings counts, among Trips, pgx's liveness pings ("-- ping", sent
	// when database/sql reuses a connection idle over a second).
	Pings atomic.Int64
	// Delay, when set before the first connection, holds each write of
	// the client's back this long: a server across a network, whose
	// round trip is that much longer than loopback's.
	Delay time.Duration
}

const pgPing = "-- ping\x00"

// CountTrips starts a TripCounter in front of the server that dsn (a
// postgres:// URL) names, for the rest of tb, and returns it with dsn
// pointed at it. The proxy's extra hop slows every query: rates measured
// through it are not comparable with others.
func CountTrips(tb testing.TB, dsn string) (*TripCounter, string) {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("count trips: %v", err)
	}
	upstream := u.Host
	if u.Port() == "" {
		upstream = net.JoinHostPort(u.Hostname(), "5432")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	tc := &TripCounter{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go tc.proxy(c, upstream)
		}
	}()
	u.Host = ln.Addr().String()
	return tc, u.String()
}

func (tc *TripCounter) proxy(c net.Conn, upstream string) {
	defer c.Close()
	s, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer s.Close()
	go func() {
		io.Copy(c, s)
		c.Close()
	}()
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriterSize(s, 64<<10)
	// Forward what the client sent as soon as nothing more is buffered, so
	// that the proxy never holds a query back.
	flush := func() error {
		if r.Buffered() == 0 {
			if tc.Delay > 0 && w.Buffered() > 0 {
				time.Sleep(tc.Delay)
			}
			return w.Flush()
		}
		return nil
	}
	// The start-up phase: messages without a type byte (SSLRequest,
	// GSSENCRequest, then StartupMessage). sslmode=disable sends the
	// StartupMessage alone; a request for encryption cannot be proxied
	// as plain bytes, so it is refused by the server's 'N' as usual.
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		code := binary.BigEndian.Uint32(hdr[4:])
		if _, err := w.Write(hdr[:]); err != nil {
			return
		}
		if n > 8 {
			if _, err := io.CopyN(w, r, int64(n-8)); err != nil {
				return
			}
		}
		if err := flush(); err != nil {
			return
		}
		if code != 80877103 && code != 80877104 { // not SSLRequest nor GSSENCRequest
			break
		}
	}
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		if hdr[0] == 'S' || hdr[0] == 'Q' {
			tc.Trips.Add(1)
		}
		n := binary.BigEndian.Uint32(hdr[1:])
		if _, err := w.Write(hdr[:]); err != nil {
			return
		}
		if hdr[0] == 'Q' && int(n) == 4+len(pgPing) {
			// pgx's liveness ping, counted apart too.
			body := make([]byte, len(pgPing))
			if _, err := io.ReadFull(r, body); err != nil {
				return
			}
			if string(body) == pgPing {
				tc.Pings.Add(1)
			}
			if _, err := w.Write(body); err != nil {
				return
			}
		} else if n > 4 {
			if _, err := io.CopyN(w, r, int64(n-4)); err != nil {
				return
			}
		}
		if err := flush(); err != nil {
			return
		}
	}
}
