package portal_test

import (
	"net/http"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// After each upload the form has moved on to the next document still
// missing, and once none is missing it starts from the first kind again.
func TestUploadPreselectsNextMissing(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	cat, op, sub, proto, purpose := "company_vpn", "ptcl", "PTCL-42", "wireguard", "Staff reach the office from home."
	addrs := []string{"14.1.104.0/24"}
	a, err := e.svc.CreateApplication(e.ctx, alice, registry.ApplicationInput{Category: &cat, OperatorID: &op, SubscriberID: &sub,
		Addresses: &addrs, VPNProtocol: &proto, Purpose: &purpose})
	if err != nil {
		t.Fatal(err)
	}
	reqs := registry.RequiredDocuments(a.Category)
	if len(reqs) < 2 {
		t.Fatalf("company_vpn needs %d documents; the test needs two or more", len(reqs))
	}
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	path := "/applications/" + a.ID
	chosen := func() string {
		t.Helper()
		vals, _, ok := formValues(t, b.get(path).body, path+"/documents")
		if !ok {
			t.Fatal("no upload form")
		}
		return vals.Get("kind")
	}
	for i, req := range reqs {
		if got, want := chosen(), string(req.Kinds[0]); got != want {
			t.Fatalf("after %d uploads the form offers %q, want the next missing, %q", i, got, want)
		}
		p := b.multipart(path+"/documents", map[string]string{"kind": string(req.Kinds[0])},
			map[string][2]string{"file": {"doc.pdf", string(testbin.PDF("scan"))}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("upload %s = %d", req.Kinds[0], p.status)
		}
	}
	if got := chosen(); got != string(reqs[0].Kinds[0]) {
		t.Errorf("with nothing missing the form offers %q, want the first kind", got)
	}
}
