package main_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserJobs: an administrator opens the background jobs page of the
// real binary in a browser, in English and in Urdu, sees the jobs the
// server has already run, and asks for a run now; the page passes the
// walk's accessibility checks. Screenshots go to
// testoutput/screenshots/jobs-<lang>/.
func TestBrowserJobs(t *testing.T) {
	exe := chromium(t)
	for _, lang := range []string{"en", "ur"} {
		t.Run(lang, func(t *testing.T) { browserJobs(t, exe, lang) })
	}
}

func browserJobs(t *testing.T, exe, lang string) {
	env := []string{"IPREG_DATA_DIR=" + t.TempDir()}
	ipreg(t, env, "admin password 1\n", "user", "add", "--email", "admin@pta.gov.pk", "--role", "admin")
	p := start(t, env)
	ctx, dir := browserAt(t, exe, "jobs-"+lang)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.base+"/healthz")); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	w := &walker{t: t, ctx: ctx, base: p.base, lang: lang, dir: dir}
	if lang == "ur" {
		w.open("/lang/ur?next=/")
	}
	w.login("admin@pta.gov.pk", "admin password 1", "/account")
	w.enrolTOTP("admin-totp")

	// The menu leads to the page; the server ran every job at start.
	w.submit(`nav a[href="/admin/jobs"]`, "/admin/jobs")
	w.want("h1", w.tr("Background jobs", "پس منظر کے کام"))
	w.want("#job-clean-tokens", "clean-tokens", w.tr("Succeeded", "کامیاب"), w.tr("Every ", "ہر "))
	w.want("#job-purge-documents", w.tr("Documents past the retention period", "جن دستاویزات کو محفوظ رکھنے کی مدت گزر گئی"))
	w.want("#job-sweep-documents", w.tr("Document files that no application names", "دستاویزات کی وہ فائلیں جن کا کسی درخواست میں ذکر نہیں"), w.tr("Every hour", "ہر گھنٹے"))
	w.screenshot("jobs")

	w.submit(`#job-clean-tokens form button`, "/admin/jobs?msg=job_queued")
	w.want(".flash", w.tr("The job will start within a few seconds.", "یہ کام چند سیکنڈ میں شروع ہو جائے گا۔"))
	w.screenshot("jobs-run-now")
}
