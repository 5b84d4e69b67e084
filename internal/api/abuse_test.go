package api_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// TestAuthAbuse: the unauthenticated endpoints that hash answer 429 with
// Retry-After past a client's limit, and 503 with Retry-After while every
// hashing slot is busy, in the documented error shape.
func TestAuthAbuse(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			gate := auth.NewGate(1, 0, time.Second)
			c := newClient(t, kind, func(cfg *registry.Config) { cfg.HashGate = gate })
			wantRetry := func(res response, status int) {
				t.Helper()
				c.want(res, status)
				if n, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || n < 1 {
					t.Errorf("%d with Retry-After %q", status, res.header.Get("Retry-After"))
				}
			}
			// Sign-ups: 50 per client address in 15 minutes.
			body := func(i int) map[string]string {
				return map[string]string{"email": fmt.Sprintf("flood%d@example.pk", i), "password": "correct horse battery", "kind": "individual",
					"name": "Flood", "cnic": fmt.Sprintf("35202-%07d-5", 2000000+i), "mobile": "+92 300 1234567"}
			}
			for i := 0; i < 50; i++ {
				c.want(c.do("POST", "/api/v1/signup", "", body(i)), 201)
			}
			wantRetry(c.do("POST", "/api/v1/signup", "", body(50)), 429)

			// While the one hashing slot is held, a login answers 503.
			hold, entered := make(chan struct{}), make(chan struct{})
			gate.OnEnter = func(int) { entered <- struct{}{}; <-hold }
			done := make(chan response)
			go func() {
				done <- c.do("POST", "/api/v1/login", "", map[string]string{"email": "reviewer@demo.test", "password": "demo-password-1"})
			}()
			<-entered
			res := c.do("POST", "/api/v1/login", "", map[string]string{"email": "admin@demo.test", "password": "demo-password-1"})
			wantRetry(res, 503)
			if code := res.json(t)["error"].(map[string]any)["code"]; code != "unavailable" {
				t.Errorf("503 code = %v", code)
			}
			gate.OnEnter = nil
			close(hold)
			c.want(<-done, 200)
		})
	}
}
