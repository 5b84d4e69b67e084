package main_test

import (
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestBrowserImportAndClaim walks the import and the claim in a real
// browser against the real binary: an admin checks the sample allowlist on
// /admin/import (the report, nothing written), imports it with the
// button, and sees the invitations; a holder opens the link from the
// invitation e-mail (as a real SMTP server received it) in Urdu, sets a
// password and lands on the dashboard with the imported registration.
func TestBrowserImportAndClaim(t *testing.T) {
	exe := chromium(t)
	data := t.TempDir()
	env := []string{"IPREG_DATA_DIR=" + data}
	ipreg(t, env, "admin password 1\n", "user", "add", "--email", "admin@pta.gov.pk", "--role", "admin")
	for _, op := range [][]string{{"ptcl", "fixed"}, {"nayatel", "fixed"}, {"stormfiber", "fixed"}, {"telenor", "mobile"}} {
		ipreg(t, env, "", "operator", "add", "--id", op[0], "--name", op[0], "--kind", op[1])
	}
	mp := testbin.StartMailpit(t, testbin.MailpitOptions{})
	p := start(t, append(env, "IPREG_MAIL=smtp"), "--public-url", "https://vpn-registry.example.pk",
		"--smtp-host", mp.SMTPHost, "--smtp-port", strconv.Itoa(mp.SMTPPort), "--smtp-tls", "none", "--mail-from", "noreply@vpn-registry.example.pk")
	sample, err := filepath.Abs("../../docs/import-sample.csv")
	if err != nil {
		t.Fatal(err)
	}

	ctx, dir := browserAt(t, exe, "import")
	if err := chromedp.Do(ctx, chromedp.Navigate(p.base+"/healthz")); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	w := &walker{t: t, ctx: ctx, base: p.base, lang: "en", dir: dir}
	w.login("admin@pta.gov.pk", "admin password 1", "/account")
	w.enrolTOTP("admin-totp")
	w.open("/admin/import")
	w.screenshot("admin-import")
	w.do(chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{sample}))
	w.submit(`form[action="/admin/import"] button[type=submit]`, "/admin/import")
	w.want("#import-summary", "6", "4")
	w.screenshot("admin-import-checked")
	w.submit("#import-confirm", "/admin/import/confirm")
	w.want("#import-done", "4")
	w.screenshot("admin-import-done")
	w.open("/admin/invitations")
	w.want("main", "ayesha.khan@example.pk", "Bilal Ahmed")
	w.screenshot("admin-invitations")
	w.logout()

	// The invitation, through the real SMTP server.
	var link string
	for _, m := range mp.WaitMessages(t, 4) {
		if len(m.To) == 1 && m.To[0].Address == "ayesha.khan@example.pk" {
			msg := mp.Message(t, m.ID)
			if i := strings.Index(msg.Text, "/claim?token="); i >= 0 {
				token, _ := url.QueryUnescape(strings.Fields(msg.Text[i+len("/claim?token="):])[0])
				link = "/claim?token=" + url.QueryEscape(token)
			}
		}
	}
	if link == "" {
		t.Fatal("no invitation reached ayesha.khan@example.pk")
	}
	w.lang = "ur"
	w.open("/lang/ur?next=/")
	time.Sleep(300 * time.Millisecond)
	w.open(link)
	w.want("main", "عائشہ خان")
	w.screenshot("claim")
	w.do(chromedp.SetValue(chromedp.CSS("#f-password"), "short"))
	w.submit("main form button[type=submit]", "/claim")
	w.want("main", "بہت چھوٹا ہے")
	w.do(chromedp.SetValue(chromedp.CSS("#f-password"), "correct horse battery"))
	w.submit("main form button[type=submit]", "/dashboard?msg=claimed")
	w.want("main", "اکاؤنٹ اب آپ کا ہے", "VPN-")
	w.screenshot("claimed-dashboard")
}
