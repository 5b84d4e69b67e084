package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// testMyData: an applicant downloads their data and deletes the account.
func testMyData(t *testing.T, c *client) {
	carol := signup(c, "zara.mydata@example.pk", "individual")
	id := c.want(c.do("POST", "/api/v1/applications", carol, map[string]any{
		"category": "freelancer_vpn", "operator_id": "ptcl", "addresses": []string{"14.1.110.0/24"}, "subscriber_id": "PTCL-77-1",
		"purpose": "Client work from home.", "vpn": map[string]any{"protocol": "wireguard", "endpoints": []string{"vpn.example.com"}},
	}), 201).json(t)["id"].(string)
	testbin.UploadRequired(t, c.base, carol, id, registry.CategoryFreelancer)
	reviewer := c.login("reviewer@demo.test")
	c.want(c.do("GET", "/api/v1/applications/"+id, reviewer, nil), 200)
	c.want(c.do("GET", "/api/v1/me/export", reviewer, nil), 403)
	c.want(c.do("GET", "/api/v1/me/export", "", nil), 401)

	res := c.want(c.do("GET", "/api/v1/me/export", carol, nil), 200)
	if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="ipreg-data-`) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	var x struct {
		Format string `json:"format"`
		User   struct {
			Email string `json:"email"`
		} `json:"user"`
		Account struct {
			CNIC string `json:"cnic"`
		} `json:"account"`
		Applications []struct {
			ID       string `json:"id"`
			Timeline []any  `json:"timeline"`
		} `json:"applications"`
		Accesses map[string][]struct {
			ActorRole string `json:"actor_role"`
		} `json:"accesses"`
		Tokens []map[string]any `json:"tokens"`
		Audit  []struct {
			Action string `json:"action"`
		} `json:"audit"`
	}
	if err := json.Unmarshal(res.body, &x); err != nil {
		t.Fatal(err)
	}
	if x.Format != "ipreg-data-export/1" || x.User.Email != "zara.mydata@example.pk" || x.Account.CNIC == "" ||
		len(x.Applications) != 1 || x.Applications[0].ID != id || len(x.Applications[0].Timeline) == 0 ||
		len(x.Accesses[id]) != 1 || x.Accesses[id][0].ActorRole != "reviewer" || len(x.Tokens) != 1 || len(x.Audit) == 0 {
		t.Errorf("export = %s", res.body)
	}
	for _, secret := range []string{"password_hash", "totp_secret", `"hash":"sha256`, carol} {
		if strings.Contains(string(res.body), secret) {
			t.Errorf("export holds %q", secret)
		}
	}

	c.want(c.do("POST", "/api/v1/applications/"+id+"/submit", carol, nil), 200)
	if e := c.want(c.do("POST", "/api/v1/me/delete", carol, map[string]any{"password": "correct horse battery", "confirm": true}), 409); !strings.Contains(string(e.body), id) {
		t.Errorf("refusal does not name the pending application: %s", e.body)
	}
	c.want(c.do("POST", "/api/v1/applications/"+id+"/withdraw", carol, nil), 200)
	if e := c.want(c.do("POST", "/api/v1/me/delete", carol, map[string]any{"password": "wrong password here", "confirm": true}), 422); e.errorField(t, "password") == "" {
		t.Errorf("wrong password: %s", e.body)
	}
	if e := c.want(c.do("POST", "/api/v1/me/delete", carol, map[string]any{"password": "correct horse battery", "confirm": false}), 422); e.errorField(t, "confirm") == "" {
		t.Errorf("no confirmation: %s", e.body)
	}
	c.want(c.do("POST", "/api/v1/me/delete", reviewer, map[string]any{"password": "demo-password-1", "confirm": true}), 403)
	d := c.want(c.do("POST", "/api/v1/me/delete", carol, map[string]any{"password": "correct horse battery", "confirm": true}), 200).json(t)
	if d["deleted"] != true || d["documents_kept"] != 0.0 || d["documents_purged"] != 3.0 {
		t.Errorf("deletion = %v", d)
	}
	c.want(c.do("GET", "/api/v1/me", carol, nil), 401)
	c.want(c.do("POST", "/api/v1/login", "", map[string]string{"email": "zara.mydata@example.pk", "password": "correct horse battery"}), 401)
	// The registry keeps the application under its id, without carol.
	a := c.want(c.do("GET", "/api/v1/applications/"+id, reviewer, nil), 200).json(t)
	if a["holder_name"] != "" || a["subscriber_id"] != "" || a["purpose"] != "" {
		t.Errorf("application after deletion = %v", a)
	}
	// The e-mail address (and CNIC) may open an account again.
	signup(c, "zara.mydata@example.pk", "individual")
}
