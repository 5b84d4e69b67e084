package portal

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/leonelquinteros/gotext"
)

// The portal's Urdu lives in locales/ur.po only: a Go file that still adds
// to urdu or domainUrdu (a catalog_ur_<part>.go written before the move to
// PO) fails here until pomigrate has moved its entries into the file.
func TestCatalogOnlyInPO(t *testing.T) {
	for name, pair := range map[string][2]map[string]string{
		"urdu":       {urdu, poTexts(urPO, "")},
		"domainUrdu": {domainUrdu, poTexts(urPO, ctxRegistry)},
	} {
		var extra []string
		for k, v := range pair[0] {
			if po, ok := pair[1][k]; !ok || po != v {
				extra = append(extra, strconv.Quote(k))
			}
		}
		sort.Strings(extra)
		if len(extra) > 0 {
			t.Errorf("Go code adds %d texts to %s that locales/ur.po does not hold (first: %s); move them with\n\tgo run ./internal/portal/internal/pomigrate\n(from the repository's root; see CONTRIBUTING.md)", len(extra), name, extra[0])
		}
	}
	for _, f := range codedFormats {
		if f.ur != "" && f.out != "" && codedUrdu[f.out] != f.ur {
			t.Errorf("coded format %q has its Urdu in Go, not in locales/ur.po; move it with\n\tgo run ./internal/portal/internal/pomigrate", f.out)
		}
	}
}

// poEntry is one entry of a PO file, as a translator's tool wrote it.
type poEntry struct {
	line       int
	ctx, id    string
	flags      []string
	obsolete   bool
	hasMsgstr  bool
	pluralForm bool
}

// readPO splits a PO file into entries, joining wrapped strings, for the
// checks the library does not make (gettext's msgfmt does: duplicates,
// fuzzy entries).
func readPO(t *testing.T, text string) []poEntry {
	t.Helper()
	var out []poEntry
	var cur *poEntry
	field := ""
	flush := func() {
		if cur != nil && (cur.id != "" || cur.ctx != "") {
			out = append(out, *cur)
		}
		cur = nil
	}
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			flush()
			continue
		}
		if cur == nil {
			cur = &poEntry{line: i + 1}
		}
		unq := func(s string) string {
			u, err := strconv.Unquote(s)
			if err != nil {
				t.Fatalf("locales/ur.po:%d: %q is not a quoted string: %v", i+1, s, err)
			}
			return u
		}
		switch {
		case strings.HasPrefix(l, "#~"):
			cur.obsolete = true
		case strings.HasPrefix(l, "#,"):
			for _, f := range strings.Split(l[2:], ",") {
				cur.flags = append(cur.flags, strings.TrimSpace(f))
			}
		case strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "msgctxt "):
			field, cur.ctx = "ctx", unq(l[len("msgctxt "):])
		case strings.HasPrefix(l, "msgid_plural "):
			field, cur.pluralForm = "plural", true
		case strings.HasPrefix(l, "msgid "):
			field, cur.id = "id", unq(l[len("msgid "):])
		case strings.HasPrefix(l, "msgstr"):
			field, cur.hasMsgstr = "str", true
		case strings.HasPrefix(l, `"`):
			switch field {
			case "ctx":
				cur.ctx += unq(l)
			case "id":
				cur.id += unq(l)
			}
		default:
			t.Errorf("locales/ur.po:%d: a line gettext does not know: %q", i+1, l)
		}
	}
	flush()
	return out
}

// ur.po is a file msgfmt would take as it is: each English text once per
// msgctxt, every entry with a msgstr, and no fuzzy entries (Poedit's
// "needs work": gettext ignores their text, this library would not, so a
// translator's doubt would reach the pages unseen).
func TestPOWellFormed(t *testing.T) {
	b, err := localeFS.ReadFile("locales/ur.po")
	if err != nil {
		t.Fatal(err)
	}
	if h := urPO.GetDomain().PluralForms; strings.ReplaceAll(h, " ", "") != "nplurals=2;plural=(n!=1);" {
		t.Errorf("ur.po's Plural-Forms is %q; Urdu has CLDR one/other: nplurals=2; plural=(n != 1);", h)
	}
	seen := map[string]int{}
	entries := readPO(t, string(b))
	if len(entries) < 1000 {
		t.Fatalf("read only %d entries; the reader is broken", len(entries))
	}
	for _, e := range entries {
		if e.obsolete {
			continue
		}
		k := e.ctx + "\x04" + e.id
		if prev, ok := seen[k]; ok {
			t.Errorf("locales/ur.po:%d: %q (msgctxt %q) is already at line %d; keep one", e.line, e.id, e.ctx, prev)
		}
		seen[k] = e.line
		if !e.hasMsgstr {
			t.Errorf("locales/ur.po:%d: %q has no msgstr", e.line, e.id)
		}
		for _, f := range e.flags {
			if f == "fuzzy" {
				t.Errorf("locales/ur.po:%d: %q is marked fuzzy (needs work): check the Urdu, then clear the mark (in Poedit: Needs work off)", e.line, e.id)
			}
		}
	}
}

// appendUntranslated adds the texts the catalog lacks to locales/ur.po
// with an empty msgstr, when IPREG_UPDATE_PO=1: the extraction step
// (xgettext's) of CONTRIBUTING.md. The tests that call it still fail
// until a translator fills them in.
func appendUntranslated(t *testing.T, ctx string, missing map[string]string) {
	t.Helper()
	if os.Getenv("IPREG_UPDATE_PO") != "1" || len(missing) == 0 {
		return
	}
	have := map[string]bool{}
	d := urPO.GetDomain()
	trs := d.GetTranslations()
	if ctx != "" {
		trs = d.GetCtxTranslations()[ctx]
	}
	for id := range trs {
		have[id] = true
	}
	ids := make([]string, 0, len(missing))
	for id := range missing {
		if !have[id] { // an entry with an empty msgstr is there already
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "\n#: %s\n", missing[id])
		if ctx != "" {
			fmt.Fprintf(&b, "msgctxt %s\n", poQuote(ctx))
		}
		fmt.Fprintf(&b, "msgid %s\nmsgstr \"\"\n", poQuote(id))
	}
	f, err := os.OpenFile("locales/ur.po", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
	t.Logf("added %d untranslated entries to locales/ur.po", len(ids))
}

// poQuote writes s as a PO string (gettext's escapes only; other
// characters as they are).
func poQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(s) + `"`
}

// The page wordings of registry messages (msgctxt "registry, as pages
// word it") are each a coded format's out, with the same verbs: an entry
// no format shows is stale, and its text would never reach a page.
func TestCodedWordingsInPO(t *testing.T) {
	if len(codedUrdu) < 40 {
		t.Fatalf("ur.po holds only %d page wordings; the catalog did not load", len(codedUrdu))
	}
	outs := map[string]bool{}
	for _, f := range codedFormats {
		if f.out != "" {
			outs[f.out] = true
		}
	}
	for out, ur := range codedUrdu {
		if !outs[out] {
			t.Errorf("locales/ur.po (msgctxt %q) holds %q, which no coded format shows: delete its entry", ctxCoded, out)
			continue
		}
		want := map[string]bool{}
		for _, v := range verbRe.FindAllString(out, -1) {
			want[v] = true
		}
		got := map[string]bool{}
		for _, v := range verbRe.FindAllString(ur, -1) {
			got[v] = true
		}
		if fmt.Sprint(want) != fmt.Sprint(got) {
			t.Errorf("%q: Urdu %q has other verbs", out, ur)
		}
	}
}

// Each list joiner has its Urdu, as the pages showed it before the
// catalog held it.
func TestListWords(t *testing.T) {
	want := map[string]string{", ": "، ", "; ": "؛ ", " or ": " یا "}
	for _, en := range listWords {
		if got := listWord("ur", en); got != want[en] {
			t.Errorf("listWord(ur, %q) = %q, want %q (locales/ur.po, msgctxt %q)", en, got, want[en], ctxList)
		}
		if got := listWord("en", en); got != en {
			t.Errorf("listWord(en, %q) = %q", en, got)
		}
	}
	if len(listUrdu) != len(listWords) {
		t.Errorf("ur.po holds %d list joiners, the code knows %d", len(listUrdu), len(listWords))
	}
}

// BenchmarkLoadCatalog is what the portal spends at start on its Urdu:
// parsing locales/ur.po and building the maps pages translate with.
func BenchmarkLoadCatalog(b *testing.B) {
	for b.Loop() {
		po := loadPO("locales/ur.po")
		_ = poTexts(po, "")
		_ = poTexts(po, ctxRegistry)
		_ = poCounted(po)
	}
}

// BenchmarkCounted is one counted text in Urdu (ngettext through the
// catalog's Plural-Forms), as a page asks for it.
func BenchmarkCounted(b *testing.B) {
	v := &view{Lang: "ur"}
	for b.Loop() {
		_ = v.N("%d active registrations.", 21)
	}
}

// gettextTool finds a GNU gettext program, or skips the test (fails with
// IPREG_TEST_STRICT=1).
func gettextTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("IPREG_TEST_STRICT") == "1" {
			t.Fatalf("%s (GNU gettext) is not installed", name)
		}
		t.Skipf("%s (GNU gettext) is not installed; apt-get install gettext", name)
	}
	return p
}

// The catalog is a standard PO file: GNU msgfmt compiles it with its
// checks (header, format of plural entries), and after msgcat rewrites
// it as Poedit and translation platforms do (lines wrapped at 79
// columns, strings split), the portal reads the same texts from it.
func TestPOStandard(t *testing.T) {
	msgfmt, msgcat := gettextTool(t, "msgfmt"), gettextTool(t, "msgcat")
	for _, f := range []string{"locales/ur.po", "../registry/messages/ur.po"} {
		if out, err := exec.Command(msgfmt, "--check", "-o", os.DevNull, f).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("msgfmt --check %s: %v\n%s", f, err, out)
		}
	}
	out, err := exec.Command(msgcat, "--width=79", "locales/ur.po").Output()
	if err != nil {
		t.Fatalf("msgcat: %v", err)
	}
	if !strings.Contains(string(out), "\"\n\"") {
		t.Fatal("msgcat wrapped no line; the round trip tests nothing")
	}
	po := gotext.NewPo()
	po.Parse(out)
	for _, ctx := range []string{"", ctxRegistry, ctxCoded, ctxList} {
		got, want := poTexts(po, ctx), poTexts(urPO, ctx)
		if len(got) != len(want) {
			t.Errorf("msgctxt %q: %d texts after msgcat, %d before", ctx, len(got), len(want))
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("msgctxt %q, %q: after msgcat %q, before %q", ctx, k, got[k], v)
			}
		}
	}
	if got := poCounted(po); len(got) != len(countedTexts) {
		t.Errorf("%d counted texts after msgcat, %d before", len(got), len(countedTexts))
	}
	// The message templates: long entries of many lines.
	const msgs = "../registry/messages/ur.po"
	out, err = exec.Command(msgcat, "--width=79", msgs).Output()
	if err != nil {
		t.Fatalf("msgcat: %v", err)
	}
	orig, _ := os.ReadFile(msgs)
	before, after := gotext.NewPo(), gotext.NewPo()
	before.Parse(orig)
	after.Parse(out)
	b, a := before.GetDomain().GetCtxTranslations(), after.GetDomain().GetCtxTranslations()
	if len(b) < 10 || len(a) != len(b) {
		t.Errorf("%d messages after msgcat, %d before", len(a), len(b))
	}
	for ctx, ids := range b {
		for id, tr := range ids {
			if id != "" && (a[ctx][id] == nil || a[ctx][id].Get() != tr.Get()) {
				t.Errorf("message %q reads differently after msgcat", ctx)
			}
		}
	}
}
