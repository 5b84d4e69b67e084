package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// injectionCorpus is what an attacker types into a field: SQL, markup and
// script, traversal, header injection, controls, bidi overrides, invalid
// UTF-8, NUL, overlong numbers and very long text.
var injectionCorpus = []string{
	`' OR '1'='1`, `1; DROP TABLE users; --`, `"); DELETE FROM applications; --`, `\' UNION SELECT password_hash FROM users --`,
	`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `javascript:alert(1)`, `{{.}}{{template "x"}}`,
	`../../../../etc/passwd`, `..\..\..\windows\win.ini`, `%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
	"x\r\nSet-Cookie: ipreg_session=stolen", "x\nX-Injected: 1",
	"a\x00b", "\u202Egnp.exe", "\u2066\u2069\u200f", "bad \xff\xfe utf-8",
	"99999999999999999999999999999999999999", "-1", "1e309", "0x7fffffffffffffff",
	strings.Repeat("A", 70_000),
}

// wrongTypes are, for each schema type, JSON values of other types and
// values at or past the edge of the type: a number too large for float64,
// 400 digits, 10,000 items.
var wrongTypes = map[string][]string{
	"string":          {`{"a":"b"}`, `123`, `[true]`, `null`},
	"array of string": {`"a"`, `{"a":1}`, `[1]`, `[null]`, `[[]]`, hugeArray(`"1.2.3.4"`)},
	"integer":         {`"1"`, `1e400`, strings.Repeat("9", 400), `-` + strings.Repeat("9", 400), `1.5`, `{}`, `[]`, `true`},
	"number":          {`"1"`, `1e400`, strings.Repeat("9", 400), `-1e-400`, `{}`, `[]`, `true`},
	"boolean":         {`[]`, `"true"`, `1`, `{}`},
	"object":          {`"x"`, `[]`, `1`, `true`},
	"array":           {`"x"`, `{}`, `1`, hugeArray(`{}`)},
}

// hugeArray is a JSON array of 10,000 copies of item.
func hugeArray(item string) string {
	return "[" + strings.Repeat(item+",", 9_999) + item + "]"
}

// leakMarks are what an internal error would show: the database's words,
// a stack trace, a source file.
var leakMarks = []string{"sqlite", "SQLSTATE", "pq:", "pgx:", "pgconn", "syntax error", "goroutine ", ".go:", "/internal/", "panic", "runtime error"}

// bodyLeaf is one member of a JSON request body, wherever it sits: its
// path from the top (["vpn", "endpoints"]) and its schema type ("string",
// "array of string", "integer", "number", "boolean", "object", "array").
type bodyLeaf struct {
	path []string
	typ  string
}

// name is the leaf's dotted path, for messages.
func (l bodyLeaf) name() string { return strings.Join(l.path, ".") }

// bodyLeaves lists every member of the JSON request body of each operation
// of openapi.json, by "METHOD /path", walking nested objects (their $refs
// are resolved by the loader) so that a new member anywhere is covered.
func bodyLeaves(t *testing.T) map[string][]bodyLeaf {
	doc, _ := spec(t)
	out := map[string][]bodyLeaf{}
	var walk func(route string, prefix []string, s *openapi3.Schema, depth int)
	walk = func(route string, prefix []string, s *openapi3.Schema, depth int) {
		if depth > 8 { // a recursive schema would never end
			return
		}
		names := make([]string, 0, len(s.Properties))
		for name := range s.Properties {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			v := s.Properties[name].Value
			if v == nil || v.Type == nil {
				continue
			}
			path := append(slices.Clone(prefix), name)
			switch {
			case v.Type.Is("object"):
				out[route] = append(out[route], bodyLeaf{path, "object"})
				walk(route, path, v, depth+1)
			case v.Type.Is("array") && v.Items != nil && v.Items.Value != nil && v.Items.Value.Type.Is("string"):
				out[route] = append(out[route], bodyLeaf{path, "array of string"})
			case v.Type.Is("array") && v.Items != nil && v.Items.Value != nil && v.Items.Value.Type.Is("object"):
				out[route] = append(out[route], bodyLeaf{path, "array"})
				walk(route, append(path, "0"), v.Items.Value, depth+1)
			default:
				out[route] = append(out[route], bodyLeaf{path, (*v.Type)[0]})
			}
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
				continue
			}
			walk(method+" "+path, nil, mt.Schema.Value, 0)
		}
	}
	return out
}

// routeParams lists the parameters (query and path) of each operation of
// openapi.json, by "METHOD /path", the path item's and the operation's.
func routeParams(t *testing.T) map[string][]*openapi3.Parameter {
	doc, _ := spec(t)
	out := map[string][]*openapi3.Parameter{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range ps {
					if p.Value != nil && (p.Value.In == "query" || p.Value.In == "path") {
						out[method+" "+path] = append(out[method+" "+path], p.Value)
					}
				}
			}
		}
	}
	return out
}

// withParam is a matrix row's filled path with one parameter replaced by
// v: a path segment URL-escaped in place of the pattern's {name}, or a
// query value set (encoded).
func withParam(t *testing.T, route, filled string, p *openapi3.Parameter, v string) string {
	pattern := strings.Fields(route)[1]
	pathPart, query, _ := strings.Cut(filled, "?")
	if p.In == "path" {
		pat, segs := strings.Split(pattern, "/"), strings.Split(pathPart, "/")
		if len(pat) != len(segs) {
			t.Fatalf("%s: the matrix's path %s does not follow the pattern", route, filled)
		}
		i := slices.Index(pat, "{"+p.Name+"}")
		if i < 0 {
			t.Fatalf("%s: no {%s} in the pattern", route, p.Name)
		}
		segs[i] = url.PathEscape(v)
		if query != "" {
			return strings.Join(segs, "/") + "?" + query
		}
		return strings.Join(segs, "/")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatalf("%s: %v", filled, err)
	}
	q.Set(p.Name, v)
	return pathPart + "?" + q.Encode()
}

// formField is one member of a multipart/form-data request body: a file
// (format binary: its filename is the input) or a value, with a value the
// schema accepts (its first enum value) to send beside a hostile one.
type formField struct {
	name  string
	file  bool
	valid string
}

// formFields lists the multipart/form-data request body members of each
// operation of openapi.json, by "METHOD /path", in name order.
func formFields(t *testing.T) map[string][]formField {
	doc, _ := spec(t)
	out := map[string][]formField{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			mt := op.RequestBody.Value.Content.Get("multipart/form-data")
			if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
				continue
			}
			for name, p := range mt.Schema.Value.Properties {
				f := formField{name: name, file: p.Value.Format == "binary", valid: "x"}
				if f.file {
					f.valid = "scan.pdf"
				} else if len(p.Value.Enum) > 0 {
					f.valid = fmt.Sprint(p.Value.Enum[0])
				}
				out[method+" "+path] = append(out[method+" "+path], f)
			}
			slices.SortFunc(out[method+" "+path], func(a, b formField) int { return strings.Compare(a.name, b.name) })
		}
	}
	return out
}

// multipartBody is a form with every field valid but hostile, which gets
// v (a file's filename, or a value); files hold a small real PDF.
func multipartBody(fields []formField, hostile, v string) (contentType string, body []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		val := f.valid
		if f.name == hostile {
			val = v
		}
		if f.file {
			part, _ := w.CreateFormFile(f.name, val)
			part.Write(testbin.PDF("injection"))
			continue
		}
		w.WriteField(f.name, val)
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

// nest puts a JSON value at a leaf's path: ["vpn","endpoints"] and v give
// {"vpn":{"endpoints":v}}; a "0" step is an array's first item.
func nest(path []string, v json.RawMessage) []byte {
	out := v
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == "0" {
			out = json.RawMessage("[" + string(out) + "]")
			continue
		}
		k, _ := json.Marshal(path[i])
		out = json.RawMessage("{" + string(k) + ":" + string(out) + "}")
	}
	return out
}

// firstAllowed is the first role the matrix allows on a row; anonymous
// for public routes.
func firstAllowed(t *testing.T, r accessRow) string {
	for i, cell := range cellsOf(t, r) {
		if cell == A || cell < 300 || cell == 409 || cell == 422 {
			return matrixRoles[i]
		}
	}
	return ""
}

// check fails on a 5xx and on an answer that shows internal error text.
func check(t *testing.T, label string, res response) {
	t.Helper()
	if res.status >= 500 {
		t.Errorf("%s = %d: %.300s", label, res.status, res.body)
	}
	low := strings.ToLower(string(res.body))
	for _, mark := range leakMarks {
		if strings.Contains(low, strings.ToLower(mark)) {
			t.Errorf("%s answers with internal text %q: %.300s", label, mark, res.body)
		}
	}
}

// TestInjectionCorpus sends every entry of the corpus in every string field
// of every JSON request body openapi.json describes (so a new field is
// covered), as a role the access matrix allows, then malformed bodies
// (deeply nested, invalid UTF-8, NUL, oversized) to each. No answer may be
// a 5xx or show internal error text; a refusal (4xx) changes no row. On
// both databases.
func TestInjectionCorpus(t *testing.T) {
	fields := bodyLeaves(t)
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, kind)
			tokens, vals := matrixFixture(t, c)
			sent := 0
			for _, r := range apiMatrix {
				names := fields[r.route]
				if len(names) == 0 {
					continue
				}
				method := strings.Fields(r.route)[0]
				path := fill(r.path, vals)
				role := firstAllowed(t, r)
				first := names[0].path[0]
				bodies := [][]byte{
					[]byte(strings.Repeat(`{"a":`, 10_000) + "1" + strings.Repeat("}", 10_000)),
					[]byte(strings.Repeat("[", 100_000)),
					[]byte("{\"" + first + "\":\"\xff\xfe\"}"),
					[]byte("{\"" + first + "\":\"a\x00b\"}"),
					[]byte(`{"` + first + `":"` + strings.Repeat("x", 2<<20) + `"}`),
					[]byte(`{"` + first + `":1e99999}`),
				}
				for _, leaf := range names {
					for _, payload := range injectionCorpus {
						var v any
						switch leaf.typ {
						case "string":
							v = payload
						case "array of string":
							v = []string{payload}
						default:
							continue
						}
						raw, _ := json.Marshal(v)
						if !json.Valid(raw) {
							continue
						}
						bodies = append(bodies, nest(leaf.path, raw))
					}
					for _, raw := range wrongTypes[leaf.typ] {
						bodies = append(bodies, nest(leaf.path, json.RawMessage(raw)))
					}
				}
				// Between two snapshots, the route's refusals change no row
				// (but the throttles' counts, which count attempts on
				// purpose); a route that accepted a body is checked for what
				// it answered, not for what it stored.
				before := snapshot(t, c)
				accepted := false
				for _, b := range bodies {
					res := c.raw(method, path, tokens[role], "application/json", b)
					sent++
					label := fmt.Sprintf("%s %s as %s with %.80q", method, path, role, b)
					check(t, label, res)
					accepted = accepted || res.status < 400
				}
				if !accepted {
					after := snapshot(t, c)
					delete(before, "auth_attempts")
					delete(after, "auth_attempts")
					if diff := snapshotDiff(before, after); diff != "" {
						t.Errorf("%s %s: every body was refused, but the database changed:\n%s", method, path, diff)
					}
				}
			}
			// Every query and path parameter of every route, one at a time,
			// with the corpus (path ids URL-escaped); the same assertions.
			params := routeParams(t)
			for _, r := range apiMatrix {
				ps := params[r.route]
				if len(ps) == 0 {
					continue
				}
				method := strings.Fields(r.route)[0]
				role := firstAllowed(t, r)
				before := snapshot(t, c)
				accepted := false
				for _, p := range ps {
					for _, payload := range injectionCorpus {
						path := withParam(t, r.route, fill(r.path, vals), p, payload)
						res := c.raw(method, path, tokens[role], "", nil)
						sent++
						label := fmt.Sprintf("%s %s (%s %s) as %s with %.80q", method, r.route, p.In, p.Name, role, payload)
						check(t, label, res)
						accepted = accepted || res.status < 400 // reads that answer are audited on purpose
					}
				}
				if !accepted {
					after := snapshot(t, c)
					delete(before, "auth_attempts")
					delete(after, "auth_attempts")
					if diff := snapshotDiff(before, after); diff != "" {
						t.Errorf("%s: every hostile parameter was refused, but the database changed:\n%s", r.route, diff)
					}
				}
			}
			// Every multipart form field (an upload's kind, its file's
			// filename), one at a time, with the corpus.
			forms := formFields(t)
			for _, r := range apiMatrix {
				fs := forms[r.route]
				if len(fs) == 0 {
					continue
				}
				method, path, role := strings.Fields(r.route)[0], fill(r.path, vals), firstAllowed(t, r)
				before := snapshot(t, c)
				accepted := false
				for _, f := range fs {
					for _, payload := range injectionCorpus {
						ct, body := multipartBody(fs, f.name, payload)
						res := c.raw(method, path, tokens[role], ct, body)
						sent++
						check(t, fmt.Sprintf("%s %s (form %s) as %s with %.80q", method, path, f.name, role, payload), res)
						accepted = accepted || res.status < 400
					}
				}
				if !accepted {
					after := snapshot(t, c)
					delete(before, "auth_attempts")
					delete(after, "auth_attempts")
					if diff := snapshotDiff(before, after); diff != "" {
						t.Errorf("%s: every hostile form was refused, but the database changed:\n%s", r.route, diff)
					}
				}
			}
			if len(forms) == 0 {
				t.Error("no multipart/form-data body found in openapi.json")
			}
			t.Logf("%d requests sent", sent)
			if sent == 0 {
				t.Fatal("no field found in openapi.json's request bodies")
			}
			_ = api.Routes
		})
	}
}

// TestHostileParams holds the holes the corpus found, as rows: a NUL or
// invalid UTF-8 in a path id or a query filter reached PostgreSQL, which
// refused the text with an error that became a 500. On both databases.
func TestHostileParams(t *testing.T) {
	rows := []struct {
		name, path, as string
		want           int
	}{
		{"NUL in an application id", "/api/v1/applications/a%00b", "reviewer@demo.test", 404},
		{"invalid UTF-8 in a registration number", "/api/v1/registrations/bad%FF%FE/certificate.pdf", "reviewer@demo.test", 404},
		{"NUL in a feed file's name", "/feed/v1/files/a%00b", "", 404},
		{"NUL in the review queue's operator", "/api/v1/review/queue?operator=a%00b", "reviewer@demo.test", 422},
		{"invalid UTF-8 in the review queue's cursor", "/api/v1/review/queue?after=bad%FF%FE", "reviewer@demo.test", 422},
	}
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, kind)
			tokens := map[string]string{"": ""}
			for _, r := range rows {
				if _, ok := tokens[r.as]; !ok {
					tokens[r.as] = c.login(r.as)
				}
			}
			for _, r := range rows {
				res := c.raw("GET", r.path, tokens[r.as], "", nil)
				if res.status != r.want {
					t.Errorf("%s: GET %s = %d, want %d: %s", r.name, r.path, res.status, r.want, res.body)
				}
				check(t, r.name, res)
			}
		})
	}
}
