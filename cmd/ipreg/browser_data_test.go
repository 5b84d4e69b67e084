package main_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestBrowserYourData: in a real browser, in English and Urdu, an
// applicant signs up, downloads their data from the account page (the
// link's file, fetched with the page's session), opens the deletion page,
// meets the error for a wrong password (the box stays ticked), and deletes
// the account; afterwards the account page asks for a login. Each page
// passes the walk's accessibility check; screenshots go to
// testoutput/screenshots/data-<lang>/.
func TestBrowserYourData(t *testing.T) {
	exe := chromium(t)
	for _, lang := range []string{"en", "ur"} {
		t.Run(lang, func(t *testing.T) { browserYourData(t, exe, lang) })
	}
}

func browserYourData(t *testing.T, exe, lang string) {
	w := demoWalk(t, exe, "data-"+lang, lang)
	email := "data-" + lang + "@lahore-dev.pk"
	w.signupIndividual(email)

	w.open("/account")
	w.want("#your-data", w.tr("Your data", "آپ کا ڈیٹا"))
	w.screenshot("account")
	// The download link saves the export, named for the day, with this
	// session's data.
	downloads := t.TempDir()
	w.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}), chromedp.Click(chromedp.CSS(`#your-data ~ p a[href="/account/export"]`)))
	var export []byte
	for deadline := time.Now().Add(15 * time.Second); export == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(downloads, "ipreg-data-*.json"))
		if len(files) == 1 {
			export, _ = os.ReadFile(files[0])
		}
	}
	var x struct {
		Format string `json:"format"`
		User   struct {
			Email string `json:"email"`
		} `json:"user"`
	}
	if err := json.Unmarshal(export, &x); err != nil || x.Format != "ipreg-data-export/1" || x.User.Email != email {
		t.Fatalf("the downloaded export (%v): %.300s", err, export)
	}

	w.submit(`a[href="/account/delete"]`, "/account/delete")
	w.want("h1", w.tr("Delete your account", "اپنا اکاؤنٹ حذف کریں"))
	w.screenshot("delete")
	w.do(chromedp.SetValue(chromedp.CSS("#f-password"), "not my password"), chromedp.Click(chromedp.CSS("#f-confirm")))
	w.submit("main form button[type=submit]", "/account/delete")
	w.want("#e-password", w.tr("is not your password", "آپ کا پاس ورڈ نہیں"))
	if checked := run(w, chromedp.Evaluate[bool](`document.querySelector("#f-confirm").checked`)); !checked {
		t.Error("the confirmation box was not kept ticked after the error")
	}
	if pw := run(w, chromedp.Evaluate[string](`document.querySelector("#f-password").value`)); pw != "" {
		t.Error("the password was shown back")
	}
	w.screenshot("delete-error")
	w.do(chromedp.SetValue(chromedp.CSS("#f-password"), "correct horse battery"))
	w.submit("main form button[type=submit]", "/account/delete")
	w.want("main", w.tr("Your account and personal data are deleted", "آپ کا اکاؤنٹ اور ذاتی ڈیٹا حذف ہو گیا ہے"))
	w.screenshot("deleted")
	w.open("/account")
	if loc := run(w, chromedp.Location()); !strings.Contains(loc, "/login") {
		t.Errorf("after deletion /account is at %s, want the login", loc)
	}
}
