package main_test

import (
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestAppealBlocksDeletion is the tester's report through the real binary:
// a rejected applicant with a pending appeal could delete the account, and
// the appeal then made an active registration nobody held. Now the
// deletion is refused while the appeal waits (the right password not
// counted against the limit), the export carries the appeal, and the
// appeal's decision goes ahead for a live account.
func TestAppealBlocksDeletion(t *testing.T) {
	p := start(t, nil, "--demo", "--data-dir", t.TempDir())
	p.call("POST", "/api/v1/signup", "", map[string]string{"email": "appellant@example.pk", "password": "correct horse battery",
		"kind": "company", "name": "Lahore Soft (Pvt) Ltd", "cnic": "35202-7654321-1", "mobile": "0321-7654321", "ntn": "1234567-0"}, 201)
	alice := p.login("appellant@example.pk", "correct horse battery")
	app := p.call("POST", "/api/v1/applications", alice, map[string]any{"category": "company_vpn", "operator_id": "nayatel",
		"subscriber_id": "NT-4411", "addresses": []string{"27.255.0.0/24"},
		"vpn": map[string]any{"protocol": "wireguard"}, "purpose": "Engineers reach customer systems in Europe."}, 201)
	id := app["id"].(string)
	testbin.UploadRequired(t, p.base, alice, id, registry.CategoryCompany)
	p.call("POST", "/api/v1/applications/"+id+"/submit", alice, nil, 200)
	op := p.login("operator.nayatel@demo.test", "demo-password-1")
	checks := p.list("/api/v1/operator/checks", op)
	p.call("POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), op, map[string]string{"result": "confirmed"}, 200)
	reviewer := p.login("reviewer@demo.test", "demo-password-1")
	p.call("POST", "/api/v1/applications/"+id+"/decision", reviewer, map[string]any{"decision": "reject", "reason_code": "insufficient_purpose"}, 200)
	ap := p.call("POST", "/api/v1/applications/"+id+"/appeal", alice, map[string]string{"statement": "The contract is attached."}, 201)
	if ap["holder_name"] != "Lahore Soft (Pvt) Ltd" {
		t.Errorf("appeal answer holder_name = %v", ap["holder_name"])
	}

	for i := 0; i < 6; i++ {
		body := string(testbin.Call(t, p.base, "POST", "/api/v1/me/delete", alice, map[string]any{"password": "correct horse battery", "confirm": true}, 409))
		if !strings.Contains(body, "appeal") || !strings.Contains(body, id) {
			t.Fatalf("refusal does not name the appeal: %s", body)
		}
	}
	export := string(testbin.Call(t, p.base, "GET", "/api/v1/me/export", alice, nil, 200))
	if !strings.Contains(export, `"appeals"`) || !strings.Contains(export, "The contract is attached.") {
		t.Errorf("the export leaves out the appeal")
	}

	sup := p.login("supervisor@demo.test", "demo-password-1")
	dec := p.call("POST", "/api/v1/appeals/"+ap["id"].(string)+"/decision", sup, map[string]string{"decision": "overturn", "outcome": "approve"}, 200)
	reg, _ := dec["registration"].(map[string]any)
	if reg == nil || reg["holder_name"] != "Lahore Soft (Pvt) Ltd" {
		t.Fatalf("overturned: %v", dec)
	}
	// Now the account holds it: deletion waits for a surrender, as before.
	body := string(testbin.Call(t, p.base, "POST", "/api/v1/me/delete", alice, map[string]any{"password": "correct horse battery", "confirm": true}, 409))
	if !strings.Contains(body, reg["number"].(string)) {
		t.Errorf("refusal does not name the registration: %s", body)
	}
}
