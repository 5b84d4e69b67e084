package portal_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// A forgotten password: the link is mailed through the outbox (never
// logged), works once, and the answer never says whether the address has
// an account.
func TestPasswordResetByMail(t *testing.T) {
	e := newEnv(t)
	e.signup("alice@example.pk", "Alice Traders", "company")
	e.deliver()
	b := e.browser()
	unknown := b.post("/password/forgot", url.Values{"email": {"nobody@example.pk"}})
	known := b.post("/password/forgot", url.Values{"email": {"alice@example.pk"}})
	if unknown.status != 200 || known.status != 200 || !strings.Contains(known.body, "on its way") || unknown.body != known.body {
		t.Fatalf("forgot = %d / %d", unknown.status, known.status)
	}
	mails := e.deliver()
	if len(mails) != 1 || mails[0].To != "alice@example.pk" {
		t.Fatalf("reset mails = %+v; want one, to alice (none for an address without an account)", mails)
	}
	if strings.Contains(e.logs.String(), "token=") {
		t.Errorf("a reset link was logged:\n%s", e.logs.String())
	}
	m := regexp.MustCompile(`https://ipreg\.example\.pk/password/reset\?token=([A-Za-z0-9_%-]+)`).FindStringSubmatch(mails[0].Text)
	if m == nil {
		t.Fatalf("no reset link in the mail:\n%s", mails[0].Text)
	}
	token, _ := url.QueryUnescape(m[1])
	if p := b.get("/password/reset?token=" + url.QueryEscape(token)); p.status != 200 || !strings.Contains(p.body, `name="token"`) {
		t.Fatalf("reset page = %d", p.status)
	}
	if p := b.post("/password/reset", url.Values{"token": {token}, "password": {"short"}}); p.status != 422 {
		t.Fatalf("short password = %d", p.status)
	}
	if p := b.post("/password/reset", url.Values{"token": {token}, "password": {"a brand new password"}}); p.status != 303 || p.location != "/login?msg=reset_done" {
		t.Fatalf("reset = %d %s", p.status, p.location)
	}
	if p := b.post("/password/reset", url.Values{"token": {token}, "password": {"another new password"}}); p.status != 404 {
		t.Fatalf("second use = %d", p.status)
	}
	b.login("alice@example.pk", "a brand new password")

	// The link is addressed to the stored address, not to the spelling
	// typed into the form.
	e.signup("zo\u00eb@b\u00fccher.example", "Zoë", "individual")
	e.deliver()
	b.post("/password/forgot", url.Values{"email": {"ZO\u00cb@B\u00dcCHER.example"}})
	if mails := e.deliver(); len(mails) != 1 || mails[0].To != "zo\u00eb@xn--bcher-kva.example" {
		t.Errorf("the reset e-mail is not addressed to the stored address: %+v", mails)
	}

	// An admin can send a staff member the same link.
	admin := e.browser()
	admin.login("admin@demo.test", "demo-password-1")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	if p := admin.post("/admin/users/"+reviewer.ID+"/reset-password", url.Values{}); p.status != 303 {
		t.Fatalf("admin reset link = %d", p.status)
	}
	if mails := e.deliver(); len(mails) != 1 || mails[0].To != "reviewer@demo.test" || !strings.Contains(mails[0].Text, "/password/reset?token=") {
		t.Errorf("no link mailed to the reviewer: %+v", mails)
	}
}

// The application form takes a pasted list and a CSV file, shows each
// address's error on its line, and keeps what was typed.
func TestApplicationFormAddresses(t *testing.T) {
	e := newEnv(t)
	e.signup("alice@example.pk", "Alice Traders", "company")
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	if p := b.get("/applications/new"); p.status != 200 || !strings.Contains(p.body, "category=company_vpn") || strings.Contains(p.body, "category=mobile_vpn") {
		t.Fatalf("a company sees the categories of individuals, or none: %d", p.status)
	}
	fields := map[string]string{"category": "company_vpn", "operator_id": "ptcl", "subscriber_id": "PTCL-1",
		"addresses": "14.1.104.0/24, 14.1.105.7", "vpn_protocol": "ipsec", "purpose": "Branch offices reach head office."}
	csv := "address,note\n10.0.0.1,office\n14.1.106.0/24,branch\n"
	p := b.multipart("/applications", fields, map[string][2]string{"addresses_csv": {"list.csv", csv}})
	if p.status != 422 {
		t.Fatalf("private address from the CSV = %d", p.status)
	}
	for _, want := range []string{"File line 2: 10.0.0.1/32 is private address space", "14.1.106.0/24", `aria-invalid="true"`, "Branch offices reach head office."} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the form does not show %q", want)
		}
	}
	fields["addresses"] = "14.1.104.0/24\n14.1.105.7"
	p = b.multipart("/applications", fields, map[string][2]string{"addresses_csv": {"list.csv", "14.1.106.0/24\n"}})
	if p.status != 303 || !strings.HasPrefix(p.location, "/applications/app_") {
		t.Fatalf("valid form = %d %s: %s", p.status, p.location, p.body)
	}
	id := strings.TrimPrefix(strings.SplitN(p.location, "?", 2)[0], "/applications/")
	alice := e.user("alice@example.pk", "a long password")
	a, err := e.svc.GetApplication(e.ctx, alice, id)
	if err != nil || len(a.Addresses) != 3 || a.Addresses[2].String() != "14.1.106.0/24" {
		t.Fatalf("saved = %v, %v", a, err)
	}
	// Submitting without documents names each one on the page.
	p = b.post("/applications/"+id+"/submit", url.Values{})
	if p.status != 422 || !strings.Contains(p.body, "Documents: CNIC, front") || !strings.Contains(p.body, `href="#f-kind"`) {
		t.Fatalf("submit without documents = %d", p.status)
	}
	// A renamed HTML file is refused with the reason.
	p = b.multipart("/applications/"+id+"/documents", map[string]string{"kind": "cnic_front"},
		map[string][2]string{"file": {"cnic.pdf", "<html><script>alert(1)</script></html>"}})
	if p.status != 422 || !strings.Contains(p.body, "not a PDF, JPEG or PNG") {
		t.Fatalf("HTML upload = %d", p.status)
	}
}

// The operator answers in bulk and through the CSV round trip.
func TestOperatorAnswers(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	a1 := e.apply(alice, "14.1.104.0/24", "Office access.", true)
	a2 := e.apply(alice, "14.1.105.0/24", "Office access.", true)
	a3 := e.apply(alice, "14.1.106.0/24", "Office access.", true)
	op := e.browser()
	op.login("operator.ptcl@demo.test", "demo-password-1")
	page := op.get("/operator/checks")
	ids := regexp.MustCompile(`name="check" value="(chk_[a-z0-9]+)"`).FindAllStringSubmatch(page.body, -1)
	if len(ids) != 3 {
		t.Fatalf("checks on the page = %d", len(ids))
	}
	// Disputing needs a note: nothing is answered without one.
	if p := op.post("/operator/checks", url.Values{"check": {ids[0][1]}, "result": {"disputed"}}); p.status != 422 {
		t.Fatalf("dispute without a note = %d", p.status)
	}
	if p := op.post("/operator/checks", url.Values{"check": {ids[0][1]}, "result": {"confirmed"}}); p.status != 303 {
		t.Fatalf("bulk confirm = %d", p.status)
	}
	csv := op.get("/operator/checks.csv")
	lines := strings.Split(strings.TrimSpace(csv.body), "\n")
	// A UTF-8 BOM first, so that Excel shows Urdu names; the upload below
	// sends it back, as Excel saves it.
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "\ufeffcheck_id,application_id,") {
		t.Fatalf("CSV = %q", csv.body)
	}
	// Fill in: dispute one with a note, leave the other blank.
	first := strings.Split(lines[1], ",")
	filled := lines[0] + "\n" + strings.Join(first[:len(first)-2], ",") + ",disputed,Not our subscriber\n" + lines[2] + "\n"
	p := op.multipart("/operator/checks/upload", nil, map[string][2]string{"file": {"checks.csv", filled}})
	if p.status != 200 || !strings.Contains(p.body, "answered") {
		t.Fatalf("CSV upload = %d: %s", p.status, p.body)
	}
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	pending, _ := e.svc.ListChecks(e.ctx, ptcl, registry.CheckPending)
	disputed, _ := e.svc.ListChecks(e.ctx, ptcl, registry.CheckDisputed)
	if len(pending) != 1 || len(disputed) != 1 || disputed[0].Note != "Not our subscriber" {
		t.Fatalf("after the CSV: %d pending, %v disputed", len(pending), disputed)
	}
	if p := op.multipart("/operator/checks/upload", nil, map[string][2]string{"file": {"x.csv", "a,b\n1,2\n"}}); p.status != 422 || !strings.Contains(p.body, "check_id") {
		t.Fatalf("a CSV without the columns = %d", p.status)
	}
	_, _, _ = a1, a2, a3
}
