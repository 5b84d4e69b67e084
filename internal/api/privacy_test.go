package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// signupAs opens an account with its own CNIC and NTN (one account per
// CNIC or NTN) and returns a session token.
func signupAs(c *client, email, kind, cnic, ntn string) string {
	c.t.Helper()
	body := map[string]string{"email": email, "password": "correct horse battery", "kind": kind,
		"name": "Holder " + email, "cnic": cnic, "mobile": "+92 300 1234567"}
	if kind == "company" {
		body["ntn"] = ntn
	}
	c.want(c.do("POST", "/api/v1/signup", "", body), 201)
	res := c.want(c.do("POST", "/api/v1/login", "", map[string]string{"email": email, "password": "correct horse battery"}), 200)
	return res.json(c.t)["token"].(string)
}

// fileApp creates a complete company_vpn application with its documents
// and returns its id; it is left a draft.
func fileApp(c *client, token, operator string, addrs ...string) string {
	c.t.Helper()
	id := c.want(c.do("POST", "/api/v1/applications", token, map[string]any{
		"category": "company_vpn", "operator_id": operator, "addresses": addrs, "subscriber_id": "SUB-1",
		"vpn":     map[string]any{"protocol": "wireguard", "endpoints": []string{"vpn.example.pk"}},
		"purpose": "Staff reach the head office systems from home.",
	}), 201).json(c.t)["id"].(string)
	for _, r := range registry.RequiredDocuments(registry.CategoryCompany) {
		k := string(r.Kinds[0])
		c.want(c.upload(token, id, k, k+".pdf", testbin.PDF(k)), 201)
	}
	return id
}

// TestOverlapPrivacy follows every API response that carries an
// application or a check, for every kind of viewer, and fails if one
// names what another account holds (issue 11 §6): the applicant learns
// that an overlap exists, an operator learns what concerns its own
// subscribers, staff see all.
func TestOverlapPrivacy(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, kind)
			alice := signupAs(c, "alice@example.pk", "company", "35202-1000001-1", "1000001-1")
			bob := signupAs(c, "bob@example.pk", "company", "35202-2000002-2", "2000002-2")
			carol := signupAs(c, "carol@example.pk", "company", "35202-3000003-3", "3000003-3")
			ptcl, nayatel := c.login("operator.ptcl@demo.test"), c.login("operator.nayatel@demo.test")
			reviewer, supervisor, admin := c.login("reviewer@demo.test"), c.login("supervisor@demo.test"), c.login("admin@demo.test")

			type resp struct {
				path, viewer string
				body         string
			}
			var seen []resp
			record := func(path, viewer string, r response) response {
				seen = append(seen, resp{path, viewer, string(r.body)})
				return r
			}
			checkFor := func(token, app string) string {
				for _, ch := range c.want(c.do("GET", "/api/v1/operator/checks", token, nil), 200).list(t) {
					if ch["application_id"] == app {
						return ch["id"].(string)
					}
				}
				t.Fatalf("no check for %s", app)
				return ""
			}

			// Bob holds 14.1.104.0/24 through PTCL, registered.
			b := fileApp(c, bob, "ptcl", "14.1.104.0/24")
			c.want(c.do("POST", "/api/v1/applications/"+b+"/submit", bob, nil), 200)
			c.want(c.do("POST", "/api/v1/operator/checks/"+checkFor(ptcl, b), ptcl, map[string]string{"result": "confirmed"}), 200)
			reg := c.want(c.do("POST", "/api/v1/applications/"+b+"/decision", reviewer, map[string]any{"decision": "approve"}), 200).
				json(t)["registration"].(map[string]any)["number"].(string)
			// Carol applied for 14.1.105.0/24 through Nayatel.
			cc := fileApp(c, carol, "nayatel", "14.1.105.0/24")
			c.want(c.do("POST", "/api/v1/applications/"+cc+"/submit", carol, nil), 200)

			// Alice asks, through PTCL, for an address of each; then,
			// through Nayatel, for Bob's again and her own (duplicate_own).
			a := record("create", "applicant", c.want(c.do("POST", "/api/v1/applications", alice, map[string]any{
				"category": "company_vpn", "operator_id": "ptcl", "addresses": []string{"14.1.104.5", "14.1.105.5"}, "subscriber_id": "SUB-1",
				"vpn":     map[string]any{"protocol": "wireguard", "endpoints": []string{"vpn.example.pk"}},
				"purpose": "Staff reach the head office systems from home.",
			}), 201)).json(t)["id"].(string)
			for _, r := range registry.RequiredDocuments(registry.CategoryCompany) {
				k := string(r.Kinds[0])
				c.want(c.upload(alice, a, k, k+".pdf", testbin.PDF(k)), 201)
			}
			record("submit", "applicant", c.want(c.do("POST", "/api/v1/applications/"+a+"/submit", alice, nil), 200))
			a2 := fileApp(c, alice, "nayatel", "14.1.104.0/25")
			record("submit", "applicant", c.want(c.do("POST", "/api/v1/applications/"+a2+"/submit", alice, nil), 200))

			// The operators check; the reviewer returns Alice's first.
			record("checks list", "ptcl", c.want(c.do("GET", "/api/v1/operator/checks", ptcl, nil), 200))
			record("check answer", "ptcl", c.want(c.do("POST", "/api/v1/operator/checks/"+checkFor(ptcl, a), ptcl, map[string]string{"result": "confirmed"}), 200))
			record("checks list", "nayatel", c.want(c.do("GET", "/api/v1/operator/checks", nayatel, nil), 200))
			record("check answer", "nayatel", c.want(c.do("POST", "/api/v1/operator/checks/"+checkFor(nayatel, a2), nayatel, map[string]string{"result": "confirmed"}), 200))
			record("queue", "reviewer", c.want(c.do("GET", "/api/v1/review/queue", reviewer, nil), 200))
			record("decision", "reviewer", c.want(c.do("POST", "/api/v1/applications/"+a+"/decision", reviewer,
				map[string]any{"decision": "return", "note": "Say which office uses the addresses."}), 200))

			// Alice reads, corrects, resubmits and withdraws.
			record("get", "applicant", c.want(c.do("GET", "/api/v1/applications/"+a, alice, nil), 200))
			record("get", "applicant", c.want(c.do("GET", "/api/v1/applications/"+a2, alice, nil), 200))
			record("list", "applicant", c.want(c.do("GET", "/api/v1/applications", alice, nil), 200))
			record("update", "applicant", c.want(c.do("PATCH", "/api/v1/applications/"+a, alice,
				map[string]any{"purpose": "Staff of the Lahore office reach the head office systems."}), 200))
			record("resubmit", "applicant", c.want(c.do("POST", "/api/v1/applications/"+a+"/submit", alice, nil), 200))
			record("withdraw", "applicant", c.want(c.do("POST", "/api/v1/applications/"+a2+"/withdraw", alice, nil), 200))

			// The operators and the regulator's staff read.
			record("get", "ptcl", c.want(c.do("GET", "/api/v1/applications/"+a, ptcl, nil), 200))
			record("list", "ptcl", c.want(c.do("GET", "/api/v1/applications", ptcl, nil), 200))
			record("get", "nayatel", c.want(c.do("GET", "/api/v1/applications/"+a2, nayatel, nil), 200))
			record("list", "nayatel", c.want(c.do("GET", "/api/v1/applications", nayatel, nil), 200))
			record("get", "staff", c.want(c.do("GET", "/api/v1/applications/"+a, supervisor, nil), 200))
			record("get", "staff", c.want(c.do("GET", "/api/v1/applications/"+a2, admin, nil), 200))
			record("list", "staff", c.want(c.do("GET", "/api/v1/applications", admin, nil), 200))
			record("queue", "reviewer", c.want(c.do("GET", "/api/v1/review/queue", reviewer, nil), 200))
			record("decision", "reviewer", c.want(c.do("POST", "/api/v1/applications/"+a+"/decision", reviewer, map[string]any{"decision": "approve"}), 200))
			// Alice amends her registration with an address overlapping
			// Carol's pending one: the amendment comes back cut as well.
			areg := c.want(c.do("GET", "/api/v1/applications/"+a, alice, nil), 200).json(t)["registration"].(string)
			record("amend", "applicant", c.want(c.do("POST", "/api/v1/registrations/"+areg+"/amendment", alice,
				map[string]any{"add": []string{"14.1.105.128/25"}}), 201))

			// What each viewer must not learn, and what it must (so that a
			// response without flags cannot pass).
			const generic = "overlaps an address or number that another account holds or has applied for"
			rules := map[string]struct{ never, must []string }{
				// Alice: not Bob's or Carol's application or registration;
				// her own other application she may see.
				"applicant": {never: []string{b, cc, reg}},
				// PTCL: Bob is its subscriber too (his registration may be
				// named); Carol's Nayatel application and Alice's Nayatel
				// one are not its business.
				"ptcl": {never: []string{cc, a2}},
				// Nayatel: Bob's PTCL registration and Alice's PTCL
				// application are not its business.
				"nayatel": {never: []string{b, reg, a}},
				"staff":   {},
			}
			must := []struct{ path, viewer, text string }{
				{"submit", "applicant", generic},
				{"submit", "applicant", "this account's application " + a}, // her own, in full (duplicate_own)
				{"get", "ptcl", reg},
				{"get", "nayatel", generic},
				{"get", "nayatel", "overlaps an address or number in another application of the same account"},
				{"get", "staff", reg},
				{"get", "staff", cc},
				{"get", "staff", a},
				{"queue", "reviewer", reg},
				{"decision", "reviewer", reg},
			}
			for _, r := range seen {
				rule, ok := rules[r.viewer]
				if !ok {
					continue
				}
				for _, s := range rule.never {
					if strings.Contains(r.body, s) {
						t.Errorf("%s as %s names %s: %s", r.path, r.viewer, s, r.body)
					}
				}
			}
			for _, m := range must {
				found := false
				for _, r := range seen {
					found = found || r.path == m.path && r.viewer == m.viewer && strings.Contains(r.body, m.text)
				}
				if !found {
					t.Errorf("no %s response to %s says %q", m.path, m.viewer, m.text)
				}
			}
		})
	}
}

// TestFlagCodesDocumented keeps openapi.json's flag codes (the Flag schema
// and the review queue's filter) equal to the registry's.
func TestFlagCodesDocumented(t *testing.T) {
	doc, _ := spec(t)
	var want []any
	for _, c := range registry.FlagCodes {
		want = append(want, c)
	}
	if got := doc.Components.Schemas["Flag"].Value.Properties["code"].Value.Enum; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Flag.code enum = %v, want %v", got, want)
	}
	p := doc.Paths.Find("/api/v1/review/queue").Get.Parameters.GetByInAndName("query", "flag")
	if p == nil || fmt.Sprint(p.Schema.Value.Enum) != fmt.Sprint(want) {
		t.Errorf("review queue flag parameter = %+v, want enum %v", p, want)
	}
}

// TestCheckListShowsWhatWasAsked is the tester's report on issue 11 §6:
// application X by B, confirmed by PTCL, returned, moved to Nayatel and
// edited. PTCL's GET /api/v1/operator/checks?state=confirmed must show
// what PTCL was asked (its subscriber ID and the old addresses), never
// Nayatel's subscriber ID or the new addresses; PTCL can no longer read X.
func TestCheckListShowsWhatWasAsked(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, kind)
			b := signupAs(c, "b@example.pk", "company", "35202-4000004-4", "4000004-4")
			ptcl, nayatel, reviewer := c.login("operator.ptcl@demo.test"), c.login("operator.nayatel@demo.test"), c.login("reviewer@demo.test")
			x := fileApp(c, b, "ptcl", "14.1.104.0/24")
			c.want(c.do("POST", "/api/v1/applications/"+x+"/submit", b, nil), 200)
			chk := c.want(c.do("GET", "/api/v1/operator/checks", ptcl, nil), 200).list(t)[0]["id"].(string)
			c.want(c.do("POST", "/api/v1/operator/checks/"+chk, ptcl, map[string]string{"result": "confirmed"}), 200)
			c.want(c.do("POST", "/api/v1/applications/"+x+"/decision", reviewer, map[string]any{"decision": "return", "note": "Is the circuit with Nayatel?"}), 200)
			c.want(c.do("PATCH", "/api/v1/applications/"+x, b, map[string]any{"operator_id": "nayatel", "subscriber_id": "NTL-9001",
				"addresses": []string{"14.1.200.0/24"}}), 200)
			c.want(c.do("POST", "/api/v1/applications/"+x+"/submit", b, nil), 200)

			for _, st := range []string{"confirmed", "pending", ""} {
				r := c.want(c.do("GET", "/api/v1/operator/checks?state="+st, ptcl, nil), 200)
				for _, s := range []string{"NTL-9001", "14.1.200.0"} {
					if strings.Contains(string(r.body), s) {
						t.Errorf("PTCL's checks (state %q) show X's data at Nayatel, %s: %s", st, s, r.body)
					}
				}
				if st == "confirmed" && (!strings.Contains(string(r.body), `"subscriber_id":"SUB-1"`) || !strings.Contains(string(r.body), "14.1.104.0/24")) {
					t.Errorf("PTCL's confirmed checks do not show what PTCL was asked: %s", r.body)
				}
			}
			c.want(c.do("GET", "/api/v1/applications/"+x, ptcl, nil), 404)
			r := c.want(c.do("GET", "/api/v1/operator/checks", nayatel, nil), 200)
			if !strings.Contains(string(r.body), `"subscriber_id":"NTL-9001"`) || !strings.Contains(string(r.body), "14.1.200.0/24") {
				t.Errorf("Nayatel's check does not show what Nayatel is asked: %s", r.body)
			}
		})
	}
}
