package main_test

// bidiCheck finds, on an Urdu page, left-to-right tokens that stand
// unisolated in right-to-left text, as the portal's page test does on the
// HTML (internal/portal/tour_bidi_test.go), here on the live DOM with the
// stylesheet applied: a value with neutral characters (an address, a
// number with separators, a masked holder "Ex***** (P**) L", an English
// purpose, "145 bytes") alone on a right-to-left line, or an identifier
// with a separator inside an Urdu sentence, outside <bdi>, an element with
// a dir other than rtl, a left-to-right isolate in CSS, or U+2066/U+2068 …
// U+2069. It also finds left-to-right values pinned to the far edge
// instead of standing next to their labels.
const bidiCheck = `(() => {
  const out = [];
  const isArabicLetter = c => /\p{Script=Arabic}/u.test(c) && /\p{L}/u.test(c);
  const plain = /^([A-Za-z][A-Za-z0-9_]*|[0-9]+)$/;
  const ltrRun = /[0-9A-Za-z%+\/:.\-@{}…]*[0-9A-Za-z][0-9A-Za-z%+\/:.\-@{}…]*/g;
  const outside = s => {
    let d = 0, r = "";
    for (const c of s) {
      if ("\u2066\u2067\u2068".includes(c)) { d++; r += " "; }
      else if (c === "\u2069") { if (d) d--; }
      else if (!d) r += c;
    }
    return r;
  };
  const tokens = text => {
    const o = outside(text);
    if ([...o].some(isArabicLetter)) {
      return (o.match(ltrRun) || []).map(t => t.replace(/[.:]+$/, "")).filter(t => /[-:\/%+@]/.test(t) || t.split(".").length > 2);
    }
    const v = o.trim();
    return /[A-Za-z0-9]/.test(v) && !plain.test(v) ? [v] : [];
  };
  const isolated = el => {
    for (; el && el !== document.documentElement; el = el.parentElement) {
      if (el.tagName === "BDI") return true;
      const d = el.getAttribute("dir");
      if (d && d !== "rtl") return true;
      const st = getComputedStyle(el);
      if (st.direction === "ltr" && /isolate|plaintext/.test(st.unicodeBidi)) return true;
    }
    return false;
  };
  const shown = el => {
    if (el.tagName === "OPTION") el = el.closest("select") || el;
    return el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const where = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : el.className ? "." + String(el.className).split(" ")[0] : "");
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = texts.nextNode());) {
    const el = n.parentElement;
    if (!el || /^(SCRIPT|STYLE|NOSCRIPT|TEXTAREA)$/.test(el.tagName) || !shown(el) || isolated(el)) continue;
    for (const t of tokens(n.textContent)) out.push(where(el) + ": " + t);
  }
  for (const el of document.querySelectorAll("input:not([type=hidden], [type=checkbox], [type=radio], [type=file], [type=submit], [type=button]), textarea")) {
    if (!el.value || !shown(el) || isolated(el)) continue;
    for (const t of tokens(el.value)) out.push(where(el) + " value: " + t);
  }
  // dir="auto" follows the first strong letter: an Urdu message that
  // starts with a Latin word ("PDF", "CNIC") would be laid out
  // left-to-right, its clauses in the wrong order.
  for (const el of document.querySelectorAll("[dir=auto]:not(input, textarea)")) {
    if (shown(el) && [...el.textContent].some(isArabicLetter) && getComputedStyle(el).direction === "ltr") out.push(where(el) + ": dir=auto lays this Urdu out left-to-right");
  }
  // A left-to-right block (a cell, a field) on a right-to-left page sits at
  // the right, by its label, not at the left edge.
  for (const el of document.querySelectorAll("[dir=ltr], [dir=auto], .ltr")) {
    const st = getComputedStyle(el);
    if (!shown(el) || (st.display.startsWith("inline") && !/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName))) continue;
    if (!(el.value || el.textContent).trim()) continue;
    if (st.textAlign === "left" || (st.textAlign === "start" && st.direction === "ltr")) out.push(where(el) + ": pinned to the far edge");
  }
  return [...new Set(out)].slice(0, 15).join("; ");
})()`

func init() {
	pageChecks = append(pageChecks, pageCheck{name: "bidi", script: bidiCheck, langs: []string{"ur"}})
}
