package main_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestBrowserNotifications walks the notification pages in a real browser
// against the real binary, in Urdu: an applicant signs up (the portal's
// language becomes the language of their messages), the account page says
// the address is not confirmed yet, the mailed link's page confirms it
// with its button, the applicant switches messages to English; an admin
// sees the outbox page. The link is read from the e-mail as a real SMTP
// server (Mailpit) received it.
func TestBrowserNotifications(t *testing.T) {
	exe := chromium(t)
	data := t.TempDir()
	env := []string{"IPREG_DATA_DIR=" + data}
	ipreg(t, env, "admin password 1\n", "user", "add", "--email", "admin@pta.gov.pk", "--role", "admin")
	mp := testbin.StartMailpit(t, testbin.MailpitOptions{})
	p := start(t, append(env, "IPREG_MAIL=smtp"), "--public-url", "https://vpn-registry.example.pk",
		"--smtp-host", mp.SMTPHost, "--smtp-port", strconv.Itoa(mp.SMTPPort), "--smtp-tls", "none", "--mail-from", "noreply@vpn-registry.example.pk")

	ctx, dir := browserAt(t, exe, "notifications")
	if err := chromedp.Do(ctx, chromedp.Navigate(p.base+"/healthz")); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	w := &walker{t: t, ctx: ctx, base: p.base, lang: "ur", dir: dir}

	w.open("/")
	w.do(chromedp.Click(chromedp.CSS(`a[href^="/lang/ur"]`)))
	time.Sleep(300 * time.Millisecond)
	email := "sana@lahore-soft.pk"
	w.open("/signup")
	w.do(
		chromedp.SetValue(chromedp.CSS("#f-name"), "ثنا خان"),
		chromedp.SetValue(chromedp.CSS("#f-email"), email),
		chromedp.SetValue(chromedp.CSS("#f-password"), "correct horse battery"),
		chromedp.SetValue(chromedp.CSS("#f-kind"), "individual"),
		chromedp.SetValue(chromedp.CSS("#f-cnic"), "35202-7654321-1"),
		chromedp.SetValue(chromedp.CSS("#f-mobile"), "0300-7654321"),
	)
	w.submit("main form button[type=submit]", "/dashboard")
	w.open("/account")
	w.want("#email-verified", "ابھی نہیں")
	w.want("main", "رجسٹری کے پیغامات")
	w.screenshot("account-unconfirmed")

	// The verification message arrives through the real SMTP server, in Urdu.
	var token string
	for _, m := range mp.WaitMessages(t, 1) {
		if len(m.To) == 1 && m.To[0].Address == email {
			msg := mp.Message(t, m.ID)
			if !strings.Contains(msg.HTML, `dir="rtl"`) {
				t.Errorf("verification message not in Urdu:\n%s", msg.Text)
			}
			if i := strings.Index(msg.Text, "verify-email?token="); i >= 0 {
				token, _ = url.QueryUnescape(strings.Fields(msg.Text[i+len("verify-email?token="):])[0])
			}
		}
	}
	if token == "" {
		t.Fatal("no verification message arrived")
	}
	w.open("/verify-email?token=" + url.QueryEscape(token))
	w.screenshot("verify-email")
	w.submit("main form button[type=submit]", "/verify-email")
	w.want("#email-confirmed", "شکریہ")
	w.open("/account")
	w.want("#email-verified", "جی ہاں")

	// Messages in English from now on.
	w.do(chromedp.SetValue(chromedp.CSS("#f-lang"), "en"))
	w.submit(`form[action="/account/language"] button`, "/account?msg=saved")
	if v := run(w, chromedp.Evaluate[string](`document.querySelector("#f-lang").value`)); v != "en" {
		t.Errorf("language after saving = %q, want en", v)
	}
	w.screenshot("account-confirmed")
	w.logout()

	// The admin's outbox page.
	w.login("admin@pta.gov.pk", "admin password 1", "/account")
	w.enrolTOTP("admin-totp")
	w.open("/admin/outbox")
	w.want("h1", "جانے والے پیغامات")
	w.want("main", "بھیجے جانے کے منتظر")
	w.screenshot("admin-outbox")
}
