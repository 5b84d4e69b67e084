package agent

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ipreg/ipreg/internal/feed"
)

func testAgent(t *testing.T, entries []feed.Entry) (*Agent, *httptest.Server) {
	t.Helper()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	a := New(Config{Registry: &url.URL{}, MaxAge: time.Hour, Now: func() time.Time { return now }})
	if entries != nil {
		a.table.Store(Build(entries))
		a.state.Store(&state{Timestamp: now, LastSuccess: now})
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return a, srv
}

func post(t *testing.T, srv *httptest.Server, ctype, body string) (int, string) {
	t.Helper()
	res, err := http.Post(srv.URL+"/v1/check", ctype, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestCheckBatch(t *testing.T) {
	_, srv := testAgent(t, []feed.Entry{entry("14.1.104.0/24"), entry("2001:dd8:1c::/48")})
	for _, tt := range []struct {
		name, ctype, body string
		status            int
		want              string // a substring of the answer
	}{
		{"json", "application/json", `["14.1.104.7","8.8.8.8","2001:dd8:1c::1"]`, 200, `"allowed":false`},
		{"json with spaces", "application/json", " [ \"14.1.104.7\" ,\n\"8.8.8.8\" ] ", 200, `"ip":"8.8.8.8"`},
		{"json with an escape", "application/json", `["14.1.104.\u0037"]`, 200, `"ip":"14.1.104.7","allowed":true`},
		{"empty array", "application/json", `[]`, 200, `[]`},
		{"text", "text/plain", "14.1.104.7\n\n  8.8.8.8  \n", 200, `"ip":"8.8.8.8","allowed":false`},
		{"mapped IPv4", "application/json", `["::ffff:14.1.104.7"]`, 200, `"ip":"14.1.104.7","allowed":true`},
		{"bad address", "application/json", `["14.1.104.7","14.1.104.07"]`, 400, `entry 1: \"14.1.104.07\" is not an IP address`},
		{"bad address in text", "text/plain", "14.1.104.7\nlocalhost\n", 400, `entry 1: \"localhost\" is not an IP address`},
		// Zones are refused, as the registry refuses them (issue 11 §4), on
		// every path a batch address takes.
		{"zone in json", "application/json", `["14.1.104.7","2400:fc00:8000::2%eth0"]`, 400, `entry 1: \"2400:fc00:8000::2%eth0\" has an IPv6 zone (\"%eth0\")`},
		{"zone in escaped json", "application/json", `["2400:fc00:8000::2\u0025eth0"]`, 400, `entry 0: \"2400:fc00:8000::2%eth0\" has an IPv6 zone`},
		{"zone in text", "text/plain", "14.1.104.7\nfe80::1%25\n", 400, `entry 1: \"fe80::1%25\" has an IPv6 zone`},
		{"empty zone", "text/plain", "2001:dd8:1c::1%\n", 400, `has an IPv6 zone`},
		{"not an array", "application/json", `{"ip":"14.1.104.7"}`, 400, "must be a JSON array of address strings"},
		{"a number", "application/json", `["14.1.104.7",7]`, 400, "must be a JSON array of address strings"},
		{"trailing comma", "application/json", `["14.1.104.7",]`, 400, "must be a JSON array of address strings"},
		{"unclosed", "application/json", `["14.1.104.7"`, 400, "must be a JSON array of address strings"},
		{"other type", "application/xml", `<ip/>`, 415, "send application/json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, srv, tt.ctype, tt.body)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%d %s; want %d with %s", status, body, tt.status, tt.want)
			}
		})
	}
	status, body := post(t, srv, "text/plain", strings.Repeat("1.2.3.4\n", MaxBatch+1))
	if status != 413 || !strings.Contains(body, "at most") {
		t.Errorf("too many: %d %s", status, body)
	}
	_, notReady := testAgent(t, nil)
	if status, body := post(t, notReady, "application/json", `["14.1.104.7"]`); status != 503 || !strings.Contains(body, "not_ready") {
		t.Errorf("before the first sync: %d %s", status, body)
	}
}

// GET /v1/check refuses IPv6 zones (issue 11 §4: "?ip=2400:fc00:8000::2%25eth0"
// answered as if the zone were not there) with a 400 that says why, and
// still answers the neighbours without one.
func TestCheckOneZone(t *testing.T) {
	_, srv := testAgent(t, []feed.Entry{entry("14.1.104.0/24"), entry("2400:fc00:8000::/48")})
	for _, tt := range []struct {
		query  string
		status int
		want   string
	}{
		{"2400:fc00:8000::2%25eth0", 400, `has an IPv6 zone (\"%eth0\")`},
		{"2400:fc00:8000::2%25", 400, "has an IPv6 zone"},
		{"fe80::1%251", 400, "has an IPv6 zone"},
		{"14.1.104.7%25eth0", 400, "has an IPv6 zone"},
		{"::ffff:14.1.104.7%25eth0", 400, "has an IPv6 zone"},
		{"2400:fc00:8000::2", 200, `"allowed":true`},
		{"::ffff:14.1.104.7", 200, `"ip":"14.1.104.7","allowed":true`},
		{"14.1.104.07", 400, "is not an IP address"},
	} {
		res, err := http.Get(srv.URL + "/v1/check?ip=" + tt.query)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
			t.Errorf("?ip=%s: %d %s; want %d with %s", tt.query, res.StatusCode, b, tt.status, tt.want)
		}
	}
}

// A batch answers each address exactly as a single check does, byte for
// byte: in both body forms, with addresses in every spelling, and in every
// state that takes the batch off its fast path (an entry needing escapes,
// one with fractional or passed expiry, a bound mobile number, stale data
// with and without fail-closed).
func TestCheckBatchMatchesSingle(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	var entries []feed.Entry
	seen := map[string]bool{}
	for len(entries) < 300 {
		p := randPrefix(r, r.IntN(3) == 0)
		if !seen[p.String()] {
			seen[p.String()] = true
			e := feed.Entry{Prefix: p.String(), Reg: fmt.Sprintf("VPN-2026-%06d", len(entries)), Cat: "company_vpn", Until: until}
			switch len(entries) % 10 {
			case 1:
				e.Reg = "VPN \"é\" \\ 1"
			case 2:
				e.Until = until.Add(1500 * time.Millisecond)
			case 3:
				e.Until = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) // passed (the test agent's clock is 10:00)
			case 4:
				e.Until = time.Date(12026, 1, 1, 0, 0, 0, 0, time.UTC)
			case 5:
				e.Cat = "embassy"
			case 6:
				e.Reg = strings.Repeat("VPN-", 12) // text too long for the record: spilled
			}
			entries = append(entries, e)
		}
	}
	a, srv := testAgent(t, entries)
	var ips []string
	for i := 0; i < 2000; i++ {
		ip := randPrefix(r, r.IntN(3) == 0).Addr()
		switch r.IntN(8) {
		case 0:
			ips = append(ips, netip.AddrFrom16(ip.Unmap().As16()).String()) // ::ffff:a.b.c.d for IPv4
		case 1:
			ips = append(ips, strings.ToUpper(netip.AddrFrom16(ip.As16()).StringExpanded()))
		default:
			ips = append(ips, ip.String())
		}
	}
	// An address in no entry of the table, to be bound to a mobile number.
	var mobile netip.Addr
	for !mobile.IsValid() || a.table.Load().lookup(mobile) >= 0 {
		mobile = netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
	}
	ips = append(ips, mobile.String())
	jsonBody, _ := json.Marshal(ips)
	var text strings.Builder
	for i, ip := range ips {
		text.WriteString([]string{"", "  ", "\t", "\u00a0"}[i%4] + ip + []string{"\n", " \r\n", "\n\n", "\u2003\n"}[i%4])
	}
	compare := func(t *testing.T, name string, failClosed bool) {
		a.cfg.FailClosed = failClosed
		for _, body := range []struct{ ctype, body string }{{"application/json", string(jsonBody)}, {"text/plain", text.String()}} {
			status, out := post(t, srv, body.ctype, body.body)
			if status != 200 {
				t.Fatalf("%s, %s: %d %s", name, body.ctype, status, out)
			}
			var got []json.RawMessage
			if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != len(ips) {
				t.Fatalf("%s: %d answers for %d addresses: %v", name, len(got), len(ips), err)
			}
			allowed := 0
			for i, ip := range ips {
				ans, _ := a.Check(netip.MustParseAddr(ip))
				if want := ans.appendJSON(nil); string(got[i]) != string(want) {
					t.Fatalf("%s, %s, %s: batch says %s, single %s", name, body.ctype, ip, got[i], want)
				}
				allowed += boolInt(ans.Allowed)
			}
			if allowed == 0 && !failClosed {
				t.Fatalf("%s: nothing allowed; the test checks too little", name)
			}
		}
	}
	compare(t, "fresh", false)
	a.state.Load().setContents(a.table.Load(), []feed.Entry{{MSISDN: "923001234567", Reg: "VPN-2026-000777", Cat: "mobile_vpn", Until: until}})
	a.bindings.Claim(Claim{Number: "923001234567", NAS: NAS{Addr: "10.9.9.1"}, Session: "s1", Start: a.cfg.Now(), Timed: true, Expires: a.cfg.Now().Add(time.Hour),
		Prefixes: []netip.Prefix{netip.PrefixFrom(mobile, 32)}, Bind: []bool{true}})
	if ans, _ := a.Check(mobile); !ans.Allowed {
		t.Fatalf("%s is bound to a mobile number but not allowed", mobile)
	}
	compare(t, "a mobile number bound", false)
	a.bindings.Stop(NAS{Addr: "10.9.9.1"}, "s1", a.cfg.Now(), a.cfg.Now().Add(time.Hour))
	old := a.state.Load()
	a.state.Store(&state{Timestamp: old.Timestamp.Add(-2 * time.Hour), LastSuccess: old.LastSuccess.Add(-2 * time.Hour)})
	compare(t, "stale", false)
	compare(t, "stale, fail-closed", true)
}

// appendTime works out the civil date by hand; time's own formatting is
// the oracle, on fixed edge cases and 100,000 random instants across and
// beyond the years it handles.
func TestAppendTime(t *testing.T) {
	cases := []time.Time{until, time.Date(2027, 3, 9, 4, 5, 6, 0, time.FixedZone("PKT", 5*3600)),
		time.Date(2027, 3, 9, 4, 5, 6, 500, time.UTC), time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 23, 59, 59, 0, time.UTC), time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		cases = append(cases, time.Unix(r.Int64N(400_000_000_000)-100_000_000_000, 0))
	}
	for _, tm := range cases {
		if got, want := string(appendTime(nil, tm)), tm.UTC().Format(time.RFC3339); got != want {
			t.Fatalf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

func FuzzParseDotted(f *testing.F) {
	for _, s := range []string{"14.1.104.7", "0.0.0.0", "255.255.255.255", "01.2.3.4", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "1.2.3.1234", "1.00.3.4", "1..2.3", "1.2.3./", "9.99.199.255"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDotted([]byte(s))
		want, err := netip.ParseAddr(s)
		if ok && (err != nil || got != want) {
			t.Fatalf("parseDotted(%q) = %v; netip says %v %v", s, got, want, err)
		}
		if !ok && err == nil && want.Is4() {
			t.Fatalf("parseDotted(%q) refused an IPv4 address netip reads", s)
		}
		// The branch-free form reads as the loop does, with room after.
		padded := []byte(s + `"]` + strings.Repeat(" ", 16))
		a1, n1, ok1 := dotted(padded)
		a2, n2, ok2 := dottedPadded(padded)
		if ok1 != ok2 || ok1 && (a1 != a2 || n1 != n2) {
			t.Fatalf("dottedPadded(%q) = %x %d %v; dotted says %x %d %v", padded, a2, n2, ok2, a1, n1, ok1)
		}
	})
}

// Table entries remember whether their strings need escaping; one that
// does still comes out as valid JSON with the same text.
func TestCheckBatchEscapes(t *testing.T) {
	reg := "R\"\\é\n<"
	_, srv := testAgent(t, []feed.Entry{{Prefix: "14.1.104.0/24", Reg: reg, Cat: "company_vpn", Until: until}, entry("14.1.105.0/24")})
	status, body := post(t, srv, "application/json", `["14.1.104.7","14.1.105.7"]`)
	var got []map[string]any
	if err := json.Unmarshal([]byte(body), &got); status != 200 || err != nil || len(got) != 2 {
		t.Fatalf("%d %s: %v", status, body, err)
	}
	if got[0]["registration"] != reg || got[1]["registration"] != entry("14.1.105.0/24").Reg {
		t.Errorf("registrations %q and %q", got[0]["registration"], got[1]["registration"])
	}
}

func FuzzJSONPlain(f *testing.F) {
	for _, s := range []string{"VPN-2026-000123", "company_vpn", "14.1.104.0/24", "2001:dd8:1c::/48", "a\"b", "back\\slash", "tab\there",
		"é", "exactly8", "12345678\x1f", " ~ ~ ~ ~ ~ ~ ~ ~", "\x7f", "!!!!!!!!\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := true
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
				want = false
			}
		}
		if got := jsonPlain(s); got != want {
			t.Fatalf("jsonPlain(%q) = %v, want %v", s, got, want)
		}
		var v string
		if err := json.Unmarshal(appendString(nil, s, false), &v); err != nil || (utf8.ValidString(s) && v != s) {
			t.Fatalf("appendString(%q) = %s: %v", s, appendString(nil, s, false), err)
		}
	})
}
