package portal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// A document upload refused because every PDF check is busy shows the
// message with 503 and Retry-After, like the API.
func TestDocumentUploadBusy(t *testing.T) {
	busy := auth.NewGate(1, 0, time.Millisecond)
	e := newEnv(t, func(cfg *registry.Config) { cfg.PDFGate = busy })
	held, done := make(chan struct{}), make(chan struct{})
	go busy.Do(context.Background(), func() { close(held); <-done })
	<-held
	defer close(done)
	e.signup("alice@example.pk", "Alice Traders", "company")
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	fields := map[string]string{"category": "company_vpn", "operator_id": "ptcl", "subscriber_id": "PTCL-1",
		"addresses": "14.1.104.0/24", "vpn_protocol": "ipsec", "purpose": "Branch offices reach head office."}
	p := b.multipart("/applications", fields, nil)
	if p.status != 303 {
		t.Fatalf("new application = %d", p.status)
	}
	id := strings.TrimPrefix(strings.SplitN(p.location, "?", 2)[0], "/applications/")
	p = b.multipart("/applications/"+id+"/documents", map[string]string{"kind": "cnic_front"},
		map[string][2]string{"file": {"cnic.pdf", string(testbin.PDF("CNIC front"))}})
	if p.status != 503 || p.header.Get("Retry-After") != "10" || !strings.Contains(p.body, "busy checking other documents") {
		t.Fatalf("busy upload = %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
	}
}
