package api

import (
	"bytes"
	stdjson "encoding/json"
	"reflect"
	"testing"

	json "github.com/go-json-experiment/json"

	"github.com/ipreg/ipreg/internal/registry"
)

// fuzzInput has the shapes request bodies have: text, a number, an
// optional member, a list and a nested object.
type fuzzInput struct {
	Email string   `json:"email"`
	Count int      `json:"count"`
	Note  *string  `json:"note"`
	Tags  []string `json:"tags"`
	VPN   struct {
		Protocol string `json:"protocol"`
	} `json:"vpn"`
}

var fuzzMembers = map[string]bool{"email": true, "count": true, "note": true, "tags": true, "vpn": true}

// FuzzDecodeJSON: the strict decoder never panics, refuses with a coded
// error (EMALFORMED or EINVALID), and never accepts a body with a member
// the type lacks (at the top or nested, in any letter case), a member
// twice, or invalid UTF-8; what it accepts round-trips (encoded and
// decoded again it is the same value).
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"email":"it@example.com.pk","count":3,"tags":["a"],"vpn":{"protocol":"wireguard"}}`,
		`{"Email":"x"}`, `{"email":"a","email":"b"}`, `{"extra":1}`, `{"vpn":{"protocol":"x","port":1}}`, `{"count":9007199254740993}`,
		`{"note":null}`, `{"count":null}`, `{} {}`, `[]`, `{"email":"\ud800"}`, "{\"email\":\"\xff\"}", ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v fuzzInput
		err := decodeJSON(body, &v)
		if err != nil {
			if c := registry.ErrorCode(err); c != registry.EMALFORMED && c != registry.EINVALID {
				t.Fatalf("decodeJSON(%q): %v, code %q", body, err, c)
			}
			return
		}
		// The standard library's reading of the same body: a plain map of
		// members, to see which the decoder let through.
		var top map[string]stdjson.RawMessage
		if err := stdjson.Unmarshal(body, &top); err != nil {
			t.Fatalf("decodeJSON accepted %q, which is not a JSON object: %v", body, err)
		}
		for k := range top {
			if !fuzzMembers[k] {
				t.Fatalf("decodeJSON accepted %q with the unknown member %q", body, k)
			}
		}
		if raw, ok := top["vpn"]; ok && string(raw) != "null" {
			var vpn map[string]stdjson.RawMessage
			if stdjson.Unmarshal(raw, &vpn) == nil {
				for k := range vpn {
					if k != "protocol" {
						t.Fatalf("decodeJSON accepted %q with the unknown member vpn.%q", body, k)
					}
				}
			}
		}
		if countMembers(body) != len(top) {
			t.Fatalf("decodeJSON accepted %q, which repeats a member", body)
		}
		out, err := json.Marshal(v) // v2, as the API writes: nil lists as []
		if err != nil {
			t.Fatal(err)
		}
		var back fuzzInput
		err = decodeJSON(out, &back)
		if len(v.Tags) == 0 && len(back.Tags) == 0 { // null-free [] and a nil list are one value
			v.Tags, back.Tags = nil, nil
		}
		if err != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("decodeJSON(%q) = %+v; encoded %s it decodes to %+v, %v", body, v, out, back, err)
		}
	})
}

// countMembers counts the top-level members of a JSON object as written,
// repeats included.
func countMembers(body []byte) int {
	dec := stdjson.NewDecoder(bytesReader(body))
	if tok, err := dec.Token(); err != nil || tok != stdjson.Delim('{') {
		return -1
	}
	n := 0
	for dec.More() {
		if _, err := dec.Token(); err != nil { // the name
			return -1
		}
		var skip stdjson.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return -1
		}
		n++
	}
	return n
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
