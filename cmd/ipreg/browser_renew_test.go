package main_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestBrowserRenew drives the amendment and renewal pages in a real
// browser, in English and in Urdu, against the real binary (--demo): the
// holder gives an address up and adds one (meeting a field error first,
// with the input shown back), the operator and a reviewer deal with the
// amendment, the holder renews (again after an error), and the reviewer
// sees the renewal marked in the queue with its diff and approves it.
// Screenshots go to testoutput/screenshots/renew-<lang>/.
func TestBrowserRenew(t *testing.T) {
	exe := chromium(t)
	for _, lang := range []string{"en", "ur"} {
		t.Run(lang, func(t *testing.T) { browserRenew(t, exe, lang) })
	}
}

func browserRenew(t *testing.T, exe, lang string) {
	env := []string{"IPREG_DATA_DIR=" + t.TempDir()}
	p := start(t, env, "--demo")

	// A registration valid for 30 days, so inside its renewal window.
	email := "renew-" + lang + "@lahore-soft.pk"
	p.call("POST", "/api/v1/signup", "", map[string]string{"email": email, "password": "correct horse battery",
		"kind": "company", "name": "Lahore Soft (Pvt) Ltd", "cnic": "35202-7654321-1", "mobile": "0321-7654321", "ntn": "1234567-" + map[string]string{"en": "1", "ur": "2"}[lang]}, 201)
	holder := p.login(email, "correct horse battery")
	id := p.call("POST", "/api/v1/applications", holder, map[string]any{"category": "company_vpn", "operator_id": "ptcl",
		"subscriber_id": "PTCL-0042-771", "addresses": []string{"14.1.104.0/24", "14.1.105.0/24"},
		"vpn": map[string]any{"protocol": "wireguard"}, "purpose": "Engineers reach customer systems in Europe."}, 201)["id"].(string)
	testbin.UploadRequired(t, p.base, holder, id, registry.CategoryCompany)
	p.call("POST", "/api/v1/applications/"+id+"/submit", holder, nil, 200)
	op := p.login("operator.ptcl@demo.test", "demo-password-1")
	confirm := func() {
		t.Helper()
		checks := p.list("/api/v1/operator/checks", op)
		if len(checks) != 1 {
			t.Fatalf("operator checks = %v", checks)
		}
		p.call("POST", "/api/v1/operator/checks/"+checks[0]["id"].(string), op, map[string]string{"result": "confirmed"}, 200)
	}
	confirm()
	rev := p.login("reviewer@demo.test", "demo-password-1")
	reg := p.call("POST", "/api/v1/applications/"+id+"/decision", rev, map[string]any{"decision": "approve", "valid_days": 30}, 200)["registration"].(map[string]any)
	number, until := reg["number"].(string), reg["valid_until"].(string)

	ctx, dir := browserAt(t, exe, "renew-"+lang)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.base+"/healthz")); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	w := &walker{t: t, ctx: ctx, base: p.base, lang: lang, dir: dir}
	if lang == "ur" {
		w.open("/")
		w.do(chromedp.Click(chromedp.CSS(`a[href^="/lang/ur"]`)))
		time.Sleep(300 * time.Millisecond)
	}

	// The registration page offers both, with the renewal window.
	w.login(email, "correct horse battery", "/dashboard")
	w.open("/registrations/" + number)
	w.want("main", w.tr("Renewal window", "تجدید کی مدت"), w.tr("Change addresses", "ایڈریس تبدیل کریں"))
	w.screenshot("registration-changes")

	// Amend: a private address first; the page says why and keeps the input.
	w.submit(`main a[href$="/change"]`, "/registrations/"+number+"/change")
	w.do(chromedp.SetValue(chromedp.CSS("#f-add"), "10.1.2.3"),
		chromedp.Click(chromedp.CSS(`input[name=remove][value="14.1.105.0/24"]`)))
	w.submit("main form button[type=submit]", "/registrations/"+number+"/change")
	w.want("#e-add", "10.1.2.3/32", w.tr("is private address space", "نجی"))
	if v := run(w, chromedp.Value(chromedp.CSS("#f-add"))); v != "10.1.2.3" {
		t.Errorf("the add field after an error holds %q", v)
	}
	if on := run(w, chromedp.Evaluate[bool](`document.querySelector('input[name=remove][value="14.1.105.0/24"]').checked`)); !on {
		t.Errorf("the ticked address is no longer ticked after the error")
	}
	if got := p.call("GET", "/api/v1/registrations/"+number, holder, nil, 200)["addresses"].([]any); len(got) != 2 {
		t.Errorf("a refused change gave something up: %v", got)
	}
	w.screenshot("change-error")
	w.do(chromedp.SetValue(chromedp.CSS("#f-add"), "14.1.106.0/24"))
	w.submit("main form button[type=submit]", "/applications/app_")
	w.want("main", w.tr("Amendment", "ترمیم"), number, "14.1.106.0/24")
	w.screenshot("amendment-submitted")
	// Given up at once; the addition waits for the operator and review.
	if got := p.call("GET", "/api/v1/registrations/"+number, holder, nil, 200)["addresses"].([]any); len(got) != 1 || got[0] != "14.1.104.0/24" {
		t.Errorf("after giving up: %v", got)
	}
	confirm()
	q := p.list("/api/v1/review/queue", rev)
	if len(q) != 1 || q[0]["kind"] != "amendment" {
		t.Fatalf("queue = %v", q)
	}
	p.call("POST", "/api/v1/applications/"+q[0]["id"].(string)+"/decision", rev, map[string]any{"decision": "approve"}, 200)

	// Renew: prefilled with the registration's addresses; an empty purpose
	// is refused and the typed addresses stay.
	w.open("/registrations/" + number)
	w.submit(`main a[href$="/renew"]`, "/registrations/"+number+"/renew")
	items := run(w, chromedp.Value(chromedp.CSS("#f-items")))
	if !strings.Contains(items, "14.1.104.0/24") || !strings.Contains(items, "14.1.106.0/24") {
		t.Fatalf("renewal form prefilled with %q", items)
	}
	w.screenshot("renew-form")
	w.do(chromedp.SetValue(chromedp.CSS("#f-items"), "14.1.104.0/24\n14.1.106.0/24\n14.1.107.0/24"))
	run(w, chromedp.Evaluate[bool](`(document.querySelector("#f-purpose").value = "") === ""`))
	w.submit("main form button[type=submit]", "/registrations/"+number+"/renew")
	w.want("#e-purpose", w.tr("is required", "لازمی"))
	if v := run(w, chromedp.Value(chromedp.CSS("#f-items"))); !strings.Contains(v, "14.1.107.0/24") {
		t.Errorf("the addresses after an error: %q", v)
	}
	w.screenshot("renew-error")
	// The circuit moved to a new subscriber ID: the operator must confirm
	// that the new subscriber holds every address, not only the new one.
	w.do(chromedp.SetValue(chromedp.CSS("#f-purpose"), "Engineers reach customer systems in Europe."),
		chromedp.SetValue(chromedp.CSS("#f-subscriber_id"), "PTCL-9999-NEW-CIRCUIT"))
	w.submit("main form button[type=submit]", "/applications/app_")
	w.want("main", w.tr("Renewal", "تجدید"), number)
	renewalPath := run(w, chromedp.Evaluate[string](`location.pathname`))
	w.screenshot("renewal-submitted")
	checks := p.list("/api/v1/operator/checks", op)
	if len(checks) != 1 || checks[0]["subscriber_id"] != "PTCL-9999-NEW-CIRCUIT" ||
		!slices.Equal(checks[0]["addresses"].([]any), []any{"14.1.104.0/24", "14.1.106.0/24", "14.1.107.0/24"}) {
		t.Fatalf("operator asked about %v; want every address for the new subscriber", checks)
	}
	confirm()
	w.logout()

	// The reviewer sees the renewal marked, with its diff (the subscriber
	// change too), and approves it.
	w.login("reviewer@demo.test", "demo-password-1", "/review")
	w.want("main", w.tr("Renewal", "تجدید"), "14.1.107.0/24", w.tr("Unchanged", "بغیر تبدیلی"),
		w.tr("Subscriber changed", "سبسکرائبر بدل گیا"), "PTCL-0042-771", "PTCL-9999-NEW-CIRCUIT")
	w.screenshot("review-renewal")
	w.submit(`table a[href^="/applications/"]`, "/applications/app_")
	if n := run(w, chromedp.Evaluate[int](`document.querySelectorAll("#f-valid_days").length`)); n != 1 {
		t.Errorf("a renewal's decision form has %d validity fields, want 1", n)
	}
	w.do(chromedp.Click(chromedp.CSS(`input[name=decision][value=approve]`)))
	w.submit(`form[action$="/decision"] button[type=submit]`, "/review?msg=decided")

	// An amendment's decision form has no validity field (an amendment
	// keeps the registration's validity).
	amID := p.call("POST", "/api/v1/registrations/"+number+"/amendment", holder, map[string]any{"add": []string{"14.1.108.0/24"}}, 201)["application"].(map[string]any)["id"].(string)
	confirm()
	w.open("/applications/" + amID)
	w.want("main", w.tr("Amendment", "ترمیم"), "14.1.108.0/24")
	if n := run(w, chromedp.Evaluate[int](`document.querySelectorAll("#f-valid_days").length`)); n != 0 {
		t.Errorf("an amendment's decision form has %d validity fields, want none", n)
	}
	w.screenshot("review-amendment")
	w.do(chromedp.Click(chromedp.CSS(`input[name=decision][value=approve]`)))
	w.submit(`form[action$="/decision"] button[type=submit]`, "/review?msg=decided")
	w.logout()

	// The holder's timeline says what happened in the page's language.
	w.login(email, "correct horse battery", "/dashboard")
	w.open(renewalPath)
	timeline := w.text("ol.timeline")
	want := []string{"renewal of registration " + number, "registration " + number + " renewed: valid until"}
	if lang == "ur" {
		want = []string{"کی تجدید", "کی تجدید ہو گئی: کارآمد تا"}
		for _, en := range []string{"renewal of", "renewed", "valid until"} {
			if strings.Contains(timeline, en) {
				t.Errorf("the Urdu timeline has %q:\n%s", en, timeline)
			}
		}
	}
	for _, s := range want {
		if !strings.Contains(timeline, s) {
			t.Errorf("the timeline does not say %q:\n%s", s, timeline)
		}
	}
	w.screenshot("renewal-timeline")
	w.logout()

	got := p.call("GET", "/api/v1/registrations/"+number, holder, nil, 200)
	old, _ := time.Parse(time.RFC3339, until)
	newUntil, _ := time.Parse(time.RFC3339, got["valid_until"].(string))
	if got["number"] != number || got["status"] != "active" || !newUntil.Equal(old.AddDate(0, 0, 365)) || len(got["addresses"].([]any)) != 4 {
		t.Errorf("renewed registration = %v (was valid until %s)", got, until)
	}
}
