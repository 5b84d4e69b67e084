package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	. "github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

func TestNormalizeEmail(t *testing.T) {
	const zoe = "zo\u00eb@xn--bcher-kva.example"
	tests := []struct{ in, want string }{
		// Issue 11 §4: one mailbox, one form.
		{"zo\u00eb@b\u00fccher.example", zoe},           // ë as one code point
		{"zoe\u0308@b\u00fccher.example", zoe},          // e + combining diaeresis
		{"zoe\u0308@xn--bcher-kva.example", zoe},        // the domain's ASCII form
		{"ZO\u00cb@B\u00dcCHER.EXAMPLE", zoe},           // capitals
		{"ZOE\u0308@XN--BCHER-KVA.example", zoe},        // capitals, decomposed
		{"zo\u00eb@bu\u0308cher.example", zoe},          // decomposed domain
		{"  zo\u00eb@b\u00fccher.example\t\n", zoe},     // surrounding space
		{"zo\u00eb@\uff42\u00fccher\uff0eexample", zoe}, // fullwidth letters and dot in the domain
		// Fullwidth and halfwidth forms fold (RFC 8265 width mapping), in the
		// local part as IDNA folds them in the domain.
		{"\uff5a\uff4f\uff45@example.pk", "zoe@example.pk"},
		{"\uff3a\uff2f\uff25@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff50\uff4b", "zoe@example.pk"},
		// ASCII addresses as before.
		{"Name@Example.com.pk", "name@example.com.pk"},
		{"a.b+tag@sub.example.pk", "a.b+tag@sub.example.pk"},
		{"user@xn--mgbai9azgqp6j.pk", "user@xn--mgbai9azgqp6j.pk"},
		{"user@پاکستان.pk", "user@xn--mgbai9azgqp6j.pk"},
		// Refused.
		{"", ""},
		{"name", ""},
		{"@example.pk", ""},
		{"name@", ""},
		{"name@localhost", ""},
		{"name@example..pk", ""},
		{"name@example.pk.", ""},
		{"name@.example.pk", ""},
		{"name@exa_mple.pk", ""},                       // not a host name (STD3)
		{"name@-example.pk", ""},                       // leading hyphen
		{"name@xn--zz.example", ""},                    // broken punycode
		{"name@[192.0.2.1]", ""},                       // address literal
		{"a@b@example.pk", ""},                         // two @
		{"a..b@example.pk", ""},                        // RFC 5322 dot-atom
		{"Zoe <zoe@example.pk>", ""},                   // a display name is not an address
		{"zoe@example.pk, x@y.pk", ""},                 // a list
		{"zo\xffe@example.pk", ""},                     // not UTF-8
		{"name@exa\u200dmple.pk", ""},                  // a joiner where none may be (CONTEXTJ)
		{strings.Repeat("a", 250) + "@example.pk", ""}, // over 254 octets
		{`"john smith"@example.pk`, ""},                // quoted local parts stay refused
		{"zo\u00eb\u2603@example.pk", ""},              // a symbol (PRECIS disallows it)
		// Invisible and direction-changing characters (Cf).
		{"zoe\u200b@example.pk", ""},
		{"zoe@exam\u200bple.pk", ""},
		{"\u202ekp.elpmaxe@eoz", ""},
		{"zo\u00ade@example.pk", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeEmail(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NormalizeEmail(%q) = %q, want an error", tt.in, got)
			} else if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "name@example.com.pk") {
				t.Errorf("NormalizeEmail(%q) error = %v, want EINVALID with an example", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		// Idempotent: the stored form normalises to itself.
		if again, err := NormalizeEmail(got); err != nil || again != got {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want it unchanged", got, again, err)
		}
	}
}

// Issue 11 §4: the spellings of one mailbox make one account, on sign-up,
// login, password reset, TOTP reset and the login throttle, on both
// databases.
func TestEmailSpellingsAreOneAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		in := SignupInput{Email: "zo\u00eb@b\u00fccher.example", Password: "a long password", Kind: "individual",
			Name: "Zoë", CNIC: "35202-1234567-1", Mobile: "0300-1234567"}
		u, _, err := svc.Signup(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "zo\u00eb@xn--bcher-kva.example" {
			t.Fatalf("stored e-mail = %q, want the NFC local part at the ASCII domain", u.Email)
		}
		for _, other := range []string{"zoe\u0308@xn--bcher-kva.example", "ZOE\u0308@B\u00dcCHER.example", " zo\u00eb@bu\u0308cher.example "} {
			in.Email = other
			_, _, err := svc.Signup(ctx, in)
			wantCode(t, err, ECONFLICT, "already exists")
		}
		// Each spelling logs the one account in.
		for _, spelling := range []string{"zoe\u0308@b\u00fccher.example", "ZO\u00cb@XN--BCHER-KVA.EXAMPLE"} {
			tok, _, err := svc.Login(ctx, spelling, "a long password", "", "192.0.2.1")
			if err != nil {
				t.Fatalf("login as %q: %v", spelling, err)
			}
			if got, err := svc.Authenticate(ctx, tok); err != nil || got.ID != u.ID {
				t.Fatalf("login as %q is %+v, %v; want user %s", spelling, got, err, u.ID)
			}
		}
		if reset, err := svc.RequestPasswordReset(ctx, "zoe\u0308@xn--bcher-kva.example", "192.0.2.1"); err != nil || reset == "" {
			t.Fatalf("reset by another spelling = %q, %v; want a link", reset, err)
		}
		// The link goes to the stored address, however the request spelt it.
		for _, spelling := range []string{"ZO\u00cb@B\u00dcCHER.example", " zoe\u0308@xn--bcher-kva.EXAMPLE "} {
			if l, err := svc.RequestPasswordResetLink(ctx, spelling, "192.0.2.1"); err != nil || l.Token == "" || l.To != u.Email {
				t.Fatalf("reset for %q = %+v, %v; want a link to %s", spelling, l, err, u.Email)
			}
		}
		admin := h.staff("admin")
		if _, err := svc.ResetTOTP(ctx, admin, "ZOE\u0308@b\u00fccher.example"); err != nil && ErrorCode(err) == ENOTFOUND {
			t.Fatalf("ResetTOTP by another spelling: %v", err)
		}
		// Failures under different spellings count against one mailbox.
		spellings := []string{"zo\u00eb@b\u00fccher.example", "zoe\u0308@xn--bcher-kva.example", "ZO\u00cb@B\u00dcCHER.EXAMPLE"}
		for i := range 5 {
			_, _, err := svc.Login(ctx, spellings[i%len(spellings)], "wrong password", "", "192.0.2.7")
			wantCode(t, err, EUNAUTHORIZED)
		}
		_, _, err = svc.Login(ctx, spellings[1], "wrong password", "", "192.0.2.7")
		wantCode(t, err, ETOOMANY)
	})
}

// Addresses stored before normalisation existed are rewritten at start-up,
// on both databases; one that collides with another user's is left for an
// administrator.
func TestNormalizeStoredEmails(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Open(t, kind)
			c := testbin.NewClock(time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC))
			svc := NewService(db, Config{Now: c.Now, Hashing: auth.TestParams})
			hash, err := auth.HashPassword("a long password", auth.TestParams)
			if err != nil {
				t.Fatal(err)
			}
			// As the old code stored them: trimmed and lower-cased only.
			legacy := map[string]string{
				"usr_zoe":   "zoe\u0308@b\u00fccher.example",
				"usr_ascii": "plain@example.pk",
				"usr_lit":   "old@[192.0.2.1]",               // refused now; kept as it was
				"usr_twin1": "li\u00e9@caf\u00e9.example",    // composed, Unicode domain
				"usr_twin2": "lie\u0301@xn--caf-dma.example", // the same mailbox, decomposed, ASCII domain
			}
			err = db.Write(ctx, func(tx Tx) error {
				for id, e := range legacy {
					if err := tx.CreateUser(ctx, &User{ID: id, Email: e, Role: RoleReviewer, PasswordHash: hash, CreatedAt: c.Now()}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			n, err := svc.NormalizeStoredEmails(ctx)
			// zoe, and one of the twins (the other now collides with it).
			if err != nil || n != 2 {
				t.Fatalf("NormalizeStoredEmails = %d, %v; want 2 changed", n, err)
			}
			if n, err := svc.NormalizeStoredEmails(ctx); err != nil || n != 0 {
				t.Fatalf("second run = %d, %v; want nothing to change", n, err)
			}
			stored := map[string]string{}
			db.Read(ctx, func(tx Tx) error {
				us, err := tx.ListUsers(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range us {
					stored[u.ID] = u.Email
				}
				return nil
			})
			if stored["usr_zoe"] != "zo\u00eb@xn--bcher-kva.example" || stored["usr_ascii"] != "plain@example.pk" || stored["usr_lit"] != "old@[192.0.2.1]" {
				t.Errorf("stored after normalising = %q", stored)
			}
			// Which twin ListUsers meets first depends on the database's
			// collation; exactly one gets the normal form.
			const twin = "li\u00e9@xn--caf-dma.example"
			t1, t2 := stored["usr_twin1"], stored["usr_twin2"]
			if !(t1 == twin && t2 == legacy["usr_twin2"]) && !(t2 == twin && t1 == legacy["usr_twin1"]) {
				t.Errorf("twins = %q, %q; want exactly one in normal form, the other left as it was", t1, t2)
			}
			// The users log in by any spelling, and the refused form as stored.
			for _, e := range []string{"zo\u00eb@b\u00fccher.example", "old@[192.0.2.1]", "  PLAIN@example.pk"} {
				if _, _, err := svc.Login(ctx, e, "a long password", "", "192.0.2.1"); err != nil {
					t.Errorf("login %q after normalising: %v", e, err)
				}
			}
			if n, err := svc.VerifyAudit(ctx); err != nil || n < 2 {
				t.Errorf("audit log = %d entries, %v; want the two changes recorded", n, err)
			}
		})
	}
}

// An invisible or direction-changing character is named, with what to do.
func TestNormalizeEmailNamesInvisibleCharacters(t *testing.T) {
	for in, cp := range map[string]string{"zoe\u200b@example.pk": "U+200B", "\u202ezoe@example.pk": "U+202E", "zoe@example.pk\ufeff": "U+FEFF"} {
		_, err := NormalizeEmail(in)
		if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "invisible or direction-changing character ("+cp+")") || !strings.Contains(err.Error(), "type it again") {
			t.Errorf("NormalizeEmail(%q) error = %v; want it to name %s and say what to do", in, err, cp)
		}
	}
}

// A field's message is the error's Message, never its coded text
// ("invalid: …"), whichever normaliser refused it: the page shows it beside
// the field and finds its translation by it.
func TestFieldMessagesCarryNoCode(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		base := SignupInput{Email: "field@example.pk", Password: "a long password", Kind: "company",
			Name: "Field Traders", CNIC: "35202-1234567-1", Mobile: "0300-1234567", NTN: "1234567-8"}
		for _, tt := range []struct {
			field string
			set   func(*SignupInput)
			want  string
		}{
			{"email", func(in *SignupInput) { in.Email = "not an e-mail" }, "must be an e-mail address such as name@example.com.pk"},
			{"cnic", func(in *SignupInput) { in.CNIC = "123" }, "has 3 digits; a CNIC has 13, written 12345-1234567-1 or 1234512345671"},
			{"ntn", func(in *SignupInput) { in.NTN = "12" }, "must be an NTN written 1234567-8 (seven digits and a check digit) or a 13-digit CNIC"},
		} {
			in := base
			tt.set(&in)
			_, _, err := h.svc.Signup(h.ctx, in)
			var e *Error
			if !errors.As(err, &e) || e.Fields[tt.field] != tt.want {
				t.Errorf("%s: error = %v; want the field message %q", tt.field, err, tt.want)
			}
		}
	})
}
