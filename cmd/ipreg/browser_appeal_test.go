package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestBrowserAppeal drives an appeal through the portal in a real browser,
// in English and in Urdu: a supervisor rejects an application (filed
// through the API); the applicant sees until when they may appeal, meets
// the error for an empty statement, appeals, and adds a document; the
// supervisor who rejected it is told another must decide; a second
// supervisor overturns it into a registration; the overdue page and the
// admin's holiday calendar (a wrong date refused and shown back) work.
func TestBrowserAppeal(t *testing.T) {
	exe := chromium(t)
	for _, lang := range []string{"en", "ur"} {
		t.Run(lang, func(t *testing.T) { browserAppeal(t, exe, lang) })
	}
}

func browserAppeal(t *testing.T, exe, lang string) {
	data := t.TempDir()
	env := []string{"IPREG_DATA_DIR=" + data}
	ipreg(t, env, "", "operator", "add", "--id", "ptcl", "--name", "PTCL", "--kind", "fixed")
	ipreg(t, env, "operator password 1\n", "user", "add", "--email", "checks@ptcl.net.pk", "--role", "operator", "--operator", "ptcl")
	ipreg(t, env, "supervisor password 1\n", "user", "add", "--email", "first@pta.gov.pk", "--role", "supervisor")
	ipreg(t, env, "supervisor password 2\n", "user", "add", "--email", "second@pta.gov.pk", "--role", "supervisor")
	ipreg(t, env, "admin password 1\n", "user", "add", "--email", "admin@pta.gov.pk", "--role", "admin")
	p := start(t, env)

	// The application, filed and confirmed through the API.
	email := "appeal-" + lang + "@lahore-soft.pk"
	p.call("POST", "/api/v1/signup", "", map[string]string{"email": email, "password": "correct horse battery",
		"kind": "company", "name": "Lahore Soft (Pvt) Ltd", "cnic": "35202-7654321-1", "mobile": "0300-7654321", "ntn": "1234567-0"}, 201)
	tok := p.login(email, "correct horse battery")
	app := p.call("POST", "/api/v1/applications", tok, map[string]any{"category": "company_vpn", "operator_id": "ptcl",
		"subscriber_id": "PTCL-7788", "addresses": []string{"14.1.104.0/24"}, "vpn": map[string]any{"protocol": "ipsec"},
		"purpose": "Engineers reach the head office ERP."}, 201)
	appID := app["id"].(string)
	testbin.UploadRequired(t, p.base, tok, appID, registry.CategoryCompany)
	p.call("POST", "/api/v1/applications/"+appID+"/submit", tok, nil, 200)
	ptcl := p.login("checks@ptcl.net.pk", "operator password 1")
	for _, c := range p.list("/api/v1/operator/checks", ptcl) {
		p.call("POST", "/api/v1/operator/checks/"+c["id"].(string), ptcl, map[string]string{"result": "confirmed"}, 200)
	}
	appPath := "/applications/" + appID

	ctx, dir := browserAt(t, exe, "appeal-"+lang)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.base+"/healthz")); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	w := &walker{t: t, ctx: ctx, base: p.base, lang: lang, dir: dir}
	if lang == "ur" {
		w.open("/")
		w.do(chromedp.Click(chromedp.CSS(`a[href^="/lang/ur"]`)))
		time.Sleep(300 * time.Millisecond)
	}

	// The first supervisor rejects it.
	w.login("first@pta.gov.pk", "supervisor password 1", "/account")
	secret1, step1 := w.enrolTOTP("first-totp")
	w.open(appPath)
	w.do(chromedp.Click(chromedp.CSS(`input[name=decision][value=reject]`)),
		chromedp.SetValue(chromedp.CSS("#f-reason_code"), "insufficient_purpose"))
	w.submit(`form[action$="/decision"] button[type=submit]`, "/review?msg=decided")
	w.logout()

	// The applicant appeals: the deadline is shown, an empty statement is
	// refused, and what was typed stays in the form.
	w.login(email, "correct horse battery", "/dashboard")
	w.open(appPath)
	w.want("main", w.tr("You may appeal this decision until", "تک اس فیصلے کے خلاف اپیل کر سکتے ہیں"))
	w.screenshot("rejected-appeal-form")
	w.submit(`form[action$="/appeal"] button[type=submit]`, appPath+"/appeal")
	w.want("#e-statement", w.tr("is required", "لازمی ہے"))
	statement := "The ERP runs at our head office; the lease is attached."
	// A statement too long for the limit comes back as typed.
	long := strings.Repeat("x", registry.MaxAppealStatement+1)
	w.do(chromedp.SetValue(chromedp.CSS("#f-statement"), long))
	w.submit(`form[action$="/appeal"] button[type=submit]`, appPath+"/appeal")
	w.want("#e-statement", w.tr("too long", "بہت لمبا"))
	if v := run(w, chromedp.Value(chromedp.CSS("#f-statement"))); v != long {
		t.Errorf("the statement was not shown back (%d characters)", len(v))
	}
	w.do(chromedp.SetValue(chromedp.CSS("#f-statement"), statement))
	w.submit(`form[action$="/appeal"] button[type=submit]`, appPath+"?msg=appealed")
	w.want("main", statement, w.tr("Appeal pending", "اپیل زیرِ التوا"))
	// A new document with the pending appeal.
	f := filepath.Join(t.TempDir(), "lease.pdf")
	if err := os.WriteFile(f, testbin.PDF("lease"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.do(chromedp.SetValue(chromedp.CSS("#f-kind"), "incorporation_proof"), chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{f}))
	w.submit(`form[action$="/documents"] button[type=submit]`, appPath+"?msg=uploaded")
	w.want("main", "lease.pdf")
	w.screenshot("appeal-pending")
	w.logout()

	// The supervisor who rejected it cannot decide the appeal.
	w.login("first@pta.gov.pk", "supervisor password 1", "/login")
	code, _ := auth.TOTPCode(secret1, step1+1)
	w.do(chromedp.SetValue(chromedp.CSS("#f-email"), "first@pta.gov.pk"), chromedp.SetValue(chromedp.CSS("#f-password"), "supervisor password 1"),
		chromedp.SetValue(chromedp.CSS("#f-totp"), code))
	w.submit("main form button[type=submit]", "/review")
	w.open("/appeals")
	w.submit(`table a[href^="/applications/"]`, appPath)
	w.want("main", w.tr("another supervisor must decide the appeal", "کوئی دوسرا نگران کرے گا"))
	if n := run(w, chromedp.Evaluate[int](`document.querySelectorAll('form[action^="/appeals/"]').length`)); n != 0 {
		t.Errorf("the supervisor who rejected is offered the appeal decision form")
	}
	w.logout()

	// A second supervisor overturns it: the application is approved.
	w.login("second@pta.gov.pk", "supervisor password 2", "/account")
	w.enrolTOTP("second-totp")
	w.open("/appeals")
	w.want("main", "Lahore Soft (Pvt) Ltd")
	w.screenshot("appeals-queue")
	w.submit(`table a[href^="/applications/"]`, appPath)
	w.want("main", statement, "lease.pdf")
	w.do(chromedp.Click(chromedp.CSS(`input[name=decision][value=overturn]`)))
	// Overturned without saying how: refused, the choice kept.
	w.submit(`form[action^="/appeals/"] button[type=submit]`, "/appeals/")
	// The error names the form's own choices, in the page's language.
	w.want("#e-outcome", w.tr(`"Approve" or "Return for correction"`, "«منظور کریں» یا «درستی کے لیے واپس کریں»"))
	if on := run(w, chromedp.Evaluate[bool](`document.querySelector("input[name=decision][value=overturn]").checked`)); !on {
		t.Errorf("the decision was not shown back")
	}
	w.do(chromedp.Click(chromedp.CSS(`input[name=outcome][value=approve]`)))
	w.submit(`form[action^="/appeals/"] button[type=submit]`, "/appeals?msg=appeal_decided")
	w.open(appPath)
	w.want("main", w.tr("Rejection overturned", "مسترد کرنے کا فیصلہ کالعدم"), "VPN-")
	w.screenshot("appeal-overturned")
	w.open("/review/overdue")
	w.want("main", w.tr("No application is overdue.", "کوئی درخواست تاخیر شدہ نہیں۔"))
	w.screenshot("overdue")
	w.logout()

	// The applicant has the registration.
	w.login(email, "correct horse battery", "/dashboard")
	w.want("main", "VPN-")
	w.logout()

	// The admin's holiday calendar: a wrong date is refused and shown back.
	w.login("admin@pta.gov.pk", "admin password 1", "/account")
	w.enrolTOTP("admin-totp")
	w.open("/admin/holidays")
	if v := run(w, chromedp.Value(chromedp.CSS("#f-holidays"))); !strings.Contains(v, "2026-03-23 Pakistan Day") {
		t.Errorf("the default holidays are not listed: %q", v)
	}
	w.screenshot("admin-holidays")
	text := run(w, chromedp.Value(chromedp.CSS("#f-holidays")))
	w.do(chromedp.SetValue(chromedp.CSS("#f-holidays"), text+"2026-13-01 A wrong date\n"))
	w.submit(`form[action="/admin/holidays"] button[type=submit]`, "/admin/holidays")
	w.want("main", "2026-13-01", "YYYY-MM-DD")
	if v := run(w, chromedp.Value(chromedp.CSS("#f-holidays"))); !strings.Contains(v, "2026-13-01 A wrong date") {
		t.Errorf("the holidays typed were not shown back")
	}
	w.do(chromedp.SetValue(chromedp.CSS("#f-holidays"), text+"2026-12-31 Year end closing\n"))
	w.submit(`form[action="/admin/holidays"] button[type=submit]`, "/admin/holidays?msg=saved")
	if v := run(w, chromedp.Value(chromedp.CSS("#f-holidays"))); !strings.Contains(v, "2026-12-31 Year end closing") {
		t.Errorf("the holiday added is not listed: %q", v)
	}
}
