package loadtest

import (
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
)

// One cause is one table row: a transport error's key has no addresses
// or ports, which differ per client (source address) and per connection.
func TestTransportMessage(t *testing.T) {
	dial := func(src string, errno error) error {
		return &url.Error{Op: "Post", URL: "http://127.0.0.1:21000/api/v1/applications/0190-abc/documents", Err: &net.OpError{
			Op: "dial", Net: "tcp", Source: &net.TCPAddr{IP: net.ParseIP(src), Port: 0},
			Addr: &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 21000}, Err: os.NewSyscallError("connect", errno)}}
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"refused, one source", dial("127.0.1.100", syscall.ECONNREFUSED), "transport: connection refused"},
		{"refused, another source", dial("127.0.3.7", syscall.ECONNREFUSED), "transport: connection refused"},
		{"reset", dial("127.0.1.1", syscall.ECONNRESET), "transport: connection reset by peer"},
		{"eof", &url.Error{Op: "Get", URL: "http://127.0.0.1:1/x", Err: io.EOF}, "transport: connection closed before the answer (EOF)"},
		{"other, addresses taken out", &url.Error{Op: "Get", URL: "http://[::1]:8080/x",
			Err: errors.New("read tcp 127.0.1.5:41234->127.0.0.1:8080: something odd [::1]:9")}, "transport: read tcp ADDR->ADDR: something odd ADDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := transportMessage(tc.err); got != tc.want {
				t.Errorf("transportMessage(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}
