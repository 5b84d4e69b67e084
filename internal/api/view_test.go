package api_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// Every write that answers with an application answers the view GET
// /api/v1/applications/{id} gives the same user at that moment: the
// timeline, the documents and missing_documents, the appeals. A client
// that creates a draft learns from the answer what it still needs.
func TestWritesAnswerTheView(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, kind)
			alice := signup(c, "view@example.pk", "company")
			reviewer := c.login("reviewer@demo.test")
			ptcl := c.login("operator.ptcl@demo.test")
			same := func(what string, answer map[string]any, token, id string) {
				t.Helper()
				get := c.want(c.do("GET", "/api/v1/applications/"+id, token, nil), 200).json(t)
				if !reflect.DeepEqual(answer, get) {
					a, _ := json.MarshalIndent(answer, "", " ")
					g, _ := json.MarshalIndent(get, "", " ")
					t.Errorf("%s answers another view than GET:\n%s\nGET:\n%s", what, a, g)
				}
			}
			draft := map[string]any{"category": "company_vpn", "operator_id": "ptcl", "subscriber_id": "PTCL-7",
				"addresses": []string{"14.1.104.0/24"}, "vpn": map[string]any{"protocol": "wireguard"}, "purpose": "Staff reach the office."}

			created := c.want(c.do("POST", "/api/v1/applications", alice, draft), 201).json(t)
			id := created["id"].(string)
			if missing, _ := created["missing_documents"].([]any); len(missing) != len(registry.RequiredDocuments(registry.CategoryCompany)) {
				t.Errorf("a new draft's answer lists missing_documents %v; want every required one", created["missing_documents"])
			}
			same("POST /applications", created, alice, id)
			same("PATCH /applications/{id}", c.want(c.do("PATCH", "/api/v1/applications/"+id, alice, map[string]any{"subscriber_id": "PTCL-8"}), 200).json(t), alice, id)
			testbin.UploadRequired(t, c.base, alice, id, registry.CategoryCompany)
			same("POST /applications/{id}/submit", c.want(c.do("POST", "/api/v1/applications/"+id+"/submit", alice, nil), 200).json(t), alice, id)
			checks := c.want(c.do("GET", "/api/v1/operator/checks", ptcl, nil), 200).list(t)
			c.want(c.do("POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), ptcl, map[string]string{"result": "confirmed"}), 200)
			ret := c.want(c.do("POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "return", "note": "Give the subscriber ID as on the bill."}), 200).json(t)
			same("POST /applications/{id}/decision (return)", ret["application"].(map[string]any), reviewer, id)
			same("POST /applications/{id}/submit (again)", c.want(c.do("POST", "/api/v1/applications/"+id+"/submit", alice, nil), 200).json(t), alice, id)
			approved := c.want(c.do("POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "approve"}), 200).json(t)
			same("POST /applications/{id}/decision (approve)", approved["application"].(map[string]any), reviewer, id)

			// A rejection, appealed and overturned to a return: both
			// decisions answer the view.
			draft["addresses"] = []string{"14.1.105.0/24"}
			third := c.want(c.do("POST", "/api/v1/applications", alice, draft), 201).json(t)["id"].(string)
			testbin.UploadRequired(t, c.base, alice, third, registry.CategoryCompany)
			c.want(c.do("POST", "/api/v1/applications/"+third+"/submit", alice, nil), 200)
			checks = c.want(c.do("GET", "/api/v1/operator/checks", ptcl, nil), 200).list(t)
			c.want(c.do("POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), ptcl, map[string]string{"result": "confirmed"}), 200)
			rej := c.want(c.do("POST", "/api/v1/applications/"+third+"/decision", reviewer, map[string]any{"decision": "reject", "reason_code": "insufficient_purpose"}), 200).json(t)
			same("POST /applications/{id}/decision (reject)", rej["application"].(map[string]any), reviewer, third)
			ap := c.want(c.do("POST", "/api/v1/applications/"+third+"/appeal", alice, map[string]string{"statement": "The purpose is the staff's remote work."}), 201).json(t)
			supervisor := c.login("supervisor@demo.test")
			dec := c.want(c.do("POST", "/api/v1/appeals/"+ap["id"].(string)+"/decision", supervisor, map[string]any{"decision": "overturn", "outcome": "return", "note": "Say which systems staff reach."}), 200).json(t)
			same("POST /appeals/{id}/decision", dec["application"].(map[string]any), supervisor, third)

			other := c.want(c.do("POST", "/api/v1/applications", alice, map[string]any{"category": "company_vpn"}), 201).json(t)
			same("POST /applications/{id}/withdraw", c.want(c.do("POST", "/api/v1/applications/"+other["id"].(string)+"/withdraw", alice, nil), 200).json(t), alice, other["id"].(string))
		})
	}
}
