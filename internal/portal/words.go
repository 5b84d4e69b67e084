package portal

import (
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/ipreg/ipreg/internal/registry"
)

// Words for people where the registry keeps codes and machine forms:
// operators by name, applications by what they register, mobile numbers
// as people write them, counts with their plural and amounts grouped.

// Op is an operator's name ("PTCL") for its id ("ptcl"), from the
// operators table; an operator the table does not hold keeps its id.
func (v *view) Op(id string) string {
	if v.opNames != nil {
		if n, ok := v.opNames()[id]; ok {
			return n
		}
	}
	return id
}

// Mobile writes a stored mobile number (923001234567) as people in
// Pakistan write it: 0300 1234567. Anything else is shown as stored.
func Mobile(n string) string {
	if len(n) == 12 && strings.HasPrefix(n, "92") && n[2] == '3' {
		if _, err := strconv.ParseUint(n, 10, 64); err == nil {
			return "0" + n[2:5] + " " + n[5:]
		}
	}
	return n
}

// Mobiles lists numbers as Mobile writes them.
func Mobiles(ns []string) string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = Mobile(n)
	}
	return strings.Join(out, ", ")
}

// Ref names an application as its holder knows it: the category, its
// first address or number (and how many more), the day it was created:
// "Company VPN · 14.1.104.0/24 · 12 Nov 2026". Its app_… id stays a
// secondary reference beside it.
func (v *view) Ref(a *registry.Application) template.HTML {
	parts := []string{template.HTMLEscapeString(v.L("category", a.Category))}
	var first string
	more := 0
	switch {
	case len(a.Addresses) > 0:
		first, more = a.Addresses[0].String(), len(a.Addresses)-1
	case len(a.MobileNumbers) > 0:
		first, more = Mobile(a.MobileNumbers[0]), len(a.MobileNumbers)-1
	}
	if first != "" {
		item := bdiTok(first)
		if more > 0 {
			item = template.HTMLEscapeString(v.N("%s and %d more", more, "\x01", more))
			item = strings.Replace(item, "\x01", bdiTok(first), 1)
		}
		parts = append(parts, item)
	}
	if !a.CreatedAt.IsZero() {
		t := a.CreatedAt.In(registry.PKT.Loc)
		if v.Lang == "ur" { // no English month names in Urdu (review §6.4)
			parts = append(parts, bdiTok(t.Format("2006-01-02")))
		} else {
			parts = append(parts, `<span class="tok">`+t.Format("2 Jan 2006")+`</span>`)
		}
	}
	return template.HTML(strings.Join(parts, " · "))
}

// Bytes is a size in the page's language: "145 bytes" or "145 بائٹس"
// (with its plural), "312 KiB", "5.0 MiB" (units the review keeps in
// Latin letters), as registry.ByteSize writes them for the API.
func (v *view) Bytes(n int64) string {
	if n >= 1<<10 || n < 0 {
		return registry.ByteSize(n)
	}
	return v.N("%d bytes", int(n))
}

// N is a counted text in the page's language, in its form for n:
// {{.N "%d active registrations." .D.Active}} gives "1 active
// registration." or "2 active registrations.". args fill the text's
// verbs; without them n is the only one. The forms are the catalog's
// msgid/msgid_plural entry whose msgid_plural is key (locales/ur.po,
// catalog.go): Urdu's singular and plural differ for some nouns
// (رجسٹریشن / رجسٹریشنز, گھنٹہ / گھنٹے) and not others (دن).
func (v *view) N(key string, n int, args ...any) string {
	f, ok := countedForm(v.Lang, key, n)
	if !ok {
		return v.T(key, n)
	}
	if len(args) == 0 {
		args = []any{n}
	}
	return fmt.Sprintf(f, args...)
}

// Amount writes a whole number with its thousands grouped, as amounts
// are written: 10000 → "10,000".
func Amount(n int64) string { return registry.GroupDigits(n) }

// knownOperators names operators from ops, which the page's handler read
// with its other data, so that naming one costs no read of its own (on
// PostgreSQL a read waits for a connection, which under load was a
// fifth of the review queue page's time).
func (v *view) knownOperators(ops []*registry.Operator) {
	names := make(map[string]string, len(ops))
	for _, o := range ops {
		names[o.ID] = o.Name
	}
	v.opNames = func() map[string]string { return names }
}

// operatorNames reads the operators table once, when a page first names
// an operator.
func (s *Server) operatorNames(r *http.Request) func() map[string]string {
	var names map[string]string
	return func() map[string]string {
		if names == nil {
			names = map[string]string{}
			if ops, err := s.svc.ListOperators(r.Context()); err == nil {
				for _, o := range ops {
					names[o.ID] = o.Name
				}
			}
		}
		return names
	}
}

// FlagNote is what a flag's detail adds to its label and item, for the
// pages that list flags: the label already says what kind of flag it is
// ("Operator disputed"), so the detail's own wording of it ("the
// operator disputed: …", "… is not in Pakistan's address space") is not
// shown again. The operator's note, the time an answer was due, the
// other application overlapped are kept; "" when the detail adds nothing.
func (v *view) FlagNote(f registry.Flag) string {
	switch f.Code {
	case registry.FlagOperatorDisputed:
		note, ok := strings.CutPrefix(f.Detail, "the operator disputed:")
		if !ok {
			return v.M(f.Detail)
		}
		return strings.TrimSpace(note) // the operator's words, in any script
	case registry.FlagOutsideCountry, registry.FlagOutsideOperatorSpace:
		return "" // the item and the label say it all
	case registry.FlagOverlap, registry.FlagDuplicateOwn:
		if strings.HasSuffix(f.Detail, " holds or has applied for") || strings.HasSuffix(f.Detail, " in another application of the same account") {
			return "" // what a non-staff viewer is told: the label says it
		}
		// The detail starts with the item, shown already beside the label.
		msg := v.M(f.Detail)
		for _, p := range []string{f.Item + ": ", f.Item + " ", "\u2068" + f.Item + "\u2069: ", "\u2068" + f.Item + "\u2069 "} {
			if f.Item != "" && strings.HasPrefix(msg, p) {
				return strings.TrimPrefix(msg, p)
			}
		}
		return msg
	case registry.FlagOperatorUnanswered:
		if m := unansweredRe.FindStringSubmatch(f.Detail); m != nil {
			return v.T("the answer was due %s", v.Iso(m[1]))
		}
	}
	return v.M(f.Detail)
}

var unansweredRe = regexp.MustCompile(`^operator \S+ did not answer by (.+)$`)

// flagGroup is one kind of flag on an application's page: its label once,
// then its items, each with what the flag's detail adds about it.
type flagGroup struct {
	Code  string
	Items []flagItem
}

// Inline reports whether the group's items are a plain list of items,
// shown after the label on its line ("Label: a, b"); otherwise each item
// has its own line under the label.
func (g flagGroup) Inline() bool {
	for _, it := range g.Items {
		if it.Note != "" || it.AppID != "" {
			return false
		}
	}
	return true
}

type flagItem struct {
	Item  string // the address, prefix or number flagged; "" for a flag of the whole application
	Note  string // what the detail adds, without the item or the label's verb
	AppID string // the other application, for staff (overlaps)
}

// FlagGroups groups flags by code, in the order each code first appears,
// so a label is said once and its items listed after it.
func (v *view) FlagGroups(flags []registry.Flag) []flagGroup {
	var out []flagGroup
	at := map[string]int{}
	for _, f := range flags {
		i, ok := at[f.Code]
		if !ok {
			i = len(out)
			at[f.Code] = i
			out = append(out, flagGroup{Code: f.Code})
		}
		it := flagItem{Item: f.Item, Note: v.flagItemNote(f)}
		if f.With != nil {
			it.AppID = f.With.ApplicationID
		}
		out[i].Items = append(out[i].Items, it)
	}
	return out
}

// flagItemNote is FlagNote for one item of a group: for an overlap the
// viewer may read in full, what the item overlaps, in words (whose it is
// and its state now), the other item named only when it is not the same.
func (v *view) flagItemNote(f registry.Flag) string {
	w := f.With
	if w == nil || (f.Code != registry.FlagOverlap && f.Code != registry.FlagDuplicateOwn) {
		return v.FlagNote(f)
	}
	own := f.Code == registry.FlagDuplicateOwn
	var what string
	switch held := w.Registration != "" && w.State == registry.StateApproved; {
	case held && own:
		what = v.T("this account's registration %s", w.Registration)
	case held:
		what = v.T("registration %s of another account", w.Registration)
	case own:
		what = v.T("another application of this account (%s)", v.L("state", w.State))
	default:
		what = v.T("another account's application (%s)", v.L("state", w.State))
	}
	if w.Item != "" && w.Item != f.Item {
		what = fmt.Sprintf(v.T("%s, at %s"), what, isolateUr(v.Lang, w.Item)) // T isolates values: what is words
	}
	return what
}

// FlagLabels is the distinct labels of flags, in the page's language, for
// the review queue's Flags column.
func (v *view) FlagLabels(flags []registry.Flag) string {
	var labels []string
	seen := map[string]bool{}
	for _, f := range flags {
		if !seen[f.Code] {
			seen[f.Code] = true
			labels = append(labels, v.L("flag", f.Code))
		}
	}
	return strings.Join(labels, listWord(v.Lang, ", "))
}
