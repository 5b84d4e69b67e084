package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/ipreg/ipreg/internal/registry"
)

// decode reads a JSON body into v strictly: application/json only (415),
// at most the configured size (413), and otherwise 400 for anything but
// exactly one JSON value of the documented shape, which the OpenAPI
// document states with additionalProperties: false.
//
// The decoder is github.com/go-json-experiment/json, the reference
// implementation of Go's JSON v2 semantics (encoding/json/v2, which Go
// 1.26 offers only under GOEXPERIMENT=jsonv2): member names match the
// documented names exactly, letter case included; a name given twice is a
// syntax error (RFC 8259 §4 leaves duplicates undefined, and v1's "last
// wins" let a proxy and ipreg read different values); unknown members are
// refused; invalid UTF-8 is refused. Each refusal names the member.
// optional allows an empty body.
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
	return decodeJSON(body, v)
}

// decodeJSON unmarshals body into v (a pointer to a struct) under the
// rules decode describes.
func decodeJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		return registry.Errorf(registry.EMALFORMED, "the request body is not valid UTF-8")
	}
	// Before decoding: the decoder would set a null field to zero, over a
	// value a merging route (settings) already holds.
	if err := checkValues(body, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	if err := json.UnmarshalDecode(dec, v, json.RejectUnknownMembers(true)); err != nil {
		return decodeError(err, reflect.TypeOf(v))
	}
	if rest := strings.Trim(string(body[dec.InputOffset():]), " \t\r\n"); rest != "" {
		return registry.Errorf(registry.EMALFORMED, "the request body has data after the JSON value; send exactly one object")
	}
	return nil
}

// maxJSONInteger is the largest integer every JSON implementation reads
// exactly (RFC 7493 I-JSON §2.2, RFC 8259 §6: 2^53−1, an IEEE 754 double's
// integer range): a larger one, although it fits an int64, would reach a
// JavaScript client or a spreadsheet as another number.
const maxJSONInteger = 1<<53 - 1

// checkValues refuses, naming the member, what the decoder would accept
// but not as the person meant it: null for a member that has no "absent"
// (only pointer members are optional; v2 semantics would set the value to
// zero, so {"fee_amount_pkr":null} made the fee 0), and an integer beyond
// maxJSONInteger. The body is read token by token beside v's Go type; a
// body that is not valid JSON is left to the decoder to report.
func checkValues(body []byte, t reflect.Type) error {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil
		}
		k := tok.Kind()
		// No text of ipreg's holds a NUL, and PostgreSQL's text cannot:
		// stored, it failed as an internal error (500).
		if k == '"' && strings.ContainsRune(tok.String(), 0) {
			name := fieldName(dec.StackPointer())
			if name == "" {
				name = "the body"
			}
			msg := "cannot contain a NUL character (\\u0000): remove it"
			return &registry.Error{Code: registry.EMALFORMED, Message: name + " " + msg, Fields: map[string]string{name: msg}}
		}
		if k != 'n' && k != '0' {
			continue
		}
		p := dec.StackPointer()
		if p == "" {
			if k == 'n' {
				return registry.Errorf(registry.EMALFORMED, "the body must be a JSON object, not null")
			}
			continue
		}
		ft := typeAt(t, p)
		if ft == nil {
			continue // an unknown member: the decoder names it
		}
		name := fieldName(p)
		switch {
		case k == 'n' && ft.Kind() != reflect.Pointer && ft.Kind() != reflect.Interface && !optionalAt(t, p):
			msg := "cannot be null: give " + goKindName(ft)
			return &registry.Error{Code: registry.EMALFORMED, Message: name + " " + msg, Fields: map[string]string{name: msg}}
		case k == '0' && isInteger(ft) && !strings.ContainsAny(tok.String(), ".eE"):
			if n, err := strconv.ParseInt(tok.String(), 10, 64); err != nil || n > maxJSONInteger || n < -maxJSONInteger {
				msg := fmt.Sprintf("is too large (at most %d)", maxJSONInteger)
				return &registry.Error{Code: registry.EMALFORMED, Message: name + " " + msg, Fields: map[string]string{name: msg}}
			}
		}
	}
}

// optionalAt reports whether the member at p is an optional one that
// reads null as absent: its struct field is tagged omitzero, the mark of
// a member the OpenAPI document does not list as required (a test holds
// the two together), whose zero value is what its absence means
// ({"totp": null} logs in like no "totp").
func optionalAt(t reflect.Type, p jsontext.Pointer) bool {
	parent, last := p.Parent(), p.LastToken()
	st := typeAt(t, parent)
	if parent == "" {
		st = t
	}
	if st == nil {
		return false
	}
	if st = elem(st); st.Kind() != reflect.Struct {
		return false
	}
	f, ok := fieldByJSONName(st, last)
	if !ok {
		return false
	}
	_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
	return slices.Contains(strings.Split(opts, ","), "omitzero")
}

// typeAt is the Go type the member at p decodes into, under t; nil when t
// has no such member.
func typeAt(t reflect.Type, p jsontext.Pointer) reflect.Type {
	for tok := range p.Tokens() {
		t = elem(t)
		switch t.Kind() {
		case reflect.Struct:
			f, ok := fieldByJSONName(t, tok)
			if !ok {
				return nil
			}
			t = f.Type
		case reflect.Slice, reflect.Array, reflect.Map:
			t = t.Elem()
		default:
			return nil
		}
	}
	return t
}

// decodeError turns the decoder's error into a coded error that names
// the member as the registry names fields ("vpn.protocol", "addresses[2]").
func decodeError(err error, t reflect.Type) error {
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return registry.Errorf(registry.EMALFORMED, "the body ends in the middle of the JSON value")
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		name := fieldName(syn.JSONPointer)
		return &registry.Error{Code: registry.EMALFORMED, Message: fmt.Sprintf("the body gives %s more than once; send each field once", name),
			Fields: map[string]string{name: "is given more than once; send it once"}}
	case errors.As(err, &syn):
		return registry.Errorf(registry.EMALFORMED, "the body is not valid JSON: %s", strings.TrimPrefix(syn.Error(), "jsontext: "))
	case errors.As(err, &sem) && errors.Is(sem.Err, json.ErrUnknownName):
		name := fieldName(sem.JSONPointer)
		msg := "is not a known field here; see /api/v1/openapi.json"
		if known := sameNameOtherCase(t, sem.JSONPointer); known != "" {
			msg = fmt.Sprintf("is not a known field here: names are case-sensitive; write %q", known)
		}
		return &registry.Error{Code: registry.EMALFORMED, Message: fmt.Sprintf("the body has a field this route does not take: %s", name),
			Fields: map[string]string{name: msg}}
	case errors.As(err, &sem) && sem.JSONPointer == "":
		return registry.Errorf(registry.EMALFORMED, "the body must be a JSON object, not %s", kindName(sem.JSONKind))
	case errors.As(err, &sem):
		name := fieldName(sem.JSONPointer)
		msg := typeMessage(sem)
		return &registry.Error{Code: registry.EMALFORMED, Message: name + " " + msg, Fields: map[string]string{name: msg}}
	}
	return registry.Errorf(registry.EMALFORMED, "the body is not valid JSON: %v", err)
}

// typeMessage says what a member must be, in words: "must be a whole
// number, like 30" for the 30.0 a spreadsheet or a float-only client
// (JavaScript's JSON.stringify writes 30, but others write 30.0) sends
// for an integer.
func typeMessage(sem *json.SemanticError) string {
	want := goKindName(sem.GoType)
	if sem.JSONKind == '0' && isInteger(sem.GoType) {
		f, err := strconv.ParseFloat(string(sem.JSONValue), 64)
		switch {
		case math.IsInf(f, 0): // 1e400: beyond any number, not merely a fraction
			return "is too large"
		case err != nil && !errors.Is(err, strconv.ErrRange):
			return "must be a whole number"
		case f != math.Trunc(f):
			return fmt.Sprintf("must be a whole number, like %.0f", math.Round(f)+0) // +0: no "-0"
		case math.Abs(f) >= 1<<53 || isTooBig(sem.GoType, f):
			return "is too large"
		default:
			return fmt.Sprintf("must be a whole number, like %.0f", f+0) // -0.0 is "like 0"
		}
	}
	if sem.JSONKind == 0 {
		return "must be " + want
	}
	return fmt.Sprintf("must be %s, not %s", want, kindName(sem.JSONKind))
}

func isInteger(t reflect.Type) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// isTooBig reports a whole number outside t's range.
func isTooBig(t reflect.Type, f float64) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return f < 0 || f > math.Ldexp(1, t.Bits())-1
	}
	return f < -math.Ldexp(1, t.Bits()-1) || f > math.Ldexp(1, t.Bits()-1)-1
}

// kindName names a JSON kind as the messages use it.
func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "that value"
}

// goKindName names the JSON a Go type takes.
func goKindName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another type"
	}
	switch {
	case isInteger(t):
		return "a whole number"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "an array"
	}
	return "an object"
}

// fieldName writes a JSON pointer (RFC 6901) as the registry names fields:
// "/vpn/protocol" → "vpn.protocol", "/addresses/2" → "addresses[2]".
func fieldName(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// sameNameOtherCase returns the documented member name that the unknown
// member at p differs from only in letter case ("Category" → "category"),
// found from the json tags of the Go struct that p's parent decodes into.
func sameNameOtherCase(t reflect.Type, p jsontext.Pointer) string {
	t = elem(t)
	for tok := range p.Parent().Tokens() {
		switch t.Kind() {
		case reflect.Struct:
			f, ok := fieldByJSONName(t, tok)
			if !ok {
				return ""
			}
			t = elem(f.Type)
		case reflect.Slice, reflect.Array, reflect.Map:
			t = elem(t.Elem())
		default:
			return ""
		}
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	for i := range t.NumField() {
		if name := jsonName(t.Field(i)); name != "" && strings.EqualFold(name, p.LastToken()) {
			return name
		}
	}
	return ""
}

func elem(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); jsonName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// jsonName is the member name a struct field takes (its json tag's name,
// else the Go name), or "" for a field JSON ignores.
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	switch tag {
	case "-":
		return ""
	case "":
		return f.Name
	}
	return tag
}
