package registry_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

// One individual account per CNIC and one company account per NTN (issue
// 11 §6: "one CNIC opened three individual accounts"). The refusal points
// to login and password reset and does not say which e-mail holds it.
func TestOneAccountPerIdentity(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		n := 0
		signup := func(kind, cnic, ntn string) (string, error) {
			n++
			email := fmt.Sprintf("person%d@example.com.pk", n)
			_, _, err := svc.Signup(ctx, SignupInput{Email: email, Password: "a long password", Kind: kind, Name: "Person",
				CNIC: cnic, Mobile: "03001234567", NTN: ntn})
			return email, err
		}
		const cnicMsg = "An account with this CNIC already exists. Log in, or reset your password if you forgot it."
		const ntnMsg = "A company account with this NTN already exists. Log in, or reset your password if you forgot it."
		first, err := signup("individual", "35202-1234567-1", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := signup("company", "35202-1234567-1", "1234567-8"); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name            string
			kind, cnic, ntn string
			field, message  string // "" when the account opens
		}{
			{"the same CNIC", "individual", "35202-1234567-1", "", "cnic", cnicMsg},
			{"written without dashes", "individual", "3520212345671", "", "cnic", cnicMsg},
			{"with spaces around it", "individual", " 35202-1234567-1 ", "", "cnic", cnicMsg},
			{"with an NTN given", "individual", "35202-1234567-1", "7654321-0", "cnic", cnicMsg},
			{"another CNIC", "individual", "35202-1234567-2", "", "", ""},
			{"the same NTN", "company", "61101-7654321-3", "1234567-8", "ntn", ntnMsg},
			{"the NTN without its check digit", "company", "61101-7654321-3", "1234567", "ntn", ntnMsg},
			{"a second company of the same authorised person", "company", "35202-1234567-1", "7654321-0", "", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := signup(tt.kind, tt.cnic, tt.ntn)
				if tt.field == "" {
					if err != nil {
						t.Fatalf("signup: %v", err)
					}
					return
				}
				var e *Error
				if ErrorCode(err) != ECONFLICT || !errors.As(err, &e) || e.Message != tt.message || e.Fields[tt.field] == "" {
					t.Fatalf("error = %#v, want ECONFLICT %q on %s", err, tt.message, tt.field)
				}
				if strings.Contains(err.Error(), first) || strings.Contains(fmt.Sprint(e.Fields), "@") {
					t.Errorf("the refusal names the holder's e-mail: %v %v", err, e.Fields)
				}
			})
		}
		// Concurrent sign-ups with one CNIC: one account opens.
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = svc.Signup(ctx, SignupInput{Email: fmt.Sprintf("racer%d@example.com.pk", i), Password: "a long password",
					Kind: "individual", Name: "Racer", CNIC: "42101-7777777-7", Mobile: "03001234567"})
			}()
		}
		wg.Wait()
		opened := 0
		for _, err := range errs {
			switch {
			case err == nil:
				opened++
			case ErrorCode(err) != ECONFLICT || !strings.Contains(err.Error(), "CNIC"):
				t.Errorf("concurrent signup: %v", err)
			}
		}
		if opened != 1 {
			t.Errorf("6 concurrent sign-ups with one CNIC opened %d accounts, want 1", opened)
		}
	})
}
