package portal

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ipreg/ipreg/internal/registry"
)

// view is what every template gets: the language, the user, the form
// being redisplayed with its errors, and the page's own data in D.
type view struct {
	Lang  string
	User  *registry.User
	Title string // an English message key, translated by the layout
	Path  string // this page, for the language switch to come back to
	Flash string // a translated message after a redirect
	Err   *formError
	Form  url.Values
	// FormAction, on a page with one form per row (an operator's address
	// space), is the action of the form Form belongs to; "" for any.
	FormAction string
	Demo       bool
	// SessionUnread: the request carried a session cookie that was not
	// read (a cross-origin refusal): the menu offers neither the
	// account's pages nor "Sign up" and "Log in".
	SessionUnread bool
	D             any
	// opNames are the operators' names by id, read once a page asks (Op).
	opNames func() map[string]string
}

// Dir is the text direction of the language.
func (v *view) Dir() string {
	if v.Lang == "ur" {
		return "rtl"
	}
	return "ltr"
}

// T translates an English message into the page's language; args fill
// its %s and %d verbs.
func (v *view) T(key string, args ...any) string { return translate(v.Lang, key, args...) }

// TTok is T whose values are left-to-right tokens shown whole (bdiTok):
// isolated, and never split across lines ("demo-password-1", an e-mail
// address), which marks inside a string cannot ask of the stylesheet.
func (v *view) TTok(key string, args ...string) template.HTML {
	msg := key
	if v.Lang == "ur" {
		if u, ok := urdu[key]; ok {
			msg = u
		}
	}
	marks := make([]any, len(args))
	for i := range args {
		marks[i] = fmt.Sprintf("\x01%d\x01", i)
	}
	s := template.HTMLEscapeString(fmt.Sprintf(msg, marks...))
	for i, a := range args {
		s = strings.Replace(s, fmt.Sprintf("\x01%d\x01", i), bdiTok(a), 1)
	}
	return template.HTML(s)
}

// V is a submitted form value, to put back into the form.
func (v *view) V(name string) string {
	if v.Form == nil {
		return ""
	}
	return v.Form.Get(name)
}

// CSVKept counts the CSV rows the application form keeps from a file
// chosen before (applicationInput).
func (v *view) CSVKept() int { return len(parseKeptRows(v.V("addresses_csv_kept"))) }

// CSVKeptName is the kept file's name, isolated so that a name in another
// script keeps the sentence's order.
func (v *view) CSVKeptName() string { return "\u2068" + v.V("addresses_csv_name") + "\u2069" }

// FE is the error of one field, or "".
func (v *view) FE(name string) string {
	if v.Err == nil {
		return ""
	}
	return v.Err.Fields[name]
}

// FEPrefix lists the errors of fields named prefix[i], in order, as
// "line i+1: message" (the portal puts an item's error at the index of
// its line, relabel): addresses and numbers checked one by one.
func (v *view) FEPrefix(prefix string) []string {
	if v.Err == nil {
		return nil
	}
	// The indices that have an error, in order: read from the errors'
	// keys, not by trying every index (a form sent back with an error
	// calls this for each list on it, on every render).
	var idx []int
	for k := range v.Err.Fields {
		rest, ok := strings.CutPrefix(k, prefix+"[")
		if !ok {
			continue
		}
		n, ok := strings.CutSuffix(rest, "]")
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(n); err == nil && i >= 0 && strconv.Itoa(i) == n {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	var out []string
	for _, i := range idx {
		m := v.Err.Fields[prefix+"["+strconv.Itoa(i)+"]"]
		switch {
		case checkedItems[prefix]: // ticked boxes, not lines: the message names the item
			out = append(out, m)
		case prefix == "addresses_csv": // the CSV file's own lines (relabel)
			out = append(out, v.T("File line %d: %s", i+1, m))
		default:
			// The message is text in the page's language, not a value:
			// not isolated (an isolate takes its direction from its first
			// strong letter outside nested isolates, which may be Latin).
			out = append(out, fmt.Sprintf(v.T("Line %d: %s"), i+1, m))
		}
	}
	if m, ok := v.Err.Fields[prefix]; ok {
		out = append(out, m)
	}
	return out
}

// Anchor is the id of the input a field error belongs to: "addresses[1]"
// is reported on the addresses box, "vpn.protocol" on f-vpn_protocol.
func (v *view) Anchor(field string) string {
	base, _, _ := strings.Cut(field, "[")
	if strings.HasPrefix(base, "documents.") {
		return "f-kind" // the upload form's choice of document
	}
	return "f-" + strings.ReplaceAll(base, ".", "_")
}

// fieldLabels name form fields in error summaries (English keys of the
// catalog); a field not listed shows its name.
var fieldLabels = map[string]string{
	"name": "Name", "email": "E-mail", "password": "Password", "cnic": "CNIC", "mobile": "Mobile number", "ntn": "NTN",
	"secp_number": "SECP registration number", "pseb_number": "PSEB registration number", "kind": "Account type",
	"category": "Category", "operator_id": "Operator", "subscriber_id": "Subscriber ID", "addresses": "IP addresses or prefixes",
	"addresses_csv": "CSV file", "mobile_numbers": "Mobile numbers", "vpn.protocol": "VPN protocol", "vpn.endpoints": "VPN gateways (optional)",
	"purpose": "Purpose", "payment_reference": "Payment reference (PSID or challan number)", "file": "File", "code": "Code from the app",
	"totp": "Authenticator code", "decision": "Decision", "reason_code": "Reason (when rejecting)", "note": "Note",
	"valid_days": "Valid for (days, when approving)", "reason": "Reason", "role": "Role", "operator": "Operator", "id": "Short id",
	"prefixes": "Prefixes, one per line", "check": "Checks", "documents": "Documents", "result": "Answer for the selected checks",
	"add":    "Addresses or numbers to add",
	"remove": "Addresses or numbers to give up",
	"items":  "Addresses or numbers",
	// The lifecycle's forms: renewal, amendment, appeals, holidays,
	// account language and deletion.
	"statement": "Why the decision should change",
	"outcome":   "When overturning",
	"holidays":  "Public holidays",
	"lang":      "Language of e-mail and text messages",
	"confirm":   "Confirm the deletion",
}

// checkedItems are the fields whose items are ticked boxes, each labelled
// with its item, not lines of a box: an error's index there is the place
// among the ticked ones, which the page does not show, so errors name the
// item instead (the registry's messages do).
var checkedItems = map[string]bool{"remove": true}

// FieldLabel names a field of an error summary: "IP addresses or
// prefixes, line 2" for addresses[1].
func (v *view) FieldLabel(field string) string {
	base, rest, indexed := strings.Cut(field, "[")
	if strings.HasPrefix(base, "documents.") {
		return v.T("Documents") + ": " + v.L("doc", strings.TrimPrefix(base, "documents."))
	}
	label := field
	if v.Err != nil && v.Err.onPage[base] != "" { // the label of the input the link points at
		label = v.Err.onPage[base]
	} else if l, ok := v.Err.label(base); ok { // the page's own label
		label = v.T(l)
	} else if l, ok := fieldLabels[base]; ok {
		label = v.T(l)
	} else if _, ok := settingLabels[base]; ok {
		label = v.T(settingLabels[base])
	}
	if indexed && !checkedItems[base] {
		if n, err := strconv.Atoi(strings.TrimSuffix(rest, "]")); err == nil {
			return v.T("%s, line %d", label, n+1)
		}
	}
	return label
}

// Duration writes a span of time for people: "3 days 4 h", "5 h 20 min".
func (v *view) Duration(d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return v.N("%d days", days) + " " + v.N("%d h", hours)
	case hours > 0:
		return v.N("%d h", hours) + " " + v.N("%d min", mins)
	}
	return v.N("%d min", mins)
}

// EventNote is a timeline note in the page's language where the portal
// knows it (a document's kind), else as the registry wrote it.
func (v *view) EventNote(e registry.Event) string {
	if e.Type == string(registry.StateRejected) {
		// "reason_code" or "reason_code: note" (older releases wrote
		// "reason_code:" with no note): the reason in words, then the note.
		code, rest, _ := strings.Cut(e.Note, ":")
		if _, ok := registry.ReasonCodes[code]; ok {
			if rest = strings.TrimSpace(rest); rest != "" {
				return v.L("reason", code) + ": " + v.Iso(rest) // the reviewer's words, in any script
			}
			return v.L("reason", code)
		}
	}
	if e.Type == "document_added" || e.Type == "document_deleted" {
		for _, k := range registry.DocumentKinds {
			if e.Note == k.Describe() {
				return v.L("doc", k)
			}
		}
	}
	return v.M(e.Note)
}

// M is a message from the registry (a flag's detail, a fee's reason) in
// the page's language.
func (v *view) M(msg string) string { return translateNamed(v.Lang, msg, v.opNames) }

// Iso isolates a value in text that cannot hold <bdi> (an <option>, an
// attribute) with U+2068 FIRST STRONG ISOLATE … U+2069 on an Urdu page.
func (v *view) Iso(s string) string {
	if v.Lang != "ur" || s == "" {
		return s
	}
	return "\u2068" + s + "\u2069"
}

// Is reports whether the user has one of the roles.
func (v *view) Is(roles ...string) bool {
	if v.User == nil {
		return false
	}
	for _, r := range roles {
		if string(v.User.Role) == r {
			return true
		}
	}
	return false
}

// Home is where the user's menu starts.
func (v *view) Home() string { return home(v.User) }

var funcs = template.FuncMap{
	// Dates and times are isolated left-to-right, so that an Urdu line
	// does not turn "2026-11-27 11:16 PKT" around.
	"when": func(t time.Time) template.HTML {
		if t.IsZero() {
			return ""
		}
		return template.HTML(`<bdi dir="ltr" class="tok">` + t.In(registry.PKT.Loc).Format("2006-01-02 15:04 MST") + `</bdi>`)
	},
	// whenText is when's text, for a value inside a translated sentence
	// (T isolates it on Urdu pages).
	"whenText": func(t time.Time) string { return t.In(registry.PKT.Loc).Format("2006-01-02 15:04 MST") },
	"day": func(t time.Time) template.HTML {
		if t.IsZero() {
			return ""
		}
		return template.HTML(`<bdi dir="ltr" class="tok">` + t.In(registry.PKT.Loc).Format("2006-01-02") + `</bdi>`)
	},
	// bdi isolates a value that may be left-to-right (a name, a file
	// name, a note someone typed, a size) so that a right-to-left page
	// shows it as written: "Ex***** (P**) L" and not "**Ex***** (P**) L",
	// "145 bytes" and not "bytes 145" (UAX #9). <bdi> takes its direction
	// from the value itself, so Urdu text stays right-to-left.
	"bdi": func(v any) template.HTML {
		s := fmt.Sprint(v)
		if s == "" {
			return ""
		}
		return template.HTML(bdiHTML(s))
	},
	// dirOf is the direction of an element that shows a message or a
	// note: right-to-left when it holds Urdu, else found from the text
	// (dir="auto"). dir="auto" alone follows the first strong letter, so
	// an Urdu message that starts with "PDF" or "CNIC" would be laid out
	// left-to-right, its clauses in the wrong order.
	"dirOf": func(v any) string {
		for _, r := range fmt.Sprint(v) {
			if unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r) {
				return "rtl"
			}
		}
		return "auto"
	},
	"iso":        func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"lastAppeal": LastAppeal,
	"join":       strings.Join,
	"inc":        func(i int) int { return i + 1 },
	"has":        func(list []string, v string) bool { return slices.Contains(list, v) },
	// Mobile numbers as people write them (0300 1234567), amounts grouped
	// (10,000): words.go.
	// Each number one token that never breaks across lines (bdiTok).
	"mobile": func(n string) template.HTML { return template.HTML(bdiTok(Mobile(n))) },
	"mobiles": func(ns []string) template.HTML {
		out := make([]string, len(ns))
		for i, n := range ns {
			out[i] = bdiTok(Mobile(n))
		}
		return template.HTML(strings.Join(out, ", "))
	},
	"amount": Amount,
	// dict passes named values to a partial: {{template "field" dict "v" $ "name" "email" …}}.
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

// render executes a page into a buffer first, so a template error cannot
// leave half a page, and sends it with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	t, ok := s.pages[page]
	if !ok {
		s.log.ErrorContext(r.Context(), "portal: no template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v.Lang = currentLang(r)
	if v.User == nil {
		v.User = currentUser(r)
	}
	v.SessionUnread, _ = r.Context().Value(sessionUnreadKey).(bool)
	v.Path = r.URL.RequestURI()
	v.Demo = s.cfg.Demo
	if v.opNames == nil { // a handler that read the operators already gave them (knownOperators)
		v.opNames = s.operatorNames(r)
	}
	restored := ""
	// Any GET, error pages too: a page that cannot show the form now (an
	// application no longer editable) says the form could not be kept.
	if r.Method == http.MethodGet {
		restored = s.restoreForm(w, r, v)
	}
	if v.Flash == "" {
		if m, ok := flashes[r.URL.Query().Get("msg")]; ok {
			v.Flash = translate(v.Lang, m)
		}
	}
	var buf bytes.Buffer
	err := t.ExecuteTemplate(&buf, "layout", v)
	// A kept form is said to be back only when the page rendered it (the
	// application may have left the state its form is shown in).
	if err == nil && restored != "" && !bytes.Contains(buf.Bytes(), []byte(`action="`+template.HTMLEscapeString(restored)+`"`)) {
		v.Form, v.FormAction, v.Flash = nil, "", translate(v.Lang, "Your session had ended, so the form was not sent, and it could not be kept on this page: type it again.")
		buf.Reset()
		err = t.ExecuteTemplate(&buf, "layout", v)
	}
	// An error summary names each field as the page labels it, and links
	// only to an input the page has: learnt from the page rendered, then
	// rendered again (forms only, after an error).
	if err == nil && v.Err != nil && len(v.Err.Fields) > 0 {
		v.Err.onPage, v.Err.offPage, v.Err.pagePos = pageLabels(buf.Bytes(), v)
		buf.Reset()
		err = t.ExecuteTemplate(&buf, "layout", v)
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "portal: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if v.Err != nil && v.Err.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(v.Err.RetryAfter.Seconds()))))
	}
	// Pages hold personal data: no cache keeps them.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

var (
	reIDAttr   = regexp.MustCompile(`\bid="([^"]+)"`)
	reLabelFor = regexp.MustCompile(`(?s)<label\b[^>]*\bfor="([^"]+)"[^>]*>(.*?)</label>`)
	reTag      = regexp.MustCompile(`(?s)<[^>]*>`)
)

// pageLabels reads a rendered page for its error summary: the text of the
// label of each field's input, the fields whose input the page lacks, and
// where each field's input is on the page (its offset), so that the
// summary lists them in the order the form asks them (GOV.UK's error
// summary), not by name.
func pageLabels(body []byte, v *view) (map[string]string, map[string]bool, map[string]int) {
	ids := map[string]int{}
	for _, m := range reIDAttr.FindAllSubmatchIndex(body, -1) {
		id := html.UnescapeString(string(body[m[2]:m[3]]))
		if _, ok := ids[id]; !ok {
			ids[id] = m[0]
		}
	}
	labels := map[string]string{}
	for _, m := range reLabelFor.FindAllSubmatch(body, -1) {
		id := html.UnescapeString(string(m[1]))
		if _, ok := labels[id]; !ok {
			labels[id] = strings.Join(strings.Fields(html.UnescapeString(reTag.ReplaceAllString(string(m[2]), ""))), " ")
		}
	}
	on, off, pos := map[string]string{}, map[string]bool{}, map[string]int{}
	for k := range v.Err.Fields {
		a := v.Anchor(k)
		at, ok := ids[a]
		if ok {
			pos[k] = at
		}
		switch {
		case !ok:
			off[k] = true
		case labels[a] != "":
			base, _, _ := strings.Cut(k, "[")
			on[base] = labels[a]
		}
	}
	return on, off, pos
}

// Linked reports whether a field's summary entry links to its input: not
// when the page has no such input (the error is then a page-level line).
func (v *view) Linked(field string) bool { return v.Err == nil || !v.Err.offPage[field] }

// flashes are the messages a redirect may name in ?msg=: fixed texts, so
// that no user input travels in the URL.
var flashes = map[string]string{
	"saved":             "Saved.",
	"created":           "Draft saved. Upload the documents, then submit.",
	"submitted":         "Submitted. The operator confirms your addresses next; you can follow every step here.",
	"withdrawn":         "The application was withdrawn.",
	"uploaded":          "Document uploaded.",
	"deleted":           "Document deleted.",
	"decided":           "Decision recorded.",
	"answered":          "Answers recorded.",
	"surrendered":       "The registration was surrendered.",
	"proposed":          "Revocation proposed; a supervisor must confirm it.",
	"confirmed":         "Revocation confirmed; the registration is revoked.",
	"cancelled":         "Revocation cancelled.",
	"totp_on":           "Two-factor authentication is on.",
	"totp_required":     "Your role requires two-factor authentication. Set it up to continue.",
	"reset_done":        "Your password was changed. Log in with the new one.",
	"welcome":           "Your account is ready. Start an application below.",
	"user_created":      "User created.",
	"user_updated":      "User updated.",
	"loaded":            "Address space loaded.",
	"logged_out":        "You are logged out.",
	"appealed":          "Appeal sent. A supervisor who did not take the decision will decide it; you can add documents while it is pending.",
	"appeal_decided":    "Appeal decided.",
	"renewal":           "Renewal submitted. The registration stays as it is until the decision.",
	"amendment":         "Amendment submitted. What you gave up has left the allowlist; what you added is checked and reviewed.",
	"given_up":          "Done: what you gave up has left the allowlist, and the certificate is reissued.",
	"job_queued":        "The job will start within a few seconds.",
	"verification_sent": "We have sent a new link to your e-mail address. It works for 48 hours.",
	"resent":            "The message is queued to be sent again.",
	"claimed":           "Your account is yours now. Your registrations are below.",
	"invited":           "A new link is on its way to the holder's e-mail address; the old one no longer works.",
	"session_ended":     "Your session has ended. Log in again to continue.",
	"form_kept":         "Your session had ended, so the form was not sent. Log in again and it comes back with what you typed.",
	// A form posted after the session ended that could not be kept (no
	// page of the portal carries it, or no account cookie), or that was
	// too large to keep (pending.go).
	"session_ended_not_kept":  "Your session had ended, so the form was not sent, and it could not be kept: log in again, then type it again.",
	"session_ended_too_large": "Your session had ended, so the form was not sent. It was too large to keep: log in again, then type it again.",
	"session_ended_file":      "Your session had ended, so the file was not sent. Files are not kept: log in again, then choose the file again.",
}

// errorPage renders a page that explains an error.
// message is an English catalog key, or a message already in the page's
// language (a registry message through translateDomain).
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	s.render(w, r, status, "error", &view{Title: title, D: translate(currentLang(r), message)})
}

// bdiHTML is a value isolated in <bdi>; a value of one word (a date, a
// CNIC, a file name, a password: no space, short enough for a phone's
// line) is a token that never breaks across lines (bdiTok).
func bdiHTML(s string) string {
	if strings.IndexFunc(s, unicode.IsSpace) < 0 && utf8.RuneCountInString(s) <= maxToken {
		return bdiTok(s)
	}
	return "<bdi>" + template.HTMLEscapeString(s) + "</bdi>"
}

// maxToken is the longest token kept on one line: a longer one may wrap
// rather than run off a phone's screen.
const maxToken = 32

// bdiTok isolates a left-to-right token (class "tok": white-space: nowrap
// in the stylesheet), so that "2026-11-29" or "0300 1234567" is not split
// at its hyphen or space at the end of a line.
func bdiTok(s string) string {
	return `<bdi class="tok">` + template.HTMLEscapeString(s) + "</bdi>"
}
