package api

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the API's OpenAPI 3 document.
func OpenAPI() []byte { return openAPIDoc }

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openAPIDoc)
}

// publicRoutes are the operations ("METHOD /path") openapi.json says take
// no user token (a security list without "bearer": public ones, and
// /metrics with its own token). Every other route takes the user's token
// and gets the token-scope check (api.go), so a route added later is
// checked unless its document says it is public.
var publicRoutes = func() map[string]bool {
	var doc struct {
		Paths map[string]map[string]struct {
			Security *[]map[string][]string `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		panic("openapi.json: " + err.Error()) // embedded: a test reads it too
	}
	out := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if op.Security != nil && !slices.ContainsFunc(*op.Security, func(r map[string][]string) bool { _, ok := r["bearer"]; return ok }) {
				out[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	return out
}()

// queryParams are the query parameters openapi.json documents for each
// operation ("METHOD /path"): each is read as one value, so api.go
// refuses one given twice (registry.QueryOnce) on every route that takes
// any, a route added later included.
var queryParams = func() map[string][]string {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		panic("openapi.json: " + err.Error())
	}
	out := map[string][]string{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Parameters []struct{ Name, In string } `json:"parameters"`
			}
			if json.Unmarshal(raw, &op) != nil {
				continue // "parameters" shared by a path's operations: none here
			}
			for _, p := range op.Parameters {
				if p.In == "query" {
					out[strings.ToUpper(method)+" "+path] = append(out[strings.ToUpper(method)+" "+path], p.Name)
				}
			}
		}
	}
	return out
}()
