package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/testbin"
)

// chromium finds Debian's Chromium (or another Chrome), or skips.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("IPREG_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			testbin.SkipOrFail(t, "IPREG_CHROMIUM="+p+" does not exist")
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testbin.SkipOrFail(t, "no Chromium found (apt-get install chromium, or set IPREG_CHROMIUM)")
	return ""
}

// TestBrowserWalk drives the portal in a real browser against the real
// binary, once in English and once in Urdu: an applicant signs up, files a
// company_vpn application, meets the field error for a private address,
// fixes it, uploads the documents and submits; the operator confirms; a
// reviewer sets up TOTP at the first login, approves, and logs in again
// with a code; the applicant sees the registration. Screenshots of each
// main page go to testoutput/screenshots/<lang>/.
func TestBrowserWalk(t *testing.T) {
	exe := chromium(t)
	for _, lang := range []string{"en", "ur"} {
		t.Run(lang, func(t *testing.T) { browserWalk(t, exe, lang) })
	}
}

// walker drives one browser tab through the portal.
type walker struct {
	t    *testing.T
	ctx  context.Context
	base string
	lang string
	shot int
	dir  string
}

// transient reports errors of a page being replaced under the query:
// chromedp learns of a navigation a moment after the browser makes it.
func transient(err error) bool {
	m := err.Error()
	return strings.Contains(m, "Could not find node") || strings.Contains(m, "Cannot find context") || strings.Contains(m, "No node with given id")
}

func (w *walker) do(steps ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	run(w, chromedp.Steps(steps...))
}

// run runs an action, retrying while the page is being replaced.
func run[T any](w *walker, a chromedp.Action[T]) T {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(w.ctx, time.Until(deadline))
		v, err := chromedp.Run(ctx, a)
		cancel()
		if err == nil {
			return v
		}
		if !transient(err) || time.Now().After(deadline) {
			ctx, cancel := context.WithTimeout(w.ctx, 2*time.Second)
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			main, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText`))
			cancel()
			w.t.Fatalf("browser at %s: %v\npage says:\n%s", loc, err, main)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// open goes to a path and waits for the page.
func (w *walker) open(path string) {
	w.t.Helper()
	w.do(chromedp.Navigate(w.base+path), chromedp.WaitReady(chromedp.CSS("footer")))
}

// submit clicks a button (or link) and waits until the browser has loaded
// a page whose path starts with want. Errors while the old page goes away
// are expected and retried.
func (w *walker) submit(button string, want string) {
	w.t.Helper()
	// Mark the old page, so that its URL is not taken for the new one's.
	run(w, chromedp.Evaluate[bool](`window.__walkOld = true`))
	w.do(chromedp.Click(chromedp.CSS(button)))
	w.waitFor(want)
}

// waitFor waits until a new page (the old one marked __walkOld) has loaded
// at a path that starts with want.
func (w *walker) waitFor(want string) {
	w.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var at string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(w.ctx, 2*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`!window.__walkOld && document.readyState === "complete" && document.querySelector("footer") ? location.pathname + location.search : ""`))
		cancel()
		if err == nil && v != "" {
			at = v
			if strings.HasPrefix(v, want) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	body, _ := chromedp.Run(w.ctx, chromedp.Text(chromedp.CSS("main")))
	w.t.Fatalf("at %s, want %s; page says:\n%s", at, want, body)
}

func (w *walker) text(sel string) string {
	w.t.Helper()
	return run(w, chromedp.Text(chromedp.CSS(sel)))
}

// a11y finds what a screen reader user would miss on the page (form
// controls without a label, images without alt text, a page without a
// language, direction or h1, error messages not tied to their field) and
// text whose contrast is below WCAG AA.
const a11y = `(() => {
  const out = [];
  for (const e of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (!(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.hidden) out.push("no label: " + (e.name || e.id));
  }
  for (const i of document.querySelectorAll("img")) if (!i.hasAttribute("alt")) out.push("no alt: " + i.src.slice(0, 40));
  if (!document.documentElement.lang || !document.documentElement.dir) out.push("no lang or dir on <html>");
  if (document.querySelectorAll("h1").length !== 1) out.push("not one h1");
  // WCAG AA contrast for every element that holds text: 4.5:1, or 3:1
  // for large text.
  const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const bg = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
  for (const e of document.querySelectorAll("body *")) {
    if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const st = getComputedStyle(e);
    if (st.visibility === "hidden" || st.display === "none" || e.closest("[hidden]")) continue;
    const a = lum(rgb(st.color)), b = lum(bg(e));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(st.fontSize), large = size >= 24 || (size >= 18.66 && Number(st.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push("contrast " + ratio.toFixed(2) + ": " + e.tagName + " " + e.textContent.trim().slice(0, 30));
  }
  for (const e of document.querySelectorAll("[aria-invalid=true]")) {
    const ids = (e.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (!ids.some(id => { const d = document.getElementById(id); return d && d.classList.contains("field-error"); })) out.push("error not linked: " + e.name);
  }
  return out.join("; ");
})()`

// pageCheck is a script run on every page the walks screenshot: it
// returns "" when the page is right, else what is wrong. Each kind of
// fault the walks guard against (a11y, bidi isolation, phone overflow,
// raw codes) adds its own in its own file, from init.
type pageCheck struct {
	name   string
	script string
	// langs limits the check to these page languages; nil is every one.
	langs []string
}

var pageChecks = []pageCheck{{name: "a11y", script: a11y}}

// checkPage runs every page check that applies to the walk's language.
func (w *walker) checkPage(name string) {
	w.t.Helper()
	for _, c := range pageChecks {
		if c.langs != nil && !slices.Contains(c.langs, w.lang) {
			continue
		}
		if problems := run(w, chromedp.Evaluate[string](c.script)); problems != "" {
			w.t.Errorf("page %s (%s): %s", name, c.name, problems)
		}
	}
}

// screenshot saves the whole page, after running the page checks on it;
// a desktop page is then shown, checked and saved again on a phone
// (browser_phone_test.go), and the desktop size restored.
func (w *walker) screenshot(name string) {
	w.t.Helper()
	w.checkPage(name)
	w.save(name)
	if run(w, chromedp.Evaluate[int](`document.documentElement.clientWidth`)) <= phoneWidth {
		return // already on a phone
	}
	w.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateMobile))
	for run(w, chromedp.Evaluate[int](`document.documentElement.clientWidth`)) > phoneWidth {
		time.Sleep(20 * time.Millisecond) // the new size reaches the page
	}
	w.checkPage(name + fmt.Sprintf(" at %d px", phoneWidth))
	w.save(name + "-phone")
	w.do(chromedp.EmulateViewport(1280, 900))
}

func (w *walker) save(name string) {
	w.t.Helper()
	b := run(w, chromedp.FullScreenshot(100))
	w.shot++
	p := filepath.Join(w.dir, fmt.Sprintf("%02d-%s.png", w.shot, name))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// want fails unless the page's main text has s (in the walk's language).
func (w *walker) want(sel string, s ...string) {
	w.t.Helper()
	got := w.text(sel)
	for _, x := range s {
		if !strings.Contains(got, x) {
			w.t.Fatalf("%s does not say %q:\n%s", sel, x, got)
		}
	}
}

// tr picks the English or the Urdu text the walk expects.
func (w *walker) tr(en, ur string) string {
	if w.lang == "ur" {
		return ur
	}
	return en
}

// enrolTOTP sets up TOTP from the account page as a user would with an
// authenticator app, and returns the secret and the step used.
func (w *walker) enrolTOTP(shot string) (string, int64) {
	w.t.Helper()
	w.submit(`form[action="/account/totp"] button`, "/account/totp")
	secret := strings.TrimSpace(w.text("#totp-secret"))
	w.screenshot(shot)
	step := auth.TOTPStep(time.Now())
	code, _ := auth.TOTPCode(secret, step)
	w.do(chromedp.SetValue(chromedp.CSS("#f-code"), code))
	w.submit(`form[action="/account/totp/confirm"] button`, "/account?msg=totp_on")
	return secret, step
}

func (w *walker) login(email, password, next string) {
	w.t.Helper()
	w.open("/login")
	w.do(chromedp.SetValue(chromedp.CSS("#f-email"), email), chromedp.SetValue(chromedp.CSS("#f-password"), password))
	w.submit("main form button[type=submit]", next)
}

func (w *walker) logout() {
	w.t.Helper()
	w.submit("header form[action='/logout'] button", "/")
}

func browserWalk(t *testing.T, exe, lang string) {
	data := t.TempDir()
	env := []string{"IPREG_DATA_DIR=" + data}
	// Real staff, made as an administrator would, without --demo: the
	// reviewer must set up TOTP.
	ipreg(t, env, "", "operator", "add", "--id", "ptcl", "--name", "PTCL", "--kind", "fixed")
	ipreg(t, env, "reviewer password 1\n", "user", "add", "--email", "reviewer@pta.gov.pk", "--role", "reviewer")
	ipreg(t, env, "operator password 1\n", "user", "add", "--email", "checks@ptcl.net.pk", "--role", "operator", "--operator", "ptcl")
	ipreg(t, env, "admin password 1\n", "user", "add", "--email", "admin@pta.gov.pk", "--role", "admin")
	p := start(t, env)

	dir := filepath.Join("testoutput", "screenshots", lang)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 900), chromedp.Flag("lang", "en-US"))...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate(p.base+"/healthz")); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	w := &walker{t: t, ctx: ctx, base: p.base, lang: lang, dir: dir}
	t.Logf("screenshots in %s", dir)

	// The language switch sticks (a cookie) and turns the layout around.
	w.open("/")
	if lang == "ur" {
		w.do(chromedp.Click(chromedp.CSS(`a[href^="/lang/ur"]`)))
		time.Sleep(300 * time.Millisecond)
		w.open("/")
	}
	dirAttr := run(w, chromedp.AttributeValue(chromedp.CSS("html"), "dir"))
	if want := w.tr("ltr", "rtl"); dirAttr.Value != want {
		t.Fatalf(`<html dir=%q>, want %q`, dirAttr.Value, want)
	}
	w.want("h1", w.tr("Register your VPN", "اپنا وی پی این رجسٹر کرائیں"))
	w.screenshot("home")
	// The checker itself can fail: faint text and an unlabelled field.
	bad := run(w, chromedp.Evaluate[string](`(() => {
	  const p = document.createElement("p"); p.textContent = "faint"; p.style.color = "#bbbbbb"; document.querySelector("main").append(p);
	  const i = document.createElement("input"); i.name = "unlabelled"; document.querySelector("main").append(i);
	  return `+a11y+`; })()`))
	if !strings.Contains(bad, "contrast") || !strings.Contains(bad, "no label: unlabelled") {
		t.Fatalf("the accessibility check misses faint text or an unlabelled field: %q", bad)
	}

	// Sign-up.
	email := "it-" + lang + "@karachi-soft.pk"
	w.open("/signup")
	w.want("label[for=f-password]", w.tr("Password", "پاس ورڈ"))
	w.screenshot("signup")
	w.do(
		chromedp.SetValue(chromedp.CSS("#f-name"), "Karachi Soft (Pvt) Ltd"),
		chromedp.SetValue(chromedp.CSS("#f-email"), email),
		chromedp.SetValue(chromedp.CSS("#f-password"), "correct horse battery"),
		chromedp.SetValue(chromedp.CSS("#f-cnic"), "42101-1234567-1"),
		chromedp.SetValue(chromedp.CSS("#f-mobile"), "0321-1234567"),
		chromedp.SetValue(chromedp.CSS("#f-ntn"), "7654321-0"),
	)
	w.submit("main form button[type=submit]", "/dashboard")
	w.want("main", w.tr("Your account is ready", "آپ کا اکاؤنٹ تیار ہے"))
	w.screenshot("dashboard")

	// The guided form: choose the category, see the documents and fee.
	w.open("/applications/new")
	w.screenshot("choose-category")
	w.submit(`a[href="/applications/new?category=company_vpn"]`, "/applications/new?category=company_vpn")
	w.want("main", w.tr("Before you submit you will need", "جمع کرانے سے پہلے آپ کو یہ دستاویزات درکار ہوں گی"))
	w.do(
		chromedp.SetValue(chromedp.CSS("#f-operator_id"), "ptcl"),
		chromedp.SetValue(chromedp.CSS("#f-subscriber_id"), "PTCL-0042-771"),
		chromedp.SetValue(chromedp.CSS("#f-addresses"), "14.1.104.0/24\n10.1.2.3"),
		chromedp.SetValue(chromedp.CSS("#f-vpn_protocol"), "wireguard"),
		chromedp.SetValue(chromedp.CSS("#f-purpose"), "Engineers reach customer systems in Europe."),
	)
	w.submit("main form button[type=submit]", "/applications")
	// The same message as the API, next to the field, and in the summary.
	w.want(".errors", w.tr("Please fix the following", "براہِ کرم درج ذیل درست کریں"))
	w.want("#e-addresses", "10.1.2.3/32", w.tr("is private address space", "نجی (پرائیویٹ) IP رینج"))
	invalid := run(w, chromedp.AttributeValue(chromedp.CSS("#f-addresses"), "aria-invalid"))
	if invalid.Value != "true" {
		t.Errorf("the address field is not marked invalid")
	}
	w.screenshot("form-error")
	w.do(chromedp.SetValue(chromedp.CSS("#f-addresses"), "14.1.104.0/24"))
	w.submit("main form button[type=submit]", "/applications/app_")
	w.want(".flash", w.tr("Draft saved", "مسودہ محفوظ ہو گیا"))
	appPath := strings.SplitN(strings.TrimPrefix(run(w, chromedp.Location()), p.base), "?", 2)[0]

	// Documents, each a file chosen in the form.
	for _, kind := range []string{"cnic_front", "cnic_back", "incorporation_proof"} {
		f := filepath.Join(t.TempDir(), kind+".pdf")
		if err := os.WriteFile(f, testbin.PDF(kind), 0o600); err != nil {
			t.Fatal(err)
		}
		w.do(chromedp.SetValue(chromedp.CSS("#f-kind"), kind), chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{f}))
		w.submit(`form[action$="/documents"] button[type=submit]`, appPath+"?msg=uploaded")
	}
	w.screenshot("application-documents")
	w.submit(`form[action$="/submit"] button[type=submit]`, appPath+"?msg=submitted")
	w.want("main", w.tr("With the operator", "آپریٹر کے پاس"))
	w.screenshot("application-submitted")
	// On a phone: nothing wider than the screen.
	w.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	w.open(appPath)
	if wide := run(w, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)); wide {
		t.Errorf("the application page is wider than a phone's screen")
	}
	w.screenshot("phone-application")
	w.do(chromedp.EmulateViewport(1280, 900))
	w.logout()

	// The operator confirms, with the keyboard alone: type, Tab, type,
	// Enter to log in; Space to tick; Tab to the button, Enter to send.
	w.open("/login")
	run(w, chromedp.Evaluate[bool](`window.__walkOld = true`))
	w.do(chromedp.SendKeys(chromedp.CSS("#f-email"), "checks@ptcl.net.pk\toperator password 1\r"))
	w.waitFor("/operator/checks")
	w.want("main", "Karachi Soft (Pvt) Ltd", "14.1.104.0/24")
	w.screenshot("operator-checks")
	w.do(chromedp.Focus(chromedp.CSS(`input[name=check]`)), chromedp.KeyEvent(" "))
	if on := run(w, chromedp.Evaluate[bool](`document.querySelector("input[name=check]").checked`)); !on {
		t.Fatal("Space did not tick the check")
	}
	w.do(chromedp.Focus(chromedp.CSS(`form[action="/operator/checks"] button[type=submit]`)))
	run(w, chromedp.Evaluate[bool](`window.__walkOld = true`))
	w.do(chromedp.KeyEvent("\r"))
	w.waitFor("/operator/checks?msg=answered")
	w.logout()

	// The reviewer's first login may only set up TOTP.
	w.login("reviewer@pta.gov.pk", "reviewer password 1", "/account")
	w.want(".flash", w.tr("requires two-factor authentication", "دو مرحلہ تصدیق لازمی ہے"))
	w.screenshot("totp-required")
	secret, step := w.enrolTOTP("totp-setup")

	w.open("/review")
	w.want("main", "Karachi Soft (Pvt) Ltd")
	w.screenshot("review-queue")
	w.submit(`table a[href^="/applications/"]`, "/applications/app_")
	w.want("main", "42101-1234567-1") // the applicant's data, for the reviewer
	w.screenshot("review-application")
	// Documents open in the browser (a new tab for the reviewer; here the
	// same one), and each opening is recorded.
	reviewPath := strings.SplitN(strings.TrimPrefix(run(w, chromedp.Location()), p.base), "?", 2)[0]
	href := run(w, chromedp.AttributeValue(chromedp.CSS(`a[href*="/documents/doc_"]`), "href"))
	w.do(chromedp.Navigate(w.base + href.Value))
	time.Sleep(300 * time.Millisecond)
	w.open(reviewPath)
	w.do(chromedp.Click(chromedp.CSS(`input[name=decision][value=approve]`)))
	w.submit(`form[action$="/decision"] button[type=submit]`, "/review?msg=decided")
	// A revocation proposed, seen waiting for a second signature, withdrawn.
	w.open(reviewPath)
	w.submit(`a[href^="/registrations/"]`, "/registrations/VPN-")
	w.do(chromedp.SetValue(chromedp.CSS("#f-reason"), "Checking the revocation page"))
	w.submit(`form[action$="/revocations"] button[type=submit]`, "/revocations?msg=proposed")
	w.want("main", "Checking the revocation page")
	w.screenshot("revocations")
	w.submit(`form[action$="/cancel"] button[type=submit]`, "/revocations?msg=cancelled")
	w.logout()

	// From now on the reviewer's login asks for a code; the one used for
	// enrolment does not work again.
	w.login("reviewer@pta.gov.pk", "reviewer password 1", "/login")
	w.want("main", w.tr("Authenticator code", "تصدیقی ایپ کا کوڈ"))
	w.screenshot("login-totp")
	next, _ := auth.TOTPCode(secret, step+1)
	w.do(chromedp.SetValue(chromedp.CSS("#f-email"), "reviewer@pta.gov.pk"), chromedp.SetValue(chromedp.CSS("#f-password"), "reviewer password 1"),
		chromedp.SetValue(chromedp.CSS("#f-totp"), next))
	w.submit("main form button[type=submit]", "/review")
	w.logout()

	// The applicant sees the registration.
	w.login(email, "correct horse battery", "/dashboard")
	w.want("main", "VPN-")
	w.submit(`a[href^="/registrations/"]`, "/registrations/VPN-")
	w.want("main", w.tr("Active", "فعال"), "14.1.104.0/24")
	w.screenshot("registration")
	w.open(appPath + "/accesses")
	w.want("main", w.tr("Viewed the application", "درخواست دیکھی"), w.tr("Viewed a document", "دستاویز دیکھی"))
	w.screenshot("who-viewed-my-data")
	w.logout()

	// The public pages.
	w.open("/verify")
	w.screenshot("verify")
	w.open("/privacy")
	w.screenshot("privacy")
	// "Do I need to register?" (issue 13): sent without an answer, the
	// questions are named; answered, the page shows the category, its
	// documents and fee, and keeps the choices.
	w.open("/eligibility")
	w.screenshot("eligibility")
	w.do(chromedp.Click(chromedp.CSS(`input[name="who"][value="call_centre"]`)))
	w.submit(`form[action="/eligibility"] button[type=submit]`, "/eligibility")
	w.want(".errors", w.tr("How do you connect to the internet?", "آپ کا انٹرنیٹ کنکشن کس قسم کا ہے؟"))
	w.screenshot("eligibility-error")
	w.do(chromedp.Click(chromedp.CSS(`input[name="connection"][value="static_ip"]`)), chromedp.Click(chromedp.CSS(`input[name="licensed_provider"][value="no"]`)))
	w.submit(`form[action="/eligibility"] button[type=submit]`, "/eligibility")
	w.want("#eligibility-answer", w.tr("apply in the category Call centre", "زمرہ \u2068کال سینٹر\u2069 میں درخواست دیں"), w.tr("PSEB", "PSEB"))
	if !run(w, chromedp.Evaluate[bool](`document.querySelector('input[name="who"][value="call_centre"]').checked`)) {
		t.Errorf("the questionnaire's answer does not keep the choice who=call_centre")
	}
	w.screenshot("eligibility-answer")

	// The admin's pages; the admin too sets up TOTP first.
	w.login("admin@pta.gov.pk", "admin password 1", "/account")
	w.enrolTOTP("admin-totp")
	w.open("/admin/users")
	w.want("main", "reviewer@pta.gov.pk", "checks@ptcl.net.pk")
	w.screenshot("admin-users")
	// A refused new user: the summary names the password as the form
	// labels it ("First password") and links to it (pageChecks).
	w.do(chromedp.SetValue(chromedp.CSS("#f-email"), "new.reviewer@pta.gov.pk"), chromedp.SetValue(chromedp.CSS("#f-password"), "short"))
	w.submit(`form[action="/admin/users"] button[type=submit]`, "/admin/users")
	w.want(".errors", w.tr("First password", "ابتدائی پاس ورڈ"))
	w.screenshot("admin-users-error")
	w.open("/admin/operators")
	w.screenshot("admin-operators")
	w.open("/admin/settings")
	w.do(chromedp.SetValue(chromedp.CSS("#f-sla_working_hours"), "16"))
	w.submit(`form[action="/admin/settings"] button[type=submit]`, "/admin/settings?msg=saved")
	if v := run(w, chromedp.Value(chromedp.CSS("#f-sla_working_hours"))); v != "16" {
		t.Errorf("settings after saving: SLA hours %q", v)
	}
	w.screenshot("admin-settings")
}

// browserAt starts headless Chromium (exe) for one walk, at desktop width,
// and empties its screenshot directory testoutput/screenshots/<name>; the
// browser ends with the test.
func browserAt(t *testing.T, exe, name string) (context.Context, string) {
	t.Helper()
	dir := filepath.Join("testoutput", "screenshots", name)
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 900), chromedp.Flag("lang", "en-US"))...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	return ctx, dir
}

// demoWalk starts `ipreg serve --demo` on a data directory of its own and
// a browser for it (browserAt's screenshots directory name), with the
// portal's language switched to lang.
func demoWalk(t *testing.T, exe, name, lang string) *walker {
	t.Helper()
	p := start(t, []string{"IPREG_DATA_DIR=" + t.TempDir()}, "--demo")
	ctx, dir := browserAt(t, exe, name)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.base+"/healthz")); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	w := &walker{t: t, ctx: ctx, base: p.base, lang: lang, dir: dir}
	if lang == "ur" {
		w.open("/")
		w.do(chromedp.Click(chromedp.CSS(`a[href^="/lang/ur"]`)))
		time.Sleep(300 * time.Millisecond)
	}
	return w
}

// signupIndividual signs up Ayesha Khan, an individual, with email, and
// lands on her dashboard.
func (w *walker) signupIndividual(email string) {
	w.t.Helper()
	w.open("/signup")
	// The kind is a choice; individuals have no NTN.
	w.do(chromedp.Click(chromedp.CSS(`input[name=kind][value=individual]`)))
	w.do(
		chromedp.SetValue(chromedp.CSS("#f-name"), "Ayesha Khan"),
		chromedp.SetValue(chromedp.CSS("#f-email"), email),
		chromedp.SetValue(chromedp.CSS("#f-password"), "correct horse battery"),
		chromedp.SetValue(chromedp.CSS("#f-cnic"), "35202-7654321-2"),
		chromedp.SetValue(chromedp.CSS("#f-mobile"), "0333-1234567"),
	)
	w.submit("main form button[type=submit]", "/dashboard")
}
