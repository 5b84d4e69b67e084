package portal

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// The registry's messages are the API's English and name codes as the API
// knows them ("must be one of ipsec, ikev2, …", "it is under review (state
// review)"). The formats that embed codes are declared here with the kind
// of each argument, so that a page shows the codes' labels in its
// language (L), in English as in Urdu, instead of the codes: the message
// is matched against its format and rebuilt from its arguments, never
// edited as a string.

// codedFormat is a registry format whose arguments include codes.
type codedFormat struct {
	en string // the registry's format
	// out is the English shown on pages when it differs from en (en's
	// wording needs a code: "this is a%s %s account").
	out string
	// ur is the Urdu of out, from locales/ur.po (msgctxt "registry, as
	// pages word it"); without out, domainUrdu[en] is shown. Written here
	// (a branch from before the catalog), it is used until pomigrate
	// moves it to ur.po, and TestCatalogOnlyInPO fails meanwhile.
	ur string
	// args name each argument's kind: a labels kind ("state", "role",
	// "verb"), "list" for codes of one kind joined with ", " or " or ",
	// "listof:…" for a list of a given kind, "codes" for codes shown as
	// they are but joined in the page's language, "describe" for describeState's
	// text, "operator" for an operator's id (named where the page knows
	// the operators), "amount" for a sum of money, "msg" for a message of
	// its own, "docs" for kinds of document (their labels, one per "; "),
	// "-" for a value shown as it is, "drop" for one the page
	// leaves out.
	args []string
	re   *regexp.Regexp
	// lit is the format's longest text between verbs: a message without
	// it cannot match re, and a substring test is far cheaper than the
	// regexp, which every message shown on a page would otherwise try
	// against every format.
	lit string
}

var codedFormats = compileCoded([]codedFormat{
	{en: "must be one of %s", args: []string{"list"}},
	{en: "is required: one of %s", args: []string{"list"}},
	// Shown on the application's own page (or its row): "this application".
	{en: "cannot %s application %s: it is %s", out: "cannot %[1]s this application: it is %[3]s", args: []string{"verb", "drop", "describe"}},
	// The other application by words, not its id: staff follow the
	// flag's "See the other application" link to it.
	{en: "%s overlaps %s of application %s (%s) of another account", out: "%[1]s overlaps %[2]s of another account's application (%[4]s)", args: []string{"-", "-", "drop", "state"}},
	{en: "%s overlaps %s of this account's application %s (%s)", out: "%[1]s overlaps %[2]s of another application of this account (%[4]s)", args: []string{"-", "-", "drop", "state"}},
	// The API's validation wording names JSON values, API paths and CLI
	// commands; a page says what to choose or tick, GOV.UK style.
	{en: `must be "approve", "reject" or "return"`, out: "Choose a decision"},
	{en: "is required with a rejection: one of %s", out: "Choose a reason for the rejection", args: []string{"drop"}},
	{en: "must be true: confirm that you want the account and its personal data deleted; this cannot be undone", out: "Tick the box to confirm that you want the account and its personal data deleted; this cannot be undone"},
	{en: "is required for an operator user: the operator's id (ipreg operator list)", out: "Choose the operator this user works for"},
	{en: "%q is not a known operator (ipreg operator list)", out: "%[1]s is not a known operator: choose one from the list", args: []string{"-"}},
	{en: "%q is not a known operator; GET /api/v1/operators lists them", out: "%[1]s is not a known operator: choose one from the list", args: []string{"-"}},
	{en: "is required: the operator that provides the connection (GET /api/v1/operators)", out: "Choose the operator that provides the connection"},
	{en: `must be "en" (English) or "ur" (Urdu)`, out: "Choose English or Urdu"},
	{en: `must be "fixed" or "mobile"`, out: "Choose whether the operator is fixed-line or mobile"},
	{en: `must be "confirmed" or "disputed"`, out: "Choose whether to confirm or dispute the selected checks"},
	{en: `must be "uphold" or "overturn"`, out: "Choose a decision: uphold or overturn the rejection"},
	{en: `must be "approve" or "return" with an overturn`, out: "Choose what follows the overturn: approval, or return for correction"},
	{en: `must be "pending", "upheld", "overturned" or "all"`, out: "Choose one of the lists the page offers"},
	{en: `must be "pending", "failed" or "sent", or left out for all`, out: "Choose one of the lists the page offers"},
	{en: `must be "feed" (read your operator's feed and nothing else, for ipreg-agent) or left out (full access)`, out: "Choose the token's access: the operator's feed only (for ipreg-agent), or full access"},
	{en: `"feed" reads an operator's feed, so only operator users have it; leave scope out for a full-access token`, out: "A feed-only token is for operator users: choose full access"},
	{en: "this API token has the feed scope: it reads the operator's feed (/feed/v1/operators/{id}/…) and GET /api/v1/me only; use a full-access token or log in", out: "this token reads only the operator's feed: log in to do this"},
	{en: "your role requires two-factor authentication: set it up first (POST /api/v1/me/totp, then POST /api/v1/me/totp/confirm with a code from your authenticator app)", out: "your role requires two-factor authentication: set it up first on your Account page"},
	{en: "start enrolment first (POST /api/v1/me/totp), then confirm with a code", out: "start the set-up first on your Account page, then confirm with a code"},
	{en: "is required: which document this is (cnic_front, cnic_back, incorporation_proof, …)", out: "Choose which document this is"},
	{en: `send the document as multipart/form-data with a "kind" field and a "file" part`, out: "Choose which document this is and a file, then upload it"},
	{en: `the "kind" field is too long; give one of the document kinds`, out: "Choose which document this is from the list"},
	{en: `is not a known field here; send only "kind" and "file"`, out: "is not part of the upload form: upload a file with its kind only"},
	// Internal ids (apl_…, app_…, chk_…, doc_…, rev_…) are not for
	// people: the page names the thing it is about ("this appeal"), or the
	// registration by its number.
	{en: "revocation %s is already %s", out: "this revocation is already %[2]s", args: []string{"drop", "revocation"}},
	{en: "check %s was already answered or closed (state %s)", out: "this check was already answered or closed (%[2]s)", args: []string{"drop", "check"}},
	{en: "check %s not found", out: "this check was not found: it may have been answered or closed meanwhile", args: []string{"drop"}},
	{en: "appeal %s, to be decided by %s", out: "to be decided by %[2]s", args: []string{"drop", "-"}},
	{en: "appeal %s past its decision due time of %s", out: "the appeal is past its decision due time of %[2]s", args: []string{"drop", "-"}},
	{en: "appeal %s not found", out: "this appeal was not found", args: []string{"drop"}},
	{en: "appeal %s was already decided: the rejection was upheld", out: "this appeal was already decided: the rejection was upheld", args: []string{"drop"}},
	{en: "appeal %s was already decided: the rejection was overturned", out: "this appeal was already decided: the rejection was overturned", args: []string{"drop"}},
	{en: "only a rejected application can be appealed; application %s is %s", out: "only a rejected application can be appealed; this application is %[2]s", args: []string{"drop", "describe"}},
	{en: "the rejection of application %s was appealed already; a rejection can be appealed once", out: "the rejection of this application was appealed already; a rejection can be appealed once", args: []string{"drop"}},
	{en: "application %s is no longer the rejection appealed: it is %s", out: "this application is no longer the rejection appealed: it is %[2]s", args: []string{"drop", "describe"}},
	{en: "registration %s has another open change (application %s, %s): it must be decided or withdrawn before this appeal can be overturned; or uphold the appeal", out: "registration %[1]s has another open change (%[3]s): it must be decided or withdrawn before this appeal can be overturned; or uphold the appeal", args: []string{"-", "drop", "describe"}},
	{en: "approving application %s would register again what its account already holds: %s; uphold the rejection, or return the application so that the applicant removes those items", out: "approving this application would register again what its account already holds: %[2]s; uphold the rejection, or return the application so that the applicant removes those items", args: []string{"drop", "-"}},
	{en: "document %s not found", out: "this document was not found", args: []string{"drop"}},
	{en: "document %s already exists", out: "this document exists already", args: []string{"drop"}},
	{en: "revocation %s not found", out: "this revocation was not found", args: []string{"drop"}},
	{en: "registration %s or one for application %s already exists", out: "registration %[1]s, or one for this application, already exists", args: []string{"-", "drop"}},
	{en: "application %s not found", out: "this application was not found", args: []string{"drop"}},
	{en: "document %s not found in application %s", out: "this document was not found in the application", args: []string{"drop", "drop"}},
	{en: "document %s was deleted on %s under the retention policy", out: "this document was deleted on %[2]s under the retention policy", args: []string{"drop", "-"}},
	{en: "document %s is recorded, but its file is not in the registry's document store; the registry's administrators can put it back from a documents backup", out: "this document is recorded, but its file is not in the registry's document store; the registry's administrators can put it back from a documents backup", args: []string{"drop"}},
	{en: "the account has an appeal waiting for a decision (application %s): wait for the supervisor's decision, then delete the account", out: "the account has an appeal waiting for a decision: wait for the supervisor's decision, then delete the account", args: []string{"drop"}},
	{en: "registration %s has a rejected renewal (application %s) whose appeal %s is pending: wait for the appeal's decision before starting another change", out: "registration %[1]s has a rejected renewal whose appeal is pending: wait for the appeal's decision before starting another change", args: []string{"-", "drop", "drop"}},
	{en: "registration %s has a rejected amendment (application %s) whose appeal %s is pending: wait for the appeal's decision before starting another change", out: "registration %[1]s has a rejected amendment whose appeal is pending: wait for the appeal's decision before starting another change", args: []string{"-", "drop", "drop"}},
	{en: "registration %s already has an open renewal (application %s): wait for its decision, or withdraw it, before starting another change", out: "registration %[1]s already has an open renewal (see My applications): wait for its decision, or withdraw it, before starting another change", args: []string{"-", "drop"}},
	{en: "registration %s already has an open amendment (application %s): wait for its decision, or withdraw it, before starting another change", out: "registration %[1]s already has an open amendment (see My applications): wait for its decision, or withdraw it, before starting another change", args: []string{"-", "drop"}},
	{en: "the account of application %s was deleted and its personal data erased: nobody is left to hold a registration, so it cannot be approved, and an appeal of it can only be upheld", out: "the account of this application was deleted and its personal data erased: nobody is left to hold a registration, so it cannot be approved, and an appeal of it can only be upheld", args: []string{"drop"}},
	{en: "this needs the role %s; you are %s", args: []string{"listof:role", "role"}},
	{en: "%s is for %s accounts; this is a%s %s account: choose %s", out: "%[1]s is only for accounts of the type %[2]s; your account is of the type %[4]s: choose %[5]s",
		args: []string{"category", "kind", "drop", "kind", "listof:category"}},
	{en: "no fee for %s", args: []string{"category"}},
	// An import file's row: its codes stay codes (the admin corrects the
	// file), the list joined in the page's language (tester t3, minor 8).
	{en: "%s is for %s holders, not %s ones: choose %s", args: []string{"-", "-", "-", "codes"}},
	{en: "cannot change application %s: it is %s; only drafts and returned applications can be edited", out: "cannot change this application: it is %[2]s; only drafts and returned applications can be edited", args: []string{"drop", "describe"}},
	{en: "is fixed by registration %s (%s): a renewal or an amendment keeps it; for another category file a new application", args: []string{"-", "category"}},
	{en: "registration %s is %s, not active", args: []string{"-", "status"}},
	{en: "is fixed by registration %s (%s): a renewal or an amendment keeps it; for another operator file a new application", args: []string{"-", "operator"}},
	{en: "operator %s did not answer by %s", args: []string{"operator", "-"}},
	{en: "%s is outside the address space loaded for operator %s", args: []string{"-", "operator"}},
	// Messages that name a category or a kind by its code in their wording.
	{en: `must be "company" or "individual"`, out: `must be "Company or organisation" or "Individual": choose one of the two`},
	{en: "does not belong to mobile_vpn, which registers mobile numbers: leave addresses empty and list the numbers in mobile_numbers", out: "does not belong to Mobile VPN, which registers mobile numbers: leave the addresses empty and list the numbers under Mobile numbers"},
	{en: "belongs to mobile_vpn only; %s registers static addresses: list them in addresses", out: "belongs to Mobile VPN only; %[1]s registers static addresses: list them under IP addresses or prefixes", args: []string{"category"}},
	{en: "%s is a fixed-line operator; mobile_vpn needs the mobile network that issued the numbers", out: "%[1]s is a fixed-line operator; Mobile VPN needs the mobile network that issued the numbers", args: []string{"-"}},
	{en: "registration %s is %s: only an active registration has a certificate (its status stays visible on the public verification page)", args: []string{"-", "status"}},
	{en: "registration %s is %s; only active registrations can be revoked", args: []string{"-", "status"}},
	{en: "is required: a fee of PKR %s is due (%s); pay it and give the PSID or challan number", args: []string{"amount", "msg"}},
	// A kind of document the application's category does not take (a
	// hand-made POST: the form offers only those it takes).
	{en: "%s is not a document that %s applications take; give one of %s", out: "%[1]s is not a document that %[2]s applications take; upload one of these: %[3]s",
		args: []string{"doc", "category", "docs"}},
})

var textVerbs = regexp.MustCompile(`%(\[\d+\])?[dvq]`)

var describeRe = regexp.MustCompile(`^(.+) \(state (\w+)\)$`)

func compileCoded(fs []codedFormat) []codedFormat {
	for i := range fs {
		if u, ok := codedUrdu[fs[i].out]; ok && fs[i].out != "" {
			fs[i].ur = u // an ur still written in Go fails TestCatalogOnlyInPO
		}
		var b strings.Builder
		b.WriteString("^")
		last := 0
		for _, m := range verbRe.FindAllStringIndex(fs[i].en, -1) {
			b.WriteString(regexp.QuoteMeta(fs[i].en[last:m[0]]))
			b.WriteString(`(.*?)`)
			if piece := fs[i].en[last:m[0]]; len(piece) > len(fs[i].lit) {
				fs[i].lit = piece
			}
			last = m[1]
		}
		b.WriteString(regexp.QuoteMeta(fs[i].en[last:]) + "$")
		if piece := fs[i].en[last:]; len(piece) > len(fs[i].lit) {
			fs[i].lit = piece
		}
		fs[i].re = regexp.MustCompile(b.String())
	}
	// The most specific first: "cannot change application %s: it is %s;
	// only …" before "cannot %s application %s: it is %s".
	sort.SliceStable(fs, func(i, j int) bool {
		return len(verbRe.ReplaceAllString(fs[i].en, "")) > len(verbRe.ReplaceAllString(fs[j].en, ""))
	})
	return fs
}

// labelCoded rebuilds msg in lang with its codes labelled, when msg is
// one of the codedFormats; ok is false otherwise.
func labelCoded(lang, msg string, ops func() map[string]string) (out string, ok bool) {
	for _, f := range codedFormats {
		if !strings.Contains(msg, f.lit) {
			continue
		}
		m := f.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		args := make([]any, len(m)-1)
		for i, g := range m[1:] {
			args[i] = labelArg(lang, f.args[i], g, ops)
		}
		format := f.en
		if f.out != "" {
			format = f.out
		}
		if lang == "ur" {
			u, found := domainUrdu[f.en]
			if f.ur != "" {
				u, found = f.ur, true
			}
			if !found {
				return "", false
			}
			format = u
		}
		// Arguments are text now (a grouped amount): every verb is %s.
		format = textVerbs.ReplaceAllString(format, "%${1}s")
		if !verbRe.MatchString(format) {
			return format, true // every argument dropped: Sprintf would append them as %!(EXTRA …)
		}
		// Explicit argument indexes (%[4]s) skip the dropped ones.
		return fmt.Sprintf(format, args...), true
	}
	return "", false
}

// labelArg is one argument of a coded message in lang.
func labelArg(lang, kind, v string, ops func() map[string]string) string {
	switch {
	case kind == "operator": // by name where the page knows the operators
		if ops != nil {
			if n, ok := ops()[v]; ok {
				return isolateUr(lang, n)
			}
		}
		return isolateUr(lang, v)
	case kind == "drop":
		return ""
	case kind == "-":
		return isolateUr(lang, v)
	case kind == "msg": // a message of its own (a fee's reason)
		return translateNamed(lang, v, ops)
	case kind == "amount":
		if n, err := strconv.ParseInt(strings.ReplaceAll(v, ",", ""), 10, 64); err == nil {
			return isolateUr(lang, Amount(n))
		}
		return isolateUr(lang, v)
	case kind == "describe":
		if lang == "ur" {
			return domainUr(v, 1)
		}
		if m := describeRe.FindStringSubmatch(v); m != nil {
			return m[1]
		}
		return v
	case kind == "docs": // kinds of document, whose labels hold commas: one per "; "
		var out []string
		for _, c := range splitCodeList(v) {
			l, ok := labelIn(lang, "doc", c)
			if !ok {
				return isolateUr(lang, v)
			}
			out = append(out, l)
		}
		return strings.Join(out, listWord(lang, "; "))
	case kind == "codes": // codes shown as they are, joined in lang
		codes := splitCodeList(v)
		for i, c := range codes {
			codes[i] = isolateUr(lang, c)
		}
		return joinOr(lang, codes)
	case kind == "list" || strings.HasPrefix(kind, "listof:"):
		codes := splitCodeList(v)
		k, found := strings.TrimPrefix(kind, "listof:"), true
		if kind == "list" {
			k, found = kindOf(codes)
		}
		if !found {
			return isolateUr(lang, v)
		}
		out := make([]string, len(codes))
		for i, c := range codes {
			l, ok := labelIn(lang, k, c)
			if !ok {
				return isolateUr(lang, v)
			}
			out[i] = l
		}
		return joinOr(lang, out)
	}
	if l, ok := labelIn(lang, kind, v); ok {
		return l
	}
	return isolateUr(lang, v)
}

// labelIn is the label of a code in lang, as L gives it.
func labelIn(lang, kind, code string) (string, bool) {
	m, ok := labels[kind][code]
	if !ok {
		return code, false
	}
	return translate(lang, m), true
}

// splitCodeList splits "a, b or c" (the registry's lists) into codes.
func splitCodeList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ", ") {
		out = append(out, strings.Split(p, " or ")...)
	}
	return out
}

// kindOf is the one labels kind that names every code, preferring the
// kind whose codes are exactly these ("other" is a protocol and a reason).
func kindOf(codes []string) (string, bool) {
	best, n := "", 0
	for k, m := range labels {
		all := true
		for _, c := range codes {
			if _, ok := m[c]; !ok {
				all = false
				break
			}
		}
		if !all {
			continue
		}
		if len(m) == len(codes) {
			return k, true
		}
		best, n = k, n+1
	}
	return best, n == 1
}

// joinOr lists labels as a sentence does: "A, B or C".
func joinOr(lang string, l []string) string {
	sep, or := listWord(lang, ", "), listWord(lang, " or ")
	if len(l) < 2 {
		return strings.Join(l, "")
	}
	return strings.Join(l[:len(l)-1], sep) + or + l[len(l)-1]
}

// isolateUr keeps a left-to-right value's order inside an Urdu sentence
// (U+2068 FIRST STRONG ISOLATE … U+2069), as translateDomain does.
func isolateUr(lang, v string) string {
	if lang != "ur" || v == "" {
		return v
	}
	return "\u2068" + v + "\u2069"
}
