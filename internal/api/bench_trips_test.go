package api_test

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	"github.com/ipreg/ipreg/internal/store/storetest"
)

// pgTrips counts the round trips the process makes to PostgreSQL while a
// benchmark runs with IPREG_BENCH_PG_TRIPS=1: every connection goes through
// a loopback proxy (countTrips) that reads the client's side of the wire
// protocol and counts the messages that make the server answer, Sync
// (ending each extended-protocol query, prepared or not) and Query (simple
// protocol: pings, BEGIN and COMMIT as pgx sends them). It is a figure
// that the machine's load does not move, unlike applications a second.
var pgTrips atomic.Int64

// pgPings counts, among pgTrips, pgx's liveness pings ("-- ping", sent
// when database/sql reuses a connection idle over a second).
var pgPings atomic.Int64

const pgPing = "-- ping\x00"

// countTrips, when IPREG_BENCH_PG_TRIPS is set and kind is PostgreSQL,
// points IPREG_TEST_POSTGRES_URL at a counting proxy in front of the real
// server for the rest of b. It reports whether it did: the proxy's extra
// hop slows every query, so rates from such a run are not comparable.
func countTrips(b *testing.B, kind string) bool {
	if kind != "postgres" || os.Getenv("IPREG_BENCH_PG_TRIPS") == "" {
		return false
	}
	base := os.Getenv("IPREG_TEST_POSTGRES_URL")
	if base == "" {
		base = storetest.DefaultPostgresURL
	}
	u, err := url.Parse(base)
	if err != nil {
		b.Fatalf("IPREG_TEST_POSTGRES_URL: %v", err)
	}
	upstream := u.Host
	if u.Port() == "" {
		upstream = net.JoinHostPort(u.Hostname(), "5432")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go proxyConn(c, upstream)
		}
	}()
	u.Host = ln.Addr().String()
	b.Setenv("IPREG_TEST_POSTGRES_URL", u.String())
	return true
}

func proxyConn(c net.Conn, upstream string) {
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
			pgTrips.Add(1)
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
				pgPings.Add(1)
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
