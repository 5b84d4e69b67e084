package main_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserStatistics: anyone opens the public statistics page of the
// real binary from the footer, in English and in Urdu, and sees the chart
// (an SVG with its title) beside the table; the page passes the walk's
// page checks (accessibility, overflow, direction) on desktop and phone.
// Screenshots go to testoutput/screenshots/statistics-<lang>/.
func TestBrowserStatistics(t *testing.T) {
	exe := chromium(t)
	for _, lang := range []string{"en", "ur"} {
		t.Run(lang, func(t *testing.T) { browserStatistics(t, exe, lang) })
	}
}

func browserStatistics(t *testing.T, exe, lang string) {
	env := []string{"IPREG_DATA_DIR=" + t.TempDir()}
	p := start(t, env)
	ctx, dir := browserAt(t, exe, "statistics-"+lang)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.base+"/healthz")); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	w := &walker{t: t, ctx: ctx, base: p.base, lang: lang, dir: dir}
	w.open("/")
	if lang == "ur" {
		w.open("/lang/ur?next=/")
	}
	w.submit(`footer a[href="/statistics"]`, "/statistics")
	w.want("h1", w.tr("Statistics", "اعداد و شمار"))
	w.want("figcaption", w.tr("Applications received and approved per month", "ہر ماہ موصول اور منظور ہونے والی درخواستیں"))
	// The SVG's title is not drawn text: read it as a screen reader would.
	if got := run(w, chromedp.Evaluate[string](`document.querySelector('svg[role="img"] > title').textContent`)); got != w.tr("Applications received and approved per month", "ہر ماہ موصول اور منظور ہونے والی درخواستیں") {
		t.Errorf("chart title = %q", got)
	}
	w.want("table caption", w.tr("All categories, per month", "تمام زمرے، ماہ بہ ماہ"))
	w.screenshot("statistics")
}
