package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestTrustProxies(t *testing.T) {
	proxies, err := ParseTrustedProxies("127.0.0.1, 10.0.0.0/8,::1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer keeps itself", "203.0.113.9:4000", []string{"198.51.100.1"}, "203.0.113.9:4000"},
		{"trusted peer without header", "127.0.0.1:4000", nil, "127.0.0.1:4000"},
		{"trusted peer names the client", "127.0.0.1:4000", []string{"198.51.100.1"}, "198.51.100.1:0"},
		{"a client's own entry is not believed", "127.0.0.1:4000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1:0"},
		{"separate headers are one list", "127.0.0.1:4000", []string{"1.2.3.4", "198.51.100.1"}, "198.51.100.1:0"},
		{"a chain of trusted proxies is skipped", "10.1.1.1:4000", []string{"198.51.100.1, 10.2.2.2"}, "198.51.100.1:0"},
		{"IPv6 client", "[::1]:4000", []string{"2001:db8::5"}, "[2001:db8::5]:0"},
		{"mapped proxy peer", "[::ffff:127.0.0.1]:4000", []string{"198.51.100.1"}, "198.51.100.1:0"},
		{"garbage leaves the peer", "127.0.0.1:4000", []string{"not-an-address"}, "127.0.0.1:4000"},
		{"only trusted hops: the leftmost", "127.0.0.1:4000", []string{"10.0.0.7"}, "10.0.0.7:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := TrustProxies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }), proxies)
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != tt.want {
				t.Errorf("client = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for _, bad := range []string{"localhost", "10.0.0.0/33", "fe80::1%eth0"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if p, err := ParseTrustedProxies(""); err != nil || len(p) != 0 {
		t.Errorf("empty = %v, %v", p, err)
	}
}
