package api_test

import "testing"

// An optional member sent as null reads as absent: {"totp": null} logs a
// user without TOTP in; a required one sent as null is still refused.
func TestLoginTOTPNull(t *testing.T) {
	c := newClient(t, "sqlite")
	c.want(c.do("POST", "/api/v1/login", "", map[string]any{"email": "reviewer@demo.test", "password": "demo-password-1", "totp": nil}), 200)
	res := c.want(c.do("POST", "/api/v1/login", "", map[string]any{"email": "reviewer@demo.test", "password": nil}), 400)
	if res.errorField(t, "password") == "" {
		t.Errorf("null password: %s", res.body)
	}
}
