package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// TestFeedScopeToken: an API token with scope "feed" (the credential
// ipreg-agent holds, issue 11 follow-up) reads its operator's feed and
// GET /api/v1/me, and nothing else; only operator users get one, and the
// scope is named in the token's view. On both databases.
func TestFeedScopeToken(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, kind)
			jazz := c.login("operator.jazz@demo.test")
			created := c.want(c.do("POST", "/api/v1/tokens", jazz, map[string]any{"name": "agent", "scope": "feed"}), 201).json(t)
			if created["scope"] != "feed" {
				t.Fatalf("created token view: %v", created)
			}
			feedTok := created["token"].(string)
			// The publisher's first version comes a moment after start: the
			// long-poll (with the feed token, itself a feed read) waits for it.
			c.want(c.raw("GET", "/feed/v1/operators/jazz/wait?after=0&timeout=20", feedTok, "", nil), 200)
			c.want(c.raw("GET", "/feed/v1/operators/jazz/notification.jose", feedTok, "", nil), 200)
			c.want(c.raw("GET", "/feed/v1/operators/ptcl/notification.jose", feedTok, "", nil), 404)
			if me := c.want(c.do("GET", "/api/v1/me", feedTok, nil), 200).json(t); me["user"].(map[string]any)["operator_id"] != "jazz" {
				t.Fatalf("/api/v1/me with the feed token: %v", me)
			}
			for _, r := range []struct{ method, path string }{
				{"GET", "/api/v1/operator/checks"},
				{"GET", "/api/v1/applications"},
				{"GET", "/api/v1/tokens"},
				{"POST", "/api/v1/tokens"},
				{"POST", "/api/v1/me/totp"},
			} {
				var body any
				if r.path == "/api/v1/tokens" {
					body = map[string]any{"name": "escalate"}
				}
				res := c.want(c.do(r.method, r.path, feedTok, body), 403)
				if !strings.Contains(string(res.body), "feed scope") {
					t.Errorf("%s %s: %s", r.method, r.path, res.body)
				}
			}
			// The routes openapi.json says take no user token.
			var doc struct {
				Paths map[string]map[string]struct {
					Security *[]map[string][]string `json:"security"`
				} `json:"paths"`
			}
			if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
				t.Fatal(err)
			}
			public := map[string]bool{}
			for path, ops := range doc.Paths {
				for method, op := range ops {
					if op.Security != nil && !strings.Contains(fmt.Sprint(*op.Security), "bearer") {
						public[strings.ToUpper(method)+" "+path] = true
					}
				}
			}
			if !public["POST /api/v1/login"] || public["POST /api/v1/logout"] {
				t.Fatalf("public routes: %v", public)
			}
			// Every other route refuses it at the one authentication step,
			// before reading a body or a path value: logout too (the token
			// could revoke itself), and whatever route is added later.
			for _, route := range api.Routes() {
				method, path, _ := strings.Cut(route, " ")
				if strings.HasPrefix(path, "/feed/v1/") || route == "GET /api/v1/me" || public[route] {
					continue
				}
				path = strings.NewReplacer("{id}", "x", "{doc}", "x", "{number}", "x", "{operator}", "jazz", "{name}", "x").Replace(path)
				res := c.raw(method, path, feedTok, "", nil)
				if res.status != 403 || !strings.Contains(string(res.body), "feed scope") {
					t.Errorf("%s with the feed token: %d %s", route, res.status, res.body)
				}
			}
			// Still valid: nothing revoked it.
			c.want(c.do("GET", "/api/v1/me", feedTok, nil), 200)
			// A full-access token still does all of it.
			full := c.want(c.do("POST", "/api/v1/tokens", jazz, map[string]any{"name": "admin script"}), 201).json(t)
			if _, ok := full["scope"]; ok {
				t.Fatalf("a full-access token shows a scope: %v", full)
			}
			c.want(c.do("GET", "/api/v1/operator/checks", full["token"].(string), nil), 200)
			listed := c.want(c.do("GET", "/api/v1/tokens", jazz, nil), 200).list(t)
			scoped := 0
			for _, v := range listed {
				if v["scope"] == "feed" {
					scoped++
				}
			}
			if scoped != 1 {
				t.Fatalf("token list: %v", listed)
			}
			// Only operators; only known scopes.
			c.want(c.do("POST", "/api/v1/tokens", c.login("reviewer@demo.test"), map[string]any{"name": "x", "scope": "feed"}), 422)
			c.want(c.do("POST", "/api/v1/tokens", jazz, map[string]any{"name": "x", "scope": "admin"}), 422)
		})
	}
}
