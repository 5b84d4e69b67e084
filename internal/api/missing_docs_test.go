package api_test

import (
	"testing"

	"github.com/ipreg/ipreg/internal/store/storetest"
)

// missing_documents is in an application's view only while it can still be
// submitted (a draft, or returned): not once it is withdrawn.
func TestMissingDocumentsOnlyWhileSubmittable(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			c := newClient(t, kind)
			alice := signupAs(c, "alice@example.pk", "company", "35202-1000001-1", "1000001-1")
			app := c.want(c.do("POST", "/api/v1/applications", alice, map[string]any{
				"category": "company_vpn", "operator_id": "ptcl", "addresses": []string{"14.1.104.0/24"},
			}), 201).json(t)
			id := app["id"].(string)
			if app["missing_documents"] == nil {
				t.Fatalf("a new draft has no missing_documents: %v", app)
			}
			withdrawn := c.want(c.do("POST", "/api/v1/applications/"+id+"/withdraw", alice, nil), 200).json(t)
			got := c.want(c.do("GET", "/api/v1/applications/"+id, alice, nil), 200).json(t)
			for what, v := range map[string]map[string]any{"withdraw's answer": withdrawn, "GET": got} {
				if v["state"] != "withdrawn" || v["missing_documents"] != nil {
					t.Errorf("%s of a withdrawn application: state %v, missing_documents %v", what, v["state"], v["missing_documents"])
				}
			}
		})
	}
}
