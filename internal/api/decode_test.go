package api

import (
	"reflect"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// The decoder's promises on shapes the routes do not all have: members
// inside arrays of objects, pointers, every JSON kind, and the exact
// words of the messages a person reads.
func TestDecodeJSON(t *testing.T) {
	type item struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	type body struct {
		Days   int      `json:"valid_days"`
		Small  *int8    `json:"small"`
		Items  []item   `json:"items"`
		Tags   []string `json:"tags"`
		Nested *struct {
			Deep *item `json:"deep"`
		} `json:"nested"`
		Plain  string
		hidden string
	}
	tests := []struct {
		name, in     string
		message      string // the error's message; "" for success
		field, about string // one field and its message
	}{
		{"valid", `{"valid_days":30,"items":[{"name":"a","count":1}],"Plain":"x"}`, "", "", ""},
		{"spaces around", " \r\n\t{\"valid_days\":30}\n ", "", "", ""},
		{"30.0", `{"valid_days":30.0}`, "valid_days must be a whole number, like 30", "valid_days", "must be a whole number, like 30"},
		{"-2.0", `{"valid_days":-2.0}`, "valid_days must be a whole number, like -2", "valid_days", "must be a whole number, like -2"},
		{"int8 overflow", `{"small":300}`, "small is too large", "small", "is too large"},
		{"int8 fraction", `{"small":1.5}`, "small must be a whole number, like 2", "small", "must be a whole number, like 2"},
		{"in an array of objects", `{"items":[{"name":"a"},{"count":2.5}]}`, "items[1].count must be a whole number, like 3", "items[1].count", "must be a whole number, like 3"},
		{"case inside an array of objects", `{"items":[{"Name":"a"}]}`, "the body has a field this route does not take: items[0].Name", "items[0].Name", `is not a known field here: names are case-sensitive; write "name"`},
		{"case through pointers", `{"nested":{"deep":{"COUNT":1}}}`, "the body has a field this route does not take: nested.deep.COUNT", "nested.deep.COUNT", `write "count"`},
		{"untagged field keeps its Go name exactly", `{"plain":"x"}`, "the body has a field this route does not take: plain", "plain", `write "Plain"`},
		{"unexported field is unknown", `{"hidden":"x"}`, "the body has a field this route does not take: hidden", "hidden", "see /api/v1/openapi.json"},
		{"duplicate inside an array", `{"items":[{"name":"a","name":"b"}]}`, "the body gives items[0].name more than once; send each field once", "items[0].name", "is given more than once; send it once"},
		{"duplicate differing in escapes", `{"valid_days":1,"valid\u005fdays":2}`, "the body gives valid_days more than once; send each field once", "valid_days", "more than once"},
		{"bool for a string", `{"tags":[true]}`, "tags[0] must be a string, not true or false", "tags[0]", "must be a string, not true or false"},
		{"object for an array", `{"items":{}}`, "items must be an array, not an object", "items", "must be an array, not an object"},
		{"top-level array", `[]`, "the body must be a JSON object, not an array", "", ""},
		{"top-level string", `"x"`, "the body must be a JSON object, not a string", "", ""},
		{"two objects", `{} {}`, "the request body has data after the JSON value; send exactly one object", "", ""},
		{"cut short", `{"items":[`, "the body ends in the middle of the JSON value", "", ""},
		{"not UTF-8", "{\"tags\":[\"\xff\"]}", "the request body is not valid UTF-8", "", ""},
		{"single quotes", `{'valid_days':1}`, "the body is not valid JSON", "", ""},
		// Tester's findings: null where no value means "absent", integers
		// beyond what JSON carries exactly, and sensible words for -0.0 and
		// 1e400.
		{"null for an integer", `{"valid_days":null}`, "valid_days cannot be null: give a whole number", "valid_days", "cannot be null: give a whole number"},
		{"null for a string", `{"Plain":null}`, "Plain cannot be null: give a string", "Plain", "cannot be null"},
		{"null for an array", `{"tags":null}`, "tags cannot be null: give an array", "tags", "cannot be null: give an array"},
		{"null in an array", `{"tags":["a",null]}`, "tags[1] cannot be null: give a string", "tags[1]", "cannot be null"},
		{"null inside an array of objects", `{"items":[{"count":null}]}`, "items[0].count cannot be null", "items[0].count", "cannot be null"},
		{"null for an optional (pointer) member", `{"small":null,"nested":null}`, "", "", ""},
		{"null body", `null`, "the body must be a JSON object, not null", "", ""},
		// A NUL in a string reached PostgreSQL, whose text cannot hold it: 500.
		{"NUL in a string", `{"Plain":"a\u0000b"}`, "Plain cannot contain a NUL character", "Plain", "cannot contain a NUL character"},
		{"NUL in an array's string", `{"tags":["ok","\u0000"]}`, "tags[1] cannot contain a NUL character", "tags[1]", "cannot contain a NUL"},
		{"an escaped backslash before u0000 is text", `{"Plain":"a\\u0000b"}`, "", "", ""},
		{"2^53+1", `{"valid_days":9007199254740993}`, "valid_days is too large", "valid_days", "is too large (at most 9007199254740991)"},
		{"-(2^53+1)", `{"valid_days":-9007199254740993}`, "valid_days is too large", "valid_days", "is too large"},
		{"beyond int64", `{"valid_days":92233720368547758070}`, "valid_days is too large", "valid_days", "is too large"},
		{"2^53-1", `{"valid_days":9007199254740991}`, "", "", ""},
		{"-0.0", `{"valid_days":-0.0}`, "valid_days must be a whole number, like 0", "valid_days", "must be a whole number, like 0"},
		{"-0.4", `{"valid_days":-0.4}`, "valid_days must be a whole number, like 0", "valid_days", "like 0"},
		{"1e400", `{"valid_days":1e400}`, "valid_days is too large", "valid_days", "is too large"},
		{"-1e400", `{"valid_days":-1e400}`, "valid_days is too large", "valid_days", "is too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v body
			err := decodeJSON([]byte(tt.in), &v)
			if tt.message == "" {
				if err != nil {
					t.Fatalf("decodeJSON(%s) = %v", tt.in, err)
				}
				return
			}
			e, ok := err.(*registry.Error)
			if !ok || e.Code != registry.EMALFORMED || !strings.HasPrefix(e.Message, tt.message) {
				t.Fatalf("decodeJSON(%s) = %#v; want 400 %q", tt.in, err, tt.message)
			}
			if tt.field != "" && !strings.Contains(e.Fields[tt.field], tt.about) {
				t.Fatalf("decodeJSON(%s) fields = %q; want %s: …%s…", tt.in, e.Fields, tt.field, tt.about)
			}
		})
	}
}

// PUT /api/v1/settings decodes over the current values, so a client may
// send only what it changes: members not sent keep their values.
func TestDecodeJSONMerges(t *testing.T) {
	set := registry.DefaultSettings
	if err := decodeJSON([]byte(`{"validity_days":30}`), &set); err != nil {
		t.Fatal(err)
	}
	want := registry.DefaultSettings
	want.ValidityDays = 30
	if !reflect.DeepEqual(set, want) {
		t.Fatalf("settings after a partial body = %+v, want %+v", set, want)
	}
	// null is refused and leaves the value as it was (v2 would zero it).
	err := decodeJSON([]byte(`{"fee_amount_pkr":null}`), &set)
	if e, ok := err.(*registry.Error); !ok || e.Fields["fee_amount_pkr"] != "cannot be null: give a whole number" || !reflect.DeepEqual(set, want) {
		t.Fatalf("null fee = %v, settings %+v; want 400 naming fee_amount_pkr and nothing changed", err, set)
	}
}
