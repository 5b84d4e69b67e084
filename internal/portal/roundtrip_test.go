package portal_test

import (
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/ipreg/ipreg/internal/registry"
)

// templateForm is a <form method="post"> of a template: its action with
// every template action written {}, and its fields.
type templateForm struct {
	key    string // "file action", the case's name
	fields map[string]string
}

var (
	reForm   = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	reAttr   = regexp.MustCompile(`\b(method|action)="([^"]*)"`)
	reField  = regexp.MustCompile(`<(input|select|textarea)\b([^>]*)>`)
	reName   = regexp.MustCompile(`\bname="([^"]*)"`)
	reType   = regexp.MustCompile(`\btype="([^"]*)"`)
	reAction = regexp.MustCompile(`\{\{.*?\}\}`)
	// An internal id in an error: rows and objects must be named as the
	// page shows them, never so.
	reInternalID = regexp.MustCompile(`\b(chk|app|doc|usr|apl|rev|tok|msg)_[a-z0-9]{8,}`)
)

// postForms lists every <form method="post"> in the portal's templates.
func postForms(t *testing.T) []templateForm {
	t.Helper()
	dir := os.DirFS("templates")
	names, err := fs.Glob(dir, "*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("templates: %v", err)
	}
	var out []templateForm
	for _, n := range names {
		b, err := fs.ReadFile(dir, n)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range reForm.FindAllStringSubmatch(string(b), -1) {
			attrs := map[string]string{}
			for _, a := range reAttr.FindAllStringSubmatch(m[1], -1) {
				attrs[a[1]] = a[2]
			}
			if !strings.EqualFold(attrs["method"], "post") {
				continue
			}
			f := templateForm{key: n + " " + reAction.ReplaceAllString(attrs["action"], "{}"), fields: map[string]string{}}
			for _, fm := range reField.FindAllStringSubmatch(m[2], -1) {
				name := reName.FindStringSubmatch(fm[2])
				if name == nil {
					continue
				}
				kind := fm[1]
				if kind == "input" {
					kind = "text"
					if ty := reType.FindStringSubmatch(fm[2]); ty != nil {
						kind = ty[1]
					}
				}
				f.fields[reAction.ReplaceAllString(name[1], "{}")] = kind
			}
			// The "field" partial writes an input of the name it is given.
			for _, p := range regexp.MustCompile(`\{\{template "field" dict [^}]*"name" "([^"]+)"[^}]*?(?:"type" "([^"]+)")?[^}]*\}\}`).FindAllStringSubmatch(m[2], -1) {
				kind := "text"
				if p[2] != "" {
					kind = p[2]
				}
				f.fields[p[1]] = kind
			}
			out = append(out, f)
		}
	}
	return out
}

// typed reports whether a form has a field a person types or chooses
// (not hidden, not a button).
func (f templateForm) typed() bool {
	for _, k := range f.fields {
		if k != "hidden" && k != "submit" && k != "button" {
			return true
		}
	}
	return false
}

// formValues reads the form with the given action from a page as a
// browser would send it: text inputs, textareas, the selected option of
// each select (the first when none is), checked boxes and radios.
func formValues(t *testing.T, body, action string) (url.Values, map[string]string, bool) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	text := func(n *html.Node) string {
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
		}
		return b.String()
	}
	var form *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if form != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" {
			if a, _ := attr(n, "action"); a == action {
				form = n
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	if form == nil {
		return nil, nil, false
	}
	vals, kinds := url.Values{}, map[string]string{}
	options := map[string][]string{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			name, _ := attr(n, "name")
			switch n.Data {
			case "input":
				ty, _ := attr(n, "type")
				if ty == "" {
					ty = "text"
				}
				v, _ := attr(n, "value")
				_, checked := attr(n, "checked")
				kinds[name] = ty
				switch ty {
				case "checkbox", "radio":
					options[name] = append(options[name], v)
					if checked {
						vals.Add(name, v)
					}
				case "submit", "button", "file":
				default:
					vals.Add(name, v)
				}
			case "textarea":
				kinds[name] = "textarea"
				vals.Add(name, text(n))
			case "select":
				kinds[name] = "select"
				first, chosen := "", ""
				has, seen := false, false
				for o := n.FirstChild; o != nil; o = o.NextSibling {
					if o.Type != html.ElementNode || o.Data != "option" {
						continue
					}
					v, ok := attr(o, "value")
					if !ok {
						v = text(o)
					}
					options[name] = append(options[name], v)
					if !seen {
						first, seen = v, true
					}
					if _, sel := attr(o, "selected"); sel && !has {
						chosen, has = v, true
					}
				}
				if !has {
					chosen = first
				}
				vals.Set(name, chosen)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	for name, opts := range options {
		kinds[name+"\x00options"] = strings.Join(opts, "\x00")
	}
	return vals, kinds, true
}

// roundTrip is one form sent with one invalid field.
type roundTrip struct {
	who     string // e-mail of the account that sends it ("" for none)
	path    string // the form's action as the page writes it
	values  url.Values
	file    string // a multipart form: the file field, sent with a bad file
	invalid string // the field that is wrong
}

// formCases builds the registry TestFormsRoundTrip and TestFormInjection
// send their forms to, and a case for every form a person types into:
// who sends it, where, and values with one field invalid. exempt names the
// forms without a case, and why.
func formCases(t *testing.T) (e *env, cases map[string]roundTrip, exempt map[string]string) {
	e = newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	draft := e.apply(alice, "14.1.104.0/24", "Staff reach the office from home.", false)
	review := e.apply(alice, "14.1.105.0/24", "Staff reach the office from home.", true)
	approved := e.apply(alice, "14.1.106.0/24", "Staff reach the office from home.", true)
	rejected := e.apply(alice, "14.1.108.0/24", "Staff reach the office from home.", true)
	unappealed := e.apply(alice, "14.1.112.0/24", "Staff reach the office from home.", true)
	e.confirmChecks(ptcl)
	_, reg, err := e.svc.Decide(e.ctx, reviewer, approved.ID, registry.DecisionInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*registry.Application{rejected, unappealed} {
		if _, _, err := e.svc.Decide(e.ctx, reviewer, a.ID, registry.DecisionInput{Decision: "reject", ReasonCode: "duplicate"}); err != nil {
			t.Fatal(err)
		}
	}
	appeal, err := e.svc.SubmitAppeal(e.ctx, alice, rejected.ID, "The other application was withdrawn.")
	if err != nil {
		t.Fatal(err)
	}
	e.apply(alice, "14.1.107.0/24", "Staff reach the office from home.", true) // pending checks for ptcl
	e.apply(alice, "14.1.109.0/24", "Staff reach the office from home.", true)
	cs, err := e.svc.ListChecks(e.ctx, ptcl, registry.CheckPending)
	if err != nil || len(cs) != 2 {
		t.Fatalf("pending checks = %d, %v", len(cs), err)
	}
	kinds := registry.RequiredDocuments(registry.Category("company_vpn"))
	lastKind := string(kinds[len(kinds)-1].Kinds[0])

	// Forms with nothing but one field, whose wrong value is not worth
	// showing back or cannot be, or a field never shown back.
	exempt = map[string]string{
		"account.html /account/language":           "one choice from a fixed list: nothing else to bring back",
		"account.html /account/totp/confirm":       "only a one-time code, never shown back",
		"reset.html /password/reset":               "only a password, never shown back",
		"forgot.html /password/forgot":             "the answer is the same whatever is typed (it must not tell which addresses have accounts)",
		"checks.html /operator/checks/upload":      "only a file, which a browser cannot be given back",
		"application.html /applications/{}/submit": "only the payment reference, shown only when a fee is due",
		"admin_import.html /admin/import":          "only a file, which a browser cannot be given back",
		"claim.html /claim":                        "a password, never shown back, and the e-mail, which TestClaimInvitation checks is shown back",
	}
	settings := url.Values{}                         // filled from the page below
	long := strings.Repeat("Too long a text. ", 300) // over every note's limit
	cases = map[string]roundTrip{
		// One field: the wrong value itself comes back, to be corrected.
		"application.html /applications/{}/appeal": {who: "alice@example.pk", path: "/applications/" + unappealed.ID + "/appeal",
			invalid: "statement", values: url.Values{"statement": {long}}},
		"registration.html /registrations/{}/surrender": {who: "alice@example.pk", path: "/registrations/" + reg.Number + "/surrender",
			invalid: "reason", values: url.Values{"reason": {long}}},
		"registration.html /registrations/{}/revocations": {who: "reviewer@demo.test", path: "/registrations/" + reg.Number + "/revocations",
			invalid: "reason", values: url.Values{"reason": {long}}},
		"signup.html /signup": {path: "/signup", invalid: "cnic", values: url.Values{"kind": {"individual"}, "name": {"Zara Khan"},
			"email": {"zara@example.pk"}, "password": {"a long password"}, "cnic": {"123"}, "mobile": {"0300-7654321"},
			"ntn": {""}, "secp_number": {""}, "pseb_number": {""}}},
		"login.html /login": {path: "/login", invalid: "password", values: url.Values{"email": {"alice@example.pk"}, "password": {"wrong password"},
			"next": {"/dashboard"}}},
		"account_delete.html /account/delete": {who: "alice@example.pk", path: "/account/delete", invalid: "password",
			values: url.Values{"password": {"wrong password"}, "confirm": {"yes"}}},
		"admin_holidays.html /admin/holidays": {who: "admin@demo.test", path: "/admin/holidays", invalid: "holidays",
			values: url.Values{"holidays": {"2026-12-25 Quaid-e-Azam Day\n2026-13-01 Not a date"}}},
		"admin_operators.html /admin/operators/{}/prefixes": {who: "admin@demo.test", path: "/admin/operators/ptcl/prefixes", invalid: "prefixes",
			file: "file", values: url.Values{"prefixes": {"14.0.0.0/8\n10.0.0.0/8\nnot a prefix"}}},
		"admin_operators.html /admin/operators": {who: "admin@demo.test", path: "/admin/operators", invalid: "id",
			values: url.Values{"id": {"Bad Id!"}, "name": {"Zong Fibre"}, "kind": {"mobile"}}},
		"admin_settings.html /admin/settings": {who: "admin@demo.test", path: "/admin/settings", invalid: "fee_amount_pkr", values: settings},
		// Two answers chosen, the third no answer at all: the choices come back.
		"eligibility.html /eligibility": {path: "/eligibility", invalid: "licensed_provider",
			values: url.Values{"who": {"video_conferencing"}, "connection": {"mobile_data"}, "licensed_provider": {"maybe"}}},
		"admin_users.html /admin/users": {who: "admin@demo.test", path: "/admin/users", invalid: "email",
			values: url.Values{"email": {"not an address"}, "role": {"operator"}, "operator": {"ptcl"}, "password": {"a long password"}}},
		"application.html /applications/{}/documents": {who: "alice@example.pk", path: "/applications/" + draft.ID + "/documents",
			invalid: "file", file: "file", values: url.Values{"kind": {lastKind}}},
		"application.html /applications/{}/decision": {who: "reviewer@demo.test", path: "/applications/" + review.ID + "/decision",
			invalid: "reason_code", values: url.Values{"decision": {"reject"}, "valid_days": {"200"}, "reason_code": {""},
				"note": {"The subscriber ID does not match the bill."}}},
		"application.html /appeals/{}/decision": {who: "supervisor@demo.test", path: "/appeals/" + appeal.ID + "/decision",
			invalid: "outcome", values: url.Values{"decision": {"overturn"}, "outcome": {""}, "valid_days": {"100"},
				"note": {"The duplicate was withdrawn."}}},
		"application_form.html {}": {who: "alice@example.pk", path: "/applications", invalid: "addresses", file: "addresses_csv",
			values: url.Values{"category": {"company_vpn"}, "operator_id": {"ptcl"}, "subscriber_id": {"PTCL-9"},
				"addresses": {"14.1.110.0/24\n300.1.1.1"}, "vpn_protocol": {"ipsec"}, "vpn_endpoints": {"vpn.example.pk"},
				"purpose": {"Branch offices reach the head office."}}},
		"checks.html /operator/checks": {who: "operator.ptcl@demo.test", path: "/operator/checks", invalid: "note",
			values: url.Values{"check": {cs[1].ID}, "result": {"disputed"}, "note": {""}}},
		"registration_change.html /registrations/{}/change": {who: "alice@example.pk", path: "/registrations/" + reg.Number + "/change",
			invalid: "add", values: url.Values{"remove": {"14.1.106.0/24"}, "add": {"300.1.1.1"}, "purpose": {"A new branch."},
				"payment_reference": {"PSID-123"}}},
		"registration_renew.html /registrations/{}/renew": {who: "alice@example.pk", path: "/registrations/" + reg.Number + "/renew",
			invalid: "items", values: url.Values{"items": {"14.1.106.0/24\n300.1.1.1"}, "subscriber_id": {"PTCL-43"},
				"vpn_protocol": {"ipsec"}, "vpn_endpoints": {"vpn.example.pk"}, "purpose": {"Still needed."}, "payment_reference": {""}}},
	}

	// The settings form: every setting as the page shows it, one wrong.
	admin := e.browser()
	admin.login("admin@demo.test", "demo-password-1")
	if vals, _, ok := formValues(t, admin.get("/admin/settings").body, "/admin/settings"); ok {
		for k, v := range vals {
			settings[k] = v
		}
		settings.Set("fee_amount_pkr", "ten thousand")
		settings.Set("validity_days", "200")
	} else {
		t.Fatal("no settings form")
	}
	return e, cases, exempt
}

// Every portal form, sent with one invalid field, comes back with every
// other value and choice as sent (passwords and files excepted), and its
// errors name rows and objects as the page shows them, never by internal
// id. The forms are read from the templates: a new form with a field
// needs a case here (or a reason in exempt), or the test fails.
func TestFormsRoundTrip(t *testing.T) {
	e, cases, exempt := formCases(t)
	forms := postForms(t)
	var keys []string
	for _, f := range forms {
		keys = append(keys, f.key)
		_, hasCase := cases[f.key]
		_, isExempt := exempt[f.key]
		if !hasCase && !isExempt && f.typed() {
			t.Errorf("%s has fields %v but no round-trip case: add one to TestFormsRoundTrip (or a reason to exempt)", f.key, f.fields)
		}
	}
	for k := range cases {
		if !slices.Contains(keys, k) {
			t.Errorf("case %q matches no form in the templates", k)
		}
	}

	names := make([]string, 0, len(cases))
	for k := range cases {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cases[name]
		t.Run(name, func(t *testing.T) {
			b := e.browser()
			if c.who != "" {
				pw := "demo-password-1"
				if !strings.HasSuffix(c.who, "@demo.test") {
					pw = "a long password"
				}
				b.login(c.who, pw)
			}
			var p page
			if c.file != "" {
				p = b.multipartValues(c.path, c.values, c.file)
			} else {
				p = b.post(c.path, c.values)
			}
			if p.status < 400 {
				t.Fatalf("status %d (location %q): the invalid %s was accepted", p.status, p.location, c.invalid)
			}
			got, kinds, ok := formValues(t, p.body, c.path)
			if !ok {
				t.Fatalf("status %d: the page does not show the form again", p.status)
			}
			for name, sent := range c.values {
				kind := kinds[name]
				switch {
				case kind == "password" || strings.Contains(name, "password"):
					if v := got.Get(name); v != "" {
						t.Errorf("%s: a password came back", name)
					}
					continue
				case kind == "file":
					continue
				case kind == "":
					t.Errorf("%s: no such field in the form sent back", name)
					continue
				case kind == "select" || kind == "radio" || kind == "checkbox":
					opts := strings.Split(kinds[name+"\x00options"], "\x00")
					if name == c.invalid && !slices.Contains(opts, sent[0]) {
						continue // a wrong choice that is no option cannot be shown back
					}
				}
				want, have := clean(sent), clean(got[name])
				if !slices.Equal(want, have) {
					t.Errorf("%s: sent %q, came back %q", name, want, have)
				}
			}
			if m := reInternalID.FindString(errorsOf(p.body)); m != "" {
				t.Errorf("an error names %q, an internal id, not what the page shows", m)
			}
		})
	}
}

// clean sorts values and unifies line ends, as a form compares them.
func clean(vs []string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		v = strings.ReplaceAll(v, "\r\n", "\n")
		out = append(out, strings.TrimRight(v, "\n"))
	}
	sort.Strings(out)
	if len(out) == 1 && out[0] == "" {
		return nil
	}
	return out
}

// errorsOf is the text of a page's error summary, field errors and row
// results.
func errorsOf(body string) string {
	var b strings.Builder
	for _, m := range regexp.MustCompile(`(?s)<div class="errors".*?</div>|<p class="field-error"[^>]*>.*?</p>|<section aria-live="polite">.*?</section>`).FindAllString(body, -1) {
		b.WriteString(m)
	}
	return b.String()
}

// multipartValues posts values as multipart/form-data with a bad file
// (not a PDF, JPEG, PNG or CSV) in the file field.
func (b *browser) multipartValues(path string, values url.Values, file string) page {
	b.e.t.Helper()
	var buf strings.Builder
	const boundary = "roundtripboundary"
	for k, vs := range values {
		for _, v := range vs {
			buf.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n")
		}
	}
	buf.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + file + "\"; filename=\"bad.exe\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\nMZ\x00\x01 not a document\r\n")
	buf.WriteString("--" + boundary + "--\r\n")
	req, _ := http.NewRequest("POST", b.e.base+path, strings.NewReader(buf.String()))
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	return b.do(req)
}

// The operator's results name each check as the table shows it: its row
// and its addresses, never the internal check id; a check answered
// meanwhile (it has left the table) is named by its addresses alone. The
// rows that failed stay ticked with the answer chosen.
func TestChecksNameRows(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	e.apply(alice, "14.1.107.0/24", "Staff reach the office from home.", true)
	e.apply(alice, "14.1.109.0/24", "Staff reach the office from home.", true)
	e.apply(alice, "14.1.111.0/24", "Staff reach the office from home.", true)
	cs, err := e.svc.ListChecks(e.ctx, ptcl, registry.CheckPending)
	if err != nil || len(cs) != 3 {
		t.Fatalf("pending checks = %d, %v", len(cs), err)
	}
	b := e.browser()
	b.login("operator.ptcl@demo.test", "demo-password-1")
	shown := b.get("/operator/checks").body
	item := func(c *registry.Check) string { return c.Addresses[0].String() }
	for i, c := range cs {
		if !strings.Contains(shown, "Row "+string(rune('1'+i))) || !strings.Contains(shown, item(c)) {
			t.Fatalf("the table does not show row %d (%s)", i+1, item(c))
		}
	}
	// A colleague answers the second while this operator ticks the second
	// and the third.
	if _, err := e.svc.AnswerCheck(e.ctx, ptcl, cs[1].ID, "confirmed", ""); err != nil {
		t.Fatal(err)
	}
	shownIDs, _, _ := formValues(t, shown, "/operator/checks")
	p := b.post("/operator/checks", url.Values{"shown": shownIDs["shown"], "check": {cs[1].ID, cs[2].ID}, "result": {"disputed"}, "note": {"Not this subscriber."}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", p.status)
	}
	results := errorsOf(p.body)
	if m := reInternalID.FindString(results); m != "" {
		t.Errorf("the results name %q, an internal id", m)
	}
	if !strings.Contains(results, "<bdi>Row 2</bdi> <bdi dir=\"ltr\">"+item(cs[1])+"</bdi>: <span class=\"field-error\" dir=\"auto\">It was answered already") {
		t.Errorf("the check answered meanwhile is not named by its addresses with why it failed:\n%s", results)
	}
	if !strings.Contains(results, "<bdi>Row 3</bdi> <bdi dir=\"ltr\">"+item(cs[2])+"</bdi>: answered") {
		t.Errorf("the third row is not named as the table names it:\n%s", results)
	}

	// Ticking only the (new) second row, disputing without a note: the
	// row stays ticked, the dispute chosen, the note's error on the note.
	cs, _ = e.svc.ListChecks(e.ctx, ptcl, registry.CheckPending)
	p = b.post("/operator/checks", url.Values{"check": {cs[0].ID}, "result": {"disputed"}, "note": {""}})
	got, _, ok := formValues(t, p.body, "/operator/checks")
	if !ok || got.Get("check") != cs[0].ID || got.Get("result") != "disputed" {
		t.Errorf("after a dispute without a note: ticked %q, answer %q; want the row ticked and the dispute kept", got["check"], got.Get("result"))
	}
	if !strings.Contains(p.body, `id="e-note"`) {
		t.Errorf("the note's error is not shown on the note")
	}
}

// Items given up are ticked boxes, not lines: an error names the item, not
// "line 1" (its place among the ticked ones, which the page does not show).
func TestChangeNamesTickedItems(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	a := e.apply(alice, "14.1.106.0/24", "Staff reach the office from home.", true)
	e.confirmChecks(ptcl)
	_, reg, err := e.svc.Decide(e.ctx, reviewer, a.ID, registry.DecisionInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	p := b.post("/registrations/"+reg.Number+"/change", url.Values{"remove": {"14.1.200.0/24"}})
	if p.status < 400 {
		t.Fatalf("giving up an item not held = %d", p.status)
	}
	errs := errorsOf(p.body)
	if !strings.Contains(errs, "14.1.200.0/24") {
		t.Errorf("the error does not name the item:\n%s", errs)
	}
	if strings.Contains(strings.ToLower(errs), "line 1") {
		t.Errorf("the error names a line of ticked boxes:\n%s", errs)
	}
}
