package api

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads --trusted-proxies: addresses or prefixes
// (CIDR), separated by commas, e.g. "127.0.0.1, 10.0.0.0/8". "" is none.
// An entry that is neither is an error naming it.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("--trusted-proxies: %q is neither an IP address nor a prefix (write e.g. 127.0.0.1 or 10.0.0.0/8, separated by commas)", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// TrustProxies makes the client address of a request that came through one
// of the proxies (its TCP peer inside one of the prefixes) the address the
// proxy saw: the rightmost X-Forwarded-For entry that is not itself a trusted
// proxy. Entries further left were written by the client and are never
// believed, so a client cannot pick the address its throttles count
// against. Without trusted proxies, or from any other peer, the TCP peer
// stays the client (the default: behind a load balancer every client would
// otherwise share its address, and its sign-up and login allowances).
// A header a trusted proxy sent that does not parse leaves the peer.
func TrustProxies(h http.Handler, proxies []netip.Prefix) http.Handler {
	if len(proxies) == 0 {
		return h
	}
	trusted := func(a netip.Addr) bool {
		for _, p := range proxies {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !trusted(peer.Addr().Unmap()) {
			h.ServeHTTP(w, r)
			return
		}
		// What the proxy says of the address the client asked for, kept
		// for the one reader that may use it (ForwardedOrigin).
		r = r.WithContext(context.WithValue(r.Context(), forwardedKey{}, forwarded{
			proto: lastValue(r.Header.Values("X-Forwarded-Proto")),
			host:  lastValue(r.Header.Values("X-Forwarded-Host"))}))
		// Several headers are one list, in order (RFC 9110, 5.3).
		var hops []string
		for _, v := range r.Header.Values("X-Forwarded-For") {
			hops = append(hops, strings.Split(v, ",")...)
		}
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			a = a.WithZone("").Unmap()
			if trusted(a) && i > 0 {
				continue
			}
			r2 := r.Clone(r.Context())
			r2.RemoteAddr = net.JoinHostPort(a.String(), "0")
			h.ServeHTTP(w, r2)
			return
		}
		h.ServeHTTP(w, r)
	})
}

type forwardedKey struct{}

type forwarded struct{ proto, host string }

// lastValue is the rightmost entry of a comma-separated header: the one
// the nearest proxy (a trusted one) wrote; entries further left came
// from the client.
func lastValue(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	parts := strings.Split(vs[len(vs)-1], ",")
	return strings.TrimSpace(parts[len(parts)-1])
}

// ForwardedOrigin is the scheme and host a trusted proxy (TrustProxies)
// says the client asked for, from X-Forwarded-Proto and
// X-Forwarded-Host; "" for what it did not say, and both "" for a
// request that did not come through a trusted proxy, whose headers are
// the client's own and never believed. Only for links a response points
// back at the same site with (the notices feed without --public-url);
// links sent out in messages never take a request's host.
func ForwardedOrigin(r *http.Request) (proto, host string) {
	f, _ := r.Context().Value(forwardedKey{}).(forwarded)
	return f.proto, f.host
}
