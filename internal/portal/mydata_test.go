package portal_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// An applicant downloads their data from the account page and deletes the
// account, in English and Urdu; the form keeps what was typed (but not the
// password) and names what stands in the way.
func TestYourDataPages(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	a := e.apply(alice, "14.1.104.0/24", "Office access.", true)
	b := e.browser()
	b.login("alice@example.pk", "a long password")

	p := b.get("/account")
	if p.status != 200 || !strings.Contains(p.body, `href="/account/export"`) || !strings.Contains(p.body, `href="/account/delete"`) {
		t.Fatalf("account page = %d, without the data links", p.status)
	}
	p = b.get("/account/export")
	if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Disposition"), `attachment; filename="ipreg-data-`) {
		t.Fatalf("export = %d %v", p.status, p.header)
	}
	var x struct {
		Format       string `json:"format"`
		Applications []struct {
			ID string `json:"id"`
		} `json:"applications"`
	}
	if err := json.Unmarshal([]byte(p.body), &x); err != nil || x.Format != "ipreg-data-export/1" || len(x.Applications) != 1 || x.Applications[0].ID != a.ID {
		t.Fatalf("export body = %v: %.300s", err, p.body)
	}

	if p := b.get("/account/delete"); p.status != 200 || !strings.Contains(p.body, `name="password"`) || !strings.Contains(p.body, `name="confirm"`) {
		t.Fatalf("delete page = %d", p.status)
	}
	// The application in review stands in the way, named.
	p = b.post("/account/delete", url.Values{"password": {"a long password"}, "confirm": {"yes"}})
	if p.status != 409 || !strings.Contains(p.body, a.ID) || !strings.Contains(p.body, "withdraw it first") {
		t.Fatalf("delete with a pending application = %d", p.status)
	}
	if _, err := e.svc.Withdraw(e.ctx, alice, a.ID); err != nil {
		t.Fatal(err)
	}
	// A wrong password: the error at the field, the box still ticked, the
	// password not shown back.
	p = b.post("/account/delete", url.Values{"password": {"wrong password 123"}, "confirm": {"yes"}})
	if p.status != 422 || !strings.Contains(p.body, "is not your password") || !strings.Contains(p.body, `value="yes" checked`) || strings.Contains(p.body, "wrong password 123") {
		t.Fatalf("wrong password = %d", p.status)
	}
	// In Urdu, without the box ticked.
	b.get("/lang/ur?next=/account")
	p = b.post("/account/delete", url.Values{"password": {"a long password"}})
	if p.status != 422 || !strings.Contains(p.body, "تصدیق کے لیے خانے پر نشان لگائیں") || !strings.Contains(p.body, `dir="rtl"`) {
		t.Fatalf("Urdu, unconfirmed = %d", p.status)
	}
	p = b.post("/account/delete", url.Values{"password": {"a long password"}, "confirm": {"yes"}})
	if p.status != 200 || !strings.Contains(p.body, "آپ کا اکاؤنٹ اور ذاتی ڈیٹا حذف ہو گیا ہے") || strings.Contains(p.body, "alice@example.pk") {
		t.Fatalf("Urdu deletion = %d: %s", p.status, p.body)
	}
	// Logged out: the account page sends to the login, and the password
	// opens nothing.
	if p := b.get("/account"); p.status != 303 || !strings.HasPrefix(p.location, "/login") {
		t.Errorf("account page after deletion = %d %s", p.status, p.location)
	}
	if p := e.browser().post("/login", url.Values{"email": {"alice@example.pk"}, "password": {"a long password"}}); p.status != 401 {
		t.Errorf("login after deletion = %d", p.status)
	}
	if _, err := e.svc.ExportData(e.ctx, alice); registry.ErrorCode(err) == "" {
		t.Error("the deleted user can still export")
	}
}
