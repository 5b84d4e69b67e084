package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/ipreg/ipreg/internal/registry"
)

// decode reads a JSON body into v strictly: application/json only (415),
// at most the configured size (413), valid UTF-8, no unknown fields, one
// value and nothing after it (400). optional allows an empty body.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return registry.Errorf(registry.ETOOLARGE, "the request body is larger than %d bytes", s.cfg.MaxBodyBytes)
	}
	if err != nil {
		return registry.Errorf(registry.EMALFORMED, "could not read the request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return registry.Errorf(registry.EMALFORMED, "the request body is empty: send a JSON object")
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return registry.Errorf(registry.EUNSUPPORTED, "send the body as JSON with Content-Type: application/json")
	}
	// encoding/json would silently replace invalid UTF-8 with U+FFFD.
	if !utf8.Valid(body) {
		return registry.Errorf(registry.EMALFORMED, "the request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return registry.Errorf(registry.EMALFORMED, "the request body has data after the JSON value; send exactly one object")
	}
	return nil
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return registry.Errorf(registry.EMALFORMED, "the body is not valid JSON: %s at byte %d", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return registry.Errorf(registry.EMALFORMED, "the body must be a JSON object, not %s", typ.Value)
		}
		return &registry.Error{Code: registry.EMALFORMED, Message: "a field has the wrong JSON type",
			Fields: map[string]string{field: fmt.Sprintf("must be %s, not %s", jsonType(typ.Type.String()), typ.Value)}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &registry.Error{Code: registry.EMALFORMED, Message: "the body has a field this route does not take",
			Fields: map[string]string{name: "is not a known field here; see /api/v1/openapi.json"}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return registry.Errorf(registry.EMALFORMED, "the body ends in the middle of the JSON value")
	}
	return registry.Errorf(registry.EMALFORMED, "the body is not valid JSON: %v", err)
}

func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"), strings.HasPrefix(goType, "*[]"):
		return "an array"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a number"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "bool"):
		return "true or false"
	}
	return "an object"
}
