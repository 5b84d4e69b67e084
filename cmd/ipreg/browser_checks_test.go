package main_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPageChecksCatch shows that the bidi, phone and fields page checks can fail:
// on pages with each fault they report it, on the same pages done right
// they are silent.
func TestPageChecksCatch(t *testing.T) {
	exe := chromium(t)
	pages := map[string]string{
		"/bidi-bad": `<p>مثلاً 0300-1234567</p>
<dl><dt>حامل</dt><dd>Ex***** (P**) L</dd><dt>سائز</dt><dd>145 bytes</dd></dl>
<p dir="auto">PDF، JPEG یا PNG، زیادہ سے زیادہ 5 MiB</p>
<div dir="ltr">14.1.104.0/24</div>
<label>موبائل <input type="text" value="0300-1234567"></label>`,
		"/bidi-good": `<p>مثلاً <bdi>0300-1234567</bdi></p>
<dl><dt>حامل</dt><dd><bdi>Ex***** (P**) L</bdi></dd><dt>سائز</dt><dd>` + "\u2068145 bytes\u2069" + `</dd></dl>
<p dir="rtl">PDF، JPEG یا PNG، زیادہ سے زیادہ 5 MiB</p>
<div dir="ltr" style="text-align: right">14.1.104.0/24</div>
<label>موبائل <input type="text" dir="auto" style="text-align: right" value="0300-1234567"></label>`,
		"/phone-wide":   `<div style="width: 600px">چوڑا</div>`,
		"/phone-scroll": `<div style="overflow-x: auto"><table style="width: 800px"><tr><td>ایک</td><td>دو</td></tr></table></div>`,
		"/phone-good":   `<div>تنگ</div><table><tr><td>ایک</td><td>دو</td></tr></table>`,
		// The walks use the portal's own stylesheet; these fields break it:
		// an unstyled tel field, an invalid field whose border a rule of its
		// type overrides.
		"/fields-bad": `<style>input[type=text] { border: 1px solid #767676; }</style>
<input type="text" name="a"><input type="tel" name="b" style="border: 1px inset #ccc"><input type="text" name="c" aria-invalid="true">`,
		"/fields-good": `<style>:where(input) { border: 1px solid #767676; } [aria-invalid=true] { border: 2px solid #8a1c12; }</style>
<input type="text" name="a"><input type="tel" name="b"><input type="text" name="c" aria-invalid="true">`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html lang="ur" dir="rtl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head><body>` +
			pages[r.URL.Path] + `</body></html>`))
	}))
	defer srv.Close()
	ctx, _ := browserAt(t, exe, "checks")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path, script string
		want         []string // "" when the page is right
	}{
		{"/bidi-bad", bidiCheck, []string{"0300-1234567", "Ex***** (P**) L", "145 bytes", "dir=auto lays this Urdu out", "pinned to the far edge", "value: 0300-1234567"}},
		{"/bidi-good", bidiCheck, nil},
		{"/phone-wide", phoneCheck, []string{"the page is", "off the screen: div"}},
		{"/phone-scroll", phoneCheck, []string{"hides content sideways: div"}},
		{"/phone-good", phoneCheck, nil},
		{"/fields-bad", fieldsCheck, []string{"tel b: border", "text c: border 1px solid"}},
		{"/fields-good", fieldsCheck, nil},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+tt.path)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](tt.script))
		if err != nil {
			t.Fatal(err)
		}
		if tt.want == nil && got != "" {
			t.Errorf("%s: the check finds %q on a right page", tt.path, got)
		}
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: the check misses %q; it says %q", tt.path, w, got)
			}
		}
	}
}
