package main_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserNotices: an administrator of the real binary publishes a
// notice in a browser, in English and in Urdu: the empty form is refused
// with its error summary, the filled one publishes, the deadline is moved
// on the change page, and the notices page shows the notice with both
// dates; every page passes the walk's checks. Screenshots go to
// testoutput/screenshots/notices-<lang>/.
func TestBrowserNotices(t *testing.T) {
	exe := chromium(t)
	for _, lang := range []string{"en", "ur"} {
		t.Run(lang, func(t *testing.T) { browserNotices(t, exe, lang) })
	}
}

func browserNotices(t *testing.T, exe, lang string) {
	env := []string{"IPREG_DATA_DIR=" + t.TempDir()}
	ipreg(t, env, "admin password 1\n", "user", "add", "--email", "admin@pta.gov.pk", "--role", "admin")
	p := start(t, env)
	ctx, dir := browserAt(t, exe, "notices-"+lang)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.base+"/healthz")); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	w := &walker{t: t, ctx: ctx, base: p.base, lang: lang, dir: dir}
	if lang == "ur" {
		w.open("/lang/ur?next=/")
	}
	w.login("admin@pta.gov.pk", "admin password 1", "/account")
	w.enrolTOTP("admin-totp")

	w.submit(`nav a[href="/admin/notices"]`, "/admin/notices")
	w.want("h1", w.tr("Notices", "اعلانات"))
	// Sent empty: the summary names each missing field.
	w.submit(`form[action="/admin/notices"] button[type=submit]`, "/admin/notices")
	w.want("#errors", w.tr("Title in English", "انگریزی میں عنوان"), w.tr("Text in Urdu", "اردو میں متن"))
	w.screenshot("notices-errors")

	pkt := time.FixedZone("PKT", 5*3600)
	expiry := time.Now().In(pkt).AddDate(0, 1, 0)
	w.do(chromedp.SetValue(chromedp.CSS("#f-title_en"), "Registration deadline"),
		chromedp.SetValue(chromedp.CSS("#f-body_en"), "Register by the date below.\n\nUnregistered VPNs are blocked after it."),
		chromedp.SetValue(chromedp.CSS("#f-title_ur"), "رجسٹریشن کی آخری تاریخ"),
		chromedp.SetValue(chromedp.CSS("#f-body_ur"), "نیچے دی گئی تاریخ تک رجسٹر کرائیں۔"),
		chromedp.SetValue(chromedp.CSS("#f-expires_at"), expiry.Format("2006-01-02")))
	w.submit(`form[action="/admin/notices"] button[type=submit]`, "/admin/notices?msg=notice_published")
	w.want(".flash", w.tr("The notice was published.", "اعلان شائع ہو گیا۔"))
	w.screenshot("notices-admin")

	// The deadline moves a week.
	w.submit(`td a[href^="/admin/notices/ntc_"]`, "/admin/notices/ntc_")
	moved := expiry.AddDate(0, 0, 7)
	w.do(chromedp.SetValue(chromedp.CSS("#f-expires_at"), moved.Format("2006-01-02")))
	w.submit(`main form button[type=submit]`, "/admin/notices?msg=notice_saved")

	w.open("/notices")
	w.want("article.notice", w.tr("Registration deadline", "رجسٹریشن کی آخری تاریخ"), w.tr("Changes since publication", "اشاعت کے بعد کی تبدیلیاں"),
		expiry.AddDate(0, 0, 1).Format("2006-01-02"), moved.AddDate(0, 0, 1).Format("2006-01-02"))
	w.screenshot("notices-public")
	w.open("/")
	w.want("article.notice", w.tr("Register by the date below.", "نیچے دی گئی تاریخ تک رجسٹر کرائیں۔"))
	w.screenshot("home-with-notice")
}
