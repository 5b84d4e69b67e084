package agent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxBatch bounds one POST /v1/check.
const MaxBatch = 100_000

// Handler serves the lookup API: GET and POST /v1/check, /v1/status,
// /healthz and /metrics.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/check", a.checkOne)
	mux.HandleFunc("POST /v1/check", a.checkBatch)
	mux.HandleFunc("GET /v1/status", a.status)
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "not_found", "no route "+r.Method+" "+r.URL.Path+"; the agent serves /v1/check, /v1/status, /healthz and /metrics")
	})
	return mux
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeRaw(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

func (a *Agent) checkOne(w http.ResponseWriter, r *http.Request) {
	ip, err := netip.ParseAddr(strings.TrimSpace(r.URL.Query().Get("ip")))
	if err != nil {
		apiError(w, http.StatusBadRequest, "malformed", fmt.Sprintf("ip=%q is not an IP address: ask like /v1/check?ip=203.99.48.7", r.URL.Query().Get("ip")))
		return
	}
	ans, err := a.Check(ip)
	if errors.Is(err, ErrNotReady) {
		apiError(w, http.StatusServiceUnavailable, "not_ready", err.Error())
		return
	}
	a.count(1, boolInt(ans.Allowed))
	writeRaw(w, append(ans.appendJSON(nil), '\n'))
}

// checkBatch answers many addresses: a JSON array of strings
// (application/json) or one address per line (text/plain). The answers
// come back as a JSON array in the same order.
func (a *Agent) checkBatch(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64*MaxBatch))
	if err != nil {
		apiError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("send at most %d addresses per request", MaxBatch))
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var ips []netip.Addr
	var bad error
	switch mt {
	case "application/json":
		ips, bad = parseJSONAddrs(body)
	case "text/plain", "":
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() && bad == nil {
			if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
				ip, err := parseAddr(line, len(ips))
				ips, bad = append(ips, ip), err
			}
		}
	default:
		apiError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json (an array) or text/plain (one address per line)")
		return
	}
	if bad != nil {
		apiError(w, http.StatusBadRequest, "malformed", bad.Error())
		return
	}
	if len(ips) > MaxBatch {
		apiError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("%d addresses; send at most %d per request", len(ips), MaxBatch))
		return
	}
	t := a.table.Load()
	if t == nil {
		apiError(w, http.StatusServiceUnavailable, "not_ready", ErrNotReady.Error())
		return
	}
	stale, now := a.stale(), a.cfg.Now()
	vals := make([]int, len(ips))
	t.lookupBatch(ips, vals)
	t.touchEntries(vals)
	out := make([]byte, 0, 64*len(ips)+2)
	out = append(out, '[')
	allowed := 0
	for i, ip := range ips {
		ans := a.answer(t, stale, now, ip, vals[i])
		if i > 0 {
			out = append(out, ',')
		}
		out = ans.appendJSON(out)
		allowed += boolInt(ans.Allowed)
	}
	a.count(len(ips), allowed)
	writeRaw(w, append(out, ']', '\n'))
}

// parseJSONAddrs reads a JSON array of address strings. An array of plain
// strings (no escapes), as clients send, is read directly; anything else
// goes through encoding/json, so the fast path changes speed, not answers.
func parseJSONAddrs(body []byte) ([]netip.Addr, error) {
	ips := make([]netip.Addr, 0, len(body)/16)
	rest := bytes.TrimSpace(body)
	if len(rest) < 2 || rest[0] != '[' || rest[len(rest)-1] != ']' {
		return slowJSONAddrs(body)
	}
	rest = bytes.TrimSpace(rest[1 : len(rest)-1])
	for len(rest) > 0 {
		if rest[0] != '"' {
			return slowJSONAddrs(body)
		}
		end := bytes.IndexByte(rest[1:], '"') + 1
		if end == 0 || bytes.IndexByte(rest[1:end], '\\') >= 0 {
			return slowJSONAddrs(body)
		}
		ip, err := parseAddr(rest[1:end], len(ips))
		if err != nil {
			return nil, err
		}
		ips = append(ips, ip)
		rest = skipSpace(rest[end+1:])
		if len(rest) > 0 {
			if rest[0] != ',' {
				return slowJSONAddrs(body)
			}
			rest = skipSpace(rest[1:])
			if len(rest) == 0 {
				return slowJSONAddrs(body) // a trailing comma: let encoding/json name the error
			}
		}
	}
	return ips, nil
}

// skipSpace drops JSON whitespace from the front of b.
func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

func slowJSONAddrs(body []byte) ([]netip.Addr, error) {
	var raw []string
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("the body must be a JSON array of address strings: %v", err)
	}
	ips := make([]netip.Addr, 0, len(raw))
	for i, s := range raw {
		ip, err := parseAddr([]byte(s), i)
		if err != nil {
			return nil, err
		}
		ips = append(ips, ip)
	}
	return ips, nil
}

// parseAddr parses the i-th address of a batch: a plain dotted quad
// directly, anything else with netip.
func parseAddr(b []byte, i int) (netip.Addr, error) {
	if ip, ok := parseDotted(b); ok {
		return ip, nil
	}
	ip, err := netip.ParseAddr(string(b))
	if err != nil {
		return ip, fmt.Errorf("entry %d: %q is not an IP address", i, b)
	}
	return ip, nil
}

// parseDotted reads "a.b.c.d" with no leading zeros, as netip does.
func parseDotted(b []byte) (netip.Addr, bool) {
	a, i, ok := dotted(b)
	if !ok || i != len(b) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), true
}

func (a *Agent) count(n, allowed int) {
	a.metrics.lookups.WithLabelValues("allowed").Add(float64(allowed))
	a.metrics.lookups.WithLabelValues("not_allowed").Add(float64(n - allowed))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (a *Agent) status(w http.ResponseWriter, r *http.Request) {
	b, _ := json.Marshal(a.Status())
	writeRaw(w, append(b, '\n'))
}

// healthz fails before the first verified sync and when the data is older
// than --max-age, so a load balancer or monitor notices a stale agent.
func (a *Agent) healthz(w http.ResponseWriter, r *http.Request) {
	st := a.Status()
	switch {
	case !st.Ready:
		apiError(w, http.StatusServiceUnavailable, "not_ready", ErrNotReady.Error())
	case st.Stale:
		apiError(w, http.StatusServiceUnavailable, "stale", fmt.Sprintf("data is %.0f s old, more than --max-age (%.0f s); the registry may be unreachable", st.DataAge, st.MaxAge))
	default:
		writeRaw(w, []byte(`{"status":"ok"}`+"\n"))
	}
}
