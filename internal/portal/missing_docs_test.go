package portal_test

import (
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// Documents are "still needed" only while the application can still be
// submitted: a draft lists them, the same draft withdrawn does not.
func TestNothingNeededOnceWithdrawn(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	cat, op, sub, proto, addrs := "company_vpn", "ptcl", "PTCL-42", "wireguard", []string{"14.1.104.0/24"}
	a, err := e.svc.CreateApplication(e.ctx, alice, registry.ApplicationInput{Category: &cat, OperatorID: &op, SubscriberID: &sub,
		Addresses: &addrs, VPNProtocol: &proto, Purpose: ptr("Staff reach the office from home.")})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	if p := b.get("/applications/" + a.ID); !strings.Contains(p.body, "Still needed before submission") {
		t.Fatalf("a draft without documents does not list them as needed:\n%s", p.body)
	}
	if _, err := e.svc.Withdraw(e.ctx, alice, a.ID); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ur"} {
		b.get("/lang/" + lang)
		p := b.get("/applications/" + a.ID)
		if strings.Contains(p.body, `id="missing"`) || strings.Contains(p.body, "Still needed") {
			t.Errorf("%s: a withdrawn application still lists documents as needed:\n%s", lang, p.body)
		}
	}
	got, err := e.svc.GetApplication(e.ctx, alice, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m := got.MissingDocuments(); len(m) != 0 {
		t.Errorf("a withdrawn application's MissingDocuments = %v", m)
	}
}
