package feed

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var until = time.Date(2027, 11, 27, 0, 0, 0, 0, time.UTC)

func sample() []Entry {
	return []Entry{
		{Prefix: "14.1.104.0/24", Reg: "VPN-2026-000002", Cat: "company_vpn", Until: until},
		{Prefix: "14.1.104.0/24", Reg: "VPN-2026-000007", Cat: "call_center", Until: until},
		{Prefix: "14.1.104.7/32", Reg: "VPN-2026-000001", Cat: "company_vpn", Until: until},
		{Prefix: "27.0.184.0/24", Reg: "VPN-2026-000001", Cat: "company_vpn", Until: until},
		{Prefix: "2001:dd8:1c::/48", Reg: "VPN-2026-000003", Cat: "freelancer_vpn", Until: until},
		{MSISDN: "923001234567", Reg: "VPN-2026-000004", Cat: "mobile_vpn", Until: until},
	}
}

func TestKeyOrder(t *testing.T) {
	es := sample()
	for i := 1; i < len(es); i++ {
		if es[i-1].Key() >= es[i].Key() {
			t.Errorf("%s should sort before %s", es[i-1].Key(), es[i].Key())
		}
	}
	// Numeric, not textual, address order: 9.0.0.0 before 10.0.0.0.
	a := Entry{Prefix: "9.0.0.0/24", Reg: "R"}
	b := Entry{Prefix: "10.0.0.0/24", Reg: "R"}
	if a.Key() >= b.Key() {
		t.Error("keys do not order addresses numerically")
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	b, err := EncodeSnapshot(Header{SessionID: "s1", Version: 3}, sample())
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeSnapshot(b, "s1", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(sample()) || got[5] != sample()[5] {
		t.Fatalf("round trip = %+v", got)
	}
	empty, _ := EncodeSnapshot(Header{SessionID: "s1", Version: 1}, nil)
	if es, err := DecodeSnapshot(empty, "s1", 1); err != nil || len(es) != 0 {
		t.Fatalf("empty snapshot = %v, %v", es, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := EncodeSnapshot(Header{SessionID: "s1", Version: 3}, sample())
	if err != nil {
		t.Fatal(err)
	}
	unsorted := sample()
	unsorted[0], unsorted[1] = unsorted[1], unsorted[0]
	if _, err := EncodeSnapshot(Header{SessionID: "s1", Version: 3}, unsorted); err == nil {
		t.Error("encoding unsorted entries must fail")
	}
	mutated := bytes.Clone(good)
	mutated[len(mutated)/2] ^= 0xff
	bad := []struct {
		name    string
		b       []byte
		session string
		version int64
		want    string
	}{
		{"other session", good, "s2", 3, "session s1 version 3"},
		{"other version", good, "s1", 4, "version 3"},
		{"truncated gzip", good[:len(good)-10], "s1", 3, "unexpected EOF"},
		{"mutated", mutated, "s1", 3, ""},
		{"not gzip", []byte("{}"), "s1", 3, "not gzip"},
		{"invalid entry", gz(t, `{"type":"snapshot","session_id":"s1","version":3}`+"\n"+`{"prefix":"14.1.104.1/24","reg":"R","cat":"c","until":"2027-01-01T00:00:00Z"}`), "s1", 3, "canonical"},
		{"duplicate", gz(t, `{"type":"snapshot","session_id":"s1","version":3}`+"\n"+strings.Repeat(`{"prefix":"14.1.104.0/24","reg":"R","cat":"c","until":"2027-01-01T00:00:00Z"}`+"\n", 2)), "s1", 3, "not in order"},
		{"delta as snapshot", mustDelta(t), "s1", 3, "header says delta"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeSnapshot(tt.b, tt.session, tt.version)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("DecodeSnapshot = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s + "\n"))
	zw.Close()
	return b.Bytes()
}

func mustDelta(t *testing.T) []byte {
	b, err := EncodeDelta(Header{SessionID: "s1", Version: 3}, []Op{{Op: "add", Entry: sample()[0]}, {Op: "remove", Entry: sample()[2]}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeltaRoundTrip(t *testing.T) {
	ops, err := DecodeDelta(mustDelta(t), "s1", 3)
	if err != nil || len(ops) != 2 || ops[1].Op != "remove" || ops[1].Prefix != "14.1.104.7/32" {
		t.Fatalf("DecodeDelta = %+v, %v", ops, err)
	}
	if _, err := EncodeDelta(Header{SessionID: "s1", Version: 3}, []Op{{Op: "replace", Entry: sample()[0]}}); err == nil {
		t.Error("an unknown op must not encode")
	}
}

func TestSignVerify(t *testing.T) {
	k, _ := NewKey()
	other, _ := NewKey()
	n := Notification{Feed: FeedName("jazz"), SessionID: "s1", Version: 3, Timestamp: until, Expires: until.Add(time.Hour),
		Snapshot: FileRef{Version: 3, URL: "files/a.jsonl.gz", Hash: "ab"}, Deltas: []FileRef{}}
	jws, err := Sign(n, k)
	if err != nil {
		t.Fatal(err)
	}
	got, key, err := Verify(jws, other.Public().(ed25519.PublicKey), k.Public().(ed25519.PublicKey))
	if err != nil || got.Version != 3 || got.Type != "notification" || got.Feed != "operator:jazz" || !key.Equal(k.Public()) {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	// The feed's name is under the signature.
	parts := strings.Split(jws, ".")
	other2 := strings.Replace(string(mustB64(t, parts[1])), `"feed":"operator:jazz"`, `"feed":"global"`, 1)
	if other2 == string(mustB64(t, parts[1])) {
		t.Fatal("the payload does not carry the feed's name")
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(other2))
	if _, _, err := Verify(strings.Join(parts, "."), k.Public().(ed25519.PublicKey)); err != ErrSignature {
		t.Errorf("feed name changed under the signature: %v", err)
	}
	if FeedName("") != "global" || FeedName("zong") != "operator:zong" {
		t.Errorf("FeedName = %q, %q", FeedName(""), FeedName("zong"))
	}
	if _, _, err := Verify(jws, other.Public().(ed25519.PublicKey)); err != ErrSignature {
		t.Errorf("unknown key: %v", err)
	}
	// A forged payload under the real signature.
	parts = strings.Split(jws, ".")
	forged := strings.Replace(string(mustB64(t, parts[1])), `"version":3`, `"version":9`, 1)
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(forged))
	if _, _, err := Verify(strings.Join(parts, "."), k.Public().(ed25519.PublicKey)); err != ErrSignature {
		t.Errorf("forged payload: %v", err)
	}
	// Another algorithm is refused before any key is tried.
	hs := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`)) + "." + parts[1] + ".c2ln"
	if _, _, err := Verify(hs, k.Public().(ed25519.PublicKey)); err == nil || err == ErrSignature {
		t.Errorf("HS256 JWS: %v", err)
	}
}

func mustB64(t *testing.T, s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeys(t *testing.T) {
	k, _ := NewKey()
	s := FormatPublicKey(k.Public().(ed25519.PublicKey))
	p, err := ParsePublicKey(" " + s + "\n")
	if err != nil || !p.Equal(k.Public()) {
		t.Fatalf("ParsePublicKey(%q) = %v", s, err)
	}
	for _, bad := range []string{"", "rsa:AAAA", "ed25519:AAAA", "ed25519:!!"} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", bad)
		}
	}
	pemb, _ := MarshalKey(k)
	back, err := UnmarshalKey(pemb)
	if err != nil || !back.Equal(k) {
		t.Fatalf("PEM round trip: %v", err)
	}
	if _, err := UnmarshalKey([]byte("junk")); err == nil {
		t.Error("junk PEM accepted")
	}
}

// FuzzDecodeSnapshot: any bytes decode without panic, and whatever decodes
// re-encodes to a snapshot that decodes to the same entries.
func FuzzDecodeSnapshot(f *testing.F) {
	good, _ := EncodeSnapshot(Header{SessionID: "s", Version: 1}, sample())
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := DecodeSnapshot(b, "s", 1)
		if err != nil {
			return
		}
		again, err := EncodeSnapshot(Header{SessionID: "s", Version: 1}, es)
		if err != nil {
			t.Fatalf("decoded entries do not re-encode: %v", err)
		}
		if es2, err := DecodeSnapshot(again, "s", 1); err != nil || len(es2) != len(es) {
			t.Fatalf("re-encoded snapshot does not decode: %v", err)
		}
	})
}

// The fast line reader and encoding/json must agree on every line.
func TestFastEntry(t *testing.T) {
	lines := []string{
		`{"prefix":"14.1.104.0/24","reg":"VPN-2026-000002","cat":"company_vpn","until":"2027-11-27T00:00:00Z"}`,
		`{"msisdn":"923001234567","reg":"R","cat":"mobile_vpn","until":"2027-11-27T00:00:00.5+05:00"}`,
		`{"prefix":"14.1.104.0/24","reg":"V\"X","cat":"c","until":"2027-11-27T00:00:00Z"}`,    // escape: slow path
		`{"reg":"R","prefix":"14.1.104.0/24","cat":"c","until":"2027-11-27T00:00:00Z"}`,       // other order: slow path
		`{"prefix":"14.1.104.0/24","reg":"R","cat":"c","until":"2027-11-27T00:00:00Z","x":1}`, // extra field: slow path
		`{"prefix":"14.1.104.0/24","reg":"R","cat":"c","until":"yesterday"}`,                  // bad time: slow path errs
	}
	for _, l := range lines {
		var want Entry
		wantErr := json.Unmarshal([]byte(l), &want)
		got, err := parseEntry([]byte(l), &strs{})
		if (err != nil) != (wantErr != nil) || err == nil && (got.Prefix != want.Prefix || got.MSISDN != want.MSISDN ||
			got.Reg != want.Reg || got.Cat != want.Cat || !got.Until.Equal(want.Until)) {
			t.Errorf("%s: fast %+v %v, json %+v %v", l, got, err, want, wantErr)
		}
	}
}

// The same for delta lines.
func TestFastOp(t *testing.T) {
	lines := []string{
		`{"op":"add","prefix":"14.1.104.0/24","reg":"VPN-2026-000002","cat":"company_vpn","until":"2027-11-27T00:00:00Z"}`,
		`{"op":"remove","msisdn":"923001234567","reg":"R","cat":"mobile_vpn","until":"2027-11-27T00:00:00.5+05:00"}`,
		`{"op":"add","prefix":"14.1.104.0/24","reg":"V\"X","cat":"c","until":"2027-11-27T00:00:00Z"}`, // escape: slow path
		`{"prefix":"14.1.104.0/24","op":"add","reg":"R","cat":"c","until":"2027-11-27T00:00:00Z"}`,    // other order: slow path
		`{"op":"drop","prefix":"14.1.104.0/24","reg":"R","cat":"c","until":"2027-11-27T00:00:00Z"}`,   // unknown op: slow path, refused by the caller
		`{"op":"add","prefix":"14.1.104.0/24","reg":"R","cat":"c","until":"yesterday"}`,               // bad time: slow path errs
	}
	for _, l := range lines {
		var want Op
		wantErr := json.Unmarshal([]byte(l), &want)
		got, err := parseOp([]byte(l), nil)
		if (err != nil) != (wantErr != nil) || err == nil && (got.Op != want.Op || got.Prefix != want.Prefix || got.MSISDN != want.MSISDN ||
			got.Reg != want.Reg || got.Cat != want.Cat || !got.Until.Equal(want.Until)) {
			t.Errorf("%s: fast %+v %v, json %+v %v", l, got, err, want, wantErr)
		}
	}
	// What EncodeDelta writes takes the fast path.
	b, err := EncodeDelta(Header{SessionID: "s", Version: 2}, []Op{{Op: "add", Entry: Entry{Prefix: "14.1.104.0/24", Reg: "R", Cat: "c", Until: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}})
	if err != nil {
		t.Fatal(err)
	}
	zr, _ := gzip.NewReader(bytes.NewReader(b))
	raw, _ := io.ReadAll(zr)
	line := bytes.Split(raw, []byte("\n"))[1]
	if _, ok := fastEntry(line[len(`{"op":"add",`):], nil); !ok || !bytes.HasPrefix(line, []byte(`{"op":"add",`)) {
		t.Errorf("EncodeDelta's line %s misses the fast path", line)
	}
}

// compareOrder must order entries exactly as their key strings do, since
// files are checked with one and written with the other.
func TestCompareOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	regs := []string{"VPN-2026-000001", "VPN-2026-000002", "A", "", "VPN-2026-0000010"}
	gen := func() Entry {
		e := Entry{Reg: regs[r.IntN(len(regs))], Cat: "c", Until: time.Now()}
		switch r.IntN(5) {
		case 0:
			e.MSISDN = fmt.Sprintf("92%010d", r.IntN(3))
		case 1:
			e.Prefix = fmt.Sprintf("%d.%d.0.0/%d", r.IntN(3), r.IntN(3), 16+r.IntN(2))
		case 2:
			e.Prefix = fmt.Sprintf("2001:db8:%x::/%d", r.IntN(3), 48+r.IntN(2)*16)
		case 3:
			e.Prefix = "10.0.0.1/8" // not canonical: bad
		default:
			e.Prefix = fmt.Sprintf("%d.0.0.0/8", r.IntN(256))
		}
		return e
	}
	for i := 0; i < 20000; i++ {
		a, b := gen(), gen()
		oa, _ := a.order()
		ob, _ := b.order()
		if got, want := sign(compareOrder(oa, ob)), sign(strings.Compare(a.Key(), b.Key())); got != want {
			t.Fatalf("compareOrder(%+v, %+v) = %d; keys %q, %q compare %d", a, b, got, a.Key(), b.Key(), want)
		}
	}
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
