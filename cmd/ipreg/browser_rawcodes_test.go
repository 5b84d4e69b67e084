package main_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"

	"github.com/ipreg/ipreg/internal/registry"
)

// The raw-code check: no page of a walk shows a registry code as text
// where people read words (protocols, rejection reasons, states,
// categories, document and account kinds, roles, operator ids), nor an
// app_… id outside a secondary reference (class "ref", <code>). The
// same rules as rawCodes in internal/portal/rawcodes_test.go, run on the
// page as Chromium has it; the codes come from the registry, so that a
// new code without a label is caught too.
func init() {
	coded, plain, ops := map[string]bool{}, map[string]bool{}, []string{}
	for _, c := range registry.Codes() {
		switch {
		case strings.Contains(c, "_") || slices.Contains(registry.Protocols, c) && c != "other":
			coded[c] = true
		default:
			plain[c] = true
		}
	}
	for _, o := range registry.DemoOperators {
		coded[o.ID] = true
		ops = append(ops, o.ID)
	}
	list := func(m map[string]bool) string {
		var s []string
		for k := range m {
			s = append(s, k)
		}
		sort.Strings(s)
		b, _ := json.Marshal(s)
		return string(b)
	}
	opsJSON, _ := json.Marshal(ops)
	script := strings.NewReplacer("CODED", list(coded), "PLAIN", list(plain), "OPS", string(opsJSON)).Replace(rawCodesScript)
	pageChecks = append(pageChecks, pageCheck{name: "raw codes", script: script})
}

// rawCodesScript returns "" or the codes the page shows as text.
// Attribute values are not text; neither are scripts, styles, what was
// typed back into a textarea, e-mail addresses and file names
// ("cnic_front.pdf"), nor tokens isolated left-to-right on purpose
// (U+2066 … U+2069: the CSV's column values). Codes that are English
// words ("review", "other") count when they stand alone as an element's
// text, in brackets, after "(state ", or inside an Urdu sentence.
const rawCodesScript = `(() => {
  const coded = new Set(CODED), plain = new Set(PLAIN), ops = new Set(OPS);
  const ur = document.documentElement.lang === "ur";
  const found = new Set();
  const tw = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = tw.nextNode());) {
    const p = n.parentElement;
    if (!p || p.closest("script, style, textarea")) continue;
    const ref = !!p.closest(".ref, code, kbd, samp");
    const text = n.textContent.replace(/\u2066[^\u2069]*\u2069/g, " ");
    if (!ref) for (const m of text.matchAll(/\bapp_[0-9a-z]+\b/g)) found.add(m[0]);
    const trimmed = text.replace(/^[\s\u2068\u2069]+|[\s\u2068\u2069]+$/g, "");
    const urdu = ur && /[\u0600-\u06FF]/.test(text);
    for (const m of text.matchAll(/[A-Za-z0-9_]+/g)) {
      const w = m[0], i = m.index, j = i + w.length;
      if (i > 0 && ".@/-\\".includes(text[i - 1])) continue;
      if (j < text.length) {
        const c = text[j];
        if ("@/-\\".includes(c)) continue;
        if (c === "." && j + 1 < text.length && !/\s/.test(text[j + 1])) continue;
      }
      if (ref && ops.has(w)) continue;
      const before = text.slice(0, i), after = text.slice(j);
      const bracketed = /\(\u2068*$/.test(before) && /^\u2069*\)/.test(after);
      if (coded.has(w) || plain.has(w) && (trimmed === w || urdu || bracketed || before.endsWith("(state "))) found.add(w);
    }
  }
  return found.size ? "codes shown as text: " + [...found].sort().join(", ") : "";
})()`
