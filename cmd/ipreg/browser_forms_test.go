package main_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestBrowserFormKept: in a real browser, a form sent after the session
// ended comes back after the next login with what was typed (the browser's
// own Referer and cookies carry it), and says the file must be chosen
// again. The session's end is the browser dropping its session cookie, as
// it does at the cookie's expiry. Screenshots go to
// testoutput/screenshots/form-kept-<lang>/.
func TestBrowserFormKept(t *testing.T) {
	exe := chromium(t)
	for _, lang := range []string{"en", "ur"} {
		t.Run(lang, func(t *testing.T) { browserFormKept(t, exe, lang) })
	}
}

func browserFormKept(t *testing.T, exe, lang string) {
	w := demoWalk(t, exe, "form-kept-"+lang, lang)
	email := "kept-" + lang + "@lahore-dev.pk"
	w.signupIndividual(email)

	page := "/applications/new?category=freelancer_vpn"
	w.open(page)
	w.do(
		chromedp.SetValue(chromedp.CSS("#f-operator_id"), "ptcl"),
		chromedp.SetValue(chromedp.CSS("#f-subscriber_id"), "PTCL-5551"),
		chromedp.SetValue(chromedp.CSS("#f-addresses"), "14.1.104.7"),
		chromedp.SetValue(chromedp.CSS("#f-purpose"), "Typed before the session ended"),
	)
	// The session ends while the form is open.
	w.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "ipreg_session", URL: w.base + "/"})
		return err
	}))
	w.submit(`main form button[type=submit]`, "/login?next=")
	w.want(".flash", w.tr("comes back with what you typed", "واپس آ جائے گا"))
	w.screenshot("login-form-kept")
	w.do(chromedp.SetValue(chromedp.CSS("#f-email"), email), chromedp.SetValue(chromedp.CSS("#f-password"), "correct horse battery"))
	w.submit("main form button[type=submit]", page)
	w.want(".flash", w.tr("What you typed is back", "آپ کا لکھا ہوا واپس آ گیا ہے"))
	for sel, want := range map[string]string{"#f-operator_id": "ptcl", "#f-subscriber_id": "PTCL-5551", "#f-addresses": "14.1.104.7",
		"#f-purpose": "Typed before the session ended"} {
		if got := run(w, chromedp.Evaluate[string](`document.querySelector("`+sel+`").value`)); strings.TrimSpace(got) != want {
			t.Errorf("%s = %q after the login, want %q as typed", sel, got, want)
		}
	}
	w.screenshot("form-back")
}
