package api

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Every request member the OpenAPI document leaves out of "required" reads
// null as absent, and every required one refuses null: the Go field of an
// optional member is a pointer or tagged omitzero (optionalAt), and a
// required one is neither. SettingsInput is left out: PUT merges it into
// the held settings, where null (clear? zero?) is refused as the README
// says.
func TestOptionalMembersTakeNull(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
				Required   []string       `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for schema, v := range map[string]any{
		"SignupRequest": signupRequest{}, "LoginRequest": loginRequest{}, "TokenRequest": tokenRequest{},
		"ApplicationInput": applicationRequest{}, "SubmitRequest": submitRequest{}, "DecisionRequest": decisionRequest{},
		"CheckAnswer": checkAnswerRequest{}, "ReasonRequest": reasonRequest{}, "TOTPCode": totpCodeRequest{},
	} {
		s, ok := doc.Components.Schemas[schema]
		if !ok {
			t.Errorf("no schema %s", schema)
			continue
		}
		typ := reflect.TypeOf(v)
		for name := range s.Properties {
			required := slices.Contains(s.Required, name)
			body := `{"` + name + `":null}`
			err := checkValues([]byte(body), reflect.PointerTo(typ))
			if required && err == nil {
				t.Errorf("%s.%s is required, but null passes", schema, name)
			}
			if !required && err != nil {
				t.Errorf("%s.%s is optional, but null is refused: %v", schema, name, err)
			}
			if !required && err == nil {
				dst := reflect.New(typ).Interface()
				if derr := decodeJSON([]byte(body), dst); derr != nil && strings.Contains(derr.Error(), "null") {
					t.Errorf("%s.%s: null refused by the decoder: %v", schema, name, derr)
				}
			}
		}
	}
}
