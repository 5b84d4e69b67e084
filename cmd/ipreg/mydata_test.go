package main_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestDeleteAccountThenAuditVerify: against the real binary, an applicant
// exports their data and deletes the account; afterwards ipreg audit verify
// still finds the chain intact, and the e-mail address signs up again.
func TestDeleteAccountThenAuditVerify(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			env := []string{"IPREG_DATA_DIR=" + t.TempDir()}
			if kind == "postgres" {
				env = append(env, "IPREG_DB="+storetest.DSN(t, kind))
			}
			p := start(t, env, "--demo")
			signup := map[string]string{"email": "owner@lahore-dev.pk", "password": "correct horse battery",
				"kind": "individual", "name": "Ayesha Khan", "cnic": "35202-7654321-2", "mobile": "0333-1234567"}
			p.call("POST", "/api/v1/signup", "", signup, 201)
			tok := p.login("owner@lahore-dev.pk", "correct horse battery")
			id := p.call("POST", "/api/v1/applications", tok, map[string]any{"category": "freelancer_vpn", "operator_id": "ptcl",
				"subscriber_id": "PTCL-31337", "addresses": []string{"14.1.130.0/24"}, "vpn": map[string]any{"protocol": "openvpn"},
				"purpose": "Client work."}, 201)["id"].(string)
			testbin.UploadRequired(t, p.base, tok, id, registry.CategoryFreelancer)

			x := testbin.Object(testbin.Call(t, p.base, "GET", "/api/v1/me/export", tok, nil, 200))
			if x["format"] != "ipreg-data-export/1" || len(x["applications"].([]any)) != 1 {
				t.Fatalf("export = %v", x)
			}
			d := p.call("POST", "/api/v1/me/delete", tok, map[string]any{"password": "correct horse battery", "confirm": true}, 200)
			if d["documents_purged"] != 3.0 {
				t.Errorf("deletion = %v", d)
			}
			p.call("GET", "/api/v1/me", tok, nil, 401)
			p.call("POST", "/api/v1/signup", "", signup, 201)

			p.Cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.Done:
			case <-time.After(40 * time.Second):
				t.Fatal("did not exit after SIGTERM")
			}
			if out := ipreg(t, env, "", "audit", "verify"); !strings.Contains(out, "chain intact") {
				t.Errorf("audit verify after an account deletion: %s", out)
			}
		})
	}
}
