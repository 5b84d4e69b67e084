package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// inReview files a complete company_vpn application for token's account
// and has PTCL confirm it; it returns the application's id.
func (c *client) inReview(token, addr string) string {
	c.t.Helper()
	id := c.want(c.do("POST", "/api/v1/applications", token, map[string]any{
		"category": "company_vpn", "operator_id": "ptcl", "addresses": []string{addr}, "subscriber_id": "PTCL-0042-771",
		"vpn":     map[string]any{"protocol": "ipsec", "endpoints": []string{"vpn.example.pk"}},
		"purpose": "Developers reach the client's build servers.",
	}), 201).json(c.t)["id"].(string)
	for _, k := range []string{"cnic_front", "cnic_back", "incorporation_proof"} {
		c.want(c.upload(token, id, k, k+".pdf", testbin.PDF(k)), 201)
	}
	c.want(c.do("POST", "/api/v1/applications/"+id+"/submit", token, nil), 200)
	ptcl := c.login("operator.ptcl@demo.test")
	for _, ch := range c.want(c.do("GET", "/api/v1/operator/checks", ptcl, nil), 200).list(c.t) {
		if ch["application_id"] == id {
			c.want(c.do("POST", "/api/v1/operator/checks/"+ch["id"].(string), ptcl, map[string]string{"result": "confirmed"}), 200)
		}
	}
	return id
}

// testAppeals walks an appeal through the API: the rejected applicant
// appeals, the supervisor who rejected cannot decide, another decision
// overturns it into a registration.
func testAppeals(t *testing.T, c *client) {
	carol := signup(c, "carol@appeal.pk", "company")
	reviewer, supervisor := c.login("reviewer@demo.test"), c.login("supervisor@demo.test")
	id := c.inReview(carol, "202.165.224.0/24")
	c.want(c.do("POST", "/api/v1/applications/"+id+"/appeal", carol, map[string]string{"statement": "x"}), 409)
	c.want(c.do("POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "reject", "reason_code": "insufficient_purpose"}), 200)
	app := c.want(c.do("GET", "/api/v1/applications/"+id, carol, nil), 200).json(t)
	if app["appeal_by"] == nil {
		t.Fatalf("rejected application without appeal_by: %v", app)
	}
	if res := c.want(c.do("POST", "/api/v1/applications/"+id+"/appeal", carol, map[string]string{"statement": " "}), 422); !strings.Contains(res.errorField(t, "statement"), "is required") {
		t.Errorf("empty statement: %s", res.body)
	}
	c.want(c.do("POST", "/api/v1/applications/"+id+"/appeal", carol, map[string]any{"statement": "x", "extra": 1}), 400)
	c.want(c.do("POST", "/api/v1/applications/"+id+"/appeal", signup(c, "dave@appeal.pk", "company"), map[string]string{"statement": "x"}), 404)
	res := c.want(c.do("POST", "/api/v1/applications/"+id+"/appeal", carol, map[string]string{"statement": "The build servers are the client's; the contract is attached."}), 201)
	ap := res.json(t)
	apID := ap["id"].(string)
	if res.header.Get("Location") != "/api/v1/appeals/"+apID || ap["state"] != "pending" {
		t.Errorf("appeal = %v, Location %q", ap, res.header.Get("Location"))
	}
	c.want(c.do("POST", "/api/v1/applications/"+id+"/appeal", carol, map[string]string{"statement": "again"}), 409)
	c.want(c.upload(carol, id, "incorporation_proof", "secp-certificate.pdf", testbin.PDF("contract")), 201)

	c.want(c.do("GET", "/api/v1/appeals", reviewer, nil), 403)
	c.want(c.do("GET", "/api/v1/appeals?state=nope", supervisor, nil), 422)
	if l := c.want(c.do("GET", "/api/v1/appeals", supervisor, nil), 200).list(t); len(l) != 1 || l[0]["id"] != apID {
		t.Fatalf("appeals = %v", l)
	}
	c.want(c.do("GET", "/api/v1/appeals/"+apID, carol, nil), 200)
	c.want(c.do("GET", "/api/v1/appeals/"+apID, c.login("operator.ptcl@demo.test"), nil), 403)
	c.want(c.do("GET", "/api/v1/appeals/"+apID, supervisor, nil), 200)
	c.want(c.do("POST", "/api/v1/appeals/"+apID+"/decision", supervisor, map[string]any{"decision": "overturn"}), 422)
	dec := c.want(c.do("POST", "/api/v1/appeals/"+apID+"/decision", supervisor, map[string]any{"decision": "overturn", "outcome": "approve", "valid_days": 90}), 200).json(t)
	if dec["appeal"].(map[string]any)["state"] != "overturned" || dec["application"].(map[string]any)["state"] != "approved" || dec["registration"] == nil {
		t.Fatalf("decision = %v", dec)
	}
	c.want(c.do("POST", "/api/v1/appeals/"+apID+"/decision", supervisor, map[string]any{"decision": "uphold", "note": "x"}), 409)

	// Maker-checker: the supervisor who rejected cannot decide the appeal.
	id2 := c.inReview(carol, "202.165.225.0/24")
	c.want(c.do("POST", "/api/v1/applications/"+id2+"/decision", supervisor, map[string]any{"decision": "reject", "reason_code": "fee_unpaid"}), 200)
	ap2 := c.want(c.do("POST", "/api/v1/applications/"+id2+"/appeal", carol, map[string]string{"statement": "The fee was paid."}), 201).json(t)["id"].(string)
	if res := c.want(c.do("POST", "/api/v1/appeals/"+ap2+"/decision", supervisor, map[string]any{"decision": "uphold", "note": "No payment."}), 403); !strings.Contains(string(res.body), "maker-checker") {
		t.Errorf("own decision: %s", res.body)
	}
	if all := c.want(c.do("GET", "/api/v1/appeals?state=all", supervisor, nil), 200).list(t); len(all) != 2 {
		t.Errorf("all appeals = %d", len(all))
	}
	c.want(c.do("GET", "/api/v1/review/overdue", reviewer, nil), 403)
	c.want(c.do("GET", "/api/v1/review/overdue", supervisor, nil), 200)
	st := c.want(c.do("GET", "/api/v1/stats", supervisor, nil), 200).json(t)
	if by := st["appeals_by_state"].(map[string]any); by["overturned"] != float64(1) || by["pending"] != float64(1) {
		t.Errorf("stats appeals = %v", by)
	}
}

// TestAPIOverdue lets the clock run past an application's SLA due time:
// the supervisors' overdue list shows it (not yet escalated: the job has
// not run; the registry's tests run it).
func TestAPIOverdue(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			// Monday 23 November 2026, 10:00 PKT.
			clock := testbin.NewClock(time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC))
			c := newClient(t, kind, func(cfg *registry.Config) { cfg.Now = clock.Now })
			erin := signup(c, "erin@overdue.pk", "company")
			id := c.inReview(erin, "202.165.226.0/24")
			supervisor := c.login("supervisor@demo.test")
			od := c.want(c.do("GET", "/api/v1/review/overdue", supervisor, nil), 200).json(t)
			if len(od["applications"].([]any)) != 0 {
				t.Fatalf("overdue before due = %v", od)
			}
			clock.Add(25 * time.Hour) // Tuesday 11:00 PKT: an hour past due
			supervisor = c.login("supervisor@demo.test")
			od = c.want(c.do("GET", "/api/v1/review/overdue", supervisor, nil), 200).json(t)
			apps := od["applications"].([]any)
			if len(apps) != 1 || apps[0].(map[string]any)["application"].(map[string]any)["id"] != id || apps[0].(map[string]any)["escalated_at"] != nil {
				t.Fatalf("overdue = %v", od)
			}
		})
	}
}
