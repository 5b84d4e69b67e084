package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestRenewAndAmendAPI walks a renewal and an amendment through the API on
// an injected clock: the registration's window in GET, 409 outside it and
// for a second open change, the reviewer's diff, the give-up that takes
// effect at once, and approvals that keep the number.
func TestRenewAndAmendAPI(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			clock := testbin.NewClock(time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC))
			c := newClient(t, kind, func(cfg *registry.Config) { cfg.Now = clock.Now })
			alice := signup(c, "renew@zaitoon.pk", "company")
			id := c.want(c.do("POST", "/api/v1/applications", alice, map[string]any{
				"category": "company_vpn", "operator_id": "ptcl", "addresses": []string{"14.1.104.0/24", "14.1.105.0/24"},
				"subscriber_id": "PTCL-0042-771", "vpn": map[string]any{"protocol": "ipsec"}, "purpose": "Developers reach the client's build servers.",
			}), 201).json(t)["id"].(string)
			testDocuments(t, c, alice, id)
			c.want(c.do("POST", "/api/v1/applications/"+id+"/submit", alice, nil), 200)
			ptcl := c.login("operator.ptcl@demo.test")
			answerAll := func(want []string) {
				t.Helper()
				checks := c.want(c.do("GET", "/api/v1/operator/checks", ptcl, nil), 200).list(t)
				if len(checks) != 1 {
					t.Fatalf("checks = %v", checks)
				}
				var got []string
				for _, a := range checks[0]["addresses"].([]any) {
					got = append(got, a.(string))
				}
				if !slices.Equal(got, want) {
					t.Errorf("operator asked about %v, want %v", got, want)
				}
				c.want(c.do("POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), ptcl, map[string]string{"result": "confirmed"}), 200)
			}
			answerAll([]string{"14.1.104.0/24", "14.1.105.0/24"})
			reviewer := c.login("reviewer@demo.test")
			reg := c.want(c.do("POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "approve", "valid_days": 90}), 200).json(t)["registration"].(map[string]any)
			number, until := reg["number"].(string), reg["valid_until"].(string)

			got := c.want(c.do("GET", "/api/v1/registrations/"+number, alice, nil), 200).json(t)
			ch := got["changes"].(map[string]any)
			if ch["can_renew"] != false || ch["can_amend"] != true || !strings.Contains(ch["renew_blocked"].(string), "can be renewed from") {
				t.Errorf("changes before the window = %v", ch)
			}
			c.want(c.do("POST", "/api/v1/registrations/"+number+"/renewal", alice, nil), 409)

			// Give one address up: 200, no application, gone at once.
			res := c.want(c.do("POST", "/api/v1/registrations/"+number+"/amendment", alice, map[string]any{"remove": []string{"14.1.105.0/24"}}), 200).json(t)
			if _, ok := res["application"]; ok || len(res["registration"].(map[string]any)["addresses"].([]any)) != 1 {
				t.Errorf("give-up = %v", res)
			}
			if res := c.want(c.do("POST", "/api/v1/registrations/"+number+"/amendment", alice, map[string]any{"add": []string{"10.0.0.0/24"}}), 422); res.errorField(t, "add[0]") == "" {
				t.Errorf("private address: %s", res.body)
			}
			// Add one: 201 with the amendment; a second change is refused.
			am := c.want(c.do("POST", "/api/v1/registrations/"+number+"/amendment", alice, map[string]any{"add": []string{"14.1.106.0/24"}}), 201).json(t)["application"].(map[string]any)
			if am["kind"] != "amendment" || am["for_registration"] != number || am["state"] != "operator_check" {
				t.Errorf("amendment = %v", am)
			}
			if res := c.want(c.do("POST", "/api/v1/registrations/"+number+"/amendment", alice, map[string]any{"add": []string{"14.1.107.0/24"}}), 409); !strings.Contains(string(res.body), "already has an open amendment") {
				t.Errorf("second amendment: %s", res.body)
			}
			c.want(c.do("POST", "/api/v1/registrations/"+number+"/amendment", signup(c, "mallory@example.pk", "company"), map[string]any{"remove": []string{"14.1.104.0/24"}}), 404)
			answerAll([]string{"14.1.106.0/24"})
			q := c.want(c.do("GET", "/api/v1/review/queue", reviewer, nil), 200).list(t)
			if len(q) != 1 || q[0]["kind"] != "amendment" {
				t.Fatalf("queue = %v", q)
			}
			diff := q[0]["change"].(map[string]any)
			if diff["added"].([]any)[0] != "14.1.106.0/24" || diff["unchanged"].([]any)[0] != "14.1.104.0/24" || len(diff["removed"].([]any)) != 0 {
				t.Errorf("diff = %v", diff)
			}
			dec := c.want(c.do("POST", "/api/v1/applications/"+am["id"].(string)+"/decision", reviewer, map[string]any{"decision": "approve"}), 200).json(t)
			if r := dec["registration"].(map[string]any); r["number"] != number || r["valid_until"] != until || len(r["addresses"].([]any)) != 2 {
				t.Errorf("amended = %v", r)
			}

			// In the window: renew with no change, straight to review.
			clock.Add(80 * 24 * time.Hour)
			// Logins have expired meanwhile.
			alice = c.want(c.do("POST", "/api/v1/login", "", map[string]string{"email": "renew@zaitoon.pk", "password": "correct horse battery"}), 200).json(t)["token"].(string)
			reviewer = c.login("reviewer@demo.test")
			ren := c.want(c.do("POST", "/api/v1/registrations/"+number+"/renewal", alice, map[string]any{"category": "call_center"}), 422)
			if ren.errorField(t, "category") == "" {
				t.Errorf("renewal changing the category: %s", ren.body)
			}
			rn := c.want(c.do("POST", "/api/v1/registrations/"+number+"/renewal", alice, map[string]any{"purpose": "Developers reach the build servers, renewed."}), 201).json(t)
			if rn["kind"] != "renewal" || rn["state"] != "review" || len(rn["addresses"].([]any)) != 2 {
				t.Fatalf("renewal = %v", rn)
			}
			dec = c.want(c.do("POST", "/api/v1/applications/"+rn["id"].(string)+"/decision", reviewer, map[string]any{"decision": "approve", "valid_days": 365}), 200).json(t)
			old, _ := time.Parse(time.RFC3339, until)
			if r := dec["registration"].(map[string]any); r["number"] != number || r["valid_until"] != old.AddDate(0, 0, 365).Format(time.RFC3339Nano) {
				t.Errorf("renewed = %v, want until %s", r, old.AddDate(0, 0, 365))
			}
			tl := c.want(c.do("GET", "/api/v1/applications/"+rn["id"].(string), alice, nil), 200).json(t)["timeline"].([]any)
			if tl[1].(map[string]any)["type"] != "renewal_submitted" {
				t.Errorf("timeline = %v", tl)
			}
			st := c.want(c.do("GET", "/api/v1/stats", c.login("reviewer@demo.test"), nil), 200).json(t)
			if k := st["applications_by_kind"].(map[string]any); k["renewal"] != float64(1) || k["amendment"] != float64(1) {
				t.Errorf("stats by kind = %v", k)
			}
		})
	}
}

// TestRenewalChangeAPI: the tester's examples through the API. A renewal
// naming another subscriber goes to the operator with every address and
// shows the subscriber in `change`; a rejected renewal under appeal
// blocks a second renewal with a 409 naming the appeal; an amendment past
// max_items is a 422 on add.
func TestRenewalChangeAPI(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			clock := testbin.NewClock(time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC))
			c := newClient(t, kind, func(cfg *registry.Config) { cfg.Now = clock.Now })
			alice := signup(c, "subscriber@zaitoon.pk", "company")
			id := c.want(c.do("POST", "/api/v1/applications", alice, map[string]any{
				"category": "company_vpn", "operator_id": "ptcl", "addresses": []string{"14.1.104.0/24", "14.1.105.0/24"},
				"subscriber_id": "PTCL-0042-771", "vpn": map[string]any{"protocol": "ipsec"}, "purpose": "Developers reach the client's build servers.",
			}), 201).json(t)["id"].(string)
			testDocuments(t, c, alice, id)
			c.want(c.do("POST", "/api/v1/applications/"+id+"/submit", alice, nil), 200)
			ptcl := c.login("operator.ptcl@demo.test")
			answer := func() []any {
				t.Helper()
				checks := c.want(c.do("GET", "/api/v1/operator/checks", ptcl, nil), 200).list(t)
				if len(checks) != 1 {
					t.Fatalf("checks = %v", checks)
				}
				c.want(c.do("POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), ptcl, map[string]string{"result": "confirmed"}), 200)
				return checks[0]["addresses"].([]any)
			}
			answer()
			reviewer := c.login("reviewer@demo.test")
			number := c.want(c.do("POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "approve", "valid_days": 30}), 200).json(t)["registration"].(map[string]any)["number"].(string)

			rn := c.want(c.do("POST", "/api/v1/registrations/"+number+"/renewal", alice, map[string]any{"subscriber_id": "PTCL-9999-SOMEONE-ELSE"}), 201).json(t)
			if rn["state"] != "operator_check" {
				t.Fatalf("renewal with another subscriber = %v; want operator_check", rn)
			}
			if got := answer(); len(got) != 2 {
				t.Errorf("operator asked about %v, want both addresses", got)
			}
			q := c.want(c.do("GET", "/api/v1/review/queue", reviewer, nil), 200).list(t)
			if len(q) != 1 {
				t.Fatalf("queue = %v", q)
			}
			if ch := q[0]["change"].(map[string]any); ch["subscriber_before"] != "PTCL-0042-771" || ch["subscriber_after"] != "PTCL-9999-SOMEONE-ELSE" {
				t.Errorf("change = %v", ch)
			}
			c.want(c.do("POST", "/api/v1/applications/"+rn["id"].(string)+"/decision", reviewer, map[string]any{"decision": "reject", "reason_code": "address_not_held"}), 200)
			ap := c.want(c.do("POST", "/api/v1/applications/"+rn["id"].(string)+"/appeal", alice, map[string]string{"statement": "The circuit moved to our new account; the letter is attached."}), 201).json(t)
			res := c.want(c.do("POST", "/api/v1/registrations/"+number+"/renewal", alice, map[string]any{}), 409)
			if !strings.Contains(string(res.body), ap["id"].(string)) || !strings.Contains(string(res.body), "appeal") {
				t.Errorf("second renewal under appeal: %s", res.body)
			}

			// max_items 3: two held, adding two is refused on add.
			admin := c.login("admin@demo.test")
			c.want(c.do("PUT", "/api/v1/admin/settings", admin, map[string]any{"max_items": 3}), 200)
			sup := c.login("supervisor@demo.test")
			c.want(c.do("POST", "/api/v1/appeals/"+ap["id"].(string)+"/decision", sup, map[string]any{"decision": "uphold", "note": "The operator did not confirm the new subscriber."}), 200)
			res = c.want(c.do("POST", "/api/v1/registrations/"+number+"/amendment", alice, map[string]any{"add": []string{"14.1.106.0/24", "14.1.107.0/24"}}), 422)
			if msg := res.errorField(t, "add"); !strings.Contains(msg, "limit of 3") || !strings.Contains(msg, "add at most 1") {
				t.Errorf("amendment past max_items: %s", res.body)
			}
		})
	}
}
