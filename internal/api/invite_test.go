package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// importedHolder makes what an import makes for a holder of the old
// allowlist: an account and an applicant without a password.
func (c *client) importedHolder(id, name, email string) {
	c.t.Helper()
	if email == "" {
		email = registry.NoMailboxEmail(id)
	}
	now := time.Now()
	err := c.db.Write(context.Background(), func(tx registry.Tx) error {
		acc := &registry.Account{ID: "acc_" + id, Kind: "individual", Name: name, CNIC: "42101-" + id[len(id)-7:] + "-3", Mobile: "923001234567", CreatedAt: now}
		if err := tx.CreateAccount(context.Background(), acc); err != nil {
			return err
		}
		return tx.CreateUser(context.Background(), &registry.User{ID: id, Email: email, Role: registry.RoleApplicant, AccountID: acc.ID, CreatedAt: now, Lang: "en"})
	})
	if err != nil {
		c.t.Fatal(err)
	}
}

// testInvitations: admins invite imported holders; one with e-mail claims
// the mailed link, one without claims a link the admin handed out, giving
// an address; each then uses the API as itself.
func testInvitations(t *testing.T, c *client) {
	c.deliver()
	// Page 1 of an empty list is that list, 200 with no items.
	if empty := c.want(c.do("GET", "/api/v1/admin/invitations?page=1", c.login("admin@demo.test"), nil), 200).json(t); len(empty["invitations"].([]any)) != 0 || empty["total"] != float64(0) {
		t.Errorf("page 1 of no invitations = %v; want 200 with none", empty)
	}
	c.importedHolder("usr_imp0000001", "Imported One", "one@imported.pk")
	c.importedHolder("usr_imp0000002", "Imported Two", "")
	admin := c.login("admin@demo.test")
	reviewer := c.login("reviewer@demo.test")
	c.want(c.do("POST", "/api/v1/admin/invitations", reviewer, map[string]any{"user_ids": []string{"usr_imp0000001"}}), 403)
	c.want(c.do("POST", "/api/v1/admin/invitations", admin, map[string]any{"user_ids": []string{}}), 422)
	c.want(c.do("POST", "/api/v1/admin/invitations", admin, map[string]any{"user_ids": []string{"usr_imp0000001", "usr_nobody"}}), 404)
	got := c.want(c.do("POST", "/api/v1/admin/invitations", admin, map[string]any{"user_ids": []string{"usr_imp0000001", "usr_imp0000002"}}), 200).json(t)
	if got["invited"] != float64(2) {
		t.Fatalf("invite = %v", got)
	}
	list := c.want(c.do("GET", "/api/v1/admin/invitations", admin, nil), 200).json(t)["invitations"].([]any)
	if len(list) != 2 || strings.Contains(string(c.do("GET", "/api/v1/admin/invitations", admin, nil).body), "token") {
		t.Fatalf("pending invitations = %v", list)
	}
	// A page at a time, with the total (31,000 holders made one answer of
	// many megabytes).
	first := c.want(c.do("GET", "/api/v1/admin/invitations?limit=1", admin, nil), 200).json(t)
	second := c.want(c.do("GET", "/api/v1/admin/invitations?limit=1&page=2", admin, nil), 200).json(t)
	if l1, l2 := first["invitations"].([]any), second["invitations"].([]any); len(l1) != 1 || len(l2) != 1 || first["total"] != float64(2) ||
		first["next_page"] != float64(2) || second["total"] != float64(2) || second["next_page"] != nil ||
		l1[0].(map[string]any)["user_id"] == l2[0].(map[string]any)["user_id"] {
		t.Fatalf("pages of 1: %v then %v; want one invitation each, of 2, the first saying next_page 2", first, second)
	}
	// A page past the last is 404 naming the last page, as the portal
	// says "there is no page 500", not an empty list read as "none"
	// (tester, issue 13); a number past any int is such a page too, its
	// echo cut at 20 characters as the portal cuts it.
	nines := strings.Repeat("9", 300)
	for q, want := range map[string]string{
		"limit=1&page=3":     "there is no page 3 of this list: it has 2 pages at this limit; ask for a page from 1 to 2",
		"page=500":           "there is no page 500 of this list: it has 1 page at this limit; ask for page 1",
		"page=" + nines:      "there is no page " + nines[:20] + "… of this list: it has 1 page",
		"page=" + nines[:19]: "there is no page " + nines[:19] + " of this list",
	} {
		if got := c.want(c.do("GET", "/api/v1/admin/invitations?"+q, admin, nil), 404).errorField(t, "page"); !strings.Contains(got, want) {
			t.Errorf("?%.40s: field page says %q; want %q", q, got, want)
		}
	}
	// Each refusal echoes the value typed, as other 422s do, cut at 20
	// characters (it echoed all 300: tester, issue 13).
	for q, want := range map[string][2]string{"page=0": {"page", `"0" is not`}, "page=x": {"page", `"x" is not`}, "limit=0": {"limit", `"0" is not`}, "limit=1001": {"limit", `"1001" is not`},
		"page=x" + nines: {"page", `"x` + nines[:19] + `…" is not`}, "limit=" + nines: {"limit", `"` + nines[:20] + `…" is not`}} {
		if got := c.want(c.do("GET", "/api/v1/admin/invitations?"+q, admin, nil), 422).errorField(t, want[0]); !strings.Contains(got, want[1]) {
			t.Errorf("?%s: field %s says %q; want it to say %s", q, want[0], got, want[1])
		}
	}
	// A parameter given twice is refused, 400, as the statistics refuse
	// a repeated from or to, not read as its first value.
	for q, field := range map[string]string{"page=1&page=2": "page", "limit=1&limit=5": "limit"} {
		if got := c.want(c.do("GET", "/api/v1/admin/invitations?"+q, admin, nil), 400).errorField(t, field); !strings.Contains(got, "is given 2 times") {
			t.Errorf("?%s: field %s says %q; want a refusal of the repeat", q, field, got)
		}
	}
	mails := c.deliver()
	if len(mails) != 1 || mails[0].To != "one@imported.pk" || !strings.Contains(mails[0].Text, "https://ipreg.example.pk/claim?token=") {
		t.Fatalf("invitation mails = %+v", mails)
	}
	m := tokenRe.FindStringSubmatch(mails[0].Text)
	mailed, _ := url.QueryUnescape(m[1])

	c.want(c.do("POST", "/api/v1/invitations/claim", "", map[string]string{"token": mailed, "password": "short"}), 422)
	claimed := c.want(c.do("POST", "/api/v1/invitations/claim", "", map[string]string{"token": mailed, "password": "imported holder one"}), 200).json(t)
	one := claimed["token"].(string)
	me := c.want(c.do("GET", "/api/v1/me", one, nil), 200).json(t)["user"].(map[string]any)
	if me["email"] != "one@imported.pk" || me["email_verified"] != true {
		t.Fatalf("after the claim: %v", me)
	}
	c.want(c.do("GET", "/api/v1/registrations", one, nil), 200)
	c.want(c.do("POST", "/api/v1/invitations/claim", "", map[string]string{"token": mailed, "password": "imported holder one"}), 404)

	// The holder without e-mail: a link to hand out, then the claim with
	// an address.
	c.want(c.do("POST", "/api/v1/admin/invitations/usr_imp0000001/link", admin, nil), 404)
	link := c.want(c.do("POST", "/api/v1/admin/invitations/usr_imp0000002/link", admin, nil), 200).json(t)
	if !strings.HasPrefix(link["url"].(string), "https://ipreg.example.pk/claim?token=") {
		t.Fatalf("link = %v", link)
	}
	handed := strings.TrimPrefix(link["path"].(string), "/claim?token=")
	if bad := c.want(c.do("POST", "/api/v1/invitations/claim", "", map[string]string{"token": handed, "password": "imported holder two"}), 422); bad.errorField(t, "email") == "" {
		t.Errorf("no e-mail: %s", bad.body)
	}
	two := c.want(c.do("POST", "/api/v1/invitations/claim", "", map[string]string{"token": handed, "password": "imported holder two", "email": "two@imported.pk"}), 200).json(t)["token"].(string)
	me = c.want(c.do("GET", "/api/v1/me", two, nil), 200).json(t)["user"].(map[string]any)
	if me["email"] != "two@imported.pk" || me["email_verified"] != false {
		t.Fatalf("after the claim without e-mail: %v", me)
	}
	if mails := c.deliver(); len(mails) != 1 || mails[0].To != "two@imported.pk" || !strings.Contains(mails[0].Text, "/verify-email?token=") {
		t.Fatalf("after the claim: %+v; want a verification link", mails)
	}
	if list := c.want(c.do("GET", "/api/v1/admin/invitations", admin, nil), 200).json(t)["invitations"].([]any); len(list) != 0 {
		t.Errorf("pending after both claims = %v", list)
	}
	c.want(c.do("POST", "/api/v1/admin/invitations", admin, map[string]any{"user_ids": []string{"usr_imp0000002"}}), 422)
}
