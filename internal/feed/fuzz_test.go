package feed

import (
	"crypto/ed25519"
	"reflect"
	"testing"
	"time"
)

// FuzzDecodeDelta: no panic on any file; a delta accepted re-encodes
// (EncodeDelta) to a file that decodes to the same operations, so what
// agents apply is what the file says.
func FuzzDecodeDelta(f *testing.F) {
	until := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	good, err := EncodeDelta(Header{SessionID: "s1", Version: 2}, []Op{
		{Op: "add", Entry: Entry{Prefix: "14.1.104.0/24", Reg: "VPN-2026-000001", Cat: "company_vpn", Until: until}},
		{Op: "remove", Entry: Entry{MSISDN: "923001234567", Reg: "VPN-2026-000002", Cat: "mobile_vpn", Until: until}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ops, err := DecodeDelta(b, "s1", 2)
		if err != nil {
			return
		}
		again, err := EncodeDelta(Header{SessionID: "s1", Version: 2}, ops)
		if err != nil {
			t.Fatalf("accepted ops do not encode: %v", err)
		}
		back, err := DecodeDelta(again, "s1", 2)
		if err != nil || !reflect.DeepEqual(normalOps(back), normalOps(ops)) {
			t.Fatalf("ops %+v re-encoded decode to %+v, %v", ops, back, err)
		}
	})
}

func normalOps(ops []Op) []Op {
	out := make([]Op, len(ops))
	for i, o := range ops {
		o.Until = o.Until.UTC()
		out[i] = o
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// fuzzKey is a fixed signing key, so the corpus stays meaningful.
var fuzzKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// FuzzVerify: a notification signed with the trusted key, then changed at
// one byte (or cut), is never accepted as anything but the notification
// signed: the verifier accepts no modified content, whatever the byte.
func FuzzVerify(f *testing.F) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	n := Notification{Feed: "global", SessionID: "9b1c", Version: 7, Timestamp: now, Expires: now.Add(time.Hour),
		Snapshot: FileRef{Version: 5, URL: "files/snapshot-5-ab.jsonl.gz", Hash: "00ff"},
		Deltas:   []FileRef{{Version: 6, URL: "files/delta-6-cd.jsonl.gz", Hash: "11ee"}}}
	jws, err := Sign(n, fuzzKey)
	if err != nil {
		f.Fatal(err)
	}
	want, _, err := Verify(jws, fuzzKey.Public().(ed25519.PublicKey))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint16(0), byte('x'), false)
	f.Add(uint16(len(jws)-1), byte('A'), false)
	f.Add(uint16(len(jws)/2), byte('.'), true)
	f.Fuzz(func(t *testing.T, at uint16, b byte, cut bool) {
		i := int(at) % len(jws)
		changed := jws[:i] + string(b) + jws[i+1:]
		if cut {
			changed = jws[:i]
		}
		got, _, err := Verify(changed, fuzzKey.Public().(ed25519.PublicKey))
		if err != nil {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("a notification changed at byte %d verified with other content: %+v", i, got)
		}
	})
}
