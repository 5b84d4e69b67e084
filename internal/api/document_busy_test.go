package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// holdGate takes g's only slot until the test ends, so that every PDF
// check finds the server busy.
func holdGate(t *testing.T, g *auth.Gate) {
	held, done := make(chan struct{}), make(chan struct{})
	go g.Do(context.Background(), func() { close(held); <-done })
	<-held
	t.Cleanup(func() { close(done) })
}

// An upload refused because every PDF check is busy answers 503 with
// Retry-After, as the OpenAPI document says: the refusal's RetryAfter
// survives being filed under the "file" field.
func TestUploadBusyRetryAfter(t *testing.T) {
	busy := auth.NewGate(1, 0, time.Millisecond)
	c := newClient(t, "sqlite", func(cfg *registry.Config) { cfg.PDFGate = busy })
	holdGate(t, busy)
	dave := signup(c, "dave@example.pk", "company")
	id := c.want(c.do("POST", "/api/v1/applications", dave, map[string]any{"category": "company_vpn"}), 201).json(t)["id"].(string)
	res := c.want(c.upload(dave, id, "cnic_front", "cnic.pdf", testbin.PDF("CNIC front")), 503)
	if got := res.header.Get("Retry-After"); got != "10" {
		t.Errorf("Retry-After = %q, want 10", got)
	}
	if msg := res.errorField(t, "file"); msg == "" {
		t.Errorf("no message under file: %s", res.body)
	}
	// An application that does not exist, or is another's, is refused
	// before the PDF is queued for its check (which would answer 503).
	c.want(c.upload(dave, "app_doesnotexist00", "cnic_front", "cnic.pdf", testbin.PDF("CNIC front")), 404)
	erin := signup(c, "erin@example.pk", "company")
	c.want(c.upload(erin, id, "cnic_front", "cnic.pdf", testbin.PDF("CNIC front")), 404)
}
