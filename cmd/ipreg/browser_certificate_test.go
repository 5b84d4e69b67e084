package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/ipreg/ipreg/internal/certificate"
)

// TestBrowserCertificate: the holder finds the download button on the
// registration page, the browser downloads the PDF with the portal's
// session, and the QR code's link opens the verification page, which says
// the certificate is authentic, and that an edited one is edited; in
// English and in Urdu. Screenshots go to testoutput/screenshots/certificate-<lang>/.
func TestBrowserCertificate(t *testing.T) {
	exe := chromium(t)
	for _, lang := range []string{"en", "ur"} {
		t.Run(lang, func(t *testing.T) {
			env := []string{"IPREG_DATA_DIR=" + t.TempDir()}
			p := start(t, env, "--demo")
			_, _, number := approveForCertificate(t, p, "cert-"+lang+"@lahore-soft.pk")

			dir := filepath.Join("testoutput", "screenshots", "certificate-"+lang)
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
			w := &walker{t: t, ctx: ctx, base: p.base, lang: lang, dir: dir}
			if lang == "ur" {
				w.open("/lang/ur?next=/")
				time.Sleep(300 * time.Millisecond)
			}

			w.login("cert-"+lang+"@lahore-soft.pk", "correct horse battery", "/dashboard")
			w.open("/registrations/" + number)
			link := `a[href="/registrations/` + number + `/certificate.pdf"]`
			w.want(link, w.tr("Download the certificate (PDF)", "سرٹیفکیٹ ڈاؤن لوڈ کریں (PDF)"))
			w.screenshot("registration-certificate")
			// The download, as the browser makes it (with the session cookie).
			downloads := t.TempDir()
			w.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
					Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
				return err
			}))
			w.do(chromedp.Click(chromedp.CSS(link)))
			saved := filepath.Join(downloads, "certificate-"+number+".pdf")
			var pdf []byte
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if b, err := os.ReadFile(saved); err == nil && strings.Contains(string(b), "%%EOF") {
					pdf = b
					break
				}
			}
			if !strings.HasPrefix(string(pdf), "%PDF-") {
				names, _ := filepath.Glob(filepath.Join(downloads, "*"))
				t.Fatalf("the browser saved no certificate-%s.pdf (found %v)", number, names)
			}
			u, err := certificate.ExtractURL(pdf)
			if err != nil || !strings.HasPrefix(u, p.base+"/verify/"+number+"?code=") {
				t.Fatalf("certificate URL %q, %v", u, err)
			}
			w.logout()

			// Anyone scanning the QR code.
			w.do(chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("footer")))
			w.want("#certificate-verdict", w.tr("Authentic certificate", "اصل سرٹیفکیٹ"))
			w.want("main", w.tr("Active", "فعال"), number)
			w.screenshot("verify-authentic")
			w.do(chromedp.Navigate(strings.Replace(u, "&c=", "&c=A", 1)), chromedp.WaitReady(chromedp.CSS("footer")))
			w.want("#certificate-verdict", w.tr("This certificate has been edited", "اس سرٹیفکیٹ میں تبدیلی کی گئی ہے"))
			w.screenshot("verify-edited")
		})
	}
}
