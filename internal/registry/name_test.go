package registry_test

import (
	"fmt"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

// An account's name is printed on certificates and shown, masked, to the
// public: invisible characters that reorder or hide text are refused at
// sign-up (a name with U+202E once got an account whose certificate could
// never be made and whose masked holder carried an unclosed override onto
// the public page), while the joiners Urdu spelling needs are kept.
func TestSignupNameIsPlainText(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		for i, tc := range []struct {
			name string
			ok   bool
		}{
			{"Evil \u202eLtd\u202c Corp", false}, // right-to-left override
			{"Lahore\u200b Soft", false},         // zero-width space
			{"\u2067Lahore Soft\u2069", false},   // isolate
			{"Lahore Soft\u200e", false},         // left-to-right mark
			{"\ufeffLahore Soft", false},         // byte-order mark
			{"Lahore\nSoft", false},
			{"Lahore Soft (Pvt) Ltd", true},
			{"علی خان", true},
			{"می\u200cخواهم", true}, // zero-width non-joiner, as Urdu and Persian spelling use it
		} {
			_, _, err := h.svc.Signup(h.ctx, SignupInput{Email: fmt.Sprintf("n%d@example.com.pk", i), Password: "a long password",
				Kind: "individual", Name: tc.name, CNIC: fmt.Sprintf("35202-12345%02d-1", i), Mobile: "0300-1234567"})
			if tc.ok {
				if err != nil {
					t.Errorf("name %+q refused: %v", tc.name, err)
				}
				continue
			}
			wantCode(t, err, EINVALID, "name")
		}
	})
}
