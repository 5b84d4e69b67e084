package portal

import (
	"embed"

	"github.com/leonelquinteros/gotext"
)

// The portal's Urdu is a gettext catalog, locales/ur.po, embedded in the
// binary: the English text is the msgid (the code and templates use the
// English as the key), the Urdu the msgstr. Portal texts have no msgctxt;
// the registry's messages (translated by their format, domain.go) have
// msgctxt "registry", and as pages word them (coded.go) "registry, as
// pages word it"; counted texts are msgid/msgid_plural entries whose
// forms the file's Plural-Forms header chooses (Urdu, like English: one
// form for 1, another for any other number, CLDR one/other). How a
// translator updates it: CONTRIBUTING.md.

//go:embed locales/*.po
var localeFS embed.FS

// ctxRegistry is the msgctxt of the registry's and netpolicy's messages.
const ctxRegistry = "registry"

// ctxCoded is the msgctxt of the registry's messages as pages word them
// (coded.go's out: "Choose a decision" where the API says `must be
// "approve", "reject" or "return"`); a translator comment gives the
// registry's wording.
const ctxCoded = "registry, as pages word it"

// ctxList is the msgctxt of the words and marks that join a list's items
// (", ", "; ", " or "): Urdu has its own comma and semicolon (، ؛).
const ctxList = "list"

// listWords are the joiners listWord knows; each needs a translation.
var listWords = []string{", ", "; ", " or "}

// loadPO parses an embedded catalog; a file that is not there is a
// build mistake, so the program stops.
func loadPO(name string) *gotext.Po {
	b, err := localeFS.ReadFile(name)
	if err != nil {
		panic("portal: catalog " + name + ": " + err.Error()) // a build mistake, never a page
	}
	po := gotext.NewPo()
	po.Parse(b)
	return po
}

var urPO = loadPO("locales/ur.po")

// poTexts is the translated entries of one msgctxt of po ("" for none),
// English → translation; entries with an empty msgstr (not translated
// yet) and counted texts are left out, so that the page shows English
// and the catalog test names them.
func poTexts(po *gotext.Po, ctx string) map[string]string {
	d := po.GetDomain()
	trs := d.GetTranslations()
	if ctx != "" {
		trs = d.GetCtxTranslations()[ctx]
	}
	out := make(map[string]string, len(trs))
	for id, tr := range trs {
		if id == "" || tr.PluralID != "" || !tr.IsTranslated() {
			continue
		}
		out[id] = tr.Get()
	}
	return out
}

// counted is a text with plural forms: English one and other (the
// catalog's msgid and msgid_plural).
type counted struct{ one, other string }

// poCounted is the counted texts of po, keyed by their English form for
// many (as templates name them: {{.N "%d days" .Days}}).
func poCounted(po *gotext.Po) map[string]counted {
	out := map[string]counted{}
	for id, tr := range po.GetDomain().GetTranslations() {
		if tr.PluralID != "" {
			out[tr.PluralID] = counted{one: id, other: tr.PluralID}
		}
	}
	return out
}

var (
	// urdu translates the portal's own texts (T, TTok, labels).
	urdu = poTexts(urPO, "")
	// domainUrdu translates the registry's and netpolicy's messages by
	// their formats (domain.go), with %[n]s where the order changes.
	domainUrdu = poTexts(urPO, ctxRegistry)
	// codedUrdu translates coded.go's page wordings (out), keyed by them.
	codedUrdu = poTexts(urPO, ctxCoded)
	// listUrdu translates listWords.
	listUrdu = poTexts(urPO, ctxList)
	// countedTexts are the texts N chooses a form of.
	countedTexts = poCounted(urPO)
)

// countedForm is the counted text key in lang for n: English chooses by
// n == 1, Urdu by its catalog's Plural-Forms (ngettext); an Urdu form not
// translated yet falls back to the English.
func countedForm(lang, key string, n int) (string, bool) {
	c, ok := countedTexts[key]
	if !ok {
		return "", false
	}
	if lang == "ur" {
		return urPO.GetN(c.one, c.other, n), true
	}
	if n == 1 {
		return c.one, true
	}
	return c.other, true
}

// listWord is the joiner en (one of listWords) in lang.
func listWord(lang, en string) string {
	if lang == "ur" {
		if u, ok := listUrdu[en]; ok {
			return u
		}
	}
	return en
}
