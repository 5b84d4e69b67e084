package main_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

// TestBrowserNotifications walks the notification pages in a real browser
// against the real binary, in Urdu: an applicant signs up (the portal's
// language becomes the language of their messages), the account page says
// the address is not confirmed yet, the mailed link's page confirms it
// with its button, the applicant switches messages to English; an admin
// sees the outbox page. The link's token is read from the outbox table,
// where the mail transport would take it from.
func TestBrowserNotifications(t *testing.T) {
	exe := chromium(t)
	data := t.TempDir()
	env := []string{"IPREG_DATA_DIR=" + data}
	ipreg(t, env, "admin password 1\n", "user", "add", "--email", "admin@pta.gov.pk", "--role", "admin")
	p := start(t, env, "--public-url", "https://vpn-registry.example.pk")

	dir := filepath.Join("testoutput", "screenshots", "notifications")
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 900), chromedp.Flag("lang", "en-US"))...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
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

	// The verification message waits in the outbox, in Urdu.
	var token string
	db, err := store.Open(context.Background(), filepath.Join(data, "ipreg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Read(context.Background(), func(tx registry.Tx) error {
		ms, err := tx.ListMessages(context.Background(), registry.MessagePending, 10)
		for _, m := range ms {
			if m.Recipient == email && m.Template == "verify_email" {
				if m.Lang != "ur" {
					t.Errorf("verification message in %q, want ur", m.Lang)
				}
				token = m.Secret
			}
		}
		return err
	})
	if token == "" {
		t.Fatal("no verification message in the outbox")
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
