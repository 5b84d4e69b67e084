package main_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserProviders walks the register of licensed VPN providers in a
// real browser against the real binary, in English and in Urdu: on a
// server without --demo the public page explains the empty register; on
// the demo the public page lists the fictional providers with the CSV
// link, an admin adds one through the form (sent first with mistakes,
// which come back with the typed values and a message each), changes its
// status, and the public page shows it. Every page passes the walk's
// accessibility checks, on a desktop and a phone. Screenshots go to
// testoutput/screenshots/providers-<lang>/.
func TestBrowserProviders(t *testing.T) {
	exe := chromium(t)
	for _, lang := range []string{"en", "ur"} {
		t.Run(lang, func(t *testing.T) { browserProviders(t, exe, lang) })
	}
}

func browserProviders(t *testing.T, exe, lang string) {
	// A real deployment starts with an empty register.
	p := start(t, []string{"IPREG_DATA_DIR=" + t.TempDir()})
	ctx, dir := browserAt(t, exe, "providers-"+lang)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.base+"/healthz")); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	empty := &walker{t: t, ctx: ctx, base: p.base, lang: lang, dir: dir}
	if lang == "ur" {
		empty.open("/lang/ur?next=/")
	}
	empty.open("/")
	empty.submit(`footer a[href="/providers"]`, "/providers")
	empty.want("main", empty.tr("No provider is on the register yet.", "فہرست میں ابھی کوئی فراہم کنندہ درج نہیں۔"))
	empty.screenshot("providers-empty")

	w := demoWalk(t, exe, "providers-demo-"+lang, lang)
	w.open("/providers")
	w.want("h1", w.tr("Licensed VPN service providers", "لائسنس یافتہ وی پی این سروس فراہم کنندگان"))
	w.want("main table", "Demo Secure Tunnels (fictional)", "DEMO/VPN/2024/017", w.tr("Suspended", "معطل"))
	w.want("main", w.tr("Download the register (CSV)", "فہرست ڈاؤن لوڈ کریں (CSV)"))
	w.screenshot("providers")

	w.login("admin@demo.test", "demo-password-1", "/")
	w.submit(`nav a[href="/admin/providers"]`, "/admin/providers")
	w.want("h1", w.tr("Licensed VPN providers", "لائسنس یافتہ وی پی این فراہم کنندگان"))
	w.do(
		chromedp.SetValue(chromedp.CSS("#f-name"), "محفوظ نیٹ ورکس"),
		chromedp.SetValue(chromedp.CSS("#f-licence_number"), "PTA VPN 7"),
		chromedp.SetValue(chromedp.CSS("#f-licence_date"), "14-03-2025"),
		chromedp.SetValue(chromedp.CSS("#f-website"), "http://mahfooz.example.pk"),
	)
	w.submit(`form[action="/admin/providers"] button[type=submit]`, "/admin/providers")
	w.want("#errors", w.tr("Licence number", "لائسنس نمبر"), w.tr("must start with https://", "سے شروع ہونا چاہیے"))
	if got := run(w, chromedp.Evaluate[string](`document.querySelector("#f-website").value + "|" + document.querySelector("#f-name").value`)); got != "http://mahfooz.example.pk|محفوظ نیٹ ورکس" {
		t.Errorf("the form did not keep what was typed: %q", got)
	}
	w.screenshot("admin-providers-errors")
	w.do(
		chromedp.SetValue(chromedp.CSS("#f-licence_number"), "PTA/VPN/2026/007"),
		chromedp.SetValue(chromedp.CSS("#f-licence_date"), "2025-03-14"),
		chromedp.SetValue(chromedp.CSS("#f-website"), "https://mahfooz.example.pk"),
	)
	w.submit(`form[action="/admin/providers"] button[type=submit]`, "/admin/providers?msg=saved")
	w.want("main table", "محفوظ نیٹ ورکس", "PTA/VPN/2026/007")

	w.submit(`main table tr:has(bdi.tok) a[href^="/admin/providers/prv_"]`, "/admin/providers/prv_")
	w.want("h1", w.tr("Change a licensed VPN provider", "لائسنس یافتہ وی پی این فراہم کنندہ میں تبدیلی"))
	w.screenshot("admin-provider-edit")
	w.do(chromedp.SetValue(chromedp.CSS("#f-status"), "revoked"))
	w.submit(`main form button[type=submit]`, "/admin/providers?msg=saved")
	w.open("/providers")
	w.want("main table", w.tr("Revoked", "منسوخ"))
}
